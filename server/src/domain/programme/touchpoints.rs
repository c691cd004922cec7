//! Touchpoints: the contacts a programme expects of a pairing (a welcome,
//! first contact, then check-ins on set days) and whether each was met, from
//! the programme's settings and the dates of contact ([`super::is_contact`]).
//!
//! - A programme lists its touchpoints as [`TouchpointSpec`]s: a name, a day
//!   counted from the start, and a window of days either side of that day
//!   (never before the start). "First contact within 7 days" is day 0 with a
//!   7-day window; a "day 30 check-in" is day 30 with [`CHECKIN_GRACE_DAYS`].
//!   Before its window a touchpoint is upcoming, inside it due, after it
//!   overdue until contact happens (then "met late").
//! - A programme from before touchpoints were listed has them derived from its
//!   `first_contact_days` and `checkin_days`, as they always were.
//! - Informal programmes have none, and never show as overdue.
//! - Contact dated after today does not count yet.
//! - Touchpoints that would open after a pairing ended are not shown.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use utoipa::ToSchema;

use crate::db::programmes::Programme;

/// Days either side of a check-in day that still count as that check-in.
pub const CHECKIN_GRACE_DAYS: i64 = 7;

/// One touchpoint as a programme defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TouchpointSpec {
    /// "Welcome", "First contact", "Day 30 check-in".
    pub name: String,
    /// Days after the start (0 is the start day).
    pub day: i64,
    /// Days either side of `day` that still count (never before the start).
    pub window_days: i64,
}

impl TouchpointSpec {
    pub fn new(name: &str, day: i64, window_days: i64) -> Self {
        Self { name: name.to_owned(), day, window_days }
    }
}

/// The touchpoints of the default "Induction" programme: welcome on day 1,
/// first contact within 7 days, check-ins at days 30, 60 and 90.
pub fn induction_touchpoints() -> Vec<TouchpointSpec> {
    vec![
        TouchpointSpec::new("Welcome", 1, 1),
        TouchpointSpec::new("First contact", 0, 7),
        TouchpointSpec::new("Day 30 check-in", 30, CHECKIN_GRACE_DAYS),
        TouchpointSpec::new("Day 60 check-in", 60, CHECKIN_GRACE_DAYS),
        TouchpointSpec::new("Day 90 check-in", 90, CHECKIN_GRACE_DAYS),
    ]
}

/// A programme's settings, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouchpointRules {
    pub name: String,
    pub induction_weeks: i64,
    pub contact_every_days: i64,
    pub touchpoints: Vec<TouchpointSpec>,
    pub max_mentees_per_mentor: i64,
    /// Informal programmes have no touchpoints and never show as overdue.
    pub informal: bool,
}

impl Default for TouchpointRules {
    /// DESIGN.md's defaults, for a pairing whose programme cannot be read.
    fn default() -> Self {
        Self {
            name: "Induction".to_owned(),
            induction_weeks: 12,
            contact_every_days: 7,
            touchpoints: induction_touchpoints(),
            max_mentees_per_mentor: 3,
            informal: false,
        }
    }
}

/// The touchpoints a programme row stands for: its own list, or for a row from
/// before lists were stored, the ones its older columns describe.
pub fn programme_touchpoints(programme: &Programme) -> Vec<TouchpointSpec> {
    if programme.kind == "informal" {
        return Vec::new();
    }
    if let Some(list) = programme.touchpoints.as_deref() {
        return serde_json::from_str(list).unwrap_or_default();
    }
    let mut checkin_days: Vec<i64> =
        programme.checkin_days.split(',').filter_map(|day| day.trim().parse().ok()).filter(|d| *d > 0).collect();
    checkin_days.sort_unstable();
    checkin_days.dedup();
    let mut out = vec![TouchpointSpec::new("First contact", 0, i64::from(programme.first_contact_days.max(0)))];
    out.extend(checkin_days.into_iter().map(|day| TouchpointSpec {
        name: format!("Day {day} check-in"),
        day,
        window_days: CHECKIN_GRACE_DAYS,
    }));
    out
}

impl From<&Programme> for TouchpointRules {
    fn from(programme: &Programme) -> Self {
        Self {
            name: programme.name.clone(),
            induction_weeks: i64::from(programme.induction_weeks.max(1)),
            contact_every_days: i64::from(programme.contact_every_days.max(1)),
            touchpoints: programme_touchpoints(programme),
            max_mentees_per_mentor: i64::from(programme.max_mentees_per_mentor),
            informal: programme.kind == "informal",
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
    if rules.informal {
        return out;
    }
    for spec in &rules.touchpoints {
        let centre = start + Duration::days(spec.day.max(0));
        let window = (
            (centre - Duration::days(spec.window_days.max(0))).max(start),
            centre + Duration::days(spec.window_days.max(0)),
        );
        out.push(judge(spec.name.clone(), centre, window, today, &contacts));
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

    /// The touchpoints of programmes from before touchpoints were listed.
    fn rules() -> TouchpointRules {
        TouchpointRules { touchpoints: programme_touchpoints(&legacy("30,60,90")), ..TouchpointRules::default() }
    }

    fn legacy(checkin_days: &str) -> Programme {
        Programme {
            id: crate::model::ProgrammeId::new_random(),
            org_id: crate::model::OrgId::new_random(),
            name: "Night shifts".into(),
            induction_weeks: 8,
            contact_every_days: 14,
            first_contact_days: 7,
            checkin_days: checkin_days.into(),
            max_mentees_per_mentor: 2,
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            kind: "formal".into(),
            touchpoints: None,
            required_training: "[]".into(),
            surveys: "[]".into(),
        }
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
        let days: Vec<i64> = programme_touchpoints(&legacy(" 60, 30,x,,30")).iter().map(|t| t.day).collect();
        assert_eq!(days, vec![0, 30, 60]);
    }

    #[test]
    fn a_programme_s_own_touchpoints_replace_the_defaults_and_informal_has_none() {
        let mut programme = legacy("30,60,90");
        programme.touchpoints = Some(r#"[{"name":"Buddy call","day":3,"window_days":2}]"#.into());
        let rules = TouchpointRules::from(&programme);
        let start = date!(2026 - 03 - 02);
        let list = touchpoints(&rules, start, None, date!(2026 - 03 - 10), &[]);
        assert_eq!(states(&list), vec![("Buddy call".into(), TouchpointState::Overdue)]);
        assert_eq!((list[0].window_start, list[0].window_end), (date!(2026 - 03 - 03), date!(2026 - 03 - 07)));

        programme.kind = "informal".into();
        let rules = TouchpointRules::from(&programme);
        assert!(touchpoints(&rules, start, None, date!(2026 - 09 - 01), &[]).is_empty());
    }

    #[test]
    fn induction_welcomes_on_day_one() {
        let start = date!(2026 - 03 - 02);
        let list = touchpoints(&TouchpointRules::default(), start, None, date!(2026 - 03 - 05), &[]);
        assert_eq!(list[0].name, "Welcome");
        assert_eq!(list[0].state, TouchpointState::Overdue);
        assert_eq!(list[1].state, TouchpointState::Due);
    }
}
