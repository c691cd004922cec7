//! The demo pairs' phones and history: sessions with notes, accounts, feedback,
//! details, skills, actions (some done), shared summaries and sign-offs;
//! cancelled and missed sessions with their reasons; the next session planned;
//! a goal plan with descriptions and progress notes; and each mentee's
//! reflection journal. Written with sync-core's document writers (the calls a
//! phone's `Client` makes, as the phone's own actor) and stored through the
//! sync engine as a phone's sync would store them.

use std::collections::HashMap;

use sync_core::automerge::{ActorId, ChangeHash};
use sync_core::protocol::{self, DocOffer, SyncRequest};
use sync_core::{
    DocHeader, Document, GoalCategory, GoalStatus, Mode, Pair, ReflectionInput, SessionDetails, SessionKind,
    SessionStatus, UserId,
};
use time::{Date, Duration};

use super::{DemoError, broken};
use crate::db::DbConnection;
use crate::db::people::Person;
use crate::domain;
use crate::domain::mentorships::MentorshipView;
use crate::model::{Day, PersonId};
use crate::sync::cache::DocCache;
use crate::sync::engine::{self, Caller};

/// A demo person's phone: a registered device and what its syncs are made as.
#[derive(Clone)]
pub(super) struct Phone {
    pub(super) caller: Caller,
    pub(super) user: UserId,
}

#[derive(Default)]
pub(super) struct Phones(HashMap<PersonId, Phone>);

impl Phones {
    /// The person's phone, registered on first use.
    pub(super) fn of(&mut self, conn: &mut DbConnection, person: &Person) -> Result<Phone, DemoError> {
        if let Some(phone) = self.0.get(&person.id) {
            return Ok(phone.clone());
        }
        let first_name = person.display_name.split_whitespace().next().unwrap_or("My");
        let device = domain::devices::register(conn, person, &format!("{first_name}'s phone"))?;
        let user = person.id;
        let actor = ActorId::from(hex::decode(&device.actor_id).map_err(broken)?);
        let phone = Phone {
            caller: Caller { person: user, org_id: person.org_id, device_id: device.id, actor, auth_tag: None },
            user,
        };
        self.0.insert(person.id, phone.clone());
        Ok(phone)
    }
}

/// `phone` last synced with a change that has been waiting on it for `behind`
/// (no signal on the community round): the console shows it as a phone with
/// unsynced changes. Sent after the phone's other demo syncs, which report none.
pub(super) fn report_waiting(
    conn: &mut DbConnection,
    cache: &DocCache,
    phone: &Phone,
    behind: Duration,
) -> Result<(), DemoError> {
    let request = SyncRequest {
        protocol: protocol::PROTOCOL_VERSION,
        complete_inventory: false,
        documents: Vec::new(),
        oldest_unsynced_secs: u64::try_from(behind.whole_seconds()).ok(),
        offered_before: Vec::new(),
        cursor: None,
    };
    engine::handle(conn, cache, &phone.caller, request)?;
    Ok(())
}

/// Sends what `doc` has beyond `since` from `phone`, as the phone's sync would.
pub(super) fn sync(
    conn: &mut DbConnection,
    cache: &DocCache,
    phone: &Phone,
    doc: &mut Document,
    since: &[ChangeHash],
) -> Result<(), DemoError> {
    let heads = doc.heads();
    let changes = doc.automerge().get_changes(since).iter().map(|c| c.raw_bytes().to_vec().into()).collect();
    let offer = DocOffer { header: *doc.header(), heads: protocol::heads_to_wire(&heads), changes, sync_message: None };
    let request = SyncRequest {
        protocol: protocol::PROTOCOL_VERSION,
        complete_inventory: false,
        documents: vec![offer],
        oldest_unsynced_secs: None,
        offered_before: Vec::new(),
        cursor: None,
    };
    let outcome = engine::handle(conn, cache, &phone.caller, request)?;
    match outcome.response.documents.iter().find_map(|reply| reply.rejection.as_ref()) {
        Some(rejection) => Err(broken(format!("{} at {}", rejection.reason, rejection.path))),
        None => Ok(()),
    }
}

/// One demo session: day of the pairing, kind, and what happened afterwards.
struct DemoSession {
    day: i64,
    kind: SessionKind,
    signed: bool,
    amended: bool,
    action: Option<DemoAction>,
    /// Skills ticked: catalogue ids, or free text.
    skills: &'static [&'static str],
    /// What the pair shares with the coordinator.
    shared: Option<&'static str>,
}

/// A session that did not happen, with the reason the pair gave.
struct NotHeld {
    day: i64,
    kind: SessionKind,
    status: SessionStatus,
    reason: &'static str,
}

