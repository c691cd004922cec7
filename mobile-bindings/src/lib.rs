//! # Alongside for phone apps
//!
//! Thin uniffi wrappers over [`sync_core::Client`]: the records, the one error
//! enum and the `Client` object of the mobile contract (shared DESIGN.md,
//! "Mobile API"), for Kotlin, Swift and Python. Everything of substance lives in
//! sync-core; this crate only converts types and delegates.
//!
//! Threads: every method blocks (disk, and the network for `login`, `mentorships`
//! and `sync`). Call them off the UI thread (Kotlin `Dispatchers.IO`, a Swift
//! `Task.detached`), or use [`Client::sync_in_background`], which runs the sync on
//! a thread of its own and reports progress to a [`SyncListener`].
//!
//! Text positions (`edit_notes`) count UTF-16 code units, like Kotlin and Swift
//! strings. Python strings count code points: convert with
//! `len(text.encode("utf-16-le")) // 2`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sync_core::{ClientError, ReflectionInput, SignOut};

uniffi::setup_scaffolding!();

mod concerns;
mod reminders;
mod scheme;
mod surveys;
pub use concerns::Concern;
pub use reminders::Reminder;
pub use scheme::{Agreement, AgreementInput, Group, GroupSessionView};
pub use surveys::{DueSurvey, SurveyAnswer, SurveyQuestion};

/// Every failure, in the terms an app acts on. The field is `reason`, not
/// `message`, which would clash with `Throwable.message` in Kotlin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum AlongsideError {
    /// The server cannot be reached; local edits are kept and sync later.
    #[error("offline: {reason}")]
    Offline { reason: String },
    /// Wrong credentials or an expired sign-in: sign in again.
    #[error("unauthorized: {reason}")]
    Unauthorized { reason: String },
    /// This device was revoked; its local data has been wiped.
    #[error("revoked: {reason}")]
    Revoked { reason: String },
    /// The write rules or the server refuse this.
    #[error("forbidden: {reason}")]
    Forbidden { reason: String },
    /// No such thing (or not visible to this person).
    #[error("not found: {reason}")]
    NotFound { reason: String },
    /// The input is not acceptable.
    #[error("invalid: {reason}")]
    Invalid { reason: String },
    /// The local store failed or is damaged.
    #[error("storage: {reason}")]
    Storage { reason: String },
    /// The server failed; try again later. Local edits are kept.
    #[error("server: {reason}")]
    Server { reason: String },
}

impl From<ClientError> for AlongsideError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Offline { message } => Self::Offline { reason: message },
            ClientError::Unauthorized { message } => Self::Unauthorized { reason: message },
            ClientError::Revoked { message } => Self::Revoked { reason: message },
            ClientError::Forbidden { message } => Self::Forbidden { reason: message },
            ClientError::NotFound { message } => Self::NotFound { reason: message },
            ClientError::Invalid { message } => Self::Invalid { reason: message },
            ClientError::Storage { message } => Self::Storage { reason: message },
            ClientError::Server { message } => Self::Server { reason: message },
        }
    }
}

fn parse<T: std::str::FromStr<Err = sync_core::DocumentError>>(value: &str) -> Result<T, AlongsideError> {
    value.parse().map_err(|e: sync_core::DocumentError| AlongsideError::Invalid { reason: e.to_string() })
}

/// The signed-in person on this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    pub user_id: String,
    pub org_id: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub device_id: String,
}

impl From<sync_core::Account> for Account {
    fn from(a: sync_core::Account) -> Self {
        Self {
            user_id: a.user_id,
            org_id: a.org_id,
            display_name: a.display_name,
            roles: a.roles,
            device_id: a.device_id,
        }
    }
}

/// A pairing the signed-in person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Mentorship {
    pub id: String,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    pub status: String,
    pub started_on: Option<String>,
    /// The programme the pairing belongs to.
    pub programme_id: String,
    /// When it was completed or ended (`YYYY-MM-DD`), if it has.
    pub ended_on: Option<String>,
}

