//! Reminders: what a person in a pairing should do next, worked out on the
//! server from projections and organisation records (never from a pair's
//! words), for `GET /v1/reminders` and, grouped by pairing, for the
//! coordinators' weekly digest ([`super::digest`]).
//!
//! Kinds ([`ReminderKind`]), each due on the last day it can be done on time
//! and overdue from the day after:
//!
//! - *touchpoint*: a touchpoint of the pairing's programme not yet met, whose
//!   window closes within [`TOUCHPOINT_LEAD_DAYS`] or has closed (the
//!   programme's rules: [`programme::touchpoints()`]); due on the window's last day;
//! - *action*: an agreed action not done, past its due date
//!   ([`programme::action_is_overdue`]);
//! - *session_sign_off*: a logged session dated more than
//!   [`SIGN_OFF_WITHIN_DAYS`] ago that is not signed by both; due that many
//!   days after the session;
//! - *agreement*: the pairing's agreement not signed by both,
//!   [`AGREEMENT_WITHIN_DAYS`] after the start, shown from
//!   [`TOUCHPOINT_LEAD_DAYS`] before;
//! - *training*: a course the mentor holds whose latest record expires within
//!   [`TRAINING_LEAD_DAYS`] (or has expired); due on the expiry day.
//!
//! Only `active` pairings give reminders (a proposed one has not started, a
//! paused one is on hold, a finished one is done). Titles are made of dates,
//! people's names and the programme's touchpoint names.
//!
//! Each kind is one function in [`SOURCES`], reading the [`Facts`] loaded once
//! for the people in view. A new kind is a
//! variant of [`ReminderKind`], whatever it needs loaded into [`Facts`], and one
//! more function in that list.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sync_core::api::ReminderItem;
use time::{Date, Duration};

use super::DomainError;
use super::programme::{self, Touchpoint, TouchpointRules, TouchpointState};
use super::surveys::DueSurveyItem;
use crate::db::mentorships::{self, NamedMentorship, Scope};
use crate::db::reminders::{self as queries, ActionFact, SessionFact};
use crate::db::scheme_projections::{self, AgreementProjection};
use crate::db::training::{self, TrainingRecord};
use crate::db::{DbConnection, people, programmes};
use crate::model::{Day, DocumentId, MentorshipId, MentorshipStatus, OrgId, PersonId, ProgrammeId};

/// A touchpoint (and an agreement) is shown this many days before it is due.
pub const TOUCHPOINT_LEAD_DAYS: i64 = 3;
/// A logged session should be signed by both within this many days.
pub const SIGN_OFF_WITHIN_DAYS: i64 = 7;
/// The agreement should be signed by both this many days after the start.
pub const AGREEMENT_WITHIN_DAYS: i64 = 14;
/// Training is shown this many days before it expires.
pub const TRAINING_LEAD_DAYS: i64 = 30;

/// What a reminder is about. Its string (`snake_case`) is the `kind` of the
/// API and the phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, strum::Display, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReminderKind {
    Touchpoint,
    Action,
    SessionSignOff,
    Agreement,
    Training,
    /// A survey of the pairing's programme the person has not answered.
    Survey,
}

/// One reminder, with what it is about in structured form (the digest counts
/// and names them; a person reads the title).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub kind: ReminderKind,
    pub title: String,
    pub due_on: Date,
    pub mentorship_id: Option<MentorshipId>,
    pub document_id: Option<DocumentId>,
    /// Whom it is for: the mentor for training, else both of the pair.
    pub person_id: Option<PersonId>,
    /// What the digest says of it: a touchpoint's or a course's name.
    pub about: String,
}

impl Reminder {
    pub fn is_overdue(&self, today: Date) -> bool {
        self.due_on < today
    }

    /// As the API answers it.
    pub fn item(&self, today: Date) -> ReminderItem {
        ReminderItem {
            kind: self.kind.to_string(),
            title: self.title.clone(),
            due_on: Day::from(self.due_on).to_string(),
            overdue: self.is_overdue(today),
            mentorship_id: self.mentorship_id.map(|id| id.to_string()),
            document_id: self.document_id.map(|id| id.to_string()),
        }
    }
}

