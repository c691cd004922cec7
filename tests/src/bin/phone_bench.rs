//! What a sync costs the phone: a fresh device pulling every document of a
//! pairing, a sync with nothing to do, and catching up after documents were
//! changed elsewhere, against a real `alongside serve` on a fresh database.
//! Prints JSON: per run and medians, the wall time, the phone thread's CPU time,
//! the server's CPU time, and the phone store's durable commits and document
//! bytes written.
//!
//! ```text
//! cargo build --release -p alongside-server -p alongside-tests --bin alongside-phone-bench
//! target/release/alongside-phone-bench --docs 1000 --changes 20 --changed 200 --runs 3
//! target/release/alongside-phone-bench --docs 5000 --changes 20 --changed 200 --runs 3
//! ```
//!
//! The documents are written by the mentor's device in memory (each a session
//! with `--changes` changes under the device's actor) and offered to the server
//! with raw sync requests, a thousand at a time, so seeding costs no phone store
//! writes. Each run then signs in a fresh mentee device (an empty store) and
//! measures its syncs; between the no-op sync and the catch-up, the mentor's
//! device changes `--changed` documents (one change each) on the server.
//!
//! The phone's CPU is the calling thread's time on a CPU (`/proc/thread-self/
//! schedstat`, nanoseconds): the client does its work, HTTP included, on the
//! thread that calls `sync`. The server's is from `/proc/<pid>/stat` (10 ms ticks).
//! Before each measured sync that follows writes, the bench waits for the server
//! to go idle (the compactions it runs after a write).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: fail loudly

use std::str::FromStr;
use std::time::Instant;

use alongside_server::db::Db;
use alongside_server::domain::mentorships::{self, NewMentorship};
use alongside_server::domain::people::NewPerson;
use alongside_server::domain::{Actor, Role, organisations, people};
use alongside_tests::phones::Phone;
use alongside_tests::process::ServerProcess;
use alongside_tests::{Backend, PASSWORD, TestDatabase};
use serde_json::{Value, json};
use sync_core::automerge::{ActorId, ChangeHash};
use sync_core::protocol::{self, DocOffer, SyncRequest};
use sync_core::{DocHeader, Document, MentorshipId, Pair, SessionKind, UserId};

struct Options {
    docs: usize,
    changes: usize,
    changed: usize,
    runs: usize,
    backend: Backend,
}

fn options() -> Options {
    let mut options = Options { docs: 1000, changes: 20, changed: 200, runs: 3, backend: Backend::Sqlite };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> usize {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            "--docs" => options.docs = number("--docs").max(1),
            "--changes" => options.changes = number("--changes").max(2),
            "--changed" => options.changed = number("--changed"),
            "--runs" => options.runs = number("--runs").max(1),
            "--postgres" => options.backend = Backend::Postgres,
            other => panic!("unknown option {other}; see the module doc"),
        }
    }
    options.changed = options.changed.min(options.docs);
    options
}

/// Nanoseconds the calling thread has spent on a CPU (Linux).
fn thread_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    text.split_whitespace().next().and_then(|n| n.parse().ok()).expect("schedstat runtime")
}

/// CPU seconds (user + system) a process has used so far (Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("server stat");
    let rest = stat.rsplit_once(')').expect("stat").1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    (fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap()) / 100.0
}

/// Wait until the server has used no CPU for half a second (the compactions it
/// runs after a write), so a measured sync does not share the machine with them.
fn wait_until_idle(pid: u32) {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    let mut last = cpu_seconds(pid);
    while Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let now = cpu_seconds(pid);
        if now == last {
            return;
        }
        last = now;
    }
}

/// One organisation with one pairing; returns it, the mentor's and the mentee's email.
fn seed(database_url: &str) -> (Pair, String, String) {
    let db = Db::connect(database_url, 2).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    let org = organisations::create(&mut conn, "Phone Bench Care").unwrap().id;
    let actor = Actor::system();
    let mut person = |role: Role, email: &str| {
        let new = NewPerson {
            email: email.to_owned(),
            display_name: email.to_owned(),
            roles: vec![role],
            password: PASSWORD.to_owned(),
            line_manager_id: None,
            site_id: None,
            start_date: None,
        };
        people::create(&mut conn, org, &actor, &new).unwrap()
    };
    let mentor = person(Role::Mentor, "mentor@bench.example");
    let mentee = person(Role::Mentee, "mentee@bench.example");
    let new = NewMentorship {
        mentor_id: mentor.id,
        mentee_id: mentee.id,
        started_on: None,
        site_id: None,
        programme_id: None,
    };
    let (mentorship, _) = mentorships::create(&mut conn, org, &actor, &new).unwrap();
    let pair = Pair {
        mentorship_id: MentorshipId::from_str(&mentorship.id.to_string()).unwrap(),
        mentor_id: UserId::from_str(&mentor.id.to_string()).unwrap(),
        mentee_id: UserId::from_str(&mentee.id.to_string()).unwrap(),
    };
    (pair, mentor.email, mentee.email)
}

/// The mentor's device, writing in memory and offering to the server directly.
struct Writer {
    address: String,
    token: String,
    docs: Vec<(Document, Vec<ChangeHash>)>,
}

