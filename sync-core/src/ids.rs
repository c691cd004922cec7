//! Identifiers and document headers.
//!
//! Ids are UUIDs wrapped in newtypes so a mentorship id can never be passed where a
//! person id is expected. Goal plans and journals have ids derived from their owner
//! (one per mentorship, one per person), so every device computes the same id
//! without asking the server.
//!
//! Sessions and group sessions, of which a scope has many, get *certified* ids
//! ([`DocumentId::certified`]): eight random bytes followed by a hash of the
//! kind, the scope (mentorship or group) and those bytes. Anyone can make an id
//! for a scope, but not an id that certifies for their own scope and equals one
//! of another scope's, so an id learnt from a QR code cannot be claimed in
//! another pairing, and the server answers an offer of a foreign id exactly as
//! it answers a made-up one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "diesel")]
mod sql;

/// Namespace for ids derived from other ids (UUID v5).
const ALONGSIDE_NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_3b2e_9d7a_4f0e_8b55_a1c2_d3e4_f501);

macro_rules! uuid_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        #[cfg(feature = "diesel")]
        sql::text_column!($name);

        impl $name {
            /// A fresh random id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| InvalidId { what: stringify!($name), value: s.chars().take(64).collect() })
            }
        }
    };
}

uuid_newtype!(
    /// A person (one account in one organisation).
    UserId
);
uuid_newtype!(
    /// A mentorship (a pairing of mentor and mentee).
    MentorshipId
);
uuid_newtype!(
    /// A document: a session, a goal plan, an agreement, a group session, a
    /// reflection journal, a survey response or a concern.
    DocumentId
);
uuid_newtype!(
    /// A group (a peer circle, a mentors' support group) whose current members
    /// read and write its group sessions.
    GroupId
);

/// A string that should have been a UUID and was not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {value:?} is not a UUID")]
pub struct InvalidId {
    /// Which kind of id was expected.
    pub what: &'static str,
    /// The offending input (truncated).
    pub value: String,
}

impl DocumentId {
    /// The id of the one goal plan of a mentorship.
    pub fn goal_plan_of(mentorship: MentorshipId) -> Self {
        Self(Uuid::new_v5(&ALONGSIDE_NAMESPACE, format!("goal_plan:{}", mentorship.0).as_bytes()))
    }

    /// The id of the one agreement of a mentorship.
    pub fn agreement_of(mentorship: MentorshipId) -> Self {
        Self(Uuid::new_v5(&ALONGSIDE_NAMESPACE, format!("agreement:{}", mentorship.0).as_bytes()))
    }

    /// The id of one person's response to one survey of one of their pairings:
    /// every phone of the respondent computes the same id, so two phones answer
    /// into one document.
    ///
    /// It is also certified for the respondent (see [`DocumentId::certified`]):
    /// the first half derives from the pairing and survey, the second is the
    /// certificate, so nobody can offer an id of another person's documents as
    /// a survey response of their own.
    pub fn survey_response_of(respondent: UserId, mentorship: MentorshipId, survey_key: &str) -> Self {
        let name = format!("survey_response:{}:{}:{survey_key}", respondent.0, mentorship.0);
        let mut bytes = *Uuid::new_v5(&ALONGSIDE_NAMESPACE, name.as_bytes()).as_bytes();
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        let tail = certificate(DocKind::SurveyResponse, respondent.0, &bytes);
        bytes[8..].copy_from_slice(&tail);
        Self(Uuid::from_bytes(bytes))
    }

    /// The id of a person's private reflection journal.
    pub fn journal_of(owner: UserId) -> Self {
        Self(Uuid::new_v5(&ALONGSIDE_NAMESPACE, format!("journal:{}", owner.0).as_bytes()))
    }
}

/// Domain separation of the certified-id hash (never change: ids in the field
/// were made with it).
const CERTIFIED_ID_CONTEXT: &[u8] = b"alongside certified document id v1";

impl DocumentId {
    /// A fresh random id certified for the document of `kind` in the scope
    /// `scope_key` (the mentorship of a session, the group of a group session):
    /// a UUID version 8 whose last 8 bytes (variant bits aside) are the
    /// truncated SHA-256 of the context, the kind, the scope and the first 8.
    pub fn certified(kind: DocKind, scope_key: Uuid) -> Self {
        let mut bytes = *Uuid::new_v4().as_bytes();
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        let tail = certificate(kind, scope_key, &bytes);
        bytes[8..].copy_from_slice(&tail);
        Self(Uuid::from_bytes(bytes))
    }

