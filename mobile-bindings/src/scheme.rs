//! The scheme's records and methods: a pair's agreement and group sessions.

use std::collections::HashMap;

use super::{AlongsideError, Answer, Client, parse};

/// What a member writes into the agreement. `hopes_mentee` and `hopes_mentor`:
/// each member writes only their own; pass the other's back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgreementInput {
    pub meeting_frequency: String,
    /// `face_to_face`, `phone`, `online`.
    pub preferred_modes: Vec<String>,
    pub boundaries: String,
    pub hopes_mentee: String,
    pub hopes_mentor: String,
    /// `YYYY-MM-DD`.
    pub review_on: Option<String>,
}

impl TryFrom<AgreementInput> for sync_core::AgreementInput {
    type Error = AlongsideError;

    fn try_from(input: AgreementInput) -> Result<Self, AlongsideError> {
        Ok(Self {
            meeting_frequency: input.meeting_frequency,
            preferred_modes: input.preferred_modes.iter().map(|m| parse(m)).collect::<Result<_, _>>()?,
            boundaries: input.boundaries,
            hopes_mentee: input.hopes_mentee,
            hopes_mentor: input.hopes_mentor,
            review_on: input.review_on,
        })
    }
}

/// A pair's agreement, with the organisation's confidentiality statement
/// (read-only) and its signatures.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Agreement {
    pub meeting_frequency: String,
    pub preferred_modes: Vec<String>,
    pub boundaries: String,
    pub hopes_mentee: String,
    pub hopes_mentor: String,
    pub review_on: Option<String>,
    pub confidentiality_statement: String,
    pub mentor_signed: bool,
    pub mentee_signed: bool,
    /// RFC 3339.
    pub mentor_signed_at: Option<String>,
    pub mentee_signed_at: Option<String>,
    pub amended_after_signing: bool,
    /// `terms`, `hopes`.
    pub amended_parts: Vec<String>,
}

impl From<sync_core::Agreement> for Agreement {
    fn from(a: sync_core::Agreement) -> Self {
        Self {
            meeting_frequency: a.meeting_frequency,
            preferred_modes: a.preferred_modes,
            boundaries: a.boundaries,
            hopes_mentee: a.hopes_mentee,
            hopes_mentor: a.hopes_mentor,
            review_on: a.review_on,
            confidentiality_statement: a.confidentiality_statement,
            mentor_signed: a.mentor_signed,
            mentee_signed: a.mentee_signed,
            mentor_signed_at: a.mentor_signed_at,
            mentee_signed_at: a.mentee_signed_at,
            amended_after_signing: a.amended_after_signing,
            amended_parts: a.amended_parts,
        }
    }
}

/// A group the signed-in person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub programme_id: Option<String>,
    pub facilitator_id: String,
    /// The facilitator not repeated.
    pub member_ids: Vec<String>,
}

impl From<sync_core::Group> for Group {
    fn from(g: sync_core::Group) -> Self {
        Self {
            id: g.id,
            name: g.name,
            programme_id: g.programme_id,
            facilitator_id: g.facilitator_id,
            member_ids: g.member_ids,
        }
    }
}

/// One session of a group.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GroupSessionView {
    pub id: String,
    pub group_id: String,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub notes: String,
    /// Person id -> attended.
    pub attendance: HashMap<String, bool>,
    /// Person id -> that member's own account.
    pub accounts: HashMap<String, String>,
}

impl From<sync_core::GroupSessionView> for GroupSessionView {
    fn from(v: sync_core::GroupSessionView) -> Self {
        Self {
            id: v.id,
            group_id: v.group_id,
            date: v.date,
            notes: v.notes,
            attendance: v.attendance.into_iter().collect(),
            accounts: v.accounts.into_iter().collect(),
        }
    }
}

#[uniffi::export]
impl Client {
    /// A pairing's agreement (empty and unsigned until a phone writes it).
    pub fn agreement(&self, mentorship_id: String) -> Answer<Agreement> {
        Ok(self.inner.agreement(&mentorship_id)?.into())
    }

    /// Write the terms and the caller's own hopes.
    pub fn set_agreement(&self, mentorship_id: String, input: AgreementInput) -> Answer<()> {
        Ok(self.inner.set_agreement(&mentorship_id, &input.try_into()?)?)
    }

    /// Sign the agreement as it is now (pins its heads).
    pub fn sign_agreement(&self, mentorship_id: String) -> Answer<()> {
        Ok(self.inner.sign_agreement(&mentorship_id)?)
    }

    /// The signed-in person's groups (fresh when online, else as last seen).
    pub fn groups(&self) -> Answer<Vec<Group>> {
        Ok(self.inner.groups()?.into_iter().map(Group::from).collect())
    }

    /// Start a session of a group; returns its id.
    pub fn create_group_session(&self, group_id: String, date: String) -> Answer<String> {
        Ok(self.inner.create_group_session(&group_id, &date)?)
    }

    /// Open a group session another member started (works offline).
    pub fn join_group_session(&self, session_id: String, group_id: String, date: String) -> Answer<()> {
        Ok(self.inner.join_group_session(&session_id, &group_id, &date)?)
    }

    /// Move a group session to another day (`YYYY-MM-DD`).
    pub fn reschedule_group_session(&self, session_id: String, date: String) -> Answer<()> {
        Ok(self.inner.reschedule_group_session(&session_id, &date)?)
    }

    pub fn group_session(&self, session_id: String) -> Answer<GroupSessionView> {
        Ok(self.inner.group_session(&session_id)?.into())
    }

    /// Every session of a group on this device, by date.
    pub fn group_sessions(&self, group_id: String) -> Answer<Vec<GroupSessionView>> {
        Ok(self.inner.group_sessions(&group_id)?.into_iter().map(GroupSessionView::from).collect())
    }

    /// Splice the shared notes (UTF-16 code units, as `edit_notes`).
    pub fn edit_group_notes(&self, session_id: String, index: u32, delete_count: u32, insert: String) -> Answer<()> {
        Ok(self.inner.edit_group_notes(&session_id, index, delete_count, &insert)?)
    }

    pub fn set_attendance(&self, session_id: String, person_id: String, attended: bool) -> Answer<()> {
        Ok(self.inner.set_attendance(&session_id, &person_id, attended)?)
    }

    /// The signed-in member's own account (only they write it).
    pub fn set_my_group_account(&self, session_id: String, text: String) -> Answer<()> {
        Ok(self.inner.set_my_group_account(&session_id, &text)?)
    }
}
