//! The change cursor (issue 12): a phone that synced before sends its cursor
//! and only the documents with local writes, and gets what changed since; the
//! whole inventory stays the fallback (a cursor of another database, access that
//! changed, an erasure).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::phones::Phone;
use alongside_tests::{backend_test, spawn_app};
use diesel::prelude::*;
use serde_json::json;
use sync_core::SessionKind;

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_phone_with_a_cursor_sends_only_what_changed_and_gets_what_changed_elsewhere(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("cursor").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let mut sessions = Vec::new();
        for day in 1..=20 {
            let sid =
                mentor.client.create_session(&org.mentorship_id, SessionKind::Meeting, &format!("2026-06-{day:02}")).unwrap();
            mentor.client.edit_notes(&sid, 0, 0, &format!("Session {day}.")).unwrap();
            sessions.push(sid);
        }
        mentor.client.sync().unwrap();
        let first = mentee.client.sync().unwrap();
        assert_eq!(first.docs_received, 20, "{backend}: {first:?}");

        // Nothing changed: no documents either way, and a small exchange.
        let idle = mentee.client.sync().unwrap();
        assert_eq!((idle.docs_sent, idle.docs_received, idle.round_trips), (0, 0, 1), "{backend}: {idle:?}");
        assert!(idle.bytes_sent + idle.bytes_received < 1_000, "{backend}: a no-op sync moved {idle:?}");
        // The mentor's own changes do not come back to it.
        let own = mentor.client.sync().unwrap();
        assert_eq!(own.docs_received, 0, "{backend}: {own:?}");

        // Three edited elsewhere: exactly those arrive.
        for sid in &sessions[..3] {
            let len = mentor.client.session(sid).unwrap().notes.encode_utf16().count() as u32;
            mentor.client.edit_notes(sid, len, 0, " More.").unwrap();
        }
        mentor.client.sync().unwrap();
        let catch_up = mentee.client.sync().unwrap();
        assert_eq!(catch_up.docs_received, 3, "{backend}: {catch_up:?}");
        assert_eq!(catch_up.round_trips, 1, "{backend}: {catch_up:?}");

        // Both sides write one document at once; the cursor sync merges both ways.
        mentee.client.edit_notes(&sessions[5], 0, 0, "Mentee first. ").unwrap();
        mentor.client.edit_notes(&sessions[5], 0, 0, "Mentor first. ").unwrap();
        mentee.client.sync().unwrap();
        mentor.client.sync().unwrap();
        let both = mentee.client.sync().unwrap();
        assert_eq!(both.docs_received, 1, "{backend}: {both:?}");
        for sid in &sessions {
            assert_eq!(mentee.client.session(sid).unwrap(), mentor.client.session(sid).unwrap(), "{backend}");
        }
        let notes = mentee.client.session(&sessions[5]).unwrap().notes;
        assert!(notes.contains("Mentee first.") && notes.contains("Mentor first."), "{backend}: {notes}");

        // A session new to the mentee arrives whole.
        let late = mentor.client.create_session(&org.mentorship_id, SessionKind::CheckIn, "2026-07-01").unwrap();
        mentor.client.edit_notes(&late, 0, 0, "Created after the cursor.").unwrap();
        mentor.client.sync().unwrap();
        let arrived = mentee.client.sync().unwrap();
        assert_eq!(arrived.docs_received, 1, "{backend}: {arrived:?}");
        assert_eq!(mentee.client.session(&late).unwrap().notes, "Created after the cursor.");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursor_from_another_database_or_after_an_access_change_falls_back_to_the_inventory(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("epoch").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let sid = mentor.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-06-01").unwrap();
        mentor.client.edit_notes(&sid, 0, 0, "Before. ").unwrap();
        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();

        // As if the database were restored or replaced: the epoch no longer matches.
        app.with_db(|conn| {
            diesel::sql_query("UPDATE sync_epoch SET epoch = 'restored'").execute(conn)?;
            Ok(())
        })
        .await;
        mentor.client.edit_notes(&sid, 0, 0, "After. ").unwrap();
        mentor.client.sync().unwrap();
        let report = mentee.client.sync().unwrap();
        assert_eq!(report.round_trips, 2, "{backend}: the cursor is refused, the inventory follows: {report:?}");
        assert_eq!(mentee.client.session(&sid).unwrap(), mentor.client.session(&sid).unwrap(), "{backend}");
        // The new cursor holds again.
        let idle = mentee.client.sync().unwrap();
        assert_eq!((idle.round_trips, idle.docs_received), (1, 0), "{backend}: {idle:?}");

        // An ended pairing changes what the mentee may read: the inventory purges.
        let ended = app
            .post(
                &format!("/v1/mentorships/{}/end", org.mentorship_id),
                Some(org.coordinator.token()),
                &json!({ "reason": "moved on" }),
            )
            .await;
        assert!(ended.status().is_success(), "{backend}: {}", ended.status());
        let purged = mentee.client.sync().unwrap();
        assert_eq!(purged.purged, vec![sid.clone()], "{backend}: {purged:?}");
    }
}