    /// Whether this id was made by [`DocumentId::certified`] for `kind` in
    /// `scope_key`.
    pub fn is_certified_for(&self, kind: DocKind, scope_key: Uuid) -> bool {
        let bytes = self.0.as_bytes();
        bytes[6] >> 4 == 8 && bytes[8..] == certificate(kind, scope_key, bytes)
    }
}

fn certificate(kind: DocKind, scope_key: Uuid, bytes: &[u8; 16]) -> [u8; 8] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(CERTIFIED_ID_CONTEXT);
    hasher.update(<&'static str>::from(kind).as_bytes());
    hasher.update(scope_key.as_bytes());
    hasher.update(&bytes[..8]);
    let digest = hasher.finalize();
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&digest[..8]);
    // The RFC 9562 variant bits.
    tail[0] = (tail[0] & 0x3f) | 0x80;
    tail
}

/// What a document is; fixes its schema and its write rules.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = InvalidId, parse_err_fn = invalid_doc_kind)]
pub enum DocKind {
    /// One shadowing shift, meeting or check-in of a pair.
    Session,
    /// The goals of one mentorship.
    GoalPlan,
    /// One person's private reflections.
    Journal,
    /// The mentoring agreement of one mentorship.
    Agreement,
    /// One meeting of a group.
    GroupSession,
    /// One person's answers to one survey of one pairing; private to them.
    SurveyResponse,
    /// A concern a pair member raised privately with the organisation's coordinators.
    Concern,
}

wire_names!(DocKind);

fn invalid_doc_kind(value: &str) -> InvalidId {
    InvalidId { what: "DocKind", value: value.chars().take(64).collect() }
}

/// Who a document belongs to: the access boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum DocScope {
    /// A pair document: readable and writable by the mentor and mentee of a mentorship.
    Pair {
        /// The mentorship that grants access.
        mentorship_id: MentorshipId,
        /// The mentor of that mentorship.
        mentor_id: UserId,
        /// The mentee of that mentorship.
        mentee_id: UserId,
    },
    /// A private document of one person.
    Owner {
        /// The only person who may read or write it.
        owner_id: UserId,
    },
    /// A group document: readable and writable by the group's current members.
    /// Membership changes over time, so it is not part of the header: whoever
    /// holds the document checks it (the server against its records, on every
    /// request).
    Group {
        /// The group that grants access.
        group_id: GroupId,
    },
    /// A concern: read and written by its author; coordinators of the
    /// organisation read it and write the response (through the server, which
    /// checks their role). Never the partner's: the mentorship only says what
    /// the concern is about.
    Concern {
        /// The pairing the concern is about.
        mentorship_id: MentorshipId,
        /// The mentor or mentee who raised it.
        author_id: UserId,
    },
}

/// Everything needed to create a document's deterministic genesis and to apply its
/// write rules. Two devices with the same header create identical root objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocHeader {
    /// The document id.
    pub id: DocumentId,
    /// What the document is.
    pub kind: DocKind,
    /// Who it belongs to.
    pub scope: DocScope,
}

/// The part a person plays in one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocRole {
    /// The mentor of the pair the document belongs to.
    Mentor,
    /// The mentee of the pair the document belongs to.
    Mentee,
    /// The owner of a private document.
    Owner,
    /// Someone holding a group document: a member, because the holder checked
    /// the group's membership before (see [`DocScope::Group`]).
    Member,
    /// Anyone else, including coordinators and admins.
    Outsider,
    /// A coordinator of the organisation answering a concern. Never returned by
    /// [`DocHeader::role_of`] (a header does not know who coordinates): the server
    /// grants it after checking the person's role and organisation, and it
    /// writes nothing but a concern's response.
    Coordinator,
}

impl DocHeader {
    /// A session of a pair.
    pub fn session(id: DocumentId, pair: Pair) -> Self {
        Self { id, kind: DocKind::Session, scope: pair.scope() }
    }

    /// A new session of a pair, with a fresh certified id.
    pub fn new_session(pair: Pair) -> Self {
        Self::session(DocumentId::certified(DocKind::Session, pair.mentorship_id.0), pair)
    }

    /// A new session of a group, with a fresh certified id.
    pub fn new_group_session(group_id: GroupId) -> Self {
        Self::group_session(DocumentId::certified(DocKind::GroupSession, group_id.0), group_id)
    }