/// One pairing and what its projections say.
#[derive(Debug, Clone)]
pub struct PairingFacts {
    pub pairing: NamedMentorship,
    pub rules: TouchpointRules,
    pub sessions: Vec<SessionFact>,
    pub open_actions: Vec<ActionFact>,
    pub agreement: Option<AgreementProjection>,
}

impl PairingFacts {
    pub fn id(&self) -> MentorshipId {
        self.pairing.mentorship.id
    }

    pub fn started_on(&self) -> Option<Date> {
        self.pairing.mentorship.started_on.map(Day::date)
    }

    /// The touchpoints as of `today`, from the logged sessions.
    pub fn touchpoints(&self, today: Date) -> Vec<Touchpoint> {
        let Some(start) = self.started_on() else { return Vec::new() };
        let ended = self.pairing.mentorship.ended_on.map(Day::date);
        programme::touchpoints(&self.rules, start, ended, today, &self.contacts(today))
    }

    /// Dates of contact (logged sessions up to today), sorted.
    pub fn contacts(&self, today: Date) -> Vec<Date> {
        let mut dates: Vec<Date> = self
            .sessions
            .iter()
            .filter(|s| programme::is_contact(&s.status))
            .filter_map(|s| session_day(s.session_date.as_deref()))
            .filter(|d| *d <= today)
            .collect();
        dates.sort_unstable();
        dates
    }

    fn planned(&self) -> Vec<Date> {
        self.sessions
            .iter()
            .filter(|s| programme::is_planned(&s.status))
            .filter_map(|s| session_day(s.session_date.as_deref()))
            .collect()
    }

    /// The other person of the pair, as `viewer` sees them (both names for a
    /// coordinator's view).
    fn partner_of(&self, viewer: Option<PersonId>) -> String {
        let m = &self.pairing.mentorship;
        match viewer {
            Some(p) if p == m.mentor_id => self.pairing.mentee_name.clone(),
            Some(p) if p == m.mentee_id => self.pairing.mentor_name.clone(),
            _ => format!("{} and {}", self.pairing.mentor_name, self.pairing.mentee_name),
        }
    }

    /// Who has not signed, as `viewer` reads it.
    fn unsigned_by(&self, viewer: Option<PersonId>, mentor_signed: bool, mentee_signed: bool) -> String {
        let m = &self.pairing.mentorship;
        let (mine, theirs, their_name) = match viewer {
            Some(p) if p == m.mentor_id => (mentor_signed, mentee_signed, &self.pairing.mentee_name),
            Some(p) if p == m.mentee_id => (mentee_signed, mentor_signed, &self.pairing.mentor_name),
            _ => {
                return match (mentor_signed, mentee_signed) {
                    (true, _) => format!("waiting for {}", self.pairing.mentee_name),
                    (_, true) => format!("waiting for {}", self.pairing.mentor_name),
                    _ => "signed by neither".to_owned(),
                };
            }
        };
        match (mine, theirs) {
            (false, false) => "waiting for both signatures".to_owned(),
            (false, true) => "waiting for your signature".to_owned(),
            _ => format!("waiting for {their_name}'s signature"),
        }
    }
}

/// Everything the reminders of the people in view are computed from: a fixed
/// handful of queries, however many pairings.
#[derive(Debug, Clone)]
pub struct Facts {
    pub today: Date,
    /// The person the titles address (`None`: a coordinator's overview).
    pub viewer: Option<PersonId>,
    pub pairings: Vec<PairingFacts>,
    /// Training records of the mentors in view.
    pub training: Vec<TrainingRecord>,
    /// Names of the mentors in view.
    pub names: HashMap<PersonId, String>,
    /// The surveys due for the person in view that the server holds no answer
    /// to (none in the organisation's view: the digest does not chase surveys).
    pub surveys: Vec<DueSurveyItem>,
}

/// Whose reminders to work out.
#[derive(Debug, Clone, Copy)]
pub enum View {
    /// One person's: their own active pairings (as mentor or mentee) and, if
    /// they are a mentor, their own training. What `GET /v1/reminders` answers
    /// for everyone, coordinators included.
    Person(PersonId),
    /// Every active pairing of the organisation and the training of its
    /// mentors (the digest).
    Organisation,
}

