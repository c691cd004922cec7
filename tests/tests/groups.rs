//! Issue 14, groups: a coordinator's group, a group session that reaches its
//! three members' phones, a non-member who can neither read it (404, nothing
//! synced) nor write into it with a crafted change, a member's own account that
//! only they write, removal from the group purging the session from that
//! member's phone, and the console's attendance counts. Real server, real
//! clients, both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_server::domain::Role;
use alongside_tests::console::Console;
use alongside_tests::phones::{Phone, craft_offer, post_sync};
use alongside_tests::{assert_error, backend_test, json_body, spawn_app};
use reqwest::Method;
use serde_json::json;
use sync_core::automerge::ActorId;
use sync_core::protocol::SyncRequest;
use sync_core::{ClientError, DocHeader, Document, DocumentId, GroupId, UserId};

fn actor_of(phone: &Phone) -> ActorId {
    let hex = phone.client.account().unwrap().actor_id;
    ActorId::from(
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect::<Vec<u8>>(),
    )
}

fn one_offer(doc: &mut Document) -> SyncRequest {
    SyncRequest {
        protocol: sync_core::protocol::PROTOCOL_VERSION,
        complete_inventory: false,
        documents: vec![craft_offer(doc)],
        oldest_unsynced_secs: None,
        offered_before: Vec::new(),
        cursor: None,
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_session_reaches_members_only_and_leaves_a_removed_member(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("alder").await;
        let outsider_id =
            app.create_person(&org.org_id, "outsider@alder.example", "Owen Outsider", &[Role::Mentee]).await;

        // Coordinators create groups; others may not.
        let body = json!({
            "name": "New starters' circle",
            "facilitator_id": org.mentor.id,
            "member_ids": [org.mentee.id, org.other_mentee.id],
        });
        assert_error(app.post("/v1/groups", Some(org.mentor.token()), &body).await, 403, "forbidden").await;
        let created = app.post("/v1/groups", Some(org.coordinator.token()), &body).await;
        assert_eq!(created.status(), 201, "{backend}");
        let group = json_body(created).await;
        let gid = group["id"].as_str().unwrap().to_owned();
        assert_eq!(group["facilitator_id"], org.mentor.id.as_str());
        let strangers = json!({ "name": "x", "facilitator_id": org.mentor.id, "member_ids": [UserId::new_random()] });
        assert_error(app.post("/v1/groups", Some(org.coordinator.token()), &strangers).await, 400, "unknown_person").await;

        let listed = |token: String| {
            let app = &app;
            async move { json_body(app.get("/v1/groups", Some(&token)).await).await }
        };
        assert_eq!(listed(org.mentee.token().to_owned()).await.as_array().map(Vec::len), Some(1), "{backend}");
        assert_eq!(listed(org.coordinator.token().to_owned()).await.as_array().map(Vec::len), Some(1));

        let facilitator = Phone::login(&app, &org.mentor.email);
        let member = Phone::login(&app, &org.mentee.email);
        let leaver = Phone::login(&app, &org.other_mentee.email);
        let outsider = Phone::login(&app, "outsider@alder.example");
        assert!(outsider.client.groups().unwrap().is_empty(), "{backend}");
        let groups = member.client.groups().unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].member_ids.len(), 2);

        // A member's live connection hears of the group's documents.
        let ws_url = format!("{}/v1/sync/live", app.address.replace("http://", "ws://"));
        let mut request = tungstenite::client::IntoClientRequest::into_client_request(ws_url.as_str()).unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {}", member.access_token()).parse().unwrap());
        let (mut socket, _) = tungstenite::connect(request).unwrap();
        if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        }

        // The facilitator starts the session offline; the notes take UTF-16 indexes.
        let sid = facilitator.client.create_group_session(&gid, "2026-12-02").unwrap();
        facilitator.client.edit_group_notes(&sid, 0, 0, "Week one 👋").unwrap();
        facilitator.client.edit_group_notes(&sid, 11, 0, " went well").unwrap();
        facilitator.client.set_attendance(&sid, &org.mentee.id, true).unwrap();
        let not_a_member = facilitator.client.set_attendance(&sid, &outsider_id, true);
        assert!(matches!(not_a_member, Err(ClientError::Invalid { .. })), "{backend}: {not_a_member:?}");
        facilitator.client.sync().unwrap();
        loop {
            match socket.read().unwrap() {
                tungstenite::Message::Text(text) if text.contains(&sid) => break,
                _ => continue,
            }
        }

        for phone in [&member, &leaver] {
            let report = phone.client.sync().unwrap();
            assert_eq!(report.docs_received, 1, "{backend}: {report:?}");
        }
        member.client.set_my_group_account(&sid, "I felt less alone").unwrap();
        leaver.client.set_attendance(&sid, &org.other_mentee.id, true).unwrap();
        leaver.client.edit_group_notes(&sid, 0, 0, "Circle: ").unwrap();
        for phone in [&member, &leaver, &facilitator, &member, &leaver] {
            assert!(phone.client.sync().unwrap().rejected.is_empty(), "{backend}");
        }
        let seen = facilitator.client.group_session(&sid).unwrap();
        assert_eq!(seen, member.client.group_session(&sid).unwrap(), "{backend}");
        assert_eq!(seen, leaver.client.group_session(&sid).unwrap(), "{backend}");
        assert_eq!(seen.notes, "Circle: Week one 👋 went well", "{backend}");
        assert_eq!(seen.accounts.get(&org.mentee.id).map(String::as_str), Some("I felt less alone"));
        assert_eq!(seen.attendance.values().filter(|a| **a).count(), 2);
        assert_eq!(seen.date.as_deref(), Some("2026-12-02"));

        // A non-member: nothing synced, 404 on the document.
        let report = outsider.client.sync().unwrap();
        assert_eq!(report.docs_received, 0, "{backend}: {report:?}");
        let missing = outsider.client.group_session(&sid);
        assert!(matches!(missing, Err(ClientError::NotFound { .. })), "{backend}: {missing:?}");
        let path = format!("/v1/documents/{sid}");
        assert_eq!(app.get(&path, Some(&outsider.access_token())).await.status(), 404, "{backend}");
        assert_eq!(app.get(&path, Some(org.coordinator.token())).await.status(), 404, "{backend}");
        let doc = json_body(app.get(&path, Some(&member.access_token())).await).await;
        assert_eq!(doc["view"]["notes"], "Circle: Week one 👋 went well", "{doc}");

        // A crafted change by the non-member is refused: the id is purged and the
        // server's copy is unchanged.
        let header = DocHeader::group_session(sid.parse::<DocumentId>().unwrap(), gid.parse::<GroupId>().unwrap());
        let outsider_user: UserId = outsider_id.parse().unwrap();
        let mut crafted = Document::create(header, actor_of(&outsider)).unwrap();
        crafted.edit_group_notes(outsider_user, 0, 0, "injected ").unwrap();
        let reply = post_sync(&app, &outsider.access_token(), &one_offer(&mut crafted)).await;
        assert_eq!(reply.purge, vec![header.id], "{backend}");
        assert!(reply.documents.is_empty());
        // So is a member writing another member's own account.
        let member_user: UserId = org.mentee.id.parse().unwrap();
        // Built on the server's copy, so its sequence numbers follow the member's
        // own earlier changes (a reused one is refused as a rolled-back store).
        let mut forged = Document::create(header, actor_of(&member)).unwrap();
        let fetch = SyncRequest {
            protocol: sync_core::protocol::PROTOCOL_VERSION,
            complete_inventory: false,
            documents: vec![sync_core::protocol::DocOffer {
                header,
                heads: Vec::new(),
                changes: Vec::new(),
                sync_message: None,
            }],
            oldest_unsynced_secs: None,
            offered_before: Vec::new(),
            cursor: None,
        };
        let copy = post_sync(&app, &member.access_token(), &fetch).await;
        let reply = &copy.documents[0];
        if let Some(snapshot) = &reply.snapshot {
            forged = Document::load(header, snapshot, actor_of(&member)).unwrap();
        }
        let missing: Vec<_> =
            reply.changes.iter().map(|c| sync_core::automerge::Change::from_bytes(c.to_vec()).unwrap()).collect();
        forged.apply_changes(missing).unwrap();
        let other_account = sync_core::rules::check_path(
            &header,
            member_user,
            &sync_core::rules::Path::keys(["accounts", org.other_mentee.id.as_str()]),
        );
        assert!(other_account.is_err(), "the phone's rules refuse it before writing");
        forged.set_my_group_account(member_user, "mine").unwrap();
        {
            use sync_core::automerge::ReadDoc;
            use sync_core::automerge::transaction::Transactable;
            let doc = forged.automerge();
            let (_, accounts) = doc.get(sync_core::automerge::ROOT, "accounts").unwrap().unwrap();
            doc.put(&accounts, org.other_mentee.id.as_str(), "words put in Noor's mouth").unwrap();
            doc.commit();
        }
        let reply = post_sync(&app, &member.access_token(), &one_offer(&mut forged)).await;
        let rejection = reply.documents[0].rejection.as_ref().expect("refused");
        assert_eq!(rejection.code, "author_only", "{backend}: {rejection:?}");
        let doc = json_body(app.get(&path, Some(&member.access_token())).await).await;
        assert_eq!(doc["view"]["notes"], "Circle: Week one 👋 went well", "{backend}: nothing injected");
        assert!(doc["view"]["accounts"].get(org.other_mentee.id.as_str()).is_none(), "{doc}");

        // The console: sessions held and attendance counts, never the notes.
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, page) = console.page("/console/groups").await;
        assert_eq!(status, 200);
        assert!(page.contains("data-sessions-held=\"1\""), "{backend}: {page}");
        assert!(page.contains("data-attended=\"2\""), "{backend}: {page}");
        assert!(!page.contains("went well") && !page.contains("less alone"), "{backend}: no notes on the console");

        // Removing a member purges the group's documents from their phone.
        let patched = app
            .request(
                Method::PATCH,
                &format!("/v1/groups/{gid}"),
                Some(org.coordinator.token()),
                Some(&json!({ "member_ids": [org.mentee.id] })),
            )
            .await;
        assert_eq!(patched.status(), 200, "{backend}");
        let report = leaver.client.sync().unwrap();
        assert_eq!(report.purged, vec![sid.clone()], "{backend}: {report:?}");
        assert!(matches!(leaver.client.group_session(&sid), Err(ClientError::NotFound { .. })), "{backend}");
        assert!(leaver.client.groups().unwrap().is_empty(), "{backend}");
        assert_eq!(app.get(&path, Some(&leaver.access_token())).await.status(), 404, "{backend}");
        // The others keep it.
        member.client.sync().unwrap();
        assert_eq!(member.client.group_session(&sid).unwrap().notes, "Circle: Week one 👋 went well");
    }
}
