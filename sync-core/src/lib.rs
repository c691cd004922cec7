//! # sync-core: Alongside's documents, write rules and device store
//!
//! The core (documents, [`rules`], the sync [`protocol`], the JSON shapes of
//! [`api`]) knows no files or networks; the server links only that. The phone
//! runtime (the device store, the replica and the blocking HTTP client `Client`)
//! sits around it behind the cargo feature `phone`, which the mobile bindings and
//! the tests enable.
//!
//! Everything a mentee and a mentor write about their work together lives in
//! Automerge CRDT documents, so phones can write offline for a whole shift and
//! merge later without losing anyone's words:
//!
//! - a **session** per shadowing shift, meeting or check-in ([`SessionView`]),
//! - one **goal plan** per mentorship ([`Goal`]),
//! - one private **reflection journal** per person ([`Reflection`]).
//!
//! A [`DocHeader`] says what a document is and who it belongs to. Every document
//! starts from a deterministic genesis change computed from its header, so two
//! phones that create the same session apart share the same root objects.
//!
//! The [`rules`] decide who may write where (mentor-only feedback, author-only
//! accounts of the shift, owner-only journals, no writes by coordinators). The
//! editing methods of [`Document`] check them before writing; the server checks
//! them again on the raw operations of every change it receives
//! ([`rules::check_changes`]).
//!
//! Text positions count UTF-16 code units, as Kotlin and Swift strings do.
//!
//! ```
//! use automerge::ActorId;
//! use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, SessionKind, UserId};
//!
//! let pair = Pair {
//!     mentorship_id: MentorshipId::new_random(),
//!     mentor_id: UserId::new_random(),
//!     mentee_id: UserId::new_random(),
//! };
//! let header = DocHeader::session(DocumentId::new_random(), pair);
//!
//! // Two phones create the same session while apart...
//! let mut mentor_phone = Document::create(header, ActorId::random())?;
//! let mut mentee_phone = Document::create(header, ActorId::random())?;
//! mentor_phone.set_session_basics(pair.mentor_id, SessionKind::Shadowing, "2026-03-14")?;
//! mentor_phone.edit_notes(pair.mentor_id, 0, 0, "Hoist transfer, room 4. ")?;
//! mentee_phone.edit_notes(pair.mentee_id, 0, 0, "Mrs Patel's family visited 🌷")?;
//!
//! // ...the mentee may not write the mentor's feedback...
//! assert!(mentee_phone.set_feedback(pair.mentee_id, "great", "none").is_err());
//!
//! // ...and after merging, both texts are there.
//! mentor_phone.automerge().merge(mentee_phone.automerge())?;
//! let notes = mentor_phone.session_view()?.notes;
//! assert!(notes.contains("Hoist transfer") && notes.contains("🌷"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Each string enum gets `as_str`, delegating to strum's `IntoStaticStr`: the name
// stored in documents and sent on the wire, identical to its serde name.
macro_rules! wire_names {
    ($($name:ident),+ $(,)?) => {
        $(impl $name {
            /// The name stored in documents and on the wire.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        })+
    };
}

mod agreement;
pub mod api;
#[cfg(feature = "phone")]
mod client;
mod concern;
mod document;
mod goal_plan;
mod group_session;
mod ids;
mod journal;
pub mod protocol;
#[cfg(feature = "phone")]
mod replica;
pub mod rules;
mod session;
pub mod skills;
#[cfg(feature = "phone")]
mod store;
mod survey_response;

pub use agreement::{AgreementInput, AgreementView};
pub use automerge;
#[cfg(feature = "phone")]
pub use client::{
    Account, Agreement, Client, ClientError, Concern, DueSurvey, Group, Mentorship, OpenAction, Rejection, Reminder,
    SignOut, SyncProgress, SyncReport,
};
pub use concern::{ConcernKind, ConcernStatus, ConcernView};
pub use document::{Document, DocumentError, MAX_TEXT_LEN, SCHEMA_VERSION, TEXT_ENCODING};
pub use goal_plan::{Goal, GoalCategory, GoalStatus, ProgressNote};
pub use group_session::GroupSessionView;
pub use ids::{DocHeader, DocKind, DocRole, DocScope, DocumentId, GroupId, InvalidId, MentorshipId, Pair, UserId};
pub use journal::{Reflection, ReflectionInput};
#[cfg(feature = "phone")]
pub use replica::{Replica, ReplicaError};
pub use session::{
    Action, Feedback, MenteeFeedback, Mode, SessionDetails, SessionKind, SessionStatus, SessionView, SignOff,
    SignOffState,
};
pub use skills::{Skill, find_skill, skill_catalogue};
#[cfg(feature = "phone")]
pub use store::{
    ChunkLayout, InvalidKey, Inventory, Store, StoreError, StoreKey, StoredDocument, StoredRejection, SyncMark,
    WriteStats, WrongKey,
};
pub use survey_response::{PairingDates, ShareText, SurveyAnswer, SurveyResponseView, check_answers, survey_due_on};