impl Writer {
    /// Offer every document's changes after the heads the server has.
    fn offer(&mut self, which: &[usize]) {
        let agent = ureq::agent();
        for part in which.chunks(protocol::MAX_DOCUMENTS_PER_REQUEST) {
            let documents: Vec<DocOffer> = part
                .iter()
                .map(|&n| {
                    let (doc, shared) = &mut self.docs[n];
                    let heads = doc.heads();
                    let changes =
                        doc.automerge().get_changes(shared).iter().map(|c| c.raw_bytes().to_vec().into()).collect();
                    *shared = heads.clone();
                    DocOffer {
                        header: *doc.header(),
                        heads: protocol::heads_to_wire(&heads),
                        changes,
                        sync_message: None,
                    }
                })
                .collect();
            let request = SyncRequest { protocol: protocol::PROTOCOL_VERSION, documents, ..SyncRequest::default() };
            let body = protocol::encode(&request).unwrap();
            let reply = agent
                .post(&format!("{}/v1/sync", self.address))
                .set("Authorization", &format!("Bearer {}", self.token))
                .set("Content-Type", protocol::CONTENT_TYPE)
                .send_bytes(&body)
                .unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut reply.into_reader(), &mut bytes).unwrap();
            let reply = protocol::decode_response(&bytes).unwrap();
            assert!(reply.documents.iter().all(|d| d.rejection.is_none()), "the server refused a seeded document");
        }
    }
}

/// One measured sync of `phone`.
fn measure(phone: &Phone, server_pid: u32) -> Value {
    let stats = phone.client.store_write_stats().unwrap();
    let server_cpu = cpu_seconds(server_pid);
    let cpu = thread_cpu_ns();
    let start = Instant::now();
    let report = phone.client.sync().unwrap();
    let wall = start.elapsed();
    let cpu = thread_cpu_ns() - cpu;
    let server_cpu = cpu_seconds(server_pid) - server_cpu;
    let after = phone.client.store_write_stats().unwrap();
    json!({
        "wall_ms": wall.as_secs_f64() * 1000.0,
        "phone_cpu_ms": cpu as f64 / 1e6,
        "server_cpu_ms": server_cpu * 1000.0,
        "store_commits": after.commits - stats.commits,
        "store_document_bytes": after.document_bytes - stats.document_bytes,
        "round_trips": report.round_trips,
        "docs_received": report.docs_received,
        "bytes_sent": report.bytes_sent,
        "bytes_received": report.bytes_received,
    })
}

fn median(runs: &[Value], key: &str) -> f64 {
    let mut values: Vec<f64> = runs.iter().map(|r| r[key].as_f64().unwrap()).collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn summary(runs: &[Value]) -> Value {
    let keys = [
        "wall_ms",
        "phone_cpu_ms",
        "server_cpu_ms",
        "store_commits",
        "store_document_bytes",
        "bytes_sent",
        "bytes_received",
    ];
    let medians: serde_json::Map<String, Value> =
        keys.iter().map(|k| ((*k).to_owned(), json!(median(runs, k)))).collect();
    json!({ "median": medians, "runs": runs })
}

fn main() {
    let options = options();
    let database = TestDatabase::create(options.backend);
    let data_dir = tempfile::tempdir().unwrap();
    let (pair, mentor_email, mentee_email) = seed(&database.url);
    let server = ServerProcess::start(&database.url, data_dir.path(), &"ab".repeat(32));
    let server_pid = server.pid().expect("server pid");

    let mentor = Phone::login_at(&server.address, &mentor_email);
    let account = mentor.client.account().unwrap();
    let hex = &account.actor_id;
    let actor_bytes: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let actor = ActorId::from(actor_bytes);
    let started = Instant::now();
    let docs = (0..options.docs)
        .map(|i| {
            let header = DocHeader::new_session(pair);
            let mut doc = Document::create(header, actor.clone()).unwrap();
            let date = format!("2026-03-{:02}", 1 + i % 28);
            doc.set_session_basics(pair.mentor_id, SessionKind::Shadowing, &date).unwrap();
            for n in 0..options.changes - 2 {
                doc.edit_notes(pair.mentor_id, 0, 0, &format!("Shift note {n}: helped with the morning round. "))
                    .unwrap();
            }
            (doc, Vec::new())
        })
        .collect();
    let mut writer = Writer { address: server.address.clone(), token: mentor.access_token(), docs };
    let all: Vec<usize> = (0..options.docs).collect();
    writer.offer(&all);
    wait_until_idle(server_pid);
    let seeding_s = started.elapsed().as_secs_f64();

    let (mut fresh, mut noop, mut catch_up) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..options.runs {
        let mentee = Phone::login_at(&server.address, &mentee_email);
        fresh.push(measure(&mentee, server_pid));
        noop.push(measure(&mentee, server_pid));
        assert_eq!(noop.last().unwrap()["docs_received"], json!(0), "nothing to do");
        // Documents changed elsewhere: a different slice each run.
        let changed: Vec<usize> = (0..options.changed).map(|n| (run * options.changed + n) % options.docs).collect();
        for &n in &changed {
            let (doc, _) = &mut writer.docs[n];
            doc.edit_notes(pair.mentor_id, 0, 0, &format!("Added after the shift (run {run}). ")).unwrap();
        }
        writer.offer(&changed);
        wait_until_idle(server_pid);
        catch_up.push(measure(&mentee, server_pid));
        assert_eq!(catch_up.last().unwrap()["docs_received"], json!(options.changed), "catch-up received all");
    }
    let report = json!({
        "docs": options.docs,
        "changes_per_doc": options.changes,
        "changed": options.changed,
        "backend": format!("{:?}", options.backend),
        "seeding_s": seeding_s,
        "fresh_pull": summary(&fresh),
        "noop_sync": summary(&noop),
        "catch_up": summary(&catch_up),
        "fresh_pull_phone_cpu_us_per_doc": median(&fresh, "phone_cpu_ms") * 1000.0 / options.docs as f64,
        "fresh_pull_wall_us_per_doc": median(&fresh, "wall_ms") * 1000.0 / options.docs as f64,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
