//! What a sync costs a phone holding many documents (issue 12): a no-op sync, a
//! catch-up of documents changed elsewhere, and a fresh pull, each timed on the
//! phone (its thread's CPU, the wall clock) with the bytes it sent and received.
//!
//! ```sh
//! cargo build --release -p alongside-server -p alongside-tests
//! target/release/alongside-cursor-bench --docs 1000 --edits 20 --changed 200 --runs 3
//! ```
//!
//! A real `alongside serve` on a fresh SQLite database (`--postgres` for
//! PostgreSQL through `TEST_DATABASE_URL`); the phones are real sync-core clients
//! with their stores, in this process. The writer phone makes `--docs` sessions
//! of `--edits` edits each; the reader phone pulls them, then each run measures
//! a no-op sync and a catch-up of `--changed` sessions the writer edited, and a
//! fresh device's pull. Medians of `--runs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a measuring tool

use std::time::{Duration, Instant};

use alongside_tests::phones::Phone;
use alongside_tests::process::{ServerProcess, run_cli};
use alongside_tests::{Backend, PASSWORD, TestDatabase};
use sync_core::{SessionKind, SyncReport};

struct Options {
    backend: Backend,
    docs: usize,
    edits: usize,
    changed: usize,
    runs: usize,
}

fn options() -> Options {
    let mut options = Options { backend: Backend::Sqlite, docs: 1000, edits: 20, changed: 200, runs: 3 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || args.next().and_then(|v| v.parse().ok()).expect("a number after the option");
        match arg.as_str() {
            "--postgres" => options.backend = Backend::Postgres,
            "--docs" => options.docs = number(),
            "--edits" => options.edits = number(),
            "--changed" => options.changed = number(),
            "--runs" => options.runs = number(),
            other => panic!("unknown option {other}"),
        }
    }
    options
}

/// CPU time of the calling thread: the client syncs on the caller's thread.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let nanos: u64 = text.split_whitespace().next().and_then(|n| n.parse().ok()).expect("run time");
    Duration::from_nanos(nanos)
}

struct Measured {
    report: SyncReport,
    cpu: Duration,
    wall: Duration,
}

fn measure(phone: &Phone) -> Measured {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    let report = phone.client.sync().unwrap();
    Measured { report, cpu: thread_cpu() - cpu, wall: wall.elapsed() }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let options = options();
    let database = TestDatabase::create(options.backend);
    let data_dir = tempfile::tempdir().unwrap();
    run_cli(&database.url, &["migrate"]);
    let org = run_cli(&database.url, &["org", "create", "--name", "Bench Care"]).trim().to_owned();
    let (mentor, mentee) = ("mentor@bench.example", "mentee@bench.example");
    for (email, role) in [(mentor, "mentor"), (mentee, "mentee")] {
        let args =
            ["user", "add", "--org", &org, "--email", email, "--name", email, "--role", role, "--password", PASSWORD];
        run_cli(&database.url, &args);
    }
    let mentorship =
        run_cli(&database.url, &["pair", "--org", &org, "--mentor", mentor, "--mentee", mentee]).trim().to_owned();
    let server = ServerProcess::start(&database.url, data_dir.path(), &"ab".repeat(32));

    let writer = Phone::login_at(&server.address, mentor);
    let started = Instant::now();
    let mut sessions = Vec::new();
    for i in 0..options.docs {
        let sid = writer
            .client
            .create_session(&mentorship, SessionKind::Meeting, &format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28))
            .unwrap();
        for edit in 0..options.edits {
            writer.client.edit_notes(&sid, 0, 0, &format!("edit {edit}. ")).unwrap();
        }
        sessions.push(sid);
    }
    writer.client.sync().unwrap();
    writer.client.sync().unwrap();
    println!("setup: {} sessions of {} edits in {:.1} s", options.docs, options.edits, started.elapsed().as_secs_f64());

    let reader = Phone::login_at(&server.address, mentee);
    let pulled = measure(&reader);
    assert_eq!(pulled.report.docs_received as usize, options.docs, "{:?}", pulled.report);
    // Once more, so the next sync is the steady state.
    reader.client.sync().unwrap();

    let (mut noop_bytes, mut noop_cpu, mut noop_wall) = (Vec::new(), Vec::new(), Vec::new());
    let (mut catch_cpu, mut catch_wall, mut catch_bytes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut pull_cpu, mut pull_wall) = (Vec::new(), Vec::new());
    for run in 0..options.runs {
        let noop = measure(&reader);
        assert_eq!(noop.report.docs_received, 0, "{:?}", noop.report);
        noop_bytes.push((noop.report.bytes_sent + noop.report.bytes_received) as f64);
        noop_cpu.push(ms(noop.cpu));
        noop_wall.push(ms(noop.wall));

        for (n, sid) in sessions.iter().cycle().skip(run * options.changed).take(options.changed).enumerate() {
            writer.client.edit_notes(sid, 0, 0, &format!("run {run} change {n}. ")).unwrap();
        }
        writer.client.sync().unwrap();
        let catch_up = measure(&reader);
        assert_eq!(catch_up.report.docs_received as usize, options.changed, "{:?}", catch_up.report);
        catch_cpu.push(ms(catch_up.cpu));
        catch_wall.push(ms(catch_up.wall));
        catch_bytes.push((catch_up.report.bytes_sent + catch_up.report.bytes_received) as f64);

        let fresh = Phone::login_at(&server.address, mentee);
        let pull = measure(&fresh);
        assert_eq!(pull.report.docs_received as usize, options.docs, "{:?}", pull.report);
        pull_cpu.push(ms(pull.cpu));
        pull_wall.push(ms(pull.wall));
        println!(
            "run {run}: no-op {} B, {:.2} ms CPU, {:.2} ms wall; catch-up {:.1} ms CPU, {:.1} ms wall; \
             fresh pull {:.0} ms CPU, {:.0} ms wall",
            noop.report.bytes_sent + noop.report.bytes_received,
            ms(noop.cpu),
            ms(noop.wall),
            ms(catch_up.cpu),
            ms(catch_up.wall),
            ms(pull.cpu),
            ms(pull.wall)
        );
    }
    println!(
        "medians of {} runs ({}, {} docs x {} edits):",
        options.runs, options.backend, options.docs, options.edits
    );
    println!(
        "  no-op sync: {:.0} bytes sent+received, {:.2} ms phone CPU, {:.2} ms wall",
        median(noop_bytes),
        median(noop_cpu),
        median(noop_wall)
    );
    println!(
        "  catch-up of {}: {:.1} ms phone CPU, {:.1} ms wall, {:.0} bytes",
        options.changed,
        median(catch_cpu),
        median(catch_wall),
        median(catch_bytes)
    );
    println!("  fresh pull: {:.0} ms phone CPU, {:.0} ms wall", median(pull_cpu), median(pull_wall));
}
