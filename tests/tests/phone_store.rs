//! What a sync writes on the phone: a reply is one store transaction (one
//! durable commit) however many documents it brings, a sync with nothing to do
//! writes nothing, documents pulled fresh are
//! stored as the server sent them and read back whole; on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::phones::Phone;
use alongside_tests::{backend_test, spawn_app};
use sync_core::SessionKind;

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fresh_pull_and_a_catch_up_are_each_one_store_commit(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("store").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let ids: Vec<String> = (0..40)
            .map(|i| {
                let date = format!("2026-0{}-{:02}", 1 + i / 28, 1 + i % 28);
                let sid = mentor.client.create_session(&org.mentorship_id, SessionKind::Shadowing, &date).unwrap();
                mentor.client.edit_notes(&sid, 0, 0, &format!("Shift {i}: the morning round.")).unwrap();
                sid
            })
            .collect();
        mentor.client.sync().unwrap();

        let mentee = Phone::login(&app, &org.mentee.email);
        let before = mentee.client.store_write_stats().unwrap();
        let report = mentee.client.sync().unwrap();
        let after = mentee.client.store_write_stats().unwrap();
        assert!(report.docs_received >= 40, "{backend}: {report:?}");
        // The reply's documents in one commit, whatever their number; the rest are small
        // settings writes after it (the cursor, the cached reminders).
        assert!(after.commits - before.commits <= 4, "{backend}: the fresh pull: {} commits", after.commits - before.commits);
        for sid in &ids {
            assert_eq!(mentee.client.session(sid).unwrap(), mentor.client.session(sid).unwrap(), "{backend}");
        }

        // Changed elsewhere: the mentee's next sync saves them incrementally, in one commit.
        for sid in &ids[..15] {
            mentor.client.edit_notes(sid, 0, 0, "Added after the shift. ").unwrap();
        }
        mentor.client.sync().unwrap();
        let client = &mentee.client;
        let before = client.store_write_stats().unwrap();
        let report = client.sync().unwrap();
        let after = client.store_write_stats().unwrap();
        assert_eq!(report.docs_received, 15, "{backend}: {report:?}");
        // The reply's documents in one commit, whatever their number; the rest are small
        // settings writes after it (the cursor, the cached reminders).
        assert!(after.commits - before.commits <= 4, "{backend}: the catch-up: {} commits", after.commits - before.commits);
        for sid in &ids {
            assert_eq!(client.session(sid).unwrap(), mentor.client.session(sid).unwrap(), "{backend}");
        }
        assert_eq!(client.pending().unwrap(), 0);

        // Nothing to do: no store write at all, and a few hundred bytes each way.
        let before = client.store_write_stats().unwrap();
        let report = client.sync().unwrap();
        let after = client.store_write_stats().unwrap();
        assert_eq!((report.docs_received, report.docs_sent, report.round_trips), (0, 0, 1), "{backend}: {report:?}");
        assert_eq!(after.commits - before.commits, 0, "{backend}: a no-op sync wrote to the store");
        assert!(report.bytes_sent + report.bytes_received < 2048, "{backend}: {report:?}");
    }
}
