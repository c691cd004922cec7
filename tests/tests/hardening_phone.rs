//! Hardening of the phone against damage and faults (issue 13): real sync-core
//! clients against the real server, on SQLite and (with `TEST_DATABASE_URL`)
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::phones::{Phone, craft_offer, post_sync};
use alongside_tests::{backend_test, spawn_app};
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use sync_core::automerge::ActorId;
use sync_core::protocol::SyncRequest;
use sync_core::{Client, DocHeader, Document, Pair, SessionKind};

fn pair_of(fixture: &alongside_tests::OrgFixture) -> Pair {
    Pair {
        mentorship_id: fixture.mentorship_id.parse().unwrap(),
        mentor_id: fixture.mentor.id.parse().unwrap(),
        mentee_id: fixture.mentee.id.parse().unwrap(),
    }
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// Close the phone's client (as the app being killed would), run `sql` on its
/// store file, and start the app again on the same data folder.
fn damage_store(phone: Phone, address: &str, sql: &str) -> Phone {
    let store = phone.store_path();
    let Phone { client, dir } = phone;
    drop(client);
    let mut conn = SqliteConnection::establish(&store.display().to_string()).unwrap();
    diesel::sql_query(sql).execute(&mut conn).unwrap();
    drop(conn);
    let client = Client::new(dir.path(), address).expect("the app starts again");
    Phone { client, dir }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_damaged_document_is_repaired_from_the_server_and_others_still_sync(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("fen").await;
        let m = &org.mentorship_id;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let bytes_damaged = mentor.client.create_session(m, SessionKind::Meeting, "2026-07-01").unwrap();
        let header_damaged = mentor.client.create_session(m, SessionKind::Meeting, "2026-07-02").unwrap();
        let healthy = mentor.client.create_session(m, SessionKind::Meeting, "2026-07-03").unwrap();
        for (sid, text) in [(&bytes_damaged, "Bytes kept on the server. "), (&header_damaged, "Header kept too. ")] {
            mentor.client.edit_notes(sid, 0, 0, text).unwrap();
        }
        mentor.client.sync().unwrap();
        assert_eq!(mentor.client.pending().unwrap(), 0, "{backend}");

        let mentor = damage_store(
            mentor,
            &app.address,
            &format!("UPDATE documents SET bytes = x'00ff00ff' WHERE id = '{bytes_damaged}'"),
        );
        let mentor =
            damage_store(mentor, &app.address, &format!("UPDATE documents SET header = 'garbage' WHERE id = '{header_damaged}'"));
        assert!(mentor.client.session(&bytes_damaged).is_err(), "{backend}: the damage is real");

        // The healthy document's new words still go up, and the damaged ones come back.
        mentor.client.edit_notes(&healthy, 0, 0, "Written after the damage.").unwrap();
        mentor.client.sync().expect("one damaged document does not stop the sync");
        assert_eq!(mentor.client.pending().unwrap(), 0, "{backend}");
        assert_eq!(mentor.client.session(&bytes_damaged).unwrap().notes, "Bytes kept on the server. ", "{backend}");
        assert_eq!(mentor.client.session(&header_damaged).unwrap().notes, "Header kept too. ", "{backend}");
        let sessions = mentor.client.sessions(m).unwrap();
        assert_eq!(sessions.len(), 3, "{backend}: every session listed again");

        mentee.client.sync().unwrap();
        assert_eq!(mentee.client.session(&healthy).unwrap().notes, "Written after the damage.", "{backend}");
        // And the repaired phone keeps syncing normally.
        mentor.client.edit_notes(&bytes_damaged, 0, 0, "More. ").unwrap();
        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();
        assert_eq!(mentee.client.session(&bytes_damaged).unwrap().notes, "More. Bytes kept on the server. ", "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_damaged_document_with_unsynced_writes_is_left_alone_and_others_sync(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("moor").await;
        let m = &org.mentorship_id;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let damaged = mentor.client.create_session(m, SessionKind::Meeting, "2026-07-04").unwrap();
        let healthy = mentor.client.create_session(m, SessionKind::Meeting, "2026-07-05").unwrap();
        mentor.client.sync().unwrap();
        mentor.client.edit_notes(&damaged, 0, 0, "Not yet synced.").unwrap();

        let mentor =
            damage_store(mentor, &app.address, &format!("UPDATE documents SET bytes = x'00' WHERE id = '{damaged}'"));
        let before: Vec<u8> = std::fs::read(mentor.store_path()).unwrap();
        assert!(!before.is_empty());
        mentor.client.edit_notes(&healthy, 0, 0, "Still goes up.").unwrap();
        mentor.client.sync().expect("one damaged document does not stop the sync");
        mentee.client.sync().unwrap();
        assert_eq!(mentee.client.session(&healthy).unwrap().notes, "Still goes up.", "{backend}");
        assert!(mentor.client.session(&damaged).is_err(), "{backend}: not replaced while it holds unsynced writes");
        assert_eq!(mentor.client.pending().unwrap(), 1, "{backend}: its writes are still counted as pending");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_session_id_learnt_from_a_qr_code_cannot_be_claimed_by_another_pairing(backend) {
        let app = spawn_app(backend).await;
        let victim = app.seed_org("east").await;
        let attacker = app.seed_org("west").await;
        let phone = Phone::login(&app, &victim.mentor.email);
        let m = &victim.mentorship_id;
        // Written offline, shown as a QR code, never synced.
        let sid = phone.client.create_session(m, SessionKind::Shadowing, "2026-11-02").unwrap();
        phone.client.edit_notes(&sid, 0, 0, "Mrs Green settled well 🌷").unwrap();
        phone.client.set_my_account(&sid, "A good first shift.").unwrap();

        // Someone who saw the code offers that id first, under their own pairing:
        // it is not certified for it, so it is refused and nothing is stored.
        let header = DocHeader::session(sid.parse().unwrap(), pair_of(&attacker));
        assert!(!header.id_is_certified(), "{backend}");
        let actor = ActorId::from(hex_decode(&attacker.mentee.session.actor_id));
        let mut doc = Document::create(header, actor).unwrap();
        doc.edit_notes(pair_of(&attacker).mentee_id, 0, 0, "claimed").unwrap();
        let request = SyncRequest {
            protocol: sync_core::protocol::PROTOCOL_VERSION,
            complete_inventory: true,
            documents: vec![craft_offer(&mut doc)],
            oldest_unsynced_secs: None,
            offered_before: Vec::new(),
            cursor: None,
        };
        let reply = post_sync(&app, attacker.mentee.token(), &request).await;
        assert_eq!(reply.purge, vec![header.id], "{backend}");

        // The owner's sync goes through under the same id.
        let report = phone.client.sync().expect("the victim's sync succeeds");
        assert!(report.purged.is_empty(), "{backend}: {report:?}");
        assert_eq!(phone.client.pending().unwrap(), 0, "{backend}");
        let partner = Phone::login(&app, &victim.mentee.email);
        partner.client.sync().unwrap();
        let seen = partner.client.session(&sid).unwrap();
        assert_eq!(seen.notes, "Mrs Green settled well 🌷", "{backend}");
        assert_eq!(seen.accounts.get(&victim.mentor.id).map(String::as_str), Some("A good first shift."), "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_session_made_offline_under_an_old_random_id_goes_up_under_a_certified_one(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("ness").await;
        let phone = Phone::login(&app, &org.mentor.email);
        let m = &org.mentorship_id;
        // As a phone from before certified ids made it (or joined from an old QR code).
        let old = uuid::Uuid::new_v4().to_string();
        phone.client.join_session(&old, m, SessionKind::Shadowing, "2026-11-02").unwrap();
        phone.client.edit_notes(&old, 0, 0, "Mrs Green settled well 🌷").unwrap();
        phone.client.set_my_account(&old, "A good first shift.").unwrap();

        let report = phone.client.sync().expect("the sync succeeds");
        assert_eq!(report.purged, vec![old.clone()], "{backend}: the uncertified id is given up");
        assert_eq!(phone.client.pending().unwrap(), 0, "{backend}: the text went up under the new id");
        let sessions = phone.client.sessions(m).unwrap();
        assert_eq!(sessions.len(), 1, "{backend}: {sessions:?}");
        let moved = &sessions[0];
        assert_ne!(moved.id, old, "{backend}");
        let certified = DocHeader::session(moved.id.parse().unwrap(), pair_of(&org));
        assert!(certified.id_is_certified(), "{backend}");
        assert_eq!(moved.notes, "Mrs Green settled well 🌷", "{backend}");
        assert_eq!(moved.date.as_deref(), Some("2026-11-02"), "{backend}");
        let rejections = phone.client.rejections().unwrap();
        assert!(
            rejections.iter().any(|r| r.document_id == moved.id && r.reason.contains(&old)),
            "{backend}: the user is told where the session went: {rejections:?}"
        );

        // The partner sees it, text and all, under the new id.
        let partner = Phone::login(&app, &org.mentee.email);
        partner.client.sync().unwrap();
        let seen = partner.client.session(&moved.id).unwrap();
        assert_eq!(seen.notes, "Mrs Green settled well 🌷", "{backend}");
        assert_eq!(seen.accounts.get(&org.mentor.id).map(String::as_str), Some("A good first shift."), "{backend}");
    }
}
