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
//! an overdue action, a session amended after sign-off, a phone holding
//! unsynced changes, day 30 survey answers from only four mentees (shown as
//! "fewer than 5 responses") and a concern about a pairing, acknowledged.

mod agreements_groups;
mod history;
mod scheme;
mod voices;

use std::io::Write;

use time::Duration;

use self::history::{PairHistory, Phones};
use crate::db::people::Person;
use crate::db::{DbConnection, DbError, organisations, people};
use crate::domain::mentorships::{self as mentorship_ops, NewMentorship};
use crate::domain::people::NewPerson;
use crate::domain::{self, Actor, DomainError, Role, SiteKind};
use crate::model::{Day, OrgId};
use crate::sync::SyncError;
use crate::sync::cache::DocCache;

/// Why the demo organisation could not be seeded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// Something in the demo data that should never fail did.
    #[error("the demo data could not be written: {0}")]
    Broken(String),
}

impl From<DbError> for DemoError {
    fn from(error: DbError) -> Self {
        Self::Domain(error.into())
    }
}

impl From<diesel::result::Error> for DemoError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Domain(error.into())
    }
}

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
    pub org_id: OrgId,
    /// False when the organisation already existed.
    pub created: bool,
    pub password: &'static str,
    pub logins: Vec<DemoLogin>,
}

/// Creates the demo organisation unless it exists, in one transaction.
pub fn seed(conn: &mut DbConnection) -> Result<DemoLogins, DemoError> {
    let logins = PEOPLE.iter().map(|p| DemoLogin { email: p.email, name: p.name, roles: p.roles }).collect();
    if let Some(org) = organisations::find_by_name(conn, ORG_NAME)? {
        return Ok(DemoLogins { org_id: org.id, created: false, password: PASSWORD, logins });
    }
    let org_id = crate::db::write_transaction(conn, create)?;
    Ok(DemoLogins { org_id, created: true, password: PASSWORD, logins })
}

fn create(conn: &mut DbConnection) -> Result<OrgId, DemoError> {
    let actor = Actor::system();
    let org = domain::organisations::create(conn, ORG_NAME)?;
    let care_home = domain::organisations::create_site(conn, org.id, &actor, CARE_HOME, SiteKind::CareHome)?;
    let community = domain::organisations::create_site(conn, org.id, &actor, COMMUNITY_TEAM, SiteKind::CommunityTeam)?;
    let today = Day::today().date();
    let started = |mentee_email: &str| {
        PAIRINGS.iter().find(|(_, mentee, _)| *mentee == mentee_email).map(|(_, _, days)| today - Duration::days(*days))
    };
    // PEOPLE lists managers before the people they manage.
    for person in PEOPLE {
        let line_manager_id = match person.line_manager {
            Some(email) => {
                Some(people::find_by_email(conn, org.id, email)?.ok_or(DomainError::not_found("line manager"))?.id)
            }
            None => None,
        };
        let site_id = if person.site == CARE_HOME { care_home.id } else { community.id };
        domain::people::create(
            conn,
            org.id,
            &actor,
            &NewPerson {
                email: person.email.to_owned(),
                display_name: person.name.to_owned(),
                roles: person.roles.to_vec(),
                password: PASSWORD.to_owned(),
                line_manager_id,
                site_id: Some(site_id),
                start_date: started(person.email).map(|date| Day::from(date).to_string()),
            },
        )?;
    }
    let mut phones = Phones::default();
    let cache = DocCache::with_budget(64 << 20);
    let mut waiting = None;
    for (mentor, mentee, days) in PAIRINGS {
        let mentor = person(conn, org.id, mentor)?;
        let mentee = person(conn, org.id, mentee)?;
        let new = NewMentorship {
            mentor_id: mentor.id,
            mentee_id: mentee.id,
            started_on: Some(Day::from(today - Duration::days(*days))),
            site_id: None,
            programme_id: None,
        };
        let (pairing, _) = mentorship_ops::create(conn, org.id, &actor, &new)?;
        let mentor_phone = phones.of(conn, &mentor)?;
        let mentee_phone = phones.of(conn, &mentee)?;
        let history = PairHistory { pairing: &pairing, mentor: &mentor_phone, mentee: &mentee_phone, today };
        history.write(conn, &cache, *days)?;
        // The ten-week pairing's mentee has a change waiting since yesterday.
        if *days == 10 * 7 {
            waiting = Some(mentee_phone);
        }
    }
    scheme::seed(conn, org.id)?;
    agreements_groups::write(conn, &cache, &mut phones, org.id, today)?;
    voices::write(conn, &cache, &mut phones, org.id, today)?;
    if let Some(phone) = waiting {
        history::report_waiting(conn, &cache, &phone, Duration::hours(30))?;
    }
    Ok(org.id)
}

fn person(conn: &mut DbConnection, org_id: OrgId, email: &str) -> Result<Person, DemoError> {
    Ok(people::find_by_email(conn, org_id, email)?.ok_or(DomainError::not_found("person"))?)
}

/// Something in the demo data that should never fail.
fn broken(what: impl std::fmt::Display) -> DemoError {
    DemoError::Broken(what.to_string())
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