const SKILLS: &[&[&str]] = &[
    &["moving_and_handling", "hoist_transfers", "infection_prevention"],
    &["communication", "handover"],
    &["duty_of_care", "communicating_with_families"],
    &["personal_care", "privacy_and_dignity", "Using the new bed sensors"],
    &["medication_rounds", "record_keeping"],
    &["fluids_and_nutrition", "pressure_care"],
];
const SHARED: &[&str] = &[
    "Good first shift: hoist transfers observed, questions answered.",
    "Confidence growing; ready to lead part of a handover next week.",
    "Talked through a difficult family visit; feeling better about it.",
];

struct DemoAction {
    text: &'static str,
    due_in_days: i64,
    done: bool,
}

const NOTES: &[&str] = &[
    "Morning medication round on the first floor, then hoist transfer for Mr Ellis with two staff. ",
    "Handover at 14:00: practised giving a concise SBAR summary. Helped with afternoon teas. ",
    "Visited two clients in the community; practised introducing ourselves to families at the door. ",
    "Fluid charts and repositioning every two hours; talked through pressure area care. ",
    "Supported Mrs Adeyemi with lunch and discussed communicating with residents living with dementia. ",
];
const STRENGTHS: &[&str] = &[
    "Warm with residents; listened before acting.",
    "Careful and calm during the hoist transfer.",
    "Clear, respectful conversation with the family.",
];
const DEVELOPMENT: &[&str] = &[
    "Speak up during handover; your observations matter.",
    "Record fluid intake straight away rather than at the end of the round.",
    "Ask for help earlier when two tasks clash.",
];
/// (title, category, target day, description, a progress note)
const GOALS: &[(&str, GoalCategory, i64, &str, &str)] = &[
    (
        "Complete moving and handling sign-off",
        GoalCategory::Skill,
        28,
        "Observed hoist and stand-aid transfers, then three supervised, then the assessor's sign-off.",
        "Two supervised hoist transfers done; the assessor is booked.",
    ),
    (
        "Lead a handover with support",
        GoalCategory::Confidence,
        56,
        "Give the afternoon handover for one corridor using SBAR, with my mentor beside me.",
        "Gave part of the handover today; kept to SBAR.",
    ),
    (
        "Take regular breaks on long shifts",
        GoalCategory::Wellbeing,
        42,
        "Actually take both breaks on a twelve-hour shift, and say when I cannot.",
        "Took both breaks on three shifts this week.",
    ),
    (
        "Start the Care Certificate workbook",
        GoalCategory::Career,
        84,
        "Work through standards 1 to 5 with the training lead.",
        "Standards 1 and 2 done.",
    ),
];
/// Each mentee's reflections: what happened, feelings, went well, to improve, next time.
const REFLECTIONS: &[[&str; 5]] = &[
    [
        "My first full shift on the first floor.",
        "Nervous in the morning, tired but pleased by the end.",
        "Residents were patient with me; my mentor explained every step.",
        "I froze when a relative asked me about medication.",
        "Say I will find out, and ask the nurse in charge.",
    ],
    [
        "Helped with a hoist transfer for the first time.",
        "Worried about getting it wrong.",
        "Checked the sling size and talked the resident through it.",
        "I rushed the paperwork afterwards.",
        "Write the record straight after, not at the end of the round.",
    ],
];

/// A pairing's history up to today.
pub(super) struct PairHistory<'a> {
    pub(super) pairing: &'a MentorshipView,
    pub(super) mentor: &'a Phone,
    pub(super) mentee: &'a Phone,
    pub(super) today: Date,
}