impl From<sync_core::Mentorship> for Mentorship {
    fn from(m: sync_core::Mentorship) -> Self {
        Self {
            id: m.id,
            mentor_id: m.mentor_id,
            mentor_name: m.mentor_name,
            mentee_id: m.mentee_id,
            mentee_name: m.mentee_name,
            status: m.status,
            started_on: m.started_on,
            programme_id: m.programme_id,
            ended_on: m.ended_on,
        }
    }
}

/// The mentor's feedback.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Feedback {
    pub strengths: String,
    pub development: String,
}

/// An agreed action.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Action {
    pub id: String,
    pub text: String,
    pub owner_id: String,
    pub due: Option<String>,
    pub done: bool,
}

impl From<sync_core::Action> for Action {
    fn from(a: sync_core::Action) -> Self {
        Self { id: a.id, text: a.text, owner_id: a.owner_id, due: a.due, done: a.done }
    }
}

/// An action not done yet, with the session it was agreed in.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OpenAction {
    pub session_id: String,
    /// `YYYY-MM-DD`.
    pub session_date: Option<String>,
    pub action: Action,
}

impl From<sync_core::OpenAction> for OpenAction {
    fn from(o: sync_core::OpenAction) -> Self {
        Self { session_id: o.session_id, session_date: o.session_date, action: o.action.into() }
    }
}

/// A skill of the built-in catalogue.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Skill {
    /// Pass this to `add_skill`; the session stores the title.
    pub id: String,
    pub title: String,
    /// `Care Certificate` or `Everyday care`.
    pub group: String,
}

impl From<sync_core::Skill> for Skill {
    fn from(s: sync_core::Skill) -> Self {
        Self { id: s.id, title: s.title, group: s.group }
    }
}

/// A session as the apps show it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionView {
    pub id: String,
    pub mentorship_id: String,
    /// `shadowing`, `meeting` or `check_in`.
    pub kind: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<u32>,
    /// `face_to_face`, `phone` or `online`.
    pub mode: Option<String>,
    pub location: Option<String>,
    /// `planned`, `logged`, `cancelled` or `missed`.
    pub status: String,
    /// Why it was cancelled or missed.
    pub status_reason: Option<String>,
    pub notes: String,
    /// Author id -> that author's own account of the shift.
    pub accounts: HashMap<String, String>,
    pub skills: Vec<String>,
    pub feedback: Feedback,
    /// The mentee's feedback to the mentor: what is working.
    pub mentee_feedback_working: String,
    /// The mentee's feedback to the mentor: what is not.
    pub mentee_feedback_not_working: String,
    pub actions: Vec<Action>,
    pub mentor_signed: bool,
    pub mentee_signed: bool,
    pub amended_after_sign_off: bool,
    /// Which parts changed after a signature (e.g. `notes`).
    pub amended_parts: Vec<String>,
    /// What the pair shares with the coordinator.
    pub shared_summary: Option<String>,
}

impl From<sync_core::SessionView> for SessionView {
    fn from(v: sync_core::SessionView) -> Self {
        Self {
            id: v.id,
            mentorship_id: v.mentorship_id,
            kind: v.kind.map(|k| k.as_str().to_owned()),
            date: v.date,
            start_time: v.details.start_time,
            duration_minutes: v.details.duration_minutes,
            mode: v.details.mode.map(|m| m.as_str().to_owned()),
            location: v.details.location,
            status: v.status.as_str().to_owned(),
            status_reason: v.status_reason,
            notes: v.notes,
            accounts: v.accounts.into_iter().collect(),
            skills: v.skills,
            feedback: Feedback { strengths: v.feedback.strengths, development: v.feedback.development },
            mentee_feedback_working: v.mentee_feedback.working,
            mentee_feedback_not_working: v.mentee_feedback.not_working,
            actions: v.actions.into_iter().map(Action::from).collect(),
            mentor_signed: v.mentor_sign_off.is_some(),
            mentee_signed: v.mentee_sign_off.is_some(),
            amended_after_sign_off: v.amended_after_sign_off,
            amended_parts: v.amended_parts,
            shared_summary: v.shared_summary,
        }
    }
}

