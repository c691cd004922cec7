//! Planned sessions against the touchpoints they are meant to meet: a pair that
//! has arranged its day 30 check-in shows as "planned for 14 Dec" rather than as
//! merely due.
//!
//! - A touchpoint already met (on time or late) needs no plan.
//! - A due or upcoming touchpoint is planned for by the earliest planned session
//!   dated inside its window, today or later.
//! - An overdue touchpoint can only be met late: by the earliest planned session
//!   dated today or later.
//! - A plan dated before today is not shown: the session either happened (and
//!   the pair logs it) or did not (and the pair marks it missed).

use time::Date;

use super::{Touchpoint, TouchpointState};

/// The date of the planned session meant to meet `touchpoint`, if any.
/// `planned` are the dates of the pairing's planned sessions, in any order.
pub fn planned_for(touchpoint: &Touchpoint, planned: &[Date], today: Date) -> Option<Date> {
    let upcoming = planned.iter().copied().filter(|d| *d >= today);
    match touchpoint.state {
        TouchpointState::Met | TouchpointState::MetLate => None,
        TouchpointState::Overdue => upcoming.min(),
        TouchpointState::Due | TouchpointState::Upcoming => {
            upcoming.filter(|d| *d >= touchpoint.window_start && *d <= touchpoint.window_end).min()
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn touchpoint(state: TouchpointState) -> Touchpoint {
        Touchpoint {
            name: "Day 30 check-in".into(),
            day: date!(2026 - 12 - 10),
            window_start: date!(2026 - 12 - 03),
            window_end: date!(2026 - 12 - 17),
            state,
            contact_on: None,
        }
    }

    #[test]
    fn a_planned_session_in_the_window_plans_a_touchpoint_not_yet_met() {
        let today = date!(2026 - 12 - 01);
        let planned = [date!(2027 - 01 - 20), date!(2026 - 12 - 14), date!(2026 - 12 - 16)];
        assert_eq!(planned_for(&touchpoint(TouchpointState::Upcoming), &planned, today), Some(date!(2026 - 12 - 14)));
        assert_eq!(planned_for(&touchpoint(TouchpointState::Due), &planned, today), Some(date!(2026 - 12 - 14)));
        assert_eq!(planned_for(&touchpoint(TouchpointState::Met), &planned, today), None);
        assert_eq!(planned_for(&touchpoint(TouchpointState::MetLate), &planned, today), None);
        assert_eq!(planned_for(&touchpoint(TouchpointState::Upcoming), &[date!(2026 - 12 - 18)], today), None);
    }

    #[test]
    fn an_overdue_touchpoint_is_planned_by_any_plan_to_come_and_past_plans_count_for_nothing() {
        let today = date!(2026 - 12 - 20);
        let planned = [date!(2026 - 12 - 14), date!(2027 - 01 - 05)];
        assert_eq!(planned_for(&touchpoint(TouchpointState::Overdue), &planned, today), Some(date!(2027 - 01 - 05)));
        assert_eq!(planned_for(&touchpoint(TouchpointState::Due), &[date!(2026 - 12 - 14)], today), None);
    }
}