impl PairHistory<'_> {
    /// Sessions through the pairing's first `days` days: a shadowing shift early,
    /// then about weekly contact, with the gaps and loose ends described in the
    /// module doc.
    fn plan(days: i64) -> Vec<DemoSession> {
        let mut plan = Vec::new();
        let mut day = 1;
        let mut index = 0;
        while day <= days {
            // The pairing ten weeks in went quiet before its day 60 check-in.
            let quiet = days == 10 * 7 && (46..=68).contains(&day);
            if !quiet {
                let kind = match index % 3 {
                    0 => SessionKind::Shadowing,
                    1 => SessionKind::CheckIn,
                    _ => SessionKind::Meeting,
                };
                let recent = days - day < 7;
                plan.push(DemoSession {
                    day,
                    kind,
                    skills: SKILLS[plan.len() % SKILLS.len()],
                    shared: (plan.len() % 3 == 0).then(|| SHARED[(plan.len() / 3) % SHARED.len()]),
                    signed: !recent,
                    amended: days == 8 * 7 && index == 2,
                    action: (index % 2 == 0).then(|| DemoAction {
                        text: if index % 4 == 0 {
                            "Read the moving and handling policy and ask about the sling sizes"
                        } else {
                            "Shadow a medication round and note questions for next time"
                        },
                        due_in_days: if days == 5 * 7 && index == 2 { 5 } else { 14 },
                        done: days - day > 14 && !(days == 5 * 7 && index == 2),
                    }),
                });
                index += 1;
            }
            day += if index == 1 { 4 } else { 6 + index % 3 };
        }
        plan
    }

    /// Sessions that did not happen: a meeting called off for want of cover in
    /// pairings past their first month, and, in the pairing that went quiet, the
    /// day 56 check-in missed (which leaves its day 60 check-in overdue).
    fn not_held(days: i64) -> Vec<NotHeld> {
        let mut out = Vec::new();
        if days >= 5 * 7 {
            out.push(NotHeld {
                day: 20,
                kind: SessionKind::Meeting,
                status: SessionStatus::Cancelled,
                reason: "No cover on the unit; rearranged for the following week",
            });
        }
        if days == 10 * 7 {
            out.push(NotHeld {
                day: 56,
                kind: SessionKind::CheckIn,
                status: SessionStatus::Missed,
                reason: "Community round overran; no signal to call",
            });
        }
        out
    }

    /// How many days from today the pair planned its next session: chosen so the
    /// plan meets the touchpoint coming up (or overdue) for this pairing.
    fn next_planned_in(days: i64) -> i64 {
        match days {
            d if d < 7 => 2,       // first contact
            d if d < 30 => 30 - d, // the day 30 check-in
            d if d < 60 => 60 - d, // the day 60 check-in
            d if d < 90 => 2,      // the overdue day 60 check-in, met late
            _ => 3,                // the day 90 check-in
        }
    }

    fn pair(&self) -> Result<Pair, DemoError> {
        Ok(Pair { mentorship_id: self.pairing.id, mentor_id: self.mentor.user, mentee_id: self.mentee.user })
    }

    pub(super) fn write(&self, conn: &mut DbConnection, cache: &DocCache, days: i64) -> Result<(), DemoError> {
        let pair = self.pair()?;
        let started = self.today - Duration::days(days);
        let plan = Self::plan(days);
        for (index, session) in plan.iter().enumerate() {
            self.write_session(conn, cache, pair, started, index, session)?;
        }
        for session in Self::not_held(days) {
            self.write_not_held(conn, cache, pair, started, &session)?;
        }
        self.write_planned(conn, cache, pair, Self::next_planned_in(days))?;
        self.write_goals(conn, cache, pair, started, days)?;
        self.write_journal(conn, cache)?;
        Ok(())
    }

    fn write_session(
        &self,
        conn: &mut DbConnection,
        cache: &DocCache,
        pair: Pair,
        started: Date,
        index: usize,
        session: &DemoSession,
    ) -> Result<(), DemoError> {
        let date = Day::from(started + Duration::days(session.day)).to_string();
        let header = DocHeader::new_session(pair);
        let (mentor, mentee) = (pair.mentor_id, pair.mentee_id);
        let mut doc = Document::create(header, self.mentor.caller.actor.clone()).map_err(broken)?;
        let genesis = doc.heads();
        let (start_time, minutes, mode) = match session.kind {
            SessionKind::Shadowing => ("07:30", 450, Mode::FaceToFace),
            SessionKind::Meeting => ("14:30", 45, Mode::FaceToFace),
            SessionKind::CheckIn => ("12:15", 20, Mode::Phone),
        };
        doc.set_session_basics(mentor, session.kind, &date).map_err(broken)?;
        let details = SessionDetails {
            start_time: Some(start_time.to_owned()),
            duration_minutes: Some(minutes),
            mode: Some(mode),
            location: None,
        };
        doc.set_session_details(mentor, &details).map_err(broken)?;
        doc.edit_notes(mentor, 0, 0, NOTES[index % NOTES.len()]).map_err(broken)?;
        doc.set_my_account(mentor, "Went well overall; confidence is growing week by week.").map_err(broken)?;
        doc.set_feedback(mentor, STRENGTHS[index % STRENGTHS.len()], DEVELOPMENT[index % DEVELOPMENT.len()])
            .map_err(broken)?;
        if let Some(action) = &session.action {
            let due = Day::from(started + Duration::days(session.day + action.due_in_days)).to_string();
            let id = doc.add_action(mentor, action.text, mentee, Some(&due)).map_err(broken)?;
            if action.done {
                doc.set_action_done(mentor, &id, true).map_err(broken)?;
            }
        }
        for skill in session.skills {
            doc.add_skill(mentor, skill).map_err(broken)?;
        }
        sync(conn, cache, self.mentor, &mut doc, &genesis)?;

        // The mentee adds their side and signs; then the mentor, having received
        // it, signs too. Signing first and writing after would read as amended.
        let mut mentee_doc = Document::load(header, &doc.save(), self.mentee.caller.actor.clone()).map_err(broken)?;
        let before = mentee_doc.heads();
        mentee_doc
            .set_my_account(mentee, "A bit nervous at first but my mentor explained everything.")
            .map_err(broken)?;
        mentee_doc
            .set_mentee_feedback(mentee, "Showing me first, then watching me try.", "Nothing yet.")
            .map_err(broken)?;
        if let Some(summary) = session.shared {
            mentee_doc.set_shared_summary(mentee, summary).map_err(broken)?;
        }
        if session.signed {
            mentee_doc.sign_off(mentee).map_err(broken)?;
        }
        sync(conn, cache, self.mentee, &mut mentee_doc, &before)?;

        let before = doc.heads();
        doc.automerge().merge(mentee_doc.automerge()).map_err(broken)?;
        if session.signed {
            doc.sign_off(mentor).map_err(broken)?;
        }
        if session.amended {
            doc.edit_notes(mentor, 0, 0, "Added later: the hoist sling was the wrong size. ").map_err(broken)?;
        }
        sync(conn, cache, self.mentor, &mut doc, &before)?;
        Ok(())
    }

    /// A session that did not happen: the mentee's phone records it with the
    /// reason, as `set_session_status` does.
    fn write_not_held(
        &self,
        conn: &mut DbConnection,
        cache: &DocCache,
        pair: Pair,
        started: Date,
        session: &NotHeld,
    ) -> Result<(), DemoError> {
        let date = Day::from(started + Duration::days(session.day)).to_string();
        let mut doc =
            Document::create(DocHeader::new_session(pair), self.mentee.caller.actor.clone()).map_err(broken)?;
        let genesis = doc.heads();
        doc.set_session_basics(pair.mentee_id, session.kind, &date).map_err(broken)?;
        doc.set_session_status(pair.mentee_id, session.status, Some(session.reason)).map_err(broken)?;
        sync(conn, cache, self.mentee, &mut doc, &genesis)
    }

    /// The next session, planned on the mentee's phone as `plan_session` does.
    fn write_planned(
        &self,
        conn: &mut DbConnection,
        cache: &DocCache,
        pair: Pair,
        in_days: i64,
    ) -> Result<(), DemoError> {
        let date = Day::from(self.today + Duration::days(in_days)).to_string();
        let mut doc =
            Document::create(DocHeader::new_session(pair), self.mentee.caller.actor.clone()).map_err(broken)?;
        let genesis = doc.heads();
        doc.set_session_basics(pair.mentee_id, SessionKind::CheckIn, &date).map_err(broken)?;
        doc.set_start_time(pair.mentee_id, "12:15").map_err(broken)?;
        doc.set_session_status(pair.mentee_id, SessionStatus::Planned, None).map_err(broken)?;
        sync(conn, cache, self.mentee, &mut doc, &genesis)
    }

    /// The mentee's private journal: a reflection or two, on the mentee's phone.
    fn write_journal(&self, conn: &mut DbConnection, cache: &DocCache) -> Result<(), DemoError> {
        let owner = self.mentee.user;
        let mut doc = Document::create(DocHeader::journal(owner), self.mentee.caller.actor.clone()).map_err(broken)?;
        let genesis = doc.heads();
        for input in REFLECTIONS {
            let input = ReflectionInput {
                what_happened: input[0].to_owned(),
                feelings: input[1].to_owned(),
                went_well: input[2].to_owned(),
                to_improve: input[3].to_owned(),
                next_time: input[4].to_owned(),
            };
            doc.add_reflection(owner, &input).map_err(broken)?;
        }
        sync(conn, cache, self.mentee, &mut doc, &genesis)
    }

    fn write_goals(
        &self,
        conn: &mut DbConnection,
        cache: &DocCache,
        pair: Pair,
        started: Date,
        days: i64,
    ) -> Result<(), DemoError> {
        let mut doc = Document::create(DocHeader::goal_plan(pair), self.mentor.caller.actor.clone()).map_err(broken)?;
        let genesis = doc.heads();
        for (title, category, target, description, progress) in
            GOALS.iter().take(if days < 14 { 2 } else { GOALS.len() })
        {
            let target_date = Day::from(started + Duration::days(*target)).to_string();
            let id = doc.add_goal(pair.mentor_id, title, *category, Some(&target_date)).map_err(broken)?;
            let status = if days >= target + 7 {
                GoalStatus::Achieved
            } else if days >= 14 {
                GoalStatus::InProgress
            } else {
                GoalStatus::Agreed
            };
            doc.set_goal_status(pair.mentor_id, &id, status).map_err(broken)?;
            if status != GoalStatus::Agreed {
                doc.set_goal_description(pair.mentor_id, &id, description).map_err(broken)?;
                let on = Day::from((started + Duration::days(target / 2)).min(self.today)).to_string();
                doc.add_goal_progress(pair.mentor_id, &id, &on, progress).map_err(broken)?;
            }
        }
        sync(conn, cache, self.mentor, &mut doc, &genesis)
    }
}
