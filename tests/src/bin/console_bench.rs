//! Render benchmark for the console's dashboard: how long the server takes to
//! read the projections and render the dashboard fragment (queries, the
//! attention rules, the SVG chart and the HTML), for the demo organisation and
//! for a programme of 1,000 pairings with sessions. Prints JSON.
//!
//! ```text
//! cargo build --release -p alongside-tests --bin console_bench
//! target/release/console_bench [--iterations 30] [--pairings 1000] [--postgres]
//! ```
//!
//! The demo organisation is written through the sync engine, as phones would.
//! The large programme's projection rows are written directly with the
//! projection store functions (12 sessions, 3 goals and 2 actions per pairing,
//! a phone each): a real document history for 12,000 sessions would only slow
//! the set-up, and the dashboard reads nothing else. Its people never sign in,
//! so they get a placeholder password hash.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: fail loudly

use std::time::Instant;

use alongside_server::console::dashboard::render_dashboard_fragment;
use alongside_server::db::devices::Device;
use alongside_server::db::documents::{self, NewDocument};
use alongside_server::db::mentorships::{self, Mentorship};
use alongside_server::db::people::{self, Person};
use alongside_server::db::projections::{self, Owner};
use alongside_server::db::{self, Db, DbConnection};
use alongside_server::domain::mentorships::default_programme;
use alongside_server::domain::{DomainError, organisations};
use alongside_server::model::{Day, DeviceId, MentorshipId, MentorshipStatus, OrgId, PersonId, Timestamp};
use alongside_server::sync::projection::{ActionProjection, GoalProjection, SessionProjection};
use alongside_tests::{Backend, TestDatabase};
use serde_json::json;
use sync_core::{DocHeader, Pair};
use time::{Duration, OffsetDateTime};

struct Options {
    iterations: usize,
    pairings: usize,
    backend: Backend,
}

fn options() -> Options {
    let mut options = Options { iterations: 30, pairings: 1000, backend: Backend::Sqlite };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{arg} needs a number"));
        match arg.as_str() {
            "--iterations" => options.iterations = number(),
            "--pairings" => options.pairings = number(),
            "--postgres" => options.backend = Backend::Postgres,
            other => panic!("unknown option {other}; see the module doc"),
        }
    }
    options
}

/// Renders the dashboard `iterations` times; returns (median, min, max) in ms
/// and the fragment's size.
fn measure(conn: &mut DbConnection, org_id: OrgId, iterations: usize) -> serde_json::Value {
    let mut times = Vec::with_capacity(iterations);
    let mut bytes = 0;
    for _ in 0..iterations.max(1) {
        let started = Instant::now();
        let html = render_dashboard_fragment(conn, org_id, OffsetDateTime::now_utc()).unwrap().into_string();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        bytes = html.len();
    }
    times.sort_by(f64::total_cmp);
    let round = |ms: f64| (ms * 100.0).round() / 100.0;
    json!({
        "iterations": times.len(),
        "median_ms": round(times[times.len() / 2]),
        "min_ms": round(times[0]),
        "max_ms": round(times[times.len() - 1]),
        "html_bytes": bytes,
    })
}

fn count(conn: &mut DbConnection, table: &str, org_id: OrgId) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match conn {
        DbConnection::Sqlite(_) => format!("SELECT COUNT(*) AS n FROM {table} WHERE org_id = ?"),
        DbConnection::Pg(_) => format!("SELECT COUNT(*) AS n FROM {table} WHERE org_id = $1"),
    };
    diesel::sql_query(sql).bind::<diesel::sql_types::Text, _>(org_id.to_string()).get_result::<Count>(conn).unwrap().n
}

