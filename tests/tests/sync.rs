//! End-to-end sync: the real server on a free port, real sync-core clients acting
//! as phones, on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::phones::{Phone, craft_offer, post_sync};
use alongside_tests::{backend_test, spawn_app};
use serde_json::json;
use sync_core::automerge::transaction::Transactable;
use sync_core::automerge::{ActorId, ROOT, ReadDoc};
use sync_core::protocol::SyncRequest;
use sync_core::{ClientError, DocHeader, Document, DocumentId, GoalCategory, Pair, SessionKind};

fn pair_of(fixture: &alongside_tests::OrgFixture) -> Pair {
    Pair {
        mentorship_id: fixture.mentorship_id.parse().unwrap(),
        mentor_id: fixture.mentor.id.parse().unwrap(),
        mentee_id: fixture.mentee.id.parse().unwrap(),
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_phones_offline_start_the_same_session_and_converge(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("river").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let m = &org.mentorship_id;

        // Both offline: the mentee scans the session id from the mentor's QR code.
        let sid = mentor.client.create_session(m, SessionKind::Shadowing, "2026-03-14").unwrap();
        mentee.client.join_session(&sid, m, SessionKind::Shadowing, "2026-03-14").unwrap();
        mentor.client.edit_notes(&sid, 0, 0, "Hoist transfer with Mr Jones, room 4. ").unwrap();
        mentee.client.edit_notes(&sid, 0, 0, "Zoë showed me the dementia unit 🌷").unwrap();
        mentor.client.set_my_account(&sid, "Steady; needs confidence with families.").unwrap();
        mentee.client.set_my_account(&sid, "Nervous at first, better after lunch.").unwrap();
        assert_eq!(mentor.client.pending().unwrap(), 1);

        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();
        mentor.client.sync().unwrap();

        let a = mentor.client.session(&sid).unwrap();
        let b = mentee.client.session(&sid).unwrap();
        assert_eq!(a, b, "{backend}");
        assert!(a.notes.contains("Hoist transfer with Mr Jones, room 4. "), "{backend}: {}", a.notes);
        assert!(a.notes.contains("Zoë showed me the dementia unit 🌷"), "{backend}: {}", a.notes);
        assert_eq!(a.accounts.len(), 2);
        assert_eq!(mentor.client.sessions(m).unwrap().len(), 1, "{backend}: one session, no duplicate");
        assert_eq!(mentee.client.sessions(m).unwrap().len(), 1);
        assert_eq!(mentor.client.pending().unwrap(), 0);
        assert_eq!(mentee.client.pending().unwrap(), 0);
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forbidden_writes_are_refused_locally_and_crafted_ones_rejected_by_the_server(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("brook").await;
        let pair = pair_of(&org);
        let mentee = Phone::login(&app, &org.mentee.email);
        let sid = mentee.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-04-01").unwrap();
        let refused = mentee.client.set_feedback(&sid, "I was brilliant", "none");
        assert!(matches!(refused, Err(ClientError::Forbidden { .. })), "{backend}: {refused:?}");

        // A modified app skips the client check: it writes mentor feedback into a new
        // session, and also adds a goal (allowed) in the same request.
        let actor = ActorId::from(hex_decode(&org.mentee.session.actor_id));
        let session_header = DocHeader::new_session(pair);
        let mut forged = Document::create(session_header, actor.clone()).unwrap();
        let feedback = forged.automerge_ref().get(ROOT, "feedback").unwrap().unwrap().1;
        forged.automerge().put(&feedback, "strengths", "forged praise").unwrap();
        forged.automerge().commit();
        let mut plan = Document::create(DocHeader::goal_plan(pair), actor).unwrap();
        plan.add_goal(pair.mentee_id, "Lead a handover", GoalCategory::Confidence, None).unwrap();
        let request = SyncRequest {
            protocol: sync_core::protocol::PROTOCOL_VERSION,
            complete_inventory: false,
            documents: vec![craft_offer(&mut forged), craft_offer(&mut plan)],
            oldest_unsynced_secs: None,
            offered_before: Vec::new(),
            cursor: None,
        };
        let reply = post_sync(&app, org.mentee.token(), &request).await;
        let session_reply = reply.documents.iter().find(|d| d.header.id == session_header.id).unwrap();
        let rejection = session_reply.rejection.as_ref().expect("the forged change is rejected");
        assert_eq!(rejection.code, "mentor_only", "{backend}");
        assert_eq!(rejection.path, "/feedback/strengths");
        let plan_reply = reply.documents.iter().find(|d| d.header.id == plan.header().id).unwrap();
        assert!(plan_reply.rejection.is_none(), "{backend}: the other document is accepted");
        assert_eq!(plan_reply.heads, sync_core::protocol::heads_to_wire(&plan.heads()));

        // Replaying the same request is harmless.
        let again = post_sync(&app, org.mentee.token(), &request).await;
        let plan_again = again.documents.iter().find(|d| d.header.id == plan.header().id).unwrap();
        assert_eq!(plan_again.heads, plan_reply.heads, "{backend}");

        // The mentor sees the goal, and never the forged praise.
        let mentor = Phone::login(&app, &org.mentor.email);
        mentor.client.sync().unwrap();
        let goals = mentor.client.goals(&org.mentorship_id).unwrap();
        assert_eq!(goals.len(), 1, "{backend}");
        assert!(mentor.client.session(&session_header.id.to_string()).is_err(), "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_carrying_another_devices_actor_is_rejected(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("ford").await;
        let pair = pair_of(&org);
        // Signed in as the mentee's device, but the change claims the mentor's actor.
        let impostor = ActorId::from(hex_decode(&org.mentor.session.actor_id));
        let mut doc = Document::create(DocHeader::new_session(pair), impostor).unwrap();
        doc.edit_notes(pair.mentee_id, 0, 0, "written under someone else's name").unwrap();
        let request = SyncRequest {
            protocol: sync_core::protocol::PROTOCOL_VERSION,
            complete_inventory: false,
            documents: vec![craft_offer(&mut doc)],
            oldest_unsynced_secs: None,
            offered_before: Vec::new(),
            cursor: None,
        };
        let reply = post_sync(&app, org.mentee.token(), &request).await;
        assert_eq!(reply.documents[0].rejection.as_ref().map(|r| r.code.as_str()), Some("wrong_actor"), "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_late_offline_edit_after_sign_off_is_kept_and_flags_the_session_amended(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("weir").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let sid = mentor.client.create_session(&org.mentorship_id, SessionKind::Shadowing, "2026-05-02").unwrap();
        mentor.client.edit_notes(&sid, 0, 0, "Night shift handover.").unwrap();
        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();

        mentor.client.sign_off(&sid).unwrap();
        mentor.client.sync().unwrap();
        // The mentee, offline since the last sync, adds a line.
        mentee.client.edit_notes(&sid, 0, 0, "Also: fire drill at 3am. ").unwrap();
        let report = mentee.client.sync().unwrap();
        assert!(report.rejected.is_empty(), "{backend}: a late edit is never rejected for being late");
        mentor.client.sync().unwrap();

        let view = mentor.client.session(&sid).unwrap();
        assert!(view.notes.contains("Also: fire drill at 3am."), "{backend}");
        assert!(view.mentor_sign_off.is_some());
        assert!(view.amended_after_sign_off, "{backend}");
        assert_eq!(view.amended_parts, vec!["notes".to_owned()]);
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ended_pairing_purges_its_documents_and_a_revoked_device_wipes(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("marsh").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        let mentor = Phone::login(&app, &org.mentor.email);
        let sid = mentee.client.create_session(&org.mentorship_id, SessionKind::CheckIn, "2026-05-03").unwrap();
        mentee.client.add_goal(&org.mentorship_id, "Feel at home on nights", GoalCategory::Wellbeing, None).unwrap();
        mentee.client.sync().unwrap();

        let ended = app
            .post(
                &format!("/v1/mentorships/{}/end", org.mentorship_id),
                Some(org.coordinator.token()),
                &json!({ "reason": "mentee moved to another home" }),
            )
            .await;
        assert!(ended.status().is_success(), "{backend}: {}", ended.status());
        let report = mentee.client.sync().unwrap();
        assert_eq!(report.purged.len(), 2, "{backend}: session and goal plan purged: {report:?}");
        assert!(matches!(mentee.client.session(&sid), Err(ClientError::NotFound { .. })));

        let device = mentor.client.account().unwrap().device_id;
        let revoked =
            app.post(&format!("/v1/devices/{device}/revoke"), Some(org.coordinator.token()), &json!({})).await;
        assert!(revoked.status().is_success(), "{backend}: {}", revoked.status());
        let store = mentor.store_path();
        assert!(store.exists());
        let result = mentor.client.sync();
        assert!(matches!(result, Err(ClientError::Revoked { .. })), "{backend}: {result:?}");
        assert!(!store.exists(), "{backend}: the revoked device's store is wiped");
        assert!(mentor.client.account().is_none());
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifty_documents_with_changes_on_both_sides_converge_in_one_round_trip(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("lock").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let ids: Vec<String> = (0..50)
            .map(|i| {
                let date = format!("2026-0{}-{:02}", 1 + i / 28, 1 + i % 28);
                mentor.client.create_session(&org.mentorship_id, SessionKind::Shadowing, &date).unwrap()
            })
            .collect();
        mentor.client.sync().unwrap();
        let first = mentee.client.sync().unwrap();
        assert_eq!(first.docs_received, 50, "{backend}");

        // A long shift offline: the mentee changes 20 documents, the mentor 20 others.
        for sid in &ids[..20] {
            mentee.client.set_my_account(sid, "Learnt the medication round.").unwrap();
        }
        for sid in &ids[30..] {
            mentor.client.edit_notes(sid, 0, 0, "Mentor's note after the shift.").unwrap();
        }
        mentor.client.sync().unwrap();

        let report = mentee.client.sync().unwrap();
        assert_eq!(report.round_trips, 1, "{backend}: {report:?}");
        assert_eq!(report.docs_sent, 20);
        assert_eq!(report.docs_received, 20);
        assert_eq!(mentee.client.pending().unwrap(), 0);
        mentor.client.sync().unwrap();
        for sid in &ids {
            assert_eq!(mentor.client.session(sid).unwrap(), mentee.client.session(sid).unwrap(), "{backend}");
        }
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_bodies_get_clear_errors_and_others_keep_syncing(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("pond").await;
        let token = org.mentee.token().to_owned();
        let send = |body: Vec<u8>, content_type: &'static str| {
            let request = app.client.post(app.url("/v1/sync")).bearer_auth(&token).header("content-type", content_type);
            request.body(body).send()
        };

        let garbage = send(b"\xff\x00 definitely not cbor".to_vec(), "application/cbor").await.unwrap();
        assert_eq!(garbage.status(), 400, "{backend}");
        let body: serde_json::Value = garbage.json().await.unwrap();
        assert_eq!(body["error"], "malformed_sync_body");

        let mut doc = Document::create(
            DocHeader::new_session(pair_of(&org)),
            ActorId::from(hex_decode(&org.mentee.session.actor_id)),
        )
        .unwrap();
        let valid = sync_core::protocol::encode(&SyncRequest {
            protocol: sync_core::protocol::PROTOCOL_VERSION,
            complete_inventory: false,
            documents: vec![craft_offer(&mut doc)],
            oldest_unsynced_secs: None,
            offered_before: Vec::new(),
            cursor: None,
        })
        .unwrap();
        let truncated = send(valid[..valid.len() / 2].to_vec(), "application/cbor").await.unwrap();
        assert_eq!(truncated.status(), 400, "{backend}");

        let wrong_type = send(valid.clone(), "application/json").await.unwrap();
        assert_eq!(wrong_type.status(), 415, "{backend}");
        let body: serde_json::Value = wrong_type.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("application/cbor"));

        let oversized = send(vec![0u8; 33 * 1024 * 1024], "application/cbor").await.unwrap();
        assert_eq!(oversized.status(), 413, "{backend}");

        let anonymous =
            app.client.post(app.url("/v1/sync")).header("content-type", "application/cbor").body(valid).send().await;
        assert_eq!(anonymous.unwrap().status(), 401);

        // The server keeps serving everyone else.
        let phone = Phone::login(&app, &org.mentor.email);
        phone.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-06-01").unwrap();
        assert_eq!(phone.client.sync().unwrap().rejected.len(), 0, "{backend}");
    }
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lost_sync_state_falls_back_to_automerge_sync_and_converges(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("tarn").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let sid = mentor.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-09-01").unwrap();
        mentor.client.sync().unwrap();
        mentor.client.edit_notes(&sid, 0, 0, "Written offline after the last sync.").unwrap();

        // The phone wrongly believes the server already has its latest change (its
        // record of the server's heads is corrupt), so the shortcut sends nothing.
        let id: DocumentId = sid.parse().unwrap();
        let heads = {
            let mut store = sync_core::Store::open(&mentor.store_path()).unwrap();
            let stored = store.load(id).unwrap().unwrap();
            let mut doc = Document::load(stored.header, &stored.bytes, ActorId::random()).unwrap();
            let heads: Vec<String> = doc.heads().iter().map(ToString::to_string).collect();
            let seq = store.sync_mark(id).unwrap().unwrap().local_seq;
            store.mark_synced(id, &heads, seq - 1).unwrap();
            heads
        };
        assert_eq!(heads.len(), 1);

        let report = mentor.client.sync().unwrap();
        assert!(report.round_trips > 1, "{backend}: the fallback takes more than one round trip: {report:?}");
        let mentee = Phone::login(&app, &org.mentee.email);
        mentee.client.sync().unwrap();
        assert!(
            mentee.client.session(&sid).unwrap().notes.contains("Written offline after the last sync."),
            "{backend}"
        );
        assert_eq!(mentor.client.pending().unwrap(), 0, "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_phones_syncing_at_once_all_succeed(backend) {
        let app = spawn_app(backend).await;
        let org = app.create_org("Busy Care").await;
        let mut people = Vec::new();
        for i in 0..6 {
            let mentor_email = format!("mentor{i}@busy.example");
            let mentee_email = format!("mentee{i}@busy.example");
            let mentor =
                app.create_person(&org, &mentor_email, "Mentor", &[alongside_server::domain::Role::Mentor]).await;
            let mentee =
                app.create_person(&org, &mentee_email, "Mentee", &[alongside_server::domain::Role::Mentee]).await;
            let mentorship = app.pair(&org, &mentor, &mentee).await;
            people.push((mentorship.clone(), mentor_email));
            people.push((mentorship, mentee_email));
        }
        let phones: Vec<(String, Phone)> =
            people.into_iter().map(|(mentorship, email)| (mentorship, Phone::login(&app, &email))).collect();
        // Everyone writes, then everyone syncs at the same moment, three times over:
        // concurrent writers must queue, never fail (SQLite's "database is locked").
        let barrier = std::sync::Barrier::new(phones.len());
        std::thread::scope(|scope| {
            for (mentorship, phone) in &phones {
                let barrier = &barrier;
                scope.spawn(move || {
                    for round in 0..3 {
                        let sid = phone.client.create_session(mentorship, SessionKind::CheckIn, "2026-10-01").unwrap();
                        phone.client.edit_notes(&sid, 0, 0, &format!("round {round}")).unwrap();
                        barrier.wait();
                        let report = phone.client.sync();
                        assert!(report.is_ok(), "{backend}: {report:?}");
                    }
                });
            }
        });
        for (_, phone) in &phones {
            assert_eq!(phone.client.pending().unwrap(), 0, "{backend}");
        }
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_document_id_from_another_organisation_is_refused_and_reveals_nothing(backend) {
        let app = spawn_app(backend).await;
        let victim = app.seed_org("north").await;
        let attacker = app.seed_org("south").await;
        let phone = Phone::login(&app, &victim.mentor.email);
        let sid = phone.client.create_session(&victim.mentorship_id, SessionKind::Shadowing, "2026-11-01").unwrap();
        phone.client.edit_notes(&sid, 0, 0, "Confidential: Mrs Green's care plan").unwrap();
        phone.client.sync().unwrap();

        // The attacker learnt the id and offers a document with it under their own pair.
        let header = DocHeader::session(sid.parse().unwrap(), pair_of(&attacker));
        let actor = ActorId::from(hex_decode(&attacker.mentee.session.actor_id));
        let mut doc = Document::create(header, actor).unwrap();
        doc.edit_notes(pair_of(&attacker).mentee_id, 0, 0, "overwrite").unwrap();
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
        assert!(reply.documents.iter().all(|d| d.header.id != header.id), "{backend}: nothing about it is sent");

        // The victim's document is untouched.
        let other_phone = Phone::login(&app, &victim.mentee.email);
        other_phone.client.sync().unwrap();
        let notes = other_phone.client.session(&sid).unwrap().notes;
        assert_eq!(notes, "Confidential: Mrs Green's care plan", "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_document_reads_as_json_only_for_those_who_may_read_it(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("fen").await;
        let other = app.seed_org("moor").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        let sid = mentee.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-10-02").unwrap();
        mentee.client.edit_notes(&sid, 0, 0, "Handover with Siân 🌼").unwrap();
        let goal =
            mentee.client.add_goal(&org.mentorship_id, "Lead a handover", GoalCategory::Confidence, None).unwrap();
        let entry = mentee
            .client
            .add_reflection(&sync_core::ReflectionInput { what_happened: "A hard night".into(), ..Default::default() })
            .unwrap();
        mentee.client.sync().unwrap();

        let path = format!("/v1/documents/{sid}");
        let body = alongside_tests::json_body(app.get(&path, Some(org.mentor.token())).await).await;
        assert_eq!(body["kind"], "session", "{backend}: {body}");
        assert_eq!(body["mentorship_id"], org.mentorship_id.as_str());
        assert_eq!(body["view"]["notes"], "Handover with Siân 🌼", "{backend}: {body}");
        assert!(!body["heads"].as_array().unwrap().is_empty());

        let plan = DocumentId::goal_plan_of(org.mentorship_id.parse().unwrap());
        let body =
            alongside_tests::json_body(app.get(&format!("/v1/documents/{plan}"), Some(org.mentor.token())).await).await;
        assert_eq!(body["view"]["goals"][0]["id"], goal.as_str(), "{backend}: {body}");

        let journal = DocumentId::journal_of(org.mentee.id.parse().unwrap());
        let journal_path = format!("/v1/documents/{journal}");
        let body = alongside_tests::json_body(app.get(&journal_path, Some(org.mentee.token())).await).await;
        assert_eq!(body["view"]["reflections"][0]["id"], entry.as_str(), "{backend}: {body}");
        assert_eq!(body["owner_id"], org.mentee.id.as_str());

        // Everyone else: 404 alike, whether the document exists or not.
        for (who, token, path) in [
            ("the mentor, for the mentee's journal", org.mentor.token(), &journal_path),
            ("the coordinator", org.coordinator.token(), &path),
            ("the admin", org.admin.token(), &path),
            ("an unpaired mentee", org.other_mentee.token(), &path),
            ("another organisation's mentor", other.mentor.token(), &path),
        ] {
            let response = app.get(path, Some(token)).await;
            assert_eq!(response.status().as_u16(), 404, "{backend}: {who}");
        }
        let missing = format!("/v1/documents/{}", DocumentId::new_random());
        alongside_tests::assert_error(app.get(&missing, Some(org.mentor.token())).await, 404, "not_found").await;
        alongside_tests::assert_error(
            app.get("/v1/documents/not-an-id", Some(org.mentor.token())).await,
            404,
            "not_found",
        )
        .await;
        assert_eq!(app.get(&path, None).await.status().as_u16(), 401, "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn signing_in_again_keeps_the_device_so_unsynced_notes_still_sync(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("wold").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        let first = mentee.client.account().unwrap();
        let sid = mentee.client.create_session(&org.mentorship_id, SessionKind::Shadowing, "2026-11-20").unwrap();
        mentee.client.edit_notes(&sid, 0, 0, "Night shift: learnt the falls protocol").unwrap();

        // Forced to sign in again before syncing (say the refresh token was lost),
        // then signed out keeping data and in once more: still the same device.
        let again = mentee.client.login(&org.mentee.email, alongside_tests::PASSWORD, "phone").unwrap();
        assert_eq!(again.device_id, first.device_id, "{backend}");
        assert_eq!(again.actor_id, first.actor_id, "{backend}");
        mentee.client.logout(sync_core::SignOut::KeepData).unwrap();
        let third = mentee.client.login(&org.mentee.email.to_uppercase(), alongside_tests::PASSWORD, "phone").unwrap();
        assert_eq!(third.device_id, first.device_id, "{backend}: emails compare as the server does");

        let report = mentee.client.sync().unwrap();
        assert!(report.rejected.is_empty(), "{backend}: {report:?}");
        let mentor = Phone::login(&app, &org.mentor.email);
        mentor.client.sync().unwrap();
        assert_eq!(mentor.client.session(&sid).unwrap().notes, "Night shift: learnt the falls protocol", "{backend}");

        // A device that is revoked, or someone else's, is never taken over.
        let login = |device_id: &str| {
            json!({ "email": org.mentee.email, "password": alongside_tests::PASSWORD,
                    "device_name": "x", "device_id": device_id })
        };
        let other = alongside_tests::json_body(
            app.post("/v1/auth/login", None, &login(&mentor.client.account().unwrap().device_id)).await,
        )
        .await;
        assert_ne!(other["device"]["id"], mentor.client.account().unwrap().device_id.as_str(), "{backend}");
        let revoke = format!("/v1/devices/{}/revoke", first.device_id);
        assert!(app.post(&revoke, Some(org.coordinator.token()), &json!({})).await.status().is_success());
        let fresh = alongside_tests::json_body(app.post("/v1/auth/login", None, &login(&first.device_id)).await).await;
        assert_ne!(fresh["device"]["id"], first.device_id.as_str(), "{backend}: a revoked device stays revoked");
    }
}
