//! A believable demo organisation, "Riverside Care": a care home and a community
//! team, a registered manager (admin), a programme coordinator, three mentors and
//! six new care assistants paired at different points of their first three
//! months. Seeding is idempotent: when the organisation exists, only the logins
//! are returned again.
//!
//! Each pair also has a phone each and a history: sessions with notes, accounts,
//! feedback, actions and sign-offs, and a goal plan. These are real sync-core
//! documents written with the phones' actors and stored through the sync engine,
//! exactly as a phone's sync would store them, so the projections the console
//! reads come from the documents and the pair's apps show the same history.
//! Some things are left for a coordinator to notice: an overdue day 60 check-in,
//! an overdue action, a session amended after sign-off and a phone holding
//! unsynced changes.

use std::collections::HashMap;
use std::io::Write;

use sync_core::automerge::{ActorId, ChangeHash};
use sync_core::protocol::{self, DocOffer, SyncRequest};
use sync_core::{
    DocHeader, Document, DocumentId, GoalCategory, GoalStatus, Mode, Pair, SessionDetails, SessionKind, UserId,
};
use time::{Date, Duration};

use crate::db::people::Person;
use crate::db::{self, DbConnection, organisations, people};
use crate::domain::mentorships::{self as mentorship_ops, MentorshipView, NewMentorship};
use crate::domain::people::NewPerson;
use crate::domain::{self, Actor, Role, SiteKind};
use crate::error::ApiError;
use crate::sync::cache::DocCache;
use crate::sync::engine::{self, Caller};

pub const ORG_NAME: &str = "Riverside Care";
/// Shared by every demo account; printed with the logins. Demo data only.
pub const PASSWORD: &str = "alongside-demo";
const CARE_HOME: &str = "Riverside House";
const COMMUNITY_TEAM: &str = "Riverside Community Team";

struct DemoPerson {
    name: &'static str,
    email: &'static str,
    roles: &'static [Role],
    site: &'static str,
    line_manager: Option<&'static str>,
}

const PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        name: "Helen Marsh",
        email: "helen.marsh@riverside-care.example",
        roles: &[Role::Admin],
        site: CARE_HOME,
        line_manager: None,
    },
    DemoPerson {
        name: "Grace Okafor",
        email: "grace.okafor@riverside-care.example",
        roles: &[Role::Coordinator],
        site: COMMUNITY_TEAM,
        line_manager: Some("helen.marsh@riverside-care.example"),
    },
    DemoPerson {
        name: "Amara Mensah",
        email: "amara.mensah@riverside-care.example",
        roles: &[Role::Mentor],
        site: CARE_HOME,
        line_manager: Some("helen.marsh@riverside-care.example"),
    },
    DemoPerson {
        name: "Daniel Kowalski",
        email: "daniel.kowalski@riverside-care.example",
        roles: &[Role::Mentor],
        site: CARE_HOME,
        line_manager: Some("helen.marsh@riverside-care.example"),
    },
    DemoPerson {
        name: "Siobhan Reilly",
        email: "siobhan.reilly@riverside-care.example",
        roles: &[Role::Mentor],
        site: COMMUNITY_TEAM,
        line_manager: Some("grace.okafor@riverside-care.example"),
    },
    DemoPerson {
        name: "Joe Turner",
        email: "joe.turner@riverside-care.example",
        roles: &[Role::Mentee],
        site: CARE_HOME,
        line_manager: Some("helen.marsh@riverside-care.example"),
    },
    DemoPerson {
        name: "Fatima Begum",
        email: "fatima.begum@riverside-care.example",
        roles: &[Role::Mentee],
        site: CARE_HOME,
        line_manager: Some("helen.marsh@riverside-care.example"),
    },
    DemoPerson {
        name: "Liam Hughes",
        email: "liam.hughes@riverside-care.example",
        roles: &[Role::Mentee],
        site: CARE_HOME,
        line_manager: Some("helen.marsh@riverside-care.example"),
    },
    DemoPerson {
        name: "Zofia Nowak",
        email: "zofia.nowak@riverside-care.example",
        roles: &[Role::Mentee],
        site: CARE_HOME,
        line_manager: Some("helen.marsh@riverside-care.example"),
    },
    DemoPerson {
        name: "Kwame Boateng",
        email: "kwame.boateng@riverside-care.example",
        roles: &[Role::Mentee],
        site: COMMUNITY_TEAM,
        line_manager: Some("grace.okafor@riverside-care.example"),
    },
    DemoPerson {
        name: "Ellie Parker",
        email: "ellie.parker@riverside-care.example",
        roles: &[Role::Mentee],
        site: COMMUNITY_TEAM,
        line_manager: Some("grace.okafor@riverside-care.example"),
    },
];

