//! Load generator for `POST /v1/sync`: N simulated devices, each holding M
//! documents, edit offline and then sync all at once, for several rounds, against
//! a real `alongside serve` process on a fresh database. Prints JSON.
//!
//! ```text
//! cargo build --release -p alongside-server -p alongside-tests
//! target/release/alongside-loadgen --devices 200 --docs 10 --changed 5 --rounds 5
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres target/release/alongside-loadgen --postgres
//! target/release/alongside-loadgen --devices 1000 --docs 10 --changed 2 --soak 600   # the soak (not in CI)
//! ```
//!
//! With `--soak SECONDS` the rounds go on until that much time has passed (not
//! `--rounds`), failed syncs are counted instead of stopping the run, and the
//! report adds `soak`: every ten seconds the server's current RSS, and the errors
//! and p99 of the syncs since the previous sample, to check that memory levels off once the document cache
//! is full (BENCHMARKS.md).
//!
//! Alongside the server figures it measures the same per-document work done
//! in-process by bare Automerge (load, apply one change, save), so the server's
//! overhead shows as a ratio.
//!
//! `--open-loop` replaces the rounds: devices sync on a schedule, arrivals
//! spread evenly over time (each sync first edits `--changed` documents), at a
//! rate stepped up by a quarter every `--step-secs` (default 5) from
//! `--start-rate` syncs per second (default 50). Latency counts from the
//! scheduled time, so a server that falls behind shows it (no coordinated
//! omission). It stops at the first step whose p99 reaches 100 ms (or that
//! cannot keep up with its schedule, or fails a sync) and reports
//! `open_loop.best`: the highest doc-syncs per second whose p99 stayed under
//! 100 ms. `--pin` puts the server on core 0 and this process (the phones) on
//! core 1 (`taskset`), and reports `server_core_capacity_doc_syncs_per_second`
//! from the server's CPU per doc-sync:
//!
//! ```text
//! target/release/alongside-loadgen --devices 200 --docs 4 --changed 2 --open-loop
//! target/release/alongside-loadgen --devices 200 --docs 4 --changed 2 --open-loop --pin
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: fail loudly

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use alongside_server::db::Db;
use alongside_server::domain::mentorships::{self, NewMentorship};
use alongside_server::domain::people::NewPerson;
use alongside_server::domain::{Actor, Role, organisations, people};
use alongside_tests::phones::Phone;
use alongside_tests::process::ServerProcess;
use alongside_tests::{Backend, PASSWORD, TestDatabase};
use serde_json::json;
use sync_core::automerge::{ActorId, AutoCommit};
use sync_core::{DocHeader, Document, MentorshipId, Pair, SessionKind, UserId};

struct Options {
    devices: usize,
    docs: usize,
    changed: usize,
    rounds: usize,
    soak: Option<Duration>,
    backend: Backend,
    open_loop: bool,
    start_rate: f64,
    step: Duration,
    pin: bool,
}

