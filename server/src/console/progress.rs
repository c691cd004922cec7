//! How each pairing is progressing, as a coordinator sees it, computed from the
//! rows of [`super::queries`]: weeks, touchpoints, counts, device sync health and
//! what needs attention. Pure functions of their input and "now", so the rules are
//! tested without a server.
//!
//! Rules (written down because coordinators will ask). What counts as contact,
//! as an achieved goal and as an overdue action, and how touchpoints are met,
//! is the domain's ([`crate::domain::programme`]):
//!
//! - *Contact* is a session with status `logged`, of any kind, dated on or before
//!   today. Cancelled and missed sessions are counted separately, and so are
//!   planned ones (neither contact nor "not held"); a planned session shows
//!   against the touchpoint it is meant to meet ([`programme::planned_for`]).
//! - Touchpoints come from the pairing's programme (its own list, see
//!   [`mod@crate::domain::programme::touchpoints`]). In older programmes,
//!   *first contact* is met when contact happens within the programme's
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

use super::queries::{ActionCount, DeviceSyncRow, GoalCount, SessionRow, SkillCount};
use crate::db::devices::Device;
use crate::db::mentorships::NamedMentorship;
use crate::db::programmes::Programme;
use crate::domain::programme::{self, Touchpoint, TouchpointRules, TouchpointState, touchpoints};
use crate::model::{Day, DeviceId, MentorshipId, MentorshipStatus, PersonId, ProgrammeId};

pub use crate::domain::programme::CHECKIN_GRACE_DAYS;

/// Weeks shown in the sessions-per-week chart.
pub const WEEKS_CHARTED: usize = 16;
/// A device holding changes this old is behind.
const UNSYNCED_ALERT: Duration = Duration::hours(24);
/// A device of an active pairing that has not synced for this long has gone quiet.
const QUIET_DEVICE: Duration = Duration::days(7);

/// How a device is keeping up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSyncHealth {
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

impl DeviceSyncHealth {
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
    pub id: DeviceId,
    pub name: String,
    pub person_name: String,
    /// `mentor` or `mentee`.
    pub role: &'static str,
    pub last_sync_at: Option<OffsetDateTime>,
    /// As reported at its last sync.
    pub oldest_unsynced: Option<Duration>,
    pub state: DeviceSyncHealth,
}

/// Sessions of a pairing, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCounts {
    pub logged: u32,
    /// Cancelled or missed.
    pub not_held: u32,
    /// Arranged for a date, not yet logged.
    pub planned: u32,
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
    pub id: MentorshipId,
    pub mentor_id: PersonId,
    pub mentor_name: String,
    pub mentee_id: PersonId,
    pub mentee_name: String,
    pub status: MentorshipStatus,
    pub started_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub end_reason: Option<String>,
    pub pause_reason: Option<String>,
    pub rules: TouchpointRules,
    /// Week of the programme (1-based) today, or when it ended.
    pub week: Option<i64>,
    pub sessions: SessionCounts,
    pub touchpoints: Vec<Touchpoint>,
    /// Dates of the planned sessions, earliest first (see [`programme::planned_for`]).
    pub planned_on: Vec<Date>,
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
    /// Sessions cancelled or missed, across every pairing.
    pub not_held: u32,
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
    pub action_counts: HashMap<MentorshipId, ActionCount>,
    pub devices: Vec<Device>,
    pub device_sync: Vec<DeviceSyncRow>,
    /// Logged sessions per (pairing, skill), for the skills practised view.
    pub skill_counts: Vec<SkillCount>,
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
        not_held: pairings.iter().map(|p| p.sessions.not_held).sum(),
    };
    Dashboard { today, totals, weeks, pairings }
}