    /// The same document kind and scope under a fresh certified id, for kinds
    /// whose scope holds many documents; `None` for the one-per-scope kinds.
    pub fn with_fresh_id(self) -> Option<Self> {
        if self.kind == DocKind::SurveyResponse {
            // Its id derives from the pairing and survey answered.
            return None;
        }
        let key = self.certificate_scope()?;
        Some(Self { id: DocumentId::certified(self.kind, key), ..self })
    }

    /// Whether the id belongs to this kind and scope by construction: derived
    /// from the scope (goal plans, agreements, journals) or certified for it
    /// (sessions, group sessions; see [`DocumentId::certified`]). Ids made
    /// before certification (random) fail this; they stay valid for documents
    /// the server already holds under the same header.
    pub fn id_is_certified(&self) -> bool {
        match self.certificate_scope() {
            Some(key) => self.id.is_certified_for(self.kind, key),
            None => self.is_consistent(),
        }
    }

    /// The scope a certified id of this kind is made for.
    fn certificate_scope(&self) -> Option<Uuid> {
        match (self.kind, self.scope) {
            (DocKind::Session, DocScope::Pair { mentorship_id, .. }) => Some(mentorship_id.0),
            (DocKind::GroupSession, DocScope::Group { group_id }) => Some(group_id.0),
            // Many concerns per author; the author is the one who may hold it.
            (DocKind::Concern, DocScope::Concern { author_id, .. }) => Some(author_id.0),
            // One per respondent, pairing and survey; derived, and certified for
            // the respondent ([`DocumentId::survey_response_of`]).
            (DocKind::SurveyResponse, DocScope::Owner { owner_id }) => Some(owner_id.0),
            _ => None,
        }
    }

    /// The goal plan of a pair.
    pub fn goal_plan(pair: Pair) -> Self {
        Self { id: DocumentId::goal_plan_of(pair.mentorship_id), kind: DocKind::GoalPlan, scope: pair.scope() }
    }

    /// The agreement of a pair.
    pub fn agreement(pair: Pair) -> Self {
        Self { id: DocumentId::agreement_of(pair.mentorship_id), kind: DocKind::Agreement, scope: pair.scope() }
    }

    /// A session of a group.
    pub fn group_session(id: DocumentId, group_id: GroupId) -> Self {
        Self { id, kind: DocKind::GroupSession, scope: DocScope::Group { group_id } }
    }

    /// A person's response to a survey of one of their pairings.
    pub fn survey_response(respondent: UserId, mentorship: MentorshipId, survey_key: &str) -> Self {
        Self {
            id: DocumentId::survey_response_of(respondent, mentorship, survey_key),
            kind: DocKind::SurveyResponse,
            scope: DocScope::Owner { owner_id: respondent },
        }
    }

    /// A concern raised by `author_id` about a pairing.
    pub fn concern(id: DocumentId, mentorship_id: MentorshipId, author_id: UserId) -> Self {
        Self { id, kind: DocKind::Concern, scope: DocScope::Concern { mentorship_id, author_id } }
    }

    /// A new concern raised by `author_id` about a pairing, with a fresh id
    /// certified for its author.
    pub fn new_concern(mentorship_id: MentorshipId, author_id: UserId) -> Self {
        Self::concern(DocumentId::certified(DocKind::Concern, author_id.0), mentorship_id, author_id)
    }

    /// A person's journal.
    pub fn journal(owner_id: UserId) -> Self {
        Self { id: DocumentId::journal_of(owner_id), kind: DocKind::Journal, scope: DocScope::Owner { owner_id } }
    }

    /// The part `user` plays in this document.
    pub fn role_of(&self, user: UserId) -> DocRole {
        match self.scope {
            DocScope::Pair { mentor_id, .. } if mentor_id == user => DocRole::Mentor,
            DocScope::Pair { mentee_id, .. } if mentee_id == user => DocRole::Mentee,
            DocScope::Owner { owner_id } if owner_id == user => DocRole::Owner,
            DocScope::Group { .. } => DocRole::Member,
            DocScope::Concern { author_id, .. } if author_id == user => DocRole::Owner,
            _ => DocRole::Outsider,
        }
    }

    /// The mentorship this document belongs to, if it is a pair document. A
    /// concern is not the pair's: see [`DocHeader::concern_about`].
    pub fn mentorship_id(&self) -> Option<MentorshipId> {
        match self.scope {
            DocScope::Pair { mentorship_id, .. } => Some(mentorship_id),
            DocScope::Owner { .. } | DocScope::Group { .. } | DocScope::Concern { .. } => None,
        }
    }

