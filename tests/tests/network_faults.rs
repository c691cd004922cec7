//! Real phone clients (`sync_core::Client`) syncing through a proxy that drops
//! requests part-way, cuts responses after some bytes and delays connections
//! (`alongside_tests::fault_proxy`), on SQLite and (with `TEST_DATABASE_URL`)
//! PostgreSQL: every phone converges, nothing written is lost, nothing is
//! duplicated, and a fault only ever shows as `Offline`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::sync::atomic::Ordering;

use alongside_tests::fault_proxy::FaultProxy;
use alongside_tests::phones::Phone;
use alongside_tests::{backend_test, spawn_app};
use sync_core::{ClientError, SessionKind};

const ROUNDS: usize = 16;

struct Writer {
    tag: &'static str,
    phone: Phone,
    mentorship: String,
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn phones_behind_a_faulty_network_converge_without_losing_or_duplicating_anything(backend) {
        let app = spawn_app(backend).await;
        let proxy = FaultProxy::start(&app.address, 0x5eed_0013);
        let north = app.seed_org("north").await;
        let south = app.seed_org("south").await;
        let mut writers = Vec::new();
        for (org, tags) in [(&north, ["na", "nb"]), (&south, ["sa", "sb"])] {
            for (tag, email) in tags.into_iter().zip([&org.mentor.email, &org.mentee.email]) {
                let phone = Phone::login_at(&proxy.address, email);
                writers.push(Writer { tag, phone, mentorship: org.mentorship_id.clone() });
            }
        }
        // One shared session per pairing, known to both phones before the faults.
        let mut shared = Vec::new();
        for pair in writers.chunks(2) {
            let sid = pair[0].phone.client.create_session(&pair[0].mentorship, SessionKind::Shadowing, "2026-12-01").unwrap();
            pair[0].phone.client.sync().unwrap();
            pair[1].phone.client.sync().unwrap();
            shared.push(sid);
        }

        proxy.set_faults(true);
        let mut offline = 0;
        for round in 0..ROUNDS {
            let errors: Vec<Option<ClientError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = writers
                    .iter()
                    .enumerate()
                    .map(|(n, writer)| {
                        let sid = &shared[n / 2];
                        scope.spawn(move || {
                            let client = &writer.phone.client;
                            client.edit_notes(sid, 0, 0, &format!("<{}-{round}>", writer.tag)).unwrap();
                            if round % 4 == 0 {
                                let own = client.create_session(&writer.mentorship, SessionKind::Meeting, "2026-12-02").unwrap();
                                client.set_my_account(&own, &format!("own session of {} in round {round}", writer.tag)).unwrap();
                            }
                            client.sync().err()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for error in errors.into_iter().flatten() {
                assert!(matches!(error, ClientError::Offline { .. }), "{backend}: a fault showed as {error:?}");
                offline += 1;
            }
        }
        let counts = proxy.counts();
        let (dropped, cut, delayed) =
            (counts.dropped.load(Ordering::SeqCst), counts.cut.load(Ordering::SeqCst), counts.delayed.load(Ordering::SeqCst));
        assert!(dropped > 0 && cut > 0 && delayed > 0, "{backend}: every fault happened ({dropped}, {cut}, {delayed})");
        assert!(offline > 0, "{backend}: some syncs failed");
        let passed = counts.passed.load(Ordering::SeqCst);
        println!("{backend}: connections passed {passed}, dropped {dropped}, cut {cut}, delayed {delayed}; {offline} syncs offline");

        // The network heals: a few plain syncs and everyone agrees.
        proxy.set_faults(false);
        for _ in 0..2 {
            for writer in &writers {
                writer.phone.client.sync().expect("syncs once the network is healthy");
            }
        }
        for (n, pair) in writers.chunks(2).enumerate() {
            let (a, b) = (&pair[0].phone.client, &pair[1].phone.client);
            assert_eq!(a.pending().unwrap(), 0, "{backend}");
            assert_eq!(b.pending().unwrap(), 0, "{backend}");
            let notes = a.session(&shared[n]).unwrap().notes;
            assert_eq!(notes, b.session(&shared[n]).unwrap().notes, "{backend}: the pair converged");
            for writer in pair {
                for round in 0..ROUNDS {
                    let token = format!("<{}-{round}>", writer.tag);
                    assert_eq!(notes.matches(&token).count(), 1, "{backend}: {token} once in {notes}");
                }
            }
            let sessions_a = a.sessions(&pair[0].mentorship).unwrap();
            assert_eq!(sessions_a, b.sessions(&pair[0].mentorship).unwrap(), "{backend}");
            let expected = 1 + 2 * ROUNDS.div_ceil(4);
            assert_eq!(sessions_a.len(), expected, "{backend}: every session once");
            for writer in pair {
                for round in (0..ROUNDS).step_by(4) {
                    let account = format!("own session of {} in round {round}", writer.tag);
                    let holding = sessions_a.iter().filter(|s| s.accounts.values().any(|a| a == &account)).count();
                    assert_eq!(holding, 1, "{backend}: {account}");
                }
            }
            assert!(a.rejections().unwrap().is_empty(), "{backend}");
        }
    }
}