/// (mentor email, mentee email, days since the pairing started)
const PAIRINGS: &[(&str, &str, i64)] = &[
    ("amara.mensah@riverside-care.example", "joe.turner@riverside-care.example", 3),
    ("amara.mensah@riverside-care.example", "fatima.begum@riverside-care.example", 2 * 7),
    ("daniel.kowalski@riverside-care.example", "liam.hughes@riverside-care.example", 5 * 7),
    ("daniel.kowalski@riverside-care.example", "zofia.nowak@riverside-care.example", 8 * 7),
    ("siobhan.reilly@riverside-care.example", "kwame.boateng@riverside-care.example", 10 * 7),
    ("siobhan.reilly@riverside-care.example", "ellie.parker@riverside-care.example", 13 * 7),
];

/// One printed login.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: &'static str,
    pub name: &'static str,
    pub roles: &'static [Role],
}

/// What `demo` prints.
#[derive(Debug, Clone)]
pub struct DemoLogins {
    pub org_id: String,
    /// False when the organisation already existed.
    pub created: bool,
    pub password: &'static str,
    pub logins: Vec<DemoLogin>,
}

/// Creates the demo organisation unless it exists, in one transaction.
pub fn seed(conn: &mut DbConnection) -> Result<DemoLogins, ApiError> {
    let logins = PEOPLE.iter().map(|p| DemoLogin { email: p.email, name: p.name, roles: p.roles }).collect();
    if let Some(org) = organisations::find_by_name(conn, ORG_NAME)? {
        return Ok(DemoLogins { org_id: org.id, created: false, password: PASSWORD, logins });
    }
    let org_id = crate::db::write_transaction(conn, create)?;
    Ok(DemoLogins { org_id, created: true, password: PASSWORD, logins })
}

fn create(conn: &mut DbConnection) -> Result<String, ApiError> {
    let actor = Actor::system();
    let org = domain::organisations::create(conn, ORG_NAME)?;
    let care_home = domain::organisations::create_site(conn, &org.id, &actor, CARE_HOME, SiteKind::CareHome)?;
    let community = domain::organisations::create_site(conn, &org.id, &actor, COMMUNITY_TEAM, SiteKind::CommunityTeam)?;
    let today = db::today();
    let started = |mentee_email: &str| {
        PAIRINGS.iter().find(|(_, mentee, _)| *mentee == mentee_email).map(|(_, _, days)| today - Duration::days(*days))
    };
    // PEOPLE lists managers before the people they manage.
    for person in PEOPLE {
        let line_manager_id = match person.line_manager {
            Some(email) => {
                Some(people::find_by_email(conn, email)?.ok_or_else(|| ApiError::not_found("line manager"))?.id)
            }
            None => None,
        };
        let site_id = if person.site == CARE_HOME { &care_home.id } else { &community.id };
        domain::people::create(
            conn,
            &org.id,
            &actor,
            &NewPerson {
                email: person.email.to_owned(),
                display_name: person.name.to_owned(),
                roles: person.roles.to_vec(),
                password: PASSWORD.to_owned(),
                line_manager_id,
                site_id: Some(site_id.clone()),
                start_date: started(person.email).map(db::date_text),
            },
        )?;
    }
    let mut phones = Phones::default();
    let cache = DocCache::with_budget(64 << 20);
    for (mentor, mentee, days) in PAIRINGS {
        let mentor = person(conn, mentor)?;
        let mentee = person(conn, mentee)?;
        let new = NewMentorship {
            mentor_id: mentor.id.clone(),
            mentee_id: mentee.id.clone(),
            started_on: Some(today - Duration::days(*days)),
            site_id: None,
            programme_id: None,
        };
        let (pairing, _) = mentorship_ops::create(conn, &org.id, &actor, &new)?;
        let mentor_phone = phones.of(conn, &mentor)?;
        let mentee_phone = phones.of(conn, &mentee)?;
        let history = PairHistory { pairing: &pairing, mentor: &mentor_phone, mentee: &mentee_phone, today };
        history.write(conn, &cache, *days)?;
    }
    Ok(org.id)
}

fn person(conn: &mut DbConnection, email: &str) -> Result<Person, ApiError> {
    people::find_by_email(conn, email)?.ok_or_else(|| ApiError::not_found("person"))
}

/// Something in the demo data that should never fail.
fn broken(what: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("the demo data could not be written: {what}"))
}

/// A demo person's phone: a registered device and what its syncs are made as.
#[derive(Clone)]
struct Phone {
    caller: Caller,
    user: UserId,
}

#[derive(Default)]
struct Phones(HashMap<String, Phone>);

impl Phones {
    /// The person's phone, registered on first use.
    fn of(&mut self, conn: &mut DbConnection, person: &Person) -> Result<Phone, ApiError> {
        if let Some(phone) = self.0.get(&person.id) {
            return Ok(phone.clone());
        }
        let first_name = person.display_name.split_whitespace().next().unwrap_or("My");
        let device = domain::devices::register(conn, person, &format!("{first_name}'s phone"))?;
        let user: UserId = person.id.parse().map_err(broken)?;
        let actor = ActorId::from(hex::decode(&device.actor_id).map_err(broken)?);
        let phone =
            Phone { caller: Caller { person: user, org_id: person.org_id.clone(), device_id: device.id, actor }, user };
        self.0.insert(person.id.clone(), phone.clone());
        Ok(phone)
    }
}

