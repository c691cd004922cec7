//! Touchpoints: the contacts a programme expects of a pairing (first contact,
//! then check-ins on set days) and whether each was met, from the programme's
//! settings and the dates of contact. The rules are written down in
//! [`super`].

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
    pub fn label(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::MetLate => "met late",
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Upcoming => "upcoming",
        }
    }

    /// A CSS class name.
    pub fn class(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::MetLate => "late",
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
