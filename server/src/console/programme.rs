//! The programme as a coordinator sees it, computed from the rows of
//! [`super::queries`]: weeks, touchpoints, counts, device sync health and what
//! needs attention. Pure functions of their input and "now", so the rules are
//! tested without a server.
//!
//! Rules (written down because coordinators will ask):
//!
//! - *Contact* is a session with status `logged`, of any kind, dated on or before
//!   today. Cancelled and missed sessions are counted separately.
//! - *First contact* is met when contact happens within the programme's
//!   `first_contact_days` of the start. Each *check-in* (days 30, 60, 90 by
//!   default) is met by contact within [`CHECKIN_GRACE_DAYS`] either side of its
//!   day. Before its window a touchpoint is upcoming, inside it due, after it
//!   overdue until contact happens (then "met late").
//! - Touchpoints that would open after a pairing ended are not shown.
//! - A pairing *needs attention* when it is active and has an overdue
//!   touchpoint, no contact for twice the expected contact interval, overdue
//!   actions, a session amended after sign-off, or a device that has held
//!   unsynced changes for a day or not synced for a week.

use std::cmp::Reverse;
use std::collections::HashMap;

use time::{Date, Duration, OffsetDateTime, Weekday};

use super::queries::{ActionCount, DeviceSyncRow, GoalCount, SessionRow};
use super::session::parse_timestamp;
use crate::db::devices::Device;
use crate::db::mentorships::NamedMentorship;
use crate::db::parse_date;
use crate::db::programmes::Programme;
use crate::domain::MentorshipStatus;

/// Days either side of a check-in day that still count as that check-in.
pub const CHECKIN_GRACE_DAYS: i64 = 7;
/// Weeks shown in the sessions-per-week chart.
pub const WEEKS_CHARTED: usize = 16;
/// A device holding changes this old is behind.
const UNSYNCED_ALERT: Duration = Duration::hours(24);
/// A device of an active pairing that has not synced for this long has gone quiet.
const QUIET_DEVICE: Duration = Duration::days(7);

/// A programme's settings, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub name: String,
    pub induction_weeks: i64,
    pub contact_every_days: i64,
    pub first_contact_days: i64,
    pub checkin_days: Vec<i64>,
    pub max_mentees_per_mentor: i64,
}

impl Default for Rules {
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

impl From<&Programme> for Rules {
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
    rules: &Rules,
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

/// How a device is keeping up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Synced, nothing old waiting.
    Current,
    /// Reported changes it has held for more than a day.
    Behind,
    /// Has not synced for a week.
    Quiet,
    /// Signed in but never synced.
    Never,
    Revoked,
}

impl SyncState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Current => "up to date",
            Self::Behind => "behind",
            Self::Quiet => "quiet",
            Self::Never => "never synced",
            Self::Revoked => "revoked",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Self::Current => "met",
            Self::Behind => "overdue",
            Self::Quiet => "due",
            Self::Never | Self::Revoked => "upcoming",
        }
    }
}

/// One device of a mentor or mentee.
#[derive(Debug, Clone)]
pub struct DeviceHealth {
    pub id: String,
    pub name: String,
    pub person_name: String,
    /// `mentor` or `mentee`.
    pub role: &'static str,
    pub last_sync_at: Option<OffsetDateTime>,
    /// As reported at its last sync.
    pub oldest_unsynced: Option<Duration>,
    pub state: SyncState,
}

/// Sessions of a pairing, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCounts {
    pub logged: u32,
    /// Cancelled or missed.
    pub not_held: u32,
    pub shadowing_minutes: i64,
    /// Signed by both.
    pub signed: u32,
    /// Logged, not yet signed by both.
    pub awaiting_sign_off: u32,
    pub amended_after_sign_off: u32,
    pub last_contact: Option<Date>,
}