impl Facts {
    pub fn load(conn: &mut DbConnection, org_id: OrgId, view: View, today: Date) -> Result<Self, DomainError> {
        let (scope, viewer) = match view {
            View::Person(person) => (Scope::Involving(person), Some(person)),
            View::Organisation => (Scope::All, None),
        };
        let pairings: Vec<NamedMentorship> = mentorships::find_by_org_with_names(conn, org_id, scope)?
            .into_iter()
            .filter(|p| p.mentorship.status == MentorshipStatus::Active)
            .collect();
        let ids: Vec<MentorshipId> = pairings.iter().map(|p| p.mentorship.id).collect();
        let rules: HashMap<ProgrammeId, TouchpointRules> =
            programmes::find_by_org(conn, org_id)?.iter().map(|p| (p.id, TouchpointRules::from(p))).collect();
        let mut sessions: HashMap<MentorshipId, Vec<SessionFact>> = HashMap::new();
        let mut actions: HashMap<MentorshipId, Vec<ActionFact>> = HashMap::new();
        let mut agreements: HashMap<MentorshipId, AgreementProjection> = HashMap::new();
        if !ids.is_empty() {
            for session in queries::find_sessions(conn, org_id, &ids)? {
                sessions.entry(session.mentorship_id).or_default().push(session);
            }
            for action in queries::find_open_actions(conn, org_id, &ids)? {
                actions.entry(action.mentorship_id).or_default().push(action);
            }
            agreements = match view {
                View::Person(_) => scheme_projections::find_agreements_of(conn, org_id, &ids)?,
                View::Organisation => scheme_projections::find_agreements_by_org(conn, org_id)?,
            }
            .into_iter()
            .collect();
        }
        // Training of the mentors in view: the person's own if they are a
        // mentor, else the mentors of the organisation's active pairings.
        let mut names = HashMap::new();
        let training = match view {
            View::Person(person) => match people::find_by_id(conn, org_id, person)? {
                Some(found) if found.is_mentor => {
                    names.insert(found.id, found.display_name.clone());
                    training::find_by_person(conn, org_id, person)?
                }
                _ => Vec::new(),
            },
            View::Organisation => {
                for p in &pairings {
                    names.insert(p.mentorship.mentor_id, p.mentor_name.clone());
                }
                training::find_by_org(conn, org_id)?.into_iter().filter(|r| names.contains_key(&r.person_id)).collect()
            }
        };
        let pairings = pairings
            .into_iter()
            .map(|pairing| {
                let id = pairing.mentorship.id;
                PairingFacts {
                    rules: rules.get(&pairing.mentorship.programme_id).cloned().unwrap_or_default(),
                    sessions: sessions.remove(&id).unwrap_or_default(),
                    open_actions: actions.remove(&id).unwrap_or_default(),
                    agreement: agreements.remove(&id),
                    pairing,
                }
            })
            .collect();
        let surveys = match view {
            View::Person(person) => super::surveys::due_for_person(conn, org_id, person, Day::from(today))?,
            View::Organisation => Vec::new(),
        };
        Ok(Self { today, viewer, pairings, training, names, surveys })
    }

    /// Every reminder, earliest due first.
    pub fn reminders(&self) -> Vec<Reminder> {
        let mut out: Vec<Reminder> = SOURCES.iter().flat_map(|source| source(self)).collect();
        out.sort_by(|a, b| (a.due_on, a.kind, &a.title).cmp(&(b.due_on, b.kind, &b.title)));
        out
    }
}

/// One kind of reminder, worked out from the facts.
pub type Source = fn(&Facts) -> Vec<Reminder>;

/// Every kind, one function each (see the module doc for adding one).
pub const SOURCES: &[Source] =
    &[touchpoints_due, actions_past_due, sessions_unsigned, agreements_unsigned, training_expiring, surveys_due];