/// A note of progress on a goal.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GoalProgress {
    pub id: String,
    /// When it was written (RFC 3339; a `YYYY-MM-DD` date for older notes).
    pub at: String,
    pub author_id: String,
    pub note: String,
}

/// A goal of a pairing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Goal {
    pub id: String,
    pub title: String,
    pub description: String,
    /// `skill`, `confidence`, `wellbeing` or `career`.
    pub category: String,
    pub target_date: Option<String>,
    /// `proposed`, `agreed`, `in_progress`, `achieved` or `dropped`.
    pub status: String,
    /// Oldest first.
    pub progress: Vec<GoalProgress>,
}

impl From<sync_core::Goal> for Goal {
    fn from(g: sync_core::Goal) -> Self {
        Self {
            id: g.id,
            title: g.title,
            description: g.description,
            category: g.category.as_str().to_owned(),
            target_date: g.target_date,
            status: g.status.as_str().to_owned(),
            progress: g
                .progress
                .into_iter()
                .map(|p| GoalProgress { id: p.id, at: p.at, author_id: p.by, note: p.text })
                .collect(),
        }
    }
}

/// A private reflection.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reflection {
    pub id: String,
    pub created_at: String,
    pub what_happened: String,
    pub feelings: String,
    pub went_well: String,
    pub to_improve: String,
    pub next_time: String,
}

impl From<sync_core::Reflection> for Reflection {
    fn from(r: sync_core::Reflection) -> Self {
        Self {
            id: r.id,
            created_at: r.created_at,
            what_happened: r.input.what_happened,
            feelings: r.input.feelings,
            went_well: r.input.went_well,
            to_improve: r.input.to_improve,
            next_time: r.input.next_time,
        }
    }
}

/// A change the server refused, with the text kept for the user.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Rejection {
    pub document_id: String,
    pub path: String,
    pub reason: String,
    pub kept_text: String,
}

impl From<sync_core::Rejection> for Rejection {
    fn from(r: sync_core::Rejection) -> Self {
        Self { document_id: r.document_id, path: r.path, reason: r.reason, kept_text: r.kept_text }
    }
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    pub round_trips: u32,
    pub docs_sent: u32,
    pub docs_received: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub rejected: Vec<Rejection>,
    pub purged: Vec<String>,
}

impl From<sync_core::SyncReport> for SyncReport {
    fn from(r: sync_core::SyncReport) -> Self {
        Self {
            round_trips: r.round_trips,
            docs_sent: r.docs_sent,
            docs_received: r.docs_received,
            bytes_sent: r.bytes_sent,
            bytes_received: r.bytes_received,
            rejected: r.rejected.into_iter().map(Rejection::from).collect(),
            purged: r.purged,
        }
    }
}

/// Receives the progress and outcome of [`Client::sync_in_background`];
/// implemented by the app (called on the sync's own thread).
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// After each round trip: documents sent and received so far.
    fn on_progress(&self, docs_sent: u32, docs_received: u32);
    /// The sync finished.
    fn on_complete(&self, report: SyncReport);
    /// The sync failed; local edits are kept.
    fn on_failure(&self, error: AlongsideError);
}

struct Progress(Arc<dyn SyncListener>);

impl sync_core::SyncProgress for Progress {
    fn progress(&self, docs_sent: u32, docs_received: u32) {
        self.0.on_progress(docs_sent, docs_received);
    }
}

/// A phone's view of Alongside: one per app, shared between threads.
#[derive(Debug, uniffi::Object)]
pub struct Client {
    inner: sync_core::Client,
}

