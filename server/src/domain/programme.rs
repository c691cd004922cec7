//! How a programme judges what happened: what counts as contact, as an
//! achieved or a dropped goal, as an overdue action, and which touchpoints are
//! met, due or overdue ([`mod@touchpoints`]). The console's dashboard and any future
//! report or reminder ask these functions rather than comparing strings of
//! their own.
//!
//! The values judged come from projections, i.e. from what a pair wrote in
//! their documents; a value that does not read as what it should be (a due
//! date that is not `YYYY-MM-DD`) counts as nothing rather than failing the
//! page.

pub mod plans;
pub mod touchpoints;

use sync_core::{GoalStatus, SessionStatus};

pub use self::plans::planned_for;
pub use self::touchpoints::{CHECKIN_GRACE_DAYS, Touchpoint, TouchpointRules, TouchpointState, touchpoints};
use crate::model::Day;

/// Contact is a session whose status is `logged`, whatever its kind.
pub fn is_contact(session_status: &str) -> bool {
    session_status == SessionStatus::Logged.as_str()
}

/// A session that did not happen: cancelled in advance or missed. Planned
/// sessions are neither contact nor this.
pub fn is_not_held(session_status: &str) -> bool {
    session_status == SessionStatus::Cancelled.as_str() || session_status == SessionStatus::Missed.as_str()
}

/// A session arranged for a date to come.
pub fn is_planned(session_status: &str) -> bool {
    session_status == SessionStatus::Planned.as_str()
}

/// Whether a goal status counts as achieved.
pub fn is_achieved(goal_status: &str) -> bool {
    goal_status == GoalStatus::Achieved.as_str()
}

/// Whether a goal still counts towards a pairing's goals (every status but
/// dropped).
pub fn is_pursued(goal_status: &str) -> bool {
    goal_status != GoalStatus::Dropped.as_str()
}

/// An action is overdue when it is not done and its due date is before today
/// (due today is not overdue yet). An action without a readable due date is
/// never overdue.
pub fn action_is_overdue(done: bool, due_on: Option<&str>, today: Day) -> bool {
    !done && due_on.and_then(|due| due.parse::<Day>().ok()).is_some_and(|due| due < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        text.parse().unwrap()
    }

    #[test]
    fn an_action_is_overdue_from_the_day_after_it_was_due_until_done() {
        let today = day("2025-03-10");
        assert!(action_is_overdue(false, Some("2025-03-09"), today));
        assert!(!action_is_overdue(false, Some("2025-03-10"), today), "due today is not overdue yet");
        assert!(!action_is_overdue(true, Some("2025-03-01"), today), "done is never overdue");
        assert!(!action_is_overdue(false, None, today));
        assert!(!action_is_overdue(false, Some("next week"), today), "an unreadable date counts as none");
    }

    #[test]
    fn only_logged_sessions_are_contact() {
        assert!(is_contact("logged"));
        for status in ["planned", "cancelled", "missed", ""] {
            assert!(!is_contact(status), "{status}");
        }
        assert!(is_not_held("cancelled") && is_not_held("missed"));
        assert!(!is_not_held("planned") && !is_not_held("logged"));
        assert!(is_planned("planned") && !is_planned("logged"));
        assert!(is_achieved("achieved"));
        assert!(!is_achieved("in_progress"));
        assert!(is_pursued("achieved") && is_pursued("proposed"));
        assert!(!is_pursued("dropped"));
    }
}
