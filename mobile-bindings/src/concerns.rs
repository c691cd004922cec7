//! Concerns raised privately with the organisation's coordinators.

use super::{Answer, Client};

/// A concern the signed-in person raised, with the coordinators' status and
/// response as last synced.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Concern {
    pub id: String,
    pub mentorship_id: String,
    /// `pairing_not_working`, `safeguarding`, `other`.
    pub kind: String,
    pub text: String,
    /// `open`, `acknowledged`, `closed`.
    pub status: String,
    /// The coordinator's response (empty until there is one).
    pub response: String,
    /// RFC 3339.
    pub raised_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub closed_at: Option<String>,
}

impl From<sync_core::Concern> for Concern {
    fn from(c: sync_core::Concern) -> Self {
        Self {
            id: c.id,
            mentorship_id: c.mentorship_id,
            kind: c.kind,
            text: c.text,
            status: c.status,
            response: c.response,
            raised_at: c.raised_at,
            acknowledged_at: c.acknowledged_at,
            closed_at: c.closed_at,
        }
    }
}

#[uniffi::export]
impl Client {
    /// Raise a concern about one of your pairings with the coordinators (never
    /// the partner); works offline, sent at the next sync. Returns its id.
    pub fn raise_concern(&self, mentorship_id: String, kind: String, text: String) -> Answer<String> {
        Ok(self.inner.raise_concern(&mentorship_id, &kind, &text)?)
    }

    /// Your concerns, newest first, as last synced (readable offline).
    pub fn concerns(&self) -> Answer<Vec<Concern>> {
        Ok(self.inner.concerns()?.into_iter().map(Concern::from).collect())
    }
}