/// One row of the dashboard.
#[derive(Debug, Clone)]
pub struct PairingSummary {
    pub id: String,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    pub status: MentorshipStatus,
    pub started_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub end_reason: Option<String>,
    pub pause_reason: Option<String>,
    pub rules: Rules,
    /// Week of the programme (1-based) today, or when it ended.
    pub week: Option<i64>,
    pub sessions: SessionCounts,
    pub touchpoints: Vec<Touchpoint>,
    pub goals_achieved: i64,
    /// Goals not dropped.
    pub goals_total: i64,
    pub actions: ActionCount,
    pub devices: Vec<DeviceHealth>,
    /// Sentences; empty when all is well.
    pub attention: Vec<String>,
}

/// Logged sessions per week, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekCount {
    pub monday: Option<Date>,
    pub shadowing: u32,
    pub meeting: u32,
    pub check_in: u32,
}

impl WeekCount {
    pub fn total(&self) -> u32 {
        self.shadowing + self.meeting + self.check_in
    }
}

/// Headline numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub active: usize,
    pub open: usize,
    pub needing_attention: usize,
    pub sessions_last_4_weeks: u32,
    pub shadowing_minutes: i64,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub today: Date,
    pub totals: Totals,
    pub weeks: Vec<WeekCount>,
    /// Needing attention first.
    pub pairings: Vec<PairingSummary>,
}

/// What the queries read.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub pairings: Vec<NamedMentorship>,
    pub programmes: Vec<Programme>,
    pub sessions: Vec<SessionRow>,
    pub goal_counts: Vec<GoalCount>,
    pub action_counts: HashMap<String, ActionCount>,
    pub devices: Vec<Device>,
    pub device_sync: Vec<DeviceSyncRow>,
}

/// Builds the dashboard.
pub fn dashboard(rows: &Rows, now: OffsetDateTime) -> Dashboard {
    let today = now.date();
    let pairings = summarise(rows, now);
    let weeks = sessions_per_week(&rows.sessions, today, WEEKS_CHARTED);
    let open: Vec<&PairingSummary> = pairings.iter().filter(|p| p.status.is_open()).collect();
    let totals = Totals {
        active: pairings.iter().filter(|p| p.status == MentorshipStatus::Active).count(),
        open: open.len(),
        needing_attention: pairings.iter().filter(|p| !p.attention.is_empty()).count(),
        sessions_last_4_weeks: weeks.iter().rev().take(4).map(WeekCount::total).sum(),
        shadowing_minutes: pairings.iter().map(|p| p.sessions.shadowing_minutes).sum(),
    };
    Dashboard { today, totals, weeks, pairings }
}