/// One summary per pairing in `rows`, needing attention first, then by status
/// (active, proposed, paused, completed, ended), then the newest start first.
pub fn summarise(rows: &Rows, now: OffsetDateTime) -> Vec<PairingSummary> {
    let today = now.date();
    let rules: HashMap<ProgrammeId, TouchpointRules> =
        rows.programmes.iter().map(|p| (p.id, TouchpointRules::from(p))).collect();
    let mut sessions: HashMap<MentorshipId, Vec<&SessionRow>> = HashMap::new();
    for session in &rows.sessions {
        sessions.entry(session.mentorship_id).or_default().push(session);
    }
    let mut goals: HashMap<MentorshipId, (i64, i64)> = HashMap::new();
    for count in &rows.goal_counts {
        let entry = goals.entry(count.mentorship_id).or_default();
        if programme::is_achieved(&count.status) {
            entry.0 += count.count;
        }
        if programme::is_pursued(&count.status) {
            entry.1 += count.count;
        }
    }
    let synced: HashMap<DeviceId, &DeviceSyncRow> = rows.device_sync.iter().map(|s| (s.device_id, s)).collect();
    let mut devices: HashMap<PersonId, Vec<&Device>> = HashMap::new();
    for device in &rows.devices {
        devices.entry(device.person_id).or_default().push(device);
    }

    let mut out: Vec<PairingSummary> = rows
        .pairings
        .iter()
        .map(|named| {
            let m = &named.mentorship;
            let status = m.status;
            let rules = rules.get(&m.programme_id).cloned().unwrap_or_default();
            let started_on = m.started_on.map(Day::date);
            let ended_on = m.ended_on.map(Day::date);
            let own_sessions = sessions.get(&m.id).map(Vec::as_slice).unwrap_or_default();
            let counts = count_sessions(own_sessions, today);
            let contacts = contact_dates(own_sessions, today);
            let planned_on = planned_dates(own_sessions);
            let touchpoints = match started_on {
                Some(start) => touchpoints(&rules, start, ended_on, today, &contacts),
                None => Vec::new(),
            };
            let reference = ended_on.unwrap_or(today).min(today);
            let week = started_on.filter(|s| *s <= reference).map(|s| (reference - s).whole_days() / 7 + 1);
            let (goals_achieved, goals_total) = goals.get(&m.id).copied().unwrap_or_default();
            let mut pair_devices = Vec::new();
            for (person_id, person_name, role) in
                [(&m.mentor_id, &named.mentor_name, "mentor"), (&m.mentee_id, &named.mentee_name, "mentee")]
            {
                for device in devices.get(person_id).map(Vec::as_slice).unwrap_or_default() {
                    pair_devices.push(device_health(device, person_name, role, synced.get(&device.id), now));
                }
            }
            let mut summary = PairingSummary {
                id: m.id,
                mentor_id: m.mentor_id,
                mentor_name: named.mentor_name.clone(),
                mentee_id: m.mentee_id,
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
                planned_on,
                goals_achieved,
                goals_total,
                actions: rows.action_counts.get(&m.id).cloned().unwrap_or_default(),
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

/// The date a pair gave a session, when it reads as one (projections keep what
/// the pair wrote).
fn session_date(session: &SessionRow) -> Option<Date> {
    session.session_date.as_deref().and_then(|text| text.parse::<Day>().ok()).map(Day::date)
}

/// Dates of contact (logged sessions up to today), sorted.
pub fn contact_dates(sessions: &[&SessionRow], today: Date) -> Vec<Date> {
    let mut dates: Vec<Date> = sessions
        .iter()
        .filter(|s| programme::is_contact(&s.status))
        .filter_map(|s| session_date(s))
        .filter(|d| *d <= today)
        .collect();
    dates.sort_unstable();
    dates
}

/// Dates of planned sessions, sorted.
fn planned_dates(sessions: &[&SessionRow]) -> Vec<Date> {
    let mut dates: Vec<Date> =
        sessions.iter().filter(|s| programme::is_planned(&s.status)).filter_map(|s| session_date(s)).collect();
    dates.sort_unstable();
    dates
}

fn count_sessions(sessions: &[&SessionRow], today: Date) -> SessionCounts {
    let mut counts = SessionCounts::default();
    for session in sessions {
        if programme::is_planned(&session.status) {
            counts.planned += 1;
        }
        if programme::is_not_held(&session.status) {
            counts.not_held += 1;
        }
        if !programme::is_contact(&session.status) {
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
    let last_sync_at = sync.map(|s| s.last_sync_at.to_offset());
    let oldest_unsynced = sync.and_then(|s| s.oldest_unsynced_secs).map(Duration::seconds);
    let state = if device.revoked_at.is_some() {
        DeviceSyncHealth::Revoked
    } else {
        match last_sync_at {
            None => DeviceSyncHealth::Never,
            Some(_) if oldest_unsynced.is_some_and(|age| age >= UNSYNCED_ALERT) => DeviceSyncHealth::Behind,
            Some(at) if now - at >= QUIET_DEVICE => DeviceSyncHealth::Quiet,
            Some(_) => DeviceSyncHealth::Current,
        }
    };
    DeviceHealth {
        id: device.id,
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
    // Informal programmes never show as overdue.
    if !p.rules.informal
        && let Some(last) = p.sessions.last_contact
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
            DeviceSyncHealth::Behind => {
                reasons.push(format!("{} ({}) has unsynced changes", device.name, device.person_name))
            }
            DeviceSyncHealth::Quiet => {
                reasons.push(format!("{} ({}) has not synced for a week", device.name, device.person_name))
            }
            DeviceSyncHealth::Current | DeviceSyncHealth::Never | DeviceSyncHealth::Revoked => {}
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
    for session in sessions.iter().filter(|s| programme::is_contact(&s.status)) {
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
mod tests;