    /// The pairing a concern is about; `None` for every other document.
    pub fn concern_about(&self) -> Option<MentorshipId> {
        match self.scope {
            DocScope::Concern { mentorship_id, .. } => Some(mentorship_id),
            DocScope::Pair { .. } | DocScope::Owner { .. } | DocScope::Group { .. } => None,
        }
    }

    /// The group this document belongs to, if it is a group document.
    pub fn group_id(&self) -> Option<GroupId> {
        match self.scope {
            DocScope::Group { group_id } => Some(group_id),
            DocScope::Pair { .. } | DocScope::Owner { .. } | DocScope::Concern { .. } => None,
        }
    }

    /// The owner of a private document (a concern's author); `None` for pair
    /// and group documents.
    pub fn owner_id(&self) -> Option<UserId> {
        match self.scope {
            DocScope::Owner { owner_id } => Some(owner_id),
            DocScope::Concern { author_id, .. } => Some(author_id),
            DocScope::Pair { .. } | DocScope::Group { .. } => None,
        }
    }

    /// Whether the kind and the scope fit together (sessions and goal plans belong
    /// to pairs, journals to one owner, derived ids match their owner).
    pub fn is_consistent(&self) -> bool {
        match (self.kind, self.scope) {
            (DocKind::Session, DocScope::Pair { mentor_id, mentee_id, .. }) => mentor_id != mentee_id,
            (DocKind::GoalPlan, DocScope::Pair { mentorship_id, mentor_id, mentee_id }) => {
                mentor_id != mentee_id && self.id == DocumentId::goal_plan_of(mentorship_id)
            }
            (DocKind::Agreement, DocScope::Pair { mentorship_id, mentor_id, mentee_id }) => {
                mentor_id != mentee_id && self.id == DocumentId::agreement_of(mentorship_id)
            }
            (DocKind::Journal, DocScope::Owner { owner_id }) => self.id == DocumentId::journal_of(owner_id),
            (DocKind::GroupSession, DocScope::Group { .. }) => true,
            // The id derives from the pairing and survey written inside, which the
            // server checks against its id before projecting it.
            (DocKind::SurveyResponse, DocScope::Owner { .. }) => true,
            (DocKind::Concern, DocScope::Concern { .. }) => true,
            _ => false,
        }
    }
}

/// The three people-facts of a mentorship that documents need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pair {
    /// The mentorship.
    pub mentorship_id: MentorshipId,
    /// Its mentor.
    pub mentor_id: UserId,
    /// Its mentee.
    pub mentee_id: UserId,
}

impl Pair {
    fn scope(self) -> DocScope {
        DocScope::Pair { mentorship_id: self.mentorship_id, mentor_id: self.mentor_id, mentee_id: self.mentee_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> Pair {
        Pair {
            mentorship_id: MentorshipId::new_random(),
            mentor_id: UserId::new_random(),
            mentee_id: UserId::new_random(),
        }
    }

    #[test]
    fn a_certified_id_fits_only_its_own_kind_and_scope() {
        let (ours, theirs) = (pair(), pair());
        let header = DocHeader::new_session(ours);
        assert!(header.id_is_certified());
        assert_eq!(header.id.0.get_version_num(), 8);
        assert!(!DocHeader::session(header.id, theirs).id_is_certified(), "another pairing cannot claim it");
        let group = GroupId(ours.mentorship_id.0);
        assert!(!DocHeader::group_session(header.id, group).id_is_certified(), "nor another kind");
        assert!(!DocHeader::session(DocumentId::new_random(), ours).id_is_certified(), "random ids are not certified");
        let fresh = header.with_fresh_id().unwrap();
        assert!(fresh.id_is_certified() && fresh.id != header.id && fresh.scope == header.scope);
        let group_session = DocHeader::new_group_session(GroupId::new_random());
        assert!(group_session.id_is_certified());
        assert!(DocHeader::goal_plan(ours).id_is_certified(), "derived ids certify by derivation");
        assert!(DocHeader::goal_plan(ours).with_fresh_id().is_none());
        let wrong_plan = DocHeader { id: DocumentId::goal_plan_of(theirs.mentorship_id), ..DocHeader::goal_plan(ours) };
        assert!(!wrong_plan.id_is_certified());
    }
}
