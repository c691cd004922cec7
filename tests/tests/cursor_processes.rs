//! PostgreSQL only: two server processes on one database, phones of one
//! organisation writing through both at once while other phones follow with
//! their change cursors. Commits interleave across the processes; a cursor must
//! never pass a change: every follower sync takes one round trip (a skipped
//! change would show as a dependency gap, answered by a second, whole-inventory
//! round) and every phone ends with exactly the server's documents.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use alongside_tests::phones::Phone;
use alongside_tests::process::{ServerProcess, run_cli};
use alongside_tests::{Backend, PASSWORD, TestDatabase};
use sync_core::SessionKind;

const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const PAIRS: usize = 3;
const LINES: usize = 12;

/// One organisation with `n` pairs, made with the real command line.
fn seed(database_url: &str, n: usize) -> Vec<(String, String, String)> {
    run_cli(database_url, &["migrate"]);
    let org = run_cli(database_url, &["org", "create", "--name", "Cursor Care"]).trim().to_owned();
    let mut pairs = Vec::new();
    for i in 0..n {
        let mentor = format!("mentor{i}@cursor.example");
        let mentee = format!("mentee{i}@cursor.example");
        for (email, role) in [(&mentor, "mentor"), (&mentee, "mentee")] {
            let args = [
                "user",
                "add",
                "--org",
                &org,
                "--email",
                email,
                "--name",
                email,
                "--role",
                role,
                "--password",
                PASSWORD,
            ];
            run_cli(database_url, &args);
        }
        let mentorship =
            run_cli(database_url, &["pair", "--org", &org, "--mentor", &mentor, "--mentee", &mentee]).trim().to_owned();
        pairs.push((mentorship, mentor, mentee));
    }
    pairs
}

#[test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set TEST_DATABASE_URL to run")]
fn cursors_skip_nothing_while_two_processes_commit_interleaved() {
    let database = TestDatabase::create(Backend::Postgres);
    let data_dir = tempfile::tempdir().unwrap();
    let pairs = seed(&database.url, PAIRS);
    let first = ServerProcess::start(&database.url, data_dir.path(), SECRET);
    let second = ServerProcess::start(&database.url, data_dir.path(), SECRET);

    // Per pair: the mentor writes through the first process, the mentee through
    // the second, each in a session of their own and in a shared one.
    let mut sessions = Vec::new();
    for (mentorship, mentor, _) in &pairs {
        let phone = Phone::login_at(&first.address, mentor);
        let shared = phone.client.create_session(mentorship, SessionKind::Meeting, "2026-09-01").unwrap();
        phone.client.sync().unwrap();
        sessions.push(shared);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (n, (mentorship, mentor, mentee)) in pairs.iter().enumerate() {
        for (who, email, address) in [("mentor", mentor, &first.address), ("mentee", mentee, &second.address)] {
            let (mentorship, email, address, shared) =
                (mentorship.clone(), email.clone(), address.clone(), sessions[n].clone());
            writers.push(std::thread::spawn(move || {
                let phone = Phone::login_at(&address, &email);
                phone.client.sync().unwrap();
                let own = phone.client.create_session(&mentorship, SessionKind::CheckIn, "2026-09-02").unwrap();
                for line in 0..LINES {
                    for sid in [&shared, &own] {
                        let len = phone.client.session(sid).unwrap().notes.encode_utf16().count() as u32;
                        phone.client.edit_notes(sid, len, 0, &format!("[{who} {line}]")).unwrap();
                    }
                    phone.client.sync().unwrap();
                }
                phone
            }));
        }
    }
    // Followers: another device of each person, on the other process, syncing
    // with its cursor all along.
    let mut followers = Vec::new();
    for (_, mentor, mentee) in &pairs {
        for (email, address) in [(mentor, &second.address), (mentee, &first.address)] {
            let (email, address, stop) = (email.clone(), address.clone(), stop.clone());
            followers.push(std::thread::spawn(move || {
                let phone = Phone::login_at(&address, &email);
                phone.client.sync().unwrap();
                let mut syncs = 0;
                while !stop.load(Ordering::Relaxed) {
                    let report = phone.client.sync().unwrap();
                    assert_eq!(report.round_trips, 1, "a follower's cursor sync needed the inventory: {report:?}");
                    syncs += 1;
                }
                (phone, syncs)
            }));
        }
    }
    let writers: Vec<Phone> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    let followers: Vec<(Phone, usize)> = followers.into_iter().map(|f| f.join().unwrap()).collect();

    // Once more each, with the cursor: everything must be there.
    let deadline = Instant::now() + Duration::from_secs(60);
    for phone in &writers {
        while phone.client.pending().unwrap() > 0 {
            assert!(Instant::now() < deadline, "a writer never got its changes up");
            phone.client.sync().unwrap();
        }
    }
    for (n, (mentorship, mentor, _)) in pairs.iter().enumerate() {
        // The server's truth, from a fresh device (whole inventory).
        let truth = Phone::login_at(&first.address, mentor);
        truth.client.sync().unwrap();
        let expected = truth.client.sessions(mentorship).unwrap();
        assert_eq!(expected.len(), 3, "the shared session and one of each member");
        for text in ["mentor", "mentee"] {
            for line in 0..LINES {
                assert!(expected.iter().any(|s| s.notes.contains(&format!("[{text} {line}]"))), "{text} {line} lost");
            }
        }
        let pair_phones = writers[2 * n..2 * n + 2].iter().chain(followers[2 * n..2 * n + 2].iter().map(|(p, _)| p));
        for phone in pair_phones {
            let report = phone.client.sync().unwrap();
            assert_eq!(report.round_trips, 1, "{report:?}");
            for session in &expected {
                assert_eq!(&phone.client.session(&session.id).unwrap(), session, "a phone missed a change");
            }
        }
    }
    assert!(followers.iter().all(|(_, syncs)| *syncs > 0), "every follower synced while the writers wrote");
}