/// A programme of `pairings` pairings, each with a history of projections.
fn seed_large(conn: &mut DbConnection, pairings: usize) -> Result<OrgId, DomainError> {
    db::write_transaction(conn, |conn| {
        let org = organisations::create(conn, "Benchmark Care")?;
        let programme = default_programme(conn, org.id)?;
        let now = OffsetDateTime::now_utc();
        let today = now.date();
        let stamp = Timestamp::from(now);
        let person = |n: usize, role: &str| Person {
            id: PersonId::new_random(),
            org_id: org.id,
            email: format!("{role}{n}@bench.example"),
            display_name: format!("{} {n}", if role == "mentor" { "Mentor" } else { "Mentee" }),
            is_mentee: role == "mentee",
            is_mentor: role == "mentor",
            is_coordinator: false,
            is_admin: false,
            line_manager_id: None,
            site_id: None,
            start_date: None,
            password_hash: "placeholder: benchmark people never sign in".into(),
            created_at: stamp,
            deactivated_at: None,
        };
        let mentors: Vec<Person> = (0..pairings.div_ceil(3)).map(|n| person(n, "mentor")).collect();
        for mentor in &mentors {
            people::insert(conn, mentor)?;
        }
        let device = |person: &Person| Device {
            id: DeviceId::new_random(),
            person_id: person.id,
            org_id: org.id,
            name: format!("{}'s phone", person.display_name),
            actor_id: alongside_server::auth::tokens::new_actor_id(),
            created_at: stamp,
            last_seen_at: Some(stamp),
            revoked_at: None,
            sign_in_epoch: 0,
        };
        for (n, mentor) in mentors.iter().enumerate() {
            let phone = device(mentor);
            alongside_server::db::devices::insert(conn, &phone)?;
            projections::record_device_sync(conn, phone.id, org.id, stamp, (n % 7 == 0).then_some(30 * 3600))?;
        }
        for n in 0..pairings {
            let mentee = person(n, "mentee");
            people::insert(conn, &mentee)?;
            let phone = device(&mentee);
            alongside_server::db::devices::insert(conn, &phone)?;
            projections::record_device_sync(conn, phone.id, org.id, stamp, None)?;
            let mentor = &mentors[n / 3];
            let started = today - Duration::days(i64::try_from(n % 120).unwrap_or(0) + 14);
            let mentorship = Mentorship {
                id: MentorshipId::new_random(),
                org_id: org.id,
                programme_id: programme.id,
                site_id: None,
                mentor_id: mentor.id,
                mentee_id: mentee.id,
                status: if n % 10 == 9 { MentorshipStatus::Paused } else { MentorshipStatus::Active },
                started_on: Some(Day::from(started)),
                ended_on: None,
                end_reason: None,
                created_at: stamp,
                pause_reason: (n % 10 == 9).then(|| "Annual leave".to_owned()),
            };
            mentorships::insert(conn, &mentorship)?;
            let pair = Pair { mentorship_id: mentorship.id, mentor_id: mentor.id, mentee_id: mentee.id };
            for s in 0..12_i64 {
                let header = DocHeader::new_session(pair);
                let id = header.id;
                let header_json = serde_json::to_string(&header).unwrap();
                documents::insert_if_absent(
                    conn,
                    &NewDocument {
                        id,
                        org_id: org.id,
                        kind: "session",
                        mentorship_id: Some(mentorship.id),
                        owner_id: None,
                        group_id: None,
                        header: &header_json,
                        created_at: stamp,
                        updated_at: stamp,
                    },
                )?;
                let date = started + Duration::days(1 + s * 6);
                let kind = ["shadowing", "check_in", "meeting"][usize::try_from(s % 3).unwrap_or(0)];
                let projection = SessionProjection {
                    kind: Some(kind.into()),
                    session_date: Some(Day::from(date).to_string()),
                    start_time: Some("07:30".into()),
                    duration_minutes: Some(if kind == "shadowing" { 450 } else { 30 }),
                    mode: Some("face_to_face".into()),
                    status: if s == 5 { "cancelled" } else { "logged" }.into(),
                    status_reason: (s == 5).then(|| "No cover on the unit".into()),
                    mentor_signed: s < 10,
                    mentee_signed: s < 10,
                    amended_after_sign_off: n % 50 == 0 && s == 3,
                    amended_parts: String::new(),
                    shared_summary: None,
                    actions: if s % 6 == 0 {
                        vec![ActionProjection {
                            action_id: db::new_id(),
                            due_on: Some(Day::from(date + Duration::days(14)).to_string()),
                            done: s == 0,
                        }]
                    } else {
                        Vec::new()
                    },
                    skills: if kind == "shadowing" {
                        vec!["Moving and handling".into(), "Infection prevention and control".into()]
                    } else {
                        Vec::new()
                    },
                };
                let owner = Owner { document_id: id, org_id: org.id, mentorship_id: mentorship.id };
                projections::replace_session(conn, owner, &projection, stamp)?;
            }
            let plan = DocHeader::goal_plan(pair);
            let plan_id = plan.id;
            let plan_json = serde_json::to_string(&plan).unwrap();
            documents::insert_if_absent(
                conn,
                &NewDocument {
                    id: plan_id,
                    org_id: org.id,
                    kind: "goal_plan",
                    mentorship_id: Some(mentorship.id),
                    owner_id: None,
                    group_id: None,
                    header: &plan_json,
                    created_at: stamp,
                    updated_at: stamp,
                },
            )?;
            let goals: Vec<GoalProjection> = ["skill", "confidence", "wellbeing"]
                .iter()
                .enumerate()
                .map(|(g, category)| GoalProjection {
                    goal_id: db::new_id(),
                    category: (*category).into(),
                    status: if g == 0 { "achieved" } else { "in_progress" }.into(),
                    target_date: Some(
                        Day::from(started + Duration::days(30 * (i64::try_from(g).unwrap_or(0) + 1))).to_string(),
                    ),
                })
                .collect();
            let owner = Owner { document_id: plan_id, org_id: org.id, mentorship_id: mentorship.id };
            projections::replace_goals(conn, owner, &goals)?;
        }
        Ok(org.id)
    })
}

fn main() {
    let options = options();
    let database = TestDatabase::create(options.backend);
    let db = Db::connect(&database.url, 2).expect("open the database");
    db.migrate().expect("migrate");
    let mut conn = db.get().expect("a connection");

    let demo = alongside_server::demo::seed(&mut conn).expect("seed the demo organisation");
    let demo_result = measure(&mut conn, demo.org_id, options.iterations);
    let demo_sessions = count(&mut conn, "session_projections", demo.org_id);

    let seeding = Instant::now();
    let org_id = seed_large(&mut conn, options.pairings).expect("seed the large programme");
    let seed_secs = seeding.elapsed().as_secs_f64();
    let large_result = measure(&mut conn, org_id, options.iterations);
    let large_sessions = count(&mut conn, "session_projections", org_id);

    let report = json!({
        "benchmark": "console dashboard fragment render (queries + rules + SVG chart + HTML)",
        "backend": options.backend.to_string(),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "demo": { "pairings": 6, "sessions": demo_sessions, "render": demo_result },
        "large": {
            "pairings": options.pairings,
            "sessions": large_sessions,
            "seed_seconds": (seed_secs * 10.0).round() / 10.0,
            "render": large_result,
        },
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