/// What every exported method returns.
type Answer<T> = Result<T, AlongsideError>;

#[uniffi::export]
impl Client {
    /// A client keeping its data under `data_dir`, talking to `server_url`; it
    /// reopens the account signed in last, so the app works offline.
    ///
    /// `key`: 32 bytes the app keeps in the platform's key store (Android
    /// Keystore, iOS Keychain; see the crate's README). With it, everything in
    /// `data_dir` is encrypted, and what an older version left plain is encrypted
    /// now; a key of another length is `Invalid`, one that does not open the
    /// folder is `Storage` (nothing on disk changes). Without it (the default, for
    /// compatibility) the folder stays plain.
    #[uniffi::constructor(default(key = None))]
    pub fn new(data_dir: String, server_url: String, key: Option<Vec<u8>>) -> Answer<Arc<Self>> {
        let key = key
            .map(|bytes| sync_core::StoreKey::from_bytes(&bytes))
            .transpose()
            .map_err(|e| AlongsideError::Invalid { reason: e.to_string() })?;
        Ok(Arc::new(Self { inner: sync_core::Client::with_key(Path::new(&data_dir), &server_url, key)? }))
    }

    pub fn login(&self, email: String, password: String, device_name: String) -> Answer<Account> {
        Ok(self.inner.login(&email, &password, &device_name)?.into())
    }

    /// `login` to the account of one organisation, for an email with accounts
    /// in several (a plain `login` whose password fits more than one is
    /// `Invalid`, its reason naming the organisations' ids and names).
    pub fn login_to(&self, org_id: String, email: String, password: String, device_name: String) -> Answer<Account> {
        Ok(self.inner.login_to(&org_id, &email, &password, &device_name)?.into())
    }

    /// Sign out; with `wipe` everything this person has on the device is deleted.
    pub fn logout(&self, wipe: bool) -> Answer<()> {
        Ok(self.inner.logout(if wipe { SignOut::WipeData } else { SignOut::KeepData })?)
    }

    /// Set a new password with a coordinator's one-time reset code (online;
    /// nobody needs to be signed in). The person's devices are all signed out,
    /// this one too: sign in with the new password afterwards. A wrong, used or
    /// expired code, or a weak new password, is `Invalid` with the reason.
    pub fn reset_password(&self, email: String, code: String, new_password: String) -> Answer<()> {
        Ok(self.inner.reset_password(&email, &code, &new_password)?)
    }

    /// Change the signed-in person's password (online only). This phone stays
    /// signed in; their other devices are signed out. A wrong old password or a
    /// new one the policy refuses (the message says why) is `Invalid`.
    pub fn change_password(&self, old_password: String, new_password: String) -> Answer<()> {
        Ok(self.inner.change_password(&old_password, &new_password)?)
    }

    /// The signed-in account, if any.
    pub fn account(&self) -> Option<Account> {
        self.inner.account().map(Account::from)
    }

    pub fn mentorships(&self) -> Answer<Vec<Mentorship>> {
        Ok(self.inner.mentorships()?.into_iter().map(Mentorship::from).collect())
    }

    /// `kind`: `shadowing`, `meeting` or `check_in`; `date`: `YYYY-MM-DD`.
    pub fn create_session(&self, mentorship_id: String, kind: String, date: String) -> Answer<String> {
        Ok(self.inner.create_session(&mentorship_id, parse(&kind)?, &date)?)
    }

    /// The same session on a second phone (its id from the first phone's QR code).
    pub fn join_session(&self, session_id: String, mentorship_id: String, kind: String, date: String) -> Answer<()> {
        Ok(self.inner.join_session(&session_id, &mentorship_id, parse(&kind)?, &date)?)
    }

