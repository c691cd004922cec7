//! Reminders: what the signed-in person should do next (a touchpoint coming
//! due, an action past its date, a session waiting for a signature, an
//! agreement to sign, training to renew). The server works them out from its
//! projections (`GET /v1/reminders`); the phone fetches them at sign-in and at
//! the end of a successful sync that moved something the server did not vouch
//! leaves them unchanged (`reminders_unchanged` in its reply: no projection of
//! a document the person may read was written since the phone's cursor), that
//! sent the whole inventory, or that came [`REFETCH_AFTER`] since the last
//! fetch (so a sync with nothing to do, or with only notes typed, costs one
//! request, not two), keeps the last list in its store, and reads
//! that copy, so they are there offline. Whether one is overdue is worked out
//! again at every read from its due date and the phone's today, so a reminder
//! turns overdue on a phone that has been offline since.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::error::invalid;
use super::{Client, ClientError};
use crate::api::ReminderItem;

const REMINDERS: &str = "reminders";

/// How stale the cached reminders may get across syncs that moved nothing (the
/// server's list also changes with the date and with the coordinator's work).
pub(super) const REFETCH_AFTER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// One reminder (the mobile contract's record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// `touchpoint`, `action`, `session_sign_off`, `agreement`, `training` (more
    /// may come; show an unknown kind as a plain reminder).
    pub kind: String,
    /// What it is about and when it is due, e.g. "Day 30 check-in with Mia
    /// Mentee, due by 7 Jan 2027". Never text the pair wrote.
    pub title: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    /// `due_on` is before today (as of the moment it was read).
    pub overdue: bool,
    /// The pairing it is about, if any.
    pub mentorship_id: Option<String>,
    /// The document it is about (a session, an agreement), if any.
    pub document_id: Option<String>,
}

impl From<ReminderItem> for Reminder {
    fn from(item: ReminderItem) -> Self {
        Self {
            kind: item.kind,
            title: item.title,
            due_on: item.due_on,
            overdue: item.overdue,
            mentorship_id: item.mentorship_id,
            document_id: item.document_id,
        }
    }
}

/// The phone's today, in UTC (the server's dates are UTC days too; the apps
/// can pass their own local day to [`Client::reminders_on`]).
fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn parse_day(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

impl Client {
    /// Fetch and cache the reminders, best effort: a failure keeps the last
    /// list and never fails the sync or sign-in that asked.
    pub(super) fn refresh_reminders(&self, serial: u64) {
        let fetched = self.authed(serial, |token| self.transport.reminders(token)).and_then(|items| {
            let list: Vec<Reminder> = items.into_iter().map(Reminder::from).collect();
            let json = serde_json::to_string(&list).map_err(|e| invalid(e.to_string()))?;
            self.with_sign_in(serial, |s| {
                let store = s.replica.store_mut();
                // Unchanged: no store write.
                if store.setting(REMINDERS)?.as_deref() != Some(json.as_str()) {
                    store.set_setting(REMINDERS, Some(&json))?;
                }
                Ok(())
            })
        });
        match fetched {
            Ok(()) => *self.reminders_fetched_at() = Some(std::time::Instant::now()),
            Err(error) => {
                // The next sync fetches again, whatever it moves.
                *self.reminders_fetched_at() = None;
                tracing::warn!(%error, "could not fetch reminders");
            }
        }
    }

    /// After a sync: fetch the reminders if it `moved` anything they may depend
    /// on, or they were fetched [`REFETCH_AFTER`] ago, or never by this client,
    /// or the last fetch failed.
    pub(super) fn refresh_reminders_after_sync(&self, serial: u64, moved: bool) {
        let stale = self.reminders_fetched_at().is_none_or(|at| at.elapsed() >= REFETCH_AFTER);
        if moved || stale {
            self.refresh_reminders(serial);
        }
    }

    fn reminders_fetched_at(&self) -> std::sync::MutexGuard<'_, Option<std::time::Instant>> {
        self.reminders_fetched.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The reminders as last fetched (by a sync or sign-in), earliest due
    /// first, with `overdue` as of the phone's today. Reads the device only, so
    /// it works offline.
    pub fn reminders(&self) -> Result<Vec<Reminder>, ClientError> {
        self.reminders_on(today())
    }

    /// [`Client::reminders`] as of `today` (for apps with their own clock, and
    /// tests).
    pub fn reminders_on(&self, today: Date) -> Result<Vec<Reminder>, ClientError> {
        let json = self.with_signed_in(|s| Ok(s.replica.store().setting(REMINDERS)?))?;
        let Some(json) = json else { return Ok(Vec::new()) };
        let mut list: Vec<Reminder> =
            serde_json::from_str(&json).map_err(|e| ClientError::Storage { message: e.to_string() })?;
        for reminder in &mut list {
            // An unreadable date keeps the server's judgement.
            if let Some(due) = parse_day(&reminder.due_on) {
                reminder.overdue = due < today;
            }
        }
        list.sort_by(|a, b| (&a.due_on, &a.kind, &a.title).cmp(&(&b.due_on, &b.kind, &b.title)));
        Ok(list)
    }
}