/// `GET /v1/reminders`: the caller's own reminders, as of `today`.
pub fn for_person(
    conn: &mut DbConnection,
    org_id: OrgId,
    person_id: PersonId,
    today: Date,
) -> Result<Vec<ReminderItem>, DomainError> {
    let facts = Facts::load(conn, org_id, View::Person(person_id), today)?;
    Ok(facts.reminders().iter().map(|r| r.item(today)).collect())
}

fn session_day(text: Option<&str>) -> Option<Date> {
    text.and_then(|t| t.parse::<Day>().ok()).map(Day::date)
}

/// "3 Dec 2026".
pub fn format_day(date: Date) -> String {
    format!("{} {} {}", date.day(), short_month(date.month()), date.year())
}

fn short_month(month: time::Month) -> &'static str {
    use time::Month::*;
    match month {
        January => "Jan",
        February => "Feb",
        March => "Mar",
        April => "Apr",
        May => "May",
        June => "Jun",
        July => "Jul",
        August => "Aug",
        September => "Sep",
        October => "Oct",
        November => "Nov",
        December => "Dec",
    }
}

fn touchpoints_due(facts: &Facts) -> Vec<Reminder> {
    let horizon = facts.today + Duration::days(TOUCHPOINT_LEAD_DAYS);
    let mut out = Vec::new();
    for p in &facts.pairings {
        let planned = p.planned();
        for t in p.touchpoints(facts.today) {
            let open = matches!(t.state, TouchpointState::Due | TouchpointState::Overdue | TouchpointState::Upcoming);
            if !open || t.window_end > horizon {
                continue;
            }
            let mut title =
                format!("{} with {}, due by {}", t.name, p.partner_of(facts.viewer), format_day(t.window_end));
            if let Some(on) = programme::planned_for(&t, &planned, facts.today) {
                title.push_str(&format!(" (session planned for {})", format_day(on)));
            }
            out.push(Reminder {
                kind: ReminderKind::Touchpoint,
                title,
                due_on: t.window_end,
                mentorship_id: Some(p.id()),
                document_id: None,
                person_id: None,
                about: t.name.clone(),
            });
        }
    }
    out
}

fn actions_past_due(facts: &Facts) -> Vec<Reminder> {
    let today = Day::from(facts.today);
    let mut out = Vec::new();
    for p in &facts.pairings {
        let session_dates: HashMap<DocumentId, Option<Date>> =
            p.sessions.iter().map(|s| (s.document_id, session_day(s.session_date.as_deref()))).collect();
        for action in &p.open_actions {
            if !programme::action_is_overdue(false, action.due_on.as_deref(), today) {
                continue;
            }
            let Some(due) = session_day(action.due_on.as_deref()) else { continue };
            let from = match session_dates.get(&action.document_id).copied().flatten() {
                Some(on) => format!("the {} session", format_day(on)),
                None => "a session".to_owned(),
            };
            out.push(Reminder {
                kind: ReminderKind::Action,
                title: format!("Action from {from} with {}, due {}", p.partner_of(facts.viewer), format_day(due)),
                due_on: due,
                mentorship_id: Some(p.id()),
                document_id: Some(action.document_id),
                person_id: None,
                about: action.action_id.clone(),
            });
        }
    }
    out
}

fn sessions_unsigned(facts: &Facts) -> Vec<Reminder> {
    let mut out = Vec::new();
    for p in &facts.pairings {
        for s in &p.sessions {
            if !programme::is_contact(&s.status) || (s.mentor_signed && s.mentee_signed) {
                continue;
            }
            let Some(on) = session_day(s.session_date.as_deref()) else { continue };
            let due = on + Duration::days(SIGN_OFF_WITHIN_DAYS);
            if due >= facts.today {
                continue;
            }
            out.push(Reminder {
                kind: ReminderKind::SessionSignOff,
                title: format!(
                    "Session of {} with {}: {}",
                    format_day(on),
                    p.partner_of(facts.viewer),
                    p.unsigned_by(facts.viewer, s.mentor_signed, s.mentee_signed)
                ),
                due_on: due,
                mentorship_id: Some(p.id()),
                document_id: Some(s.document_id),
                person_id: None,
                about: format_day(on),
            });
        }
    }
    out
}