/// One summary per pairing in `rows`, needing attention first, then by status
/// (active, proposed, paused, completed, ended), then the newest start first.
pub fn summarise(rows: &Rows, now: OffsetDateTime) -> Vec<PairingSummary> {
    let today = now.date();
    let rules: HashMap<&str, Rules> = rows.programmes.iter().map(|p| (p.id.as_str(), Rules::from(p))).collect();
    let mut sessions: HashMap<&str, Vec<&SessionRow>> = HashMap::new();
    for session in &rows.sessions {
        sessions.entry(session.mentorship_id.as_str()).or_default().push(session);
    }
    let mut goals: HashMap<&str, (i64, i64)> = HashMap::new();
    for count in &rows.goal_counts {
        let entry = goals.entry(count.mentorship_id.as_str()).or_default();
        if count.status == "achieved" {
            entry.0 += count.count;
        }
        if count.status != "dropped" {
            entry.1 += count.count;
        }
    }
    let synced: HashMap<&str, &DeviceSyncRow> = rows.device_sync.iter().map(|s| (s.device_id.as_str(), s)).collect();
    let mut devices: HashMap<&str, Vec<&Device>> = HashMap::new();
    for device in &rows.devices {
        devices.entry(device.person_id.as_str()).or_default().push(device);
    }

    let mut out: Vec<PairingSummary> = rows
        .pairings
        .iter()
        .map(|named| {
            let m = &named.mentorship;
            let status = MentorshipStatus::parse(&m.status).unwrap_or(MentorshipStatus::Ended);
            let rules = rules.get(m.programme_id.as_str()).cloned().unwrap_or_default();
            let started_on = m.started_on.as_deref().and_then(parse_date);
            let ended_on = m.ended_on.as_deref().and_then(parse_date);
            let own_sessions = sessions.get(m.id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let counts = count_sessions(own_sessions, today);
            let contacts = contact_dates(own_sessions, today);
            let touchpoints = match started_on {
                Some(start) => touchpoints(&rules, start, ended_on, today, &contacts),
                None => Vec::new(),
            };
            let reference = ended_on.unwrap_or(today).min(today);
            let week = started_on.filter(|s| *s <= reference).map(|s| (reference - s).whole_days() / 7 + 1);
            let (goals_achieved, goals_total) = goals.get(m.id.as_str()).copied().unwrap_or_default();
            let mut pair_devices = Vec::new();
            for (person_id, person_name, role) in
                [(&m.mentor_id, &named.mentor_name, "mentor"), (&m.mentee_id, &named.mentee_name, "mentee")]
            {
                for device in devices.get(person_id.as_str()).map(Vec::as_slice).unwrap_or_default() {
                    pair_devices.push(device_health(device, person_name, role, synced.get(device.id.as_str()), now));
                }
            }
            let mut summary = PairingSummary {
                id: m.id.clone(),
                mentor_id: m.mentor_id.clone(),
                mentor_name: named.mentor_name.clone(),
                mentee_id: m.mentee_id.clone(),
                mentee_name: named.mentee_name.clone(),
                status,
                started_on,
                ended_on,
                end_reason: m.end_reason.clone(),
                pause_reason: m.pause_reason.clone(),
                rules,
                week,
                sessions: counts,
                touchpoints,
                goals_achieved,
                goals_total,
                actions: rows.action_counts.get(m.id.as_str()).cloned().unwrap_or_default(),
                devices: pair_devices,
                attention: Vec::new(),
            };
            summary.attention = attention(&summary, today);
            summary
        })
        .collect();
    out.sort_by_key(|p| {
        (p.attention.is_empty(), status_rank(p.status), Reverse(p.attention.len()), Reverse(p.started_on))
    });
    out
}

fn status_rank(status: MentorshipStatus) -> u8 {
    match status {
        MentorshipStatus::Active => 0,
        MentorshipStatus::Proposed => 1,
        MentorshipStatus::Paused => 2,
        MentorshipStatus::Completed => 3,
        MentorshipStatus::Ended => 4,
    }
}

fn session_date(session: &SessionRow) -> Option<Date> {
    session.session_date.as_deref().and_then(parse_date)
}

/// Dates of contact (logged sessions up to today), sorted.
pub fn contact_dates(sessions: &[&SessionRow], today: Date) -> Vec<Date> {
    let mut dates: Vec<Date> = sessions
        .iter()
        .filter(|s| s.status == "logged")
        .filter_map(|s| session_date(s))
        .filter(|d| *d <= today)
        .collect();
    dates.sort_unstable();
    dates
}

fn count_sessions(sessions: &[&SessionRow], today: Date) -> SessionCounts {
    let mut counts = SessionCounts::default();
    for session in sessions {
        if session.status != "logged" {
            counts.not_held += 1;
            continue;
        }
        counts.logged += 1;
        if session.kind.as_deref() == Some("shadowing") {
            counts.shadowing_minutes += i64::from(session.duration_minutes.unwrap_or(0).max(0));
        }
        if session.mentor_signed && session.mentee_signed {
            counts.signed += 1;
        } else {
            counts.awaiting_sign_off += 1;
        }
        if session.amended_after_sign_off {
            counts.amended_after_sign_off += 1;
        }
        if let Some(date) = session_date(session).filter(|d| *d <= today) {
            counts.last_contact = counts.last_contact.max(Some(date));
        }
    }
    counts
}

fn device_health(
    device: &Device,
    person_name: &str,
    role: &'static str,
    sync: Option<&&DeviceSyncRow>,
    now: OffsetDateTime,
) -> DeviceHealth {
    let last_sync_at = sync.and_then(|s| parse_timestamp(&s.last_sync_at));
    let oldest_unsynced = sync.and_then(|s| s.oldest_unsynced_secs).map(Duration::seconds);
    let state = if device.revoked_at.is_some() {
        SyncState::Revoked
    } else {
        match last_sync_at {
            None => SyncState::Never,
            Some(_) if oldest_unsynced.is_some_and(|age| age >= UNSYNCED_ALERT) => SyncState::Behind,
            Some(at) if now - at >= QUIET_DEVICE => SyncState::Quiet,
            Some(_) => SyncState::Current,
        }
    };
    DeviceHealth {
        id: device.id.clone(),
        name: device.name.clone(),
        person_name: person_name.to_owned(),
        role,
        last_sync_at,
        oldest_unsynced,
        state,
    }
}

fn attention(p: &PairingSummary, today: Date) -> Vec<String> {
    let mut reasons = Vec::new();
    if p.status != MentorshipStatus::Active {
        return reasons;
    }
    for touchpoint in p.touchpoints.iter().filter(|t| t.state == TouchpointState::Overdue) {
        reasons.push(format!("{} overdue", touchpoint.name));
    }
    // A pairing with no contact at all already shows an overdue first contact.
    if let Some(last) = p.sessions.last_contact
        && today - last > Duration::days(2 * p.rules.contact_every_days)
    {
        reasons.push(format!("No contact for {} days", (today - last).whole_days()));
    }
    if p.actions.overdue > 0 {
        reasons.push(plural(p.actions.overdue, "overdue action", "overdue actions"));
    }
    if p.sessions.amended_after_sign_off > 0 {
        reasons.push(plural(
            i64::from(p.sessions.amended_after_sign_off),
            "session amended after sign-off",
            "sessions amended after sign-off",
        ));
    }
    for device in &p.devices {
        match device.state {
            SyncState::Behind => reasons.push(format!("{} ({}) has unsynced changes", device.name, device.person_name)),
            SyncState::Quiet => {
                reasons.push(format!("{} ({}) has not synced for a week", device.name, device.person_name))
            }
            SyncState::Current | SyncState::Never | SyncState::Revoked => {}
        }
    }
    reasons
}

/// "1 overdue action", "3 overdue actions".
pub fn plural(count: i64, one: &str, many: &str) -> String {
    if count == 1 { format!("1 {one}") } else { format!("{count} {many}") }
}

/// Logged sessions per week (weeks start on Monday) for the `weeks` weeks up to
/// and including this one, oldest first.
pub fn sessions_per_week(sessions: &[SessionRow], today: Date, weeks: usize) -> Vec<WeekCount> {
    let this_monday = monday_of(today);
    let span = i64::try_from(weeks).unwrap_or(i64::MAX);
    let first_monday = this_monday - Duration::weeks(span.saturating_sub(1));
    let mut out: Vec<WeekCount> = (0..span)
        .map(|i| WeekCount { monday: Some(first_monday + Duration::weeks(i)), ..WeekCount::default() })
        .collect();
    for session in sessions.iter().filter(|s| s.status == "logged") {
        let Some(date) = session_date(session).filter(|d| *d <= today && *d >= first_monday) else { continue };
        let index = usize::try_from((date - first_monday).whole_weeks()).unwrap_or(usize::MAX);
        let Some(week) = out.get_mut(index) else { continue };
        match session.kind.as_deref() {
            Some("shadowing") => week.shadowing += 1,
            Some("meeting") => week.meeting += 1,
            _ => week.check_in += 1,
        }
    }
    out
}

fn monday_of(date: Date) -> Date {
    date - Duration::days(i64::from(date.weekday().number_days_from_monday()))
}

/// Monday is day 0; exposed for the charts' labels.
pub fn is_monday(date: Date) -> bool {
    date.weekday() == Weekday::Monday
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn rules() -> Rules {
        Rules::default()
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
            id: "p".into(),
            org_id: "o".into(),
            name: "Night shifts".into(),
            induction_weeks: 8,
            contact_every_days: 14,
            first_contact_days: 3,
            checkin_days: " 60, 30,x,,30".into(),
            max_mentees_per_mentor: 2,
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        assert_eq!(Rules::from(&programme).checkin_days, vec![30, 60]);
    }

    fn session(date: &str, kind: &str, status: &str) -> SessionRow {
        SessionRow {
            document_id: format!("{date}-{kind}"),
            mentorship_id: "m".into(),
            kind: Some(kind.into()),
            session_date: Some(date.into()),
            start_time: None,
            duration_minutes: Some(90),
            mode: None,
            status: status.into(),
            mentor_signed: true,
            mentee_signed: false,
            amended_after_sign_off: false,
            amended_parts: String::new(),
        }
    }

    #[test]
    fn weeks_start_on_monday_and_count_logged_sessions_by_kind() {
        let today = date!(2026 - 03 - 18); // a Wednesday
        let sessions = [
            session("2026-03-16", "shadowing", "logged"),
            session("2026-03-15", "meeting", "logged"), // the Sunday before
            session("2026-03-17", "check_in", "cancelled"),
            session("2026-03-19", "shadowing", "logged"), // tomorrow
        ];
        let weeks = sessions_per_week(&sessions, today, 2);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].monday, Some(date!(2026 - 03 - 09)));
        assert_eq!((weeks[0].shadowing, weeks[0].meeting), (0, 1));
        assert_eq!((weeks[1].shadowing, weeks[1].total()), (1, 1));
        assert!(weeks.iter().all(|w| w.monday.is_some_and(is_monday)));
    }

    fn named(id: &str, status: &str, started: &str) -> NamedMentorship {
        NamedMentorship {
            mentorship: crate::db::mentorships::Mentorship {
                id: id.into(),
                org_id: "o".into(),
                programme_id: "p".into(),
                site_id: None,
                mentor_id: format!("{id}-mentor"),
                mentee_id: format!("{id}-mentee"),
                status: status.into(),
                started_on: Some(started.into()),
                ended_on: None,
                end_reason: None,
                created_at: "2026-01-01T00:00:00Z".into(),
                pause_reason: None,
            },
            mentor_name: "Mo".into(),
            mentee_name: "Mia".into(),
        }
    }

    #[test]
    fn pairings_needing_attention_come_first_and_inactive_ones_never_need_it() {
        let now = time::macros::datetime!(2026-03-18 12:00 UTC);
        let mut overdue = session("2026-03-10", "meeting", "logged");
        overdue.mentorship_id = "calm".into();
        let rows = Rows {
            pairings: vec![
                named("calm", "active", "2026-03-09"),
                named("paused", "paused", "2026-01-01"),
                named("silent", "active", "2026-01-01"),
            ],
            sessions: vec![overdue],
            ..Rows::default()
        };
        let summaries = summarise(&rows, now);
        let order: Vec<&str> = summaries.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(order, ["silent", "calm", "paused"]);
        assert!(summaries[0].attention.iter().any(|r| r == "First contact overdue"), "{:?}", summaries[0].attention);
        assert!(summaries[1].attention.is_empty() && summaries[2].attention.is_empty());
        assert_eq!(summaries[0].week, Some(11));
        assert_eq!(summaries[1].sessions.last_contact, Some(date!(2026 - 03 - 10)));
    }

    #[test]
    fn sessions_are_counted_with_shadowing_minutes_and_sign_off_state() {
        let rows = [session("2026-03-16", "shadowing", "logged"), session("2026-03-10", "meeting", "logged")];
        let refs: Vec<&SessionRow> = rows.iter().collect();
        let counts = count_sessions(&refs, date!(2026 - 03 - 18));
        assert_eq!(counts.logged, 2);
        assert_eq!(counts.shadowing_minutes, 90);
        assert_eq!(counts.awaiting_sign_off, 2);
        assert_eq!(counts.last_contact, Some(date!(2026 - 03 - 16)));
    }
}