fn options() -> Options {
    let mut options = Options {
        devices: 100,
        docs: 10,
        changed: 5,
        rounds: 5,
        soak: None,
        backend: Backend::Sqlite,
        open_loop: false,
        start_rate: 50.0,
        step: Duration::from_secs(5),
        pin: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> usize {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            "--devices" => options.devices = number("--devices").max(2),
            "--docs" => options.docs = number("--docs").max(1),
            "--changed" => options.changed = number("--changed"),
            "--rounds" => options.rounds = number("--rounds").max(1),
            "--soak" => options.soak = Some(Duration::from_secs(number("--soak") as u64)),
            "--postgres" => options.backend = Backend::Postgres,
            "--open-loop" => options.open_loop = true,
            "--start-rate" => options.start_rate = number("--start-rate").max(1) as f64,
            "--step-secs" => options.step = Duration::from_secs(number("--step-secs").max(1) as u64),
            "--pin" => options.pin = true,
            other => panic!("unknown option {other}; see the module doc"),
        }
    }
    options.changed = options.changed.min(options.docs);
    options
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident memory of a process, in MiB (Linux).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Current resident memory of a process, in MiB (Linux).
fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU seconds (user + system) a process has used so far (Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Median milliseconds of `count` sequential calls of `call`.
fn sequential_ms(count: usize, mut call: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..count)
        .map(|_| {
            let start = Instant::now();
            call();
            millis(start.elapsed())
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    percentile(&samples, 50.0)
}

/// Seed one organisation with devices/2 pairs; returns (mentorship id, mentor email, mentee email).
fn seed(database_url: &str, devices: usize) -> Vec<(String, String, String)> {
    let db = Db::connect(database_url, 2).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    let org = organisations::create(&mut conn, "Load Test Care").unwrap().id;
    let actor = Actor::system();
    let mut pairs = Vec::new();
    for i in 0..devices / 2 {
        let mut person = |role: Role, email: String| {
            let new = NewPerson {
                email,
                display_name: format!("Load {i}"),
                roles: vec![role],
                password: PASSWORD.to_owned(),
                line_manager_id: None,
                site_id: None,
                start_date: None,
            };
            people::create(&mut conn, org, &actor, &new).unwrap()
        };
        let mentor = person(Role::Mentor, format!("mentor{i}@load.example"));
        let mentee = person(Role::Mentee, format!("mentee{i}@load.example"));
        let new = NewMentorship {
            mentor_id: mentor.id,
            mentee_id: mentee.id,
            started_on: None,
            site_id: None,
            programme_id: None,
        };
        let (mentorship, _) = mentorships::create(&mut conn, org, &actor, &new).unwrap();
        pairs.push((mentorship.id.to_string(), mentor.email, mentee.email));
    }
    pairs
}

/// Bare Automerge doing one doc-sync's work in-process: load the document, apply
/// one incoming change, save. Median microseconds over `iterations`.
fn bare_automerge_us(iterations: usize) -> (f64, usize) {
    let pair = Pair {
        mentorship_id: MentorshipId::new_random(),
        mentor_id: UserId::new_random(),
        mentee_id: UserId::new_random(),
    };
    let header = DocHeader::new_session(pair);
    let mut doc = Document::create(header, ActorId::random()).unwrap();
    doc.set_session_basics(pair.mentor_id, SessionKind::Shadowing, "2026-03-14").unwrap();
    doc.edit_notes(pair.mentor_id, 0, 0, "Initial notes from the shift.").unwrap();
    let bytes = doc.save();
    let base = doc.heads();
    doc.edit_notes(pair.mentor_id, 0, 0, "[edit]").unwrap();
    let change = doc.automerge().get_changes(&base).remove(0);
    let mut samples: Vec<f64> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            let mut am = AutoCommit::load(&bytes).unwrap();
            am.apply_changes([change.clone()]).unwrap();
            std::hint::black_box(am.save());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (percentile(&samples, 50.0), bytes.len())
}

fn main() {
    let options = options();
    let database = TestDatabase::create(options.backend);
    let data_dir = tempfile::tempdir().unwrap();
    let pairs = seed(&database.url, options.devices);
    let server = ServerProcess::start(&database.url, data_dir.path(), &"ab".repeat(32));
    let address = server.address.clone();
    if options.pin {
        // Before any phone thread exists: threads inherit the affinity.
        pin(server.pid().expect("server pid"), 0);
        pin(std::process::id(), 1);
    }

    // Sign in every device (mentor and mentee phones), LOGIN_WAVE at a time; login
    // latency is dominated by argon2id on the server. Not all at once: every phone
    // here comes from one address, and the server lets at most 20 password
    // attempts from one address be in flight (`auth::rate_limit`).
    const LOGIN_WAVE: usize = 16;
    let accounts: Vec<(String, String)> = pairs
        .iter()
        .flat_map(|(m, mentor, mentee)| [(m.clone(), mentor.clone()), (m.clone(), mentee.clone())])
        .collect();
    let mut logins: Vec<(Phone, String, Duration)> = Vec::new();
    for wave in accounts.chunks(LOGIN_WAVE) {
        logins.extend(std::thread::scope(|scope| {
            let handles: Vec<_> = wave
                .iter()
                .cloned()
                .map(|(mentorship, email)| {
                    let address = address.clone();
                    scope.spawn(move || {
                        let start = Instant::now();
                        let phone = Phone::login_at(&address, &email);
                        (phone, mentorship, start.elapsed())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
        }));
    }
    let mut login_ms: Vec<f64> = logins.iter().map(|(_, _, d)| millis(*d)).collect();
    login_ms.sort_by(f64::total_cmp);

    // One at a time: what a single person waits for.
    let agent = ureq::agent();
    let email = &pairs[0].1;
    let body = json!({ "email": email, "password": PASSWORD, "device_name": "latency probe" });
    let mut token = String::new();
    let login_alone_ms = sequential_ms(20, || {
        let reply: serde_json::Value =
            agent.post(&format!("{address}/v1/auth/login")).send_json(&body).unwrap().into_json().unwrap();
        token = reply["access_token"].as_str().unwrap().to_owned();
    });
    let bearer = format!("Bearer {token}");
    let me_ms = sequential_ms(200, || {
        agent.get(&format!("{address}/v1/me")).set("Authorization", &bearer).call().unwrap();
    });
    let mentorships_ms = sequential_ms(200, || {
        agent.get(&format!("{address}/v1/mentorships")).set("Authorization", &bearer).call().unwrap();
    });

    // Each device creates its documents and catches up once.
    let devices: Vec<(Phone, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = logins
            .into_iter()
            .map(|(phone, mentorship, _)| {
                let docs = options.docs;
                scope.spawn(move || {
                    let ids: Vec<String> = (0..docs)
                        .map(|i| {
                            let date = format!("2026-03-{:02}", 1 + i % 28);
                            phone.client.create_session(&mentorship, SessionKind::Shadowing, &date).unwrap()
                        })
                        .collect();
                    phone.client.sync().unwrap();
                    (phone, ids)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Catch-up after the partner's documents arrived: one more quiet sync each.
    let mut catch_up_round_trips = Vec::new();
    for (phone, _) in &devices {
        catch_up_round_trips.push(phone.client.sync().unwrap().round_trips);
    }

    if options.open_loop {
        let (bare_us, _) = bare_automerge_us(2000);
        let report = open_loop(&options, &devices, &server, bare_us);
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
        return;
    }

    let barrier = Arc::new(Barrier::new(devices.len()));
    let mut latencies = Vec::new();
    let (mut doc_syncs, mut docs_sent, mut bytes_up, mut bytes_down, mut round_trips, mut syncs) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut busy = Duration::ZERO;
    let cpu_before = server.pid().and_then(cpu_seconds);
    let soak_started = Instant::now();
    let mut soak_samples = Vec::new();
    let mut rounds_run = 0usize;
    let mut errors = 0u64;
    let (mut window_errors, mut window_ms, mut next_sample) = (0u64, Vec::new(), Duration::ZERO);
    for round in 0.. {
        let more = match options.soak {
            Some(soak) => soak_started.elapsed() < soak,
            None => round < options.rounds,
        };
        if !more {
            break;
        }
        rounds_run += 1;
        // Offline edits, then everyone syncs at once.
        for (phone, ids) in &devices {
            for id in ids.iter().skip(round % options.docs).take(options.changed) {
                phone.client.edit_notes(id, 0, 0, &format!("[round {round}] ")).unwrap();
            }
        }
        let started = Instant::now();
        let reports: Vec<(Option<sync_core::SyncReport>, Duration)> = std::thread::scope(|scope| {
            let handles: Vec<_> = devices
                .iter()
                .map(|(phone, _)| {
                    let barrier = barrier.clone();
                    scope.spawn(move || {
                        barrier.wait();
                        let start = Instant::now();
                        let report = match phone.client.sync() {
                            Ok(report) => Some(report),
                            Err(error) if options.soak.is_some() => {
                                eprintln!("sync failed: {error}");
                                None
                            }
                            Err(error) => panic!("sync failed: {error}"),
                        };
                        (report, start.elapsed())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        busy += started.elapsed();
        window_ms.extend(reports.iter().map(|(_, took)| millis(*took)));
        let round_errors = reports.iter().filter(|(report, _)| report.is_none()).count() as u64;
        errors += round_errors;
        window_errors += round_errors;
        // One sample every ten seconds of the run: its RSS, and the errors and p99
        // of the syncs since the previous sample.
        if soak_started.elapsed() >= next_sample {
            window_ms.sort_by(f64::total_cmp);
            soak_samples.push(json!({
                "t_s": soak_started.elapsed().as_secs(),
                "rss_mib": server.pid().and_then(rss_mib),
                "errors": window_errors,
                "p99_ms": percentile(&window_ms, 99.0),
            }));
            (window_errors, next_sample) = (0, next_sample + Duration::from_secs(10));
            window_ms.clear();
        }
        for (report, took) in reports {
            let Some(report) = report else { continue };
            latencies.push(millis(took));
            doc_syncs += u64::from(report.docs_sent + report.docs_received);
            docs_sent += u64::from(report.docs_sent);
            bytes_up += report.bytes_sent;
            bytes_down += report.bytes_received;
            round_trips += u64::from(report.round_trips);
            syncs += 1;
        }
    }
    latencies.sort_by(f64::total_cmp);
    let server_cpu = server.pid().and_then(cpu_seconds).zip(cpu_before).map(|(after, before)| after - before);
    let server_cpu_us_per_doc_sync = server_cpu.map(|s| s * 1e6 / doc_syncs.max(1) as f64);
    let rss = server.pid().and_then(peak_rss_mib);
    let (bare_us, doc_bytes) = bare_automerge_us(2000);
    let server_us_per_doc_sync = busy.as_secs_f64() * 1e6 / doc_syncs.max(1) as f64;

    let report = json!({
        "backend": options.backend.to_string(),
        "machine": format!("{} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)),
        "devices": devices.len(),
        "documents_per_device": options.docs,
        "changed_per_device_per_round": options.changed,
        "rounds": rounds_run,
        "sync_errors": errors,
        "login_burst_ms": { "p50": percentile(&login_ms, 50.0), "p99": percentile(&login_ms, 99.0) },
        "login_alone_ms_p50": login_alone_ms,
        "get_me_ms_p50": me_ms,
        "get_mentorships_ms_p50": mentorships_ms,
        "sync_request_ms": { "p50": percentile(&latencies, 50.0), "p99": percentile(&latencies, 99.0) },
        "doc_syncs": doc_syncs,
        "doc_syncs_per_second": doc_syncs as f64 / busy.as_secs_f64(),
        "round_trips_per_sync": round_trips as f64 / syncs.max(1) as f64,
        "round_trips_per_catch_up": catch_up_round_trips.iter().map(|&r| f64::from(r)).sum::<f64>() / catch_up_round_trips.len().max(1) as f64,
        "bytes_up_per_changed_doc": bytes_up as f64 / docs_sent.max(1) as f64,
        "bytes_down_per_doc_sync": bytes_down as f64 / doc_syncs.max(1) as f64,
        "server_peak_rss_mib": rss,
        "wall_us_per_doc_sync": server_us_per_doc_sync,
        "bare_automerge_us_per_doc_sync": bare_us,
        "bare_automerge_doc_bytes": doc_bytes,
        "ratio_wall_to_bare": server_us_per_doc_sync / bare_us,
        "server_cpu_us_per_doc_sync": server_cpu_us_per_doc_sync,
        "ratio_server_cpu_to_bare": server_cpu_us_per_doc_sync.map(|us| us / bare_us),
        "soak": if options.soak.is_some() { json!(soak_samples) } else { json!(null) },
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

/// Pin every thread of process `pid` to one CPU (`taskset`, Linux).
fn pin(pid: u32, cpu: usize) {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset");
    assert!(status.success(), "taskset could not pin process {pid} to CPU {cpu}");
}

/// One step of the open loop: what the syncs scheduled at `rate` per second for
/// `duration` came to.
struct Step {
    rate: f64,
    syncs: usize,
    errors: usize,
    doc_syncs: u64,
    p50_ms: f64,
    p99_ms: f64,
    /// Seconds from the first scheduled start to the last finish.
    elapsed_s: f64,
    server_cpu_s: Option<f64>,
}

impl Step {
    fn doc_syncs_per_second(&self) -> f64 {
        self.doc_syncs as f64 / self.elapsed_s.max(1e-9)
    }

    /// Under 100 ms at p99, nothing failed, and the schedule was kept (the
    /// last sync finished within a second of the step's end).
    fn passed(&self, duration: Duration) -> bool {
        self.errors == 0 && self.p99_ms < 100.0 && self.elapsed_s < duration.as_secs_f64() + 1.0
    }

    fn json(&self, bare_us: f64) -> serde_json::Value {
        let cpu_us = self.server_cpu_s.map(|s| s * 1e6 / self.doc_syncs.max(1) as f64);
        json!({
            "scheduled_syncs_per_second": self.rate,
            "syncs": self.syncs,
            "errors": self.errors,
            "doc_syncs": self.doc_syncs,
            "doc_syncs_per_second": self.doc_syncs_per_second(),
            "sync_ms": { "p50": self.p50_ms, "p99": self.p99_ms },
            "server_cpu_us_per_doc_sync": cpu_us,
            "ratio_server_cpu_to_bare": cpu_us.map(|us| us / bare_us),
        })
    }
}

/// Devices sync on a schedule (arrivals spread evenly, devices taken in turn),
/// the rate stepped up until p99 reaches 100 ms.
fn open_loop(
    options: &Options,
    devices: &[(Phone, Vec<String>)],
    server: &ServerProcess,
    bare_us: f64,
) -> serde_json::Value {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let busy: Vec<Mutex<usize>> = devices.iter().map(|_| Mutex::new(0)).collect();
    let workers = devices.len().min(64);
    let mut steps: Vec<Step> = Vec::new();
    let mut rate = options.start_rate;
    let next_device = AtomicUsize::new(0);
    loop {
        let count = (rate * options.step.as_secs_f64()).round().max(1.0) as usize;
        let begin = Instant::now() + Duration::from_millis(50);
        let slot = AtomicUsize::new(0);
        let cpu_before = server.pid().and_then(cpu_seconds);
        let results: Vec<(Duration, Option<u64>, Instant)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let (slot, next_device, busy) = (&slot, &next_device, &busy);
                    scope.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let i = slot.fetch_add(1, Ordering::SeqCst);
                            if i >= count {
                                return mine;
                            }
                            let at = begin + Duration::from_secs_f64(i as f64 / rate);
                            if let Some(wait) = at.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                            let d = next_device.fetch_add(1, Ordering::SeqCst) % devices.len();
                            let mut round = busy[d].lock().unwrap();
                            let (phone, ids) = &devices[d];
                            for id in ids.iter().skip(*round % ids.len()).take(options.changed) {
                                phone.client.edit_notes(id, 0, 0, &format!("[{}] ", *round)).unwrap();
                            }
                            *round += 1;
                            let outcome = match phone.client.sync() {
                                Ok(report) => Some(u64::from(report.docs_sent + report.docs_received)),
                                Err(error) => {
                                    eprintln!("sync failed: {error}");
                                    None
                                }
                            };
                            drop(round);
                            let done = Instant::now();
                            mine.push((done.saturating_duration_since(at), outcome, done));
                        }
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let server_cpu_s = server.pid().and_then(cpu_seconds).zip(cpu_before).map(|(after, before)| after - before);
        let mut latencies: Vec<f64> = results.iter().map(|(took, _, _)| millis(*took)).collect();
        latencies.sort_by(f64::total_cmp);
        let last = results.iter().map(|(_, _, done)| *done).max().unwrap_or(begin);
        let step = Step {
            rate,
            syncs: results.len(),
            errors: results.iter().filter(|(_, outcome, _)| outcome.is_none()).count(),
            doc_syncs: results.iter().filter_map(|(_, outcome, _)| *outcome).sum(),
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
            elapsed_s: last.saturating_duration_since(begin).as_secs_f64(),
            server_cpu_s,
        };
        let passed = step.passed(options.step);
        eprintln!(
            "open loop: {rate:.0} syncs/s -> {:.0} doc-syncs/s, p99 {:.1} ms{}",
            step.doc_syncs_per_second(),
            step.p99_ms,
            if passed { "" } else { " (over)" }
        );
        steps.push(step);
        if !passed || steps.len() >= 40 {
            break;
        }
        rate *= 1.25;
    }
    let best = steps
        .iter()
        .filter(|s| s.passed(options.step))
        .max_by(|a, b| a.doc_syncs_per_second().total_cmp(&b.doc_syncs_per_second()));
    // The server's CPU per doc-sync over every step that kept its schedule.
    let kept: Vec<&Step> = steps.iter().filter(|s| s.passed(options.step)).collect();
    let (cpu, doc_syncs) =
        kept.iter().fold((0.0, 0u64), |(cpu, n), s| (cpu + s.server_cpu_s.unwrap_or(0.0), n + s.doc_syncs));
    let cpu_us = (doc_syncs > 0).then(|| cpu * 1e6 / doc_syncs as f64);
    json!({
        "backend": options.backend.to_string(),
        "machine": format!("{} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)),
        "mode": if options.pin { "open loop, server pinned to core 0, phones to core 1" } else { "open loop" },
        "devices": devices.len(),
        "documents_per_device": options.docs,
        "changed_per_sync": options.changed,
        "step_seconds": options.step.as_secs(),
        "steps": steps.iter().map(|s| s.json(bare_us)).collect::<Vec<_>>(),
        "best": best.map(|s| s.json(bare_us)),
        "best_doc_syncs_per_second_p99_under_100ms": best.map(Step::doc_syncs_per_second),
        "bare_automerge_us_per_doc_sync": bare_us,
        "server_cpu_us_per_doc_sync": cpu_us,
        "ratio_server_cpu_to_bare": cpu_us.map(|us| us / bare_us),
        "server_core_capacity_doc_syncs_per_second": if options.pin { cpu_us.map(|us| 1e6 / us) } else { None },
    })
}