    /// A session planned for a day to come (status `planned`); `start_time` `HH:MM`.
    pub fn plan_session(
        &self,
        mentorship_id: String,
        kind: String,
        date: String,
        start_time: Option<String>,
    ) -> Answer<String> {
        Ok(self.inner.plan_session(&mentorship_id, parse(&kind)?, &date, start_time.as_deref())?)
    }

    /// Each argument optional; none clears that field. `start_time` `HH:MM`;
    /// `mode`: `face_to_face`, `phone` or `online`.
    pub fn set_session_details(
        &self,
        session_id: String,
        start_time: Option<String>,
        duration_minutes: Option<u32>,
        mode: Option<String>,
        location: Option<String>,
    ) -> Answer<()> {
        let mode = mode.as_deref().map(parse).transpose()?;
        let details = sync_core::SessionDetails { start_time, duration_minutes, mode, location };
        Ok(self.inner.set_session_details(&session_id, &details)?)
    }

    /// Move a session to `date` (`YYYY-MM-DD`) at `start_time` (`HH:MM`; none
    /// clears it); kind, status and notes stay.
    pub fn reschedule_session(&self, session_id: String, date: String, start_time: Option<String>) -> Answer<()> {
        Ok(self.inner.reschedule_session(&session_id, &date, start_time.as_deref())?)
    }

    /// `status`: `planned`, `logged`, `cancelled` or `missed`; a reason is
    /// required for the last two.
    pub fn set_session_status(&self, session_id: String, status: String, reason: Option<String>) -> Answer<()> {
        Ok(self.inner.set_session_status(&session_id, parse(&status)?, reason.as_deref())?)
    }

    /// A catalogue skill's id (stored as its title) or free text.
    pub fn add_skill(&self, session_id: String, skill: String) -> Answer<()> {
        Ok(self.inner.add_skill(&session_id, &skill)?)
    }

    pub fn remove_skill(&self, session_id: String, skill: String) -> Answer<()> {
        Ok(self.inner.remove_skill(&session_id, &skill)?)
    }

    /// The built-in catalogue: the Care Certificate standards and everyday skills.
    pub fn skill_catalogue(&self) -> Vec<Skill> {
        sync_core::skill_catalogue().into_iter().map(Skill::from).collect()
    }

    pub fn set_action_done(&self, session_id: String, action_id: String, done: bool) -> Answer<()> {
        Ok(self.inner.set_action_done(&session_id, &action_id, done)?)
    }

    /// `due`: `YYYY-MM-DD`, or none to clear it.
    pub fn edit_action(
        &self,
        session_id: String,
        action_id: String,
        text: String,
        owner_id: String,
        due: Option<String>,
    ) -> Answer<()> {
        Ok(self.inner.edit_action(&session_id, &action_id, &text, &owner_id, due.as_deref())?)
    }

    /// Every action of the pairing not done yet: earliest due first, undated last.
    pub fn open_actions(&self, mentorship_id: String) -> Answer<Vec<OpenAction>> {
        Ok(self.inner.open_actions(&mentorship_id)?.into_iter().map(OpenAction::from).collect())
    }

    /// Either member; the only pair text the coordinator sees. Empty clears it.
    pub fn set_shared_summary(&self, session_id: String, text: String) -> Answer<()> {
        Ok(self.inner.set_shared_summary(&session_id, &text)?)
    }

    pub fn session(&self, session_id: String) -> Answer<SessionView> {
        Ok(self.inner.session(&session_id)?.into())
    }

    pub fn sessions(&self, mentorship_id: String) -> Answer<Vec<SessionView>> {
        Ok(self.inner.sessions(&mentorship_id)?.into_iter().map(SessionView::from).collect())
    }

    /// Splice the shared notes; `index` and `delete_count` in UTF-16 code units.
    pub fn edit_notes(&self, session_id: String, index: u32, delete_count: u32, insert: String) -> Answer<()> {
        Ok(self.inner.edit_notes(&session_id, index, delete_count, &insert)?)
    }

