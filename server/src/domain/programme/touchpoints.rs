//! Touchpoints: the contacts a programme expects of a pairing (first contact,
//! then check-ins on set days) and whether each was met, from the programme's
//! settings and the dates of contact ([`super::is_contact`]).
//!
//! - *First contact* is met when contact happens within the programme's
//!   `first_contact_days` of the start. Each *check-in* (days 30, 60, 90 by
//!   default) is met by contact within [`CHECKIN_GRACE_DAYS`] either side of its
//!   day. Before its window a touchpoint is upcoming, inside it due, after it
//!   overdue until contact happens (then "met late").
//! - Contact dated after today does not count yet.
//! - Touchpoints that would open after a pairing ended are not shown.

use time::{Date, Duration};

use crate::db::programmes::Programme;

/// Days either side of a check-in day that still count as that check-in.
pub const CHECKIN_GRACE_DAYS: i64 = 7;
/// A programme's settings, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouchpointRules {
    pub name: String,
    pub induction_weeks: i64,
    pub contact_every_days: i64,
    pub first_contact_days: i64,
    pub checkin_days: Vec<i64>,
    pub max_mentees_per_mentor: i64,
}

impl Default for TouchpointRules {
    /// DESIGN.md's defaults, for a pairing whose programme cannot be read.
    fn default() -> Self {
        Self {
            name: "Induction peer mentoring".to_owned(),
            induction_weeks: 12,
            contact_every_days: 7,
            first_contact_days: 7,
            checkin_days: vec![30, 60, 90],
            max_mentees_per_mentor: 3,
        }
    }
}

impl From<&Programme> for TouchpointRules {
    fn from(programme: &Programme) -> Self {
        let mut checkin_days: Vec<i64> =
            programme.checkin_days.split(',').filter_map(|day| day.trim().parse().ok()).filter(|d| *d > 0).collect();
        checkin_days.sort_unstable();
        checkin_days.dedup();
        Self {
            name: programme.name.clone(),
            induction_weeks: i64::from(programme.induction_weeks.max(1)),
            contact_every_days: i64::from(programme.contact_every_days.max(1)),
            first_contact_days: i64::from(programme.first_contact_days.max(0)),
            checkin_days,
            max_mentees_per_mentor: i64::from(programme.max_mentees_per_mentor),
        }
    }
}

/// Where a touchpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TouchpointState {
    Met,
    MetLate,
    Due,
    Overdue,
    Upcoming,
}

impl TouchpointState {
    /// The word for it, as coordinators read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::MetLate => "met late",
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Upcoming => "upcoming",
        }
    }
}

/// One expected contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touchpoint {
    /// "First contact", "Day 30 check-in".
    pub name: String,
    /// The day it is about (the deadline for first contact).
    pub day: Date,
    pub window_start: Date,
    pub window_end: Date,
    pub state: TouchpointState,
    /// The contact that met it.
    pub contact_on: Option<Date>,
}

/// The touchpoints of a pairing that started on `start`. `contacts` are the
/// dates of logged sessions, sorted, any order of kinds.
pub fn touchpoints(
    rules: &TouchpointRules,
    start: Date,
    ended_on: Option<Date>,
    today: Date,
    contacts: &[Date],
) -> Vec<Touchpoint> {
    let contacts: Vec<Date> = contacts.iter().copied().filter(|d| *d <= today).collect();
    let mut out = Vec::new();
    let first_deadline = start + Duration::days(rules.first_contact_days);
    out.push(judge("First contact".to_owned(), first_deadline, (start, first_deadline), today, &contacts));
    for day in &rules.checkin_days {
        let centre = start + Duration::days(*day);
        let window = (centre - Duration::days(CHECKIN_GRACE_DAYS), centre + Duration::days(CHECKIN_GRACE_DAYS));
        out.push(judge(format!("Day {day} check-in"), centre, window, today, &contacts));
    }
    if let Some(ended) = ended_on {
        out.retain(|t| t.window_start <= ended);
    }
    out
}

fn judge(name: String, day: Date, (start, end): (Date, Date), today: Date, contacts: &[Date]) -> Touchpoint {
    let first = contacts.iter().copied().find(|d| *d >= start);
    let (state, contact_on) = match first {
        Some(on) if on <= end => (TouchpointState::Met, Some(on)),
        Some(on) => (TouchpointState::MetLate, Some(on)),
        None if today < start => (TouchpointState::Upcoming, None),
        None if today <= end => (TouchpointState::Due, None),
        None => (TouchpointState::Overdue, None),
    };
    Touchpoint { name, day, window_start: start, window_end: end, state, contact_on }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn rules() -> TouchpointRules {
        TouchpointRules::default()
    }

    fn states(list: &[Touchpoint]) -> Vec<(String, TouchpointState)> {
        list.iter().map(|t| (t.name.clone(), t.state)).collect()
    }

    #[test]
    fn a_new_pairing_has_first_contact_due_and_check_ins_upcoming() {
        let start = date!(2026 - 03 - 02);
        let list = touchpoints(&rules(), start, None, date!(2026 - 03 - 04), &[]);
        assert_eq!(
            states(&list),
            vec![
                ("First contact".into(), TouchpointState::Due),
                ("Day 30 check-in".into(), TouchpointState::Upcoming),
                ("Day 60 check-in".into(), TouchpointState::Upcoming),
                ("Day 90 check-in".into(), TouchpointState::Upcoming),
            ]
        );
    }

    #[test]
    fn touchpoints_are_met_late_overdue_or_met_by_contact_in_their_window() {
        let start = date!(2026 - 01 - 01);
        // First contact on day 10 (late), then day 28 (inside day 30's window).
        let contacts = [date!(2026 - 01 - 11), date!(2026 - 01 - 29)];
        let list = touchpoints(&rules(), start, None, date!(2026 - 03 - 20), &contacts);
        assert_eq!(list[0].state, TouchpointState::MetLate);
        assert_eq!(list[0].contact_on, Some(date!(2026 - 01 - 11)));
        assert_eq!(list[1].state, TouchpointState::Met);
        // Day 60 is 2026-03-02; its window closed on 03-09 with no contact.
        assert_eq!(list[2].state, TouchpointState::Overdue);
        // Day 90 is 2026-04-01; its window opens on 03-25.
        assert_eq!(list[3].state, TouchpointState::Upcoming);
    }

    #[test]
    fn future_dated_sessions_are_not_contact_yet() {
        let start = date!(2026 - 03 - 02);
        let list = touchpoints(&rules(), start, None, date!(2026 - 03 - 04), &[date!(2026 - 03 - 06)]);
        assert_eq!(list[0].state, TouchpointState::Due);
    }

    #[test]
    fn touchpoints_after_a_pairing_ended_are_dropped() {
        let start = date!(2026 - 01 - 01);
        let list = touchpoints(&rules(), start, Some(date!(2026 - 02 - 10)), date!(2026 - 05 - 01), &[]);
        assert_eq!(list.len(), 2, "first contact and day 30 only: {list:?}");
    }

    #[test]
    fn programme_check_in_days_are_parsed_leniently() {
        let programme = Programme {
            id: crate::model::ProgrammeId::new_random(),
            org_id: crate::model::OrgId::new_random(),
            name: "Night shifts".into(),
            induction_weeks: 8,
            contact_every_days: 14,
            first_contact_days: 3,
            checkin_days: " 60, 30,x,,30".into(),
            max_mentees_per_mentor: 2,
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        };
        assert_eq!(TouchpointRules::from(&programme).checkin_days, vec![30, 60]);
    }
}