fn agreements_unsigned(facts: &Facts) -> Vec<Reminder> {
    let horizon = facts.today + Duration::days(TOUCHPOINT_LEAD_DAYS);
    let mut out = Vec::new();
    for p in &facts.pairings {
        let Some(start) = p.started_on() else { continue };
        let (mentor_signed, mentee_signed) =
            p.agreement.as_ref().map_or((false, false), |a| (a.mentor_signed, a.mentee_signed));
        let due = start + Duration::days(AGREEMENT_WITHIN_DAYS);
        if (mentor_signed && mentee_signed) || due > horizon {
            continue;
        }
        out.push(Reminder {
            kind: ReminderKind::Agreement,
            title: format!(
                "Mentoring agreement with {}, to be signed by {}: {}",
                p.partner_of(facts.viewer),
                format_day(due),
                p.unsigned_by(facts.viewer, mentor_signed, mentee_signed)
            ),
            due_on: due,
            mentorship_id: Some(p.id()),
            document_id: Some(DocumentId::agreement_of(p.id())),
            person_id: None,
            about: "agreement".to_owned(),
        });
    }
    out
}

/// The programme's surveys due for the person and not answered yet (an answer
/// still on an offline phone is not known here; the phone's own
/// `due_surveys()` knows it).
fn surveys_due(facts: &Facts) -> Vec<Reminder> {
    facts
        .surveys
        .iter()
        .map(|due| Reminder {
            kind: ReminderKind::Survey,
            title: format!("Survey \"{}\" is due since {}", due.title, format_day(due.due_on.date())),
            due_on: due.due_on.date(),
            mentorship_id: Some(due.mentorship_id),
            document_id: None,
            person_id: facts.viewer,
            about: due.title.clone(),
        })
        .collect()
}

fn training_expiring(facts: &Facts) -> Vec<Reminder> {
    let horizon = facts.today + Duration::days(TRAINING_LEAD_DAYS);
    // Per person and course (ignoring case), the latest expiry; a record with
    // none means the course never expires.
    let mut latest: BTreeMap<(PersonId, String), (String, Option<Date>)> = BTreeMap::new();
    for r in &facts.training {
        let key = (r.person_id, r.course.trim().to_lowercase());
        let expiry = r.expires_on.map(Day::date);
        let entry = latest.entry(key).or_insert_with(|| (r.course.trim().to_owned(), expiry));
        entry.1 = match (entry.1, expiry) {
            (None, _) | (_, None) => None,
            (Some(a), Some(b)) => Some(a.max(b)),
        };
    }
    let mut out = Vec::new();
    for ((person, _), (course, expiry)) in latest {
        let Some(expiry) = expiry.filter(|e| *e <= horizon) else { continue };
        let whose = match facts.viewer {
            Some(viewer) if viewer == person => "Your".to_owned(),
            _ => format!("{}'s", facts.names.get(&person).map_or("A mentor", String::as_str)),
        };
        out.push(Reminder {
            kind: ReminderKind::Training,
            title: format!("{whose} {course} training expires on {}", format_day(expiry)),
            due_on: expiry,
            mentorship_id: None,
            document_id: None,
            person_id: Some(person),
            about: course,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn days_read_as_people_write_them() {
        assert_eq!(format_day(date!(2026 - 12 - 03)), "3 Dec 2026");
        assert_eq!(format_day(date!(2027 - 01 - 31)), "31 Jan 2027");
    }

    #[test]
    fn a_reminder_is_overdue_from_the_day_after_it_is_due() {
        let reminder = Reminder {
            kind: ReminderKind::Action,
            title: String::new(),
            due_on: date!(2026 - 12 - 10),
            mentorship_id: None,
            document_id: None,
            person_id: None,
            about: String::new(),
        };
        assert!(!reminder.is_overdue(date!(2026 - 12 - 10)));
        assert!(reminder.is_overdue(date!(2026 - 12 - 11)));
        assert_eq!(reminder.item(date!(2026 - 12 - 11)).kind, "action");
        assert_eq!(ReminderKind::SessionSignOff.to_string(), "session_sign_off");
    }
}