    pub fn set_my_account(&self, session_id: String, text: String) -> Answer<()> {
        Ok(self.inner.set_my_account(&session_id, &text)?)
    }

    /// The mentor's feedback (the mentor only).
    pub fn set_feedback(&self, session_id: String, strengths: String, development: String) -> Answer<()> {
        Ok(self.inner.set_feedback(&session_id, &strengths, &development)?)
    }

    /// The mentee's feedback to the mentor (the mentee only).
    pub fn set_mentee_feedback(&self, session_id: String, working: String, not_working: String) -> Answer<()> {
        Ok(self.inner.set_mentee_feedback(&session_id, &working, &not_working)?)
    }

    /// `due`: `YYYY-MM-DD`, or none.
    pub fn add_action(
        &self,
        session_id: String,
        text: String,
        owner_id: String,
        due: Option<String>,
    ) -> Answer<String> {
        Ok(self.inner.add_action(&session_id, &text, &owner_id, due.as_deref())?)
    }

    pub fn sign_off(&self, session_id: String) -> Answer<()> {
        Ok(self.inner.sign_off(&session_id)?)
    }

    /// `category`: `skill`, `confidence`, `wellbeing` or `career`.
    pub fn add_goal(
        &self,
        mentorship_id: String,
        title: String,
        category: String,
        target_date: Option<String>,
    ) -> Answer<String> {
        Ok(self.inner.add_goal(&mentorship_id, &title, parse(&category)?, target_date.as_deref())?)
    }

    /// `status`: `proposed`, `agreed`, `in_progress`, `achieved` or `dropped`.
    pub fn set_goal_status(&self, mentorship_id: String, goal_id: String, status: String) -> Answer<()> {
        Ok(self.inner.set_goal_status(&mentorship_id, &goal_id, parse(&status)?)?)
    }

    pub fn set_goal_description(&self, mentorship_id: String, goal_id: String, text: String) -> Answer<()> {
        Ok(self.inner.set_goal_description(&mentorship_id, &goal_id, &text)?)
    }

    /// A progress note, dated now; returns its id.
    pub fn add_goal_progress(&self, mentorship_id: String, goal_id: String, note: String) -> Answer<String> {
        Ok(self.inner.add_goal_progress(&mentorship_id, &goal_id, &note)?)
    }

    pub fn goals(&self, mentorship_id: String) -> Answer<Vec<Goal>> {
        Ok(self.inner.goals(&mentorship_id)?.into_iter().map(Goal::from).collect())
    }

    pub fn add_reflection(
        &self,
        what_happened: String,
        feelings: String,
        went_well: String,
        to_improve: String,
        next_time: String,
    ) -> Answer<String> {
        let input = ReflectionInput { what_happened, feelings, went_well, to_improve, next_time };
        Ok(self.inner.add_reflection(&input)?)
    }

    pub fn reflections(&self) -> Answer<Vec<Reflection>> {
        Ok(self.inner.reflections()?.into_iter().map(Reflection::from).collect())
    }

    /// Reconcile with the server (usually one round trip). Blocks.
    pub fn sync(&self) -> Answer<SyncReport> {
        Ok(self.inner.sync()?.into())
    }

    /// Sync on a thread of its own, reporting to `listener`; returns at once.
    pub fn sync_in_background(self: Arc<Self>, listener: Arc<dyn SyncListener>) {
        std::thread::spawn(move || {
            let progress = Progress(listener.clone());
            match self.inner.sync_with_progress(Some(&progress)) {
                Ok(report) => listener.on_complete(report.into()),
                Err(error) => listener.on_failure(error.into()),
            }
        });
    }

    /// Documents with changes not yet on the server.
    pub fn pending(&self) -> Answer<u64> {
        Ok(self.inner.pending()?)
    }

    pub fn rejections(&self) -> Answer<Vec<Rejection>> {
        Ok(self.inner.rejections()?.into_iter().map(Rejection::from).collect())
    }
}
