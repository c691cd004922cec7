//! Identifiers and document headers.
//!
//! Ids are UUIDs wrapped in newtypes so a mentorship id can never be passed where a
//! person id is expected. Goal plans and journals have ids derived from their owner
//! (one per mentorship, one per person), so every device computes the same id
//! without asking the server.

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
    /// reflection journal or a concern.
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

    /// The id of a person's private reflection journal.
    pub fn journal_of(owner: UserId) -> Self {
        Self(Uuid::new_v5(&ALONGSIDE_NAMESPACE, format!("journal:{}", owner.0).as_bytes()))
    }
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

    /// A concern raised by `author_id` about a pairing.
    pub fn concern(id: DocumentId, mentorship_id: MentorshipId, author_id: UserId) -> Self {
        Self { id, kind: DocKind::Concern, scope: DocScope::Concern { mentorship_id, author_id } }
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