/// Sends what `doc` has beyond `since` from `phone`, as the phone's sync would.
fn sync(
    conn: &mut DbConnection,
    cache: &DocCache,
    phone: &Phone,
    doc: &mut Document,
    since: &[ChangeHash],
) -> Result<(), ApiError> {
    let heads = doc.heads();
    let changes = doc.automerge().get_changes(since).iter().map(|c| c.raw_bytes().to_vec().into()).collect();
    let offer = DocOffer { header: *doc.header(), heads: protocol::heads_to_wire(&heads), changes, sync_message: None };
    let request = SyncRequest {
        protocol: protocol::PROTOCOL_VERSION,
        complete_inventory: false,
        documents: vec![offer],
        oldest_unsynced_secs: None,
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
}

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
const GOALS: &[(&str, GoalCategory, i64)] = &[
    ("Complete moving and handling sign-off", GoalCategory::Skill, 28),
    ("Lead a handover with support", GoalCategory::Confidence, 56),
    ("Take regular breaks on long shifts", GoalCategory::Wellbeing, 42),
    ("Start the Care Certificate workbook", GoalCategory::Career, 84),
];

/// A pairing's history up to today.
struct PairHistory<'a> {
    pairing: &'a MentorshipView,
    mentor: &'a Phone,
    mentee: &'a Phone,
    today: Date,
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

    fn pair(&self) -> Result<Pair, ApiError> {
        Ok(Pair {
            mentorship_id: self.pairing.id.parse().map_err(broken)?,
            mentor_id: self.mentor.user,
            mentee_id: self.mentee.user,
        })
    }

    fn write(&self, conn: &mut DbConnection, cache: &DocCache, days: i64) -> Result<(), ApiError> {
        let pair = self.pair()?;
        let started = self.today - Duration::days(days);
        let plan = Self::plan(days);
        for (index, session) in plan.iter().enumerate() {
            self.write_session(conn, cache, pair, started, index, session)?;
        }
        self.write_goals(conn, cache, pair, started, days)?;
        // The ten-week pairing's mentee last synced with a change that has been
        // waiting on the phone since yesterday (no signal on the community round).
        let behind = (days == 10 * 7).then(|| Duration::hours(30));
        let request = SyncRequest {
            protocol: protocol::PROTOCOL_VERSION,
            complete_inventory: false,
            documents: Vec::new(),
            oldest_unsynced_secs: behind.and_then(|age| u64::try_from(age.whole_seconds()).ok()),
        };
        engine::handle(conn, cache, &self.mentee.caller, request).map(drop)
    }

    fn write_session(
        &self,
        conn: &mut DbConnection,
        cache: &DocCache,
        pair: Pair,
        started: Date,
        index: usize,
        session: &DemoSession,
    ) -> Result<(), ApiError> {
        let date = db::date_text(started + Duration::days(session.day));
        let header = DocHeader::session(DocumentId::new_random(), pair);
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
            let due = db::date_text(started + Duration::days(session.day + action.due_in_days));
            let id = doc.add_action(mentor, action.text, mentee, Some(&due)).map_err(broken)?;
            if action.done {
                doc.set_action_done(mentor, &id, true).map_err(broken)?;
            }
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

    fn write_goals(
        &self,
        conn: &mut DbConnection,
        cache: &DocCache,
        pair: Pair,
        started: Date,
        days: i64,
    ) -> Result<(), ApiError> {
        let mut doc = Document::create(DocHeader::goal_plan(pair), self.mentor.caller.actor.clone()).map_err(broken)?;
        let genesis = doc.heads();
        for (title, category, target) in GOALS.iter().take(if days < 14 { 2 } else { GOALS.len() }) {
            let target_date = db::date_text(started + Duration::days(*target));
            let id = doc.add_goal(pair.mentor_id, title, *category, Some(&target_date)).map_err(broken)?;
            let status = if days >= target + 7 {
                GoalStatus::Achieved
            } else if days >= 14 {
                GoalStatus::InProgress
            } else {
                GoalStatus::Agreed
            };
            doc.set_goal_status(pair.mentor_id, &id, status).map_err(broken)?;
        }
        sync(conn, cache, self.mentor, &mut doc, &genesis)
    }
}

/// Prints the logins: one line per account with email, password, roles, name.
pub fn print(demo: &DemoLogins, out: &mut impl Write) {
    let verb = if demo.created { "Created" } else { "Found" };
    let mut text = format!(
        "{verb} the demo organisation \"{ORG_NAME}\" ({}).\nDemo logins (every account uses the password shown):\n",
        demo.org_id
    );
    for login in &demo.logins {
        let roles: Vec<&str> = login.roles.iter().map(|role| role.as_str()).collect();
        text.push_str(&format!("  {:<42} {:<16} {:<12} {}\n", login.email, demo.password, roles.join(","), login.name));
    }
    text.push_str("The manager console is at /console: sign in there as the coordinator or the admin.\n");
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
