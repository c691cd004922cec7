//! Reminders: cached on the device at every successful sync, readable offline.

use super::{Answer, Client};

/// Something to do and when: `kind` is `touchpoint`, `action`,
/// `session_sign_off`, `agreement` or `training` (show an unknown kind as a
/// plain reminder); `overdue` is worked out from `due_on` at each read.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reminder {
    pub kind: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    pub overdue: bool,
    pub mentorship_id: Option<String>,
    pub document_id: Option<String>,
}

impl From<sync_core::Reminder> for Reminder {
    fn from(r: sync_core::Reminder) -> Self {
        Self {
            kind: r.kind,
            title: r.title,
            due_on: r.due_on,
            overdue: r.overdue,
            mentorship_id: r.mentorship_id,
            document_id: r.document_id,
        }
    }
}

#[uniffi::export]
impl Client {
    /// The reminders as of the last successful sync, earliest due first; no
    /// network needed.
    pub fn reminders(&self) -> Answer<Vec<Reminder>> {
        Ok(self.inner.reminders()?.into_iter().map(Reminder::from).collect())
    }
}
