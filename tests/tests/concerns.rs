//! Issue 15, concerns: a mentee raises one on an offline phone; it reaches the
//! coordinators (API and console inbox, flagged on the dashboard when it is
//! about safeguarding) and never the partner's phone; the coordinator's
//! response reaches the author's phone; the author cannot write the response,
//! the partner cannot write at all, and another organisation's coordinator
//! gets 404. Real server, real clients, both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::console::Console;
use alongside_tests::phones::{Phone, craft_offer, post_sync};
use alongside_tests::{assert_error, backend_test, json_body, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::json;
use sync_core::automerge::transaction::Transactable;
use sync_core::automerge::{ActorId, ROOT, ReadDoc};
use sync_core::protocol::SyncRequest;
use sync_core::{
    Client, ClientError, ConcernKind, ConcernStatus, DocHeader, Document, DocumentId, MentorshipId, UserId,
};

const WORRY: &str = "I saw bruising on Mr Ahmed's arm after the night shift and Zoë said not to mention it 😟";

fn actor(hex: &str) -> ActorId {
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

/// The same phone (data folder, account) with no server to reach.
fn offline(phone: Phone) -> Phone {
    let Phone { client, dir } = phone;
    drop(client);
    Phone { client: Client::new(dir.path(), "http://127.0.0.1:9").unwrap(), dir }
}

/// The same phone back online.
fn online(phone: Phone, address: &str) -> Phone {
    let Phone { client, dir } = phone;
    drop(client);
    Phone { client: Client::new(dir.path(), address).unwrap(), dir }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_concern_reaches_the_coordinator_never_the_partner_and_the_answer_reaches_the_author(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("rowan").await;
        let m = org.mentorship_id.clone();

        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = offline(Phone::login(&app, &org.mentee.email));

        // Raised with no signal: written locally, pending, readable at once.
        let bad_kind = mentee.client.raise_concern(&m, "gossip", WORRY);
        assert!(matches!(bad_kind, Err(ClientError::Invalid { .. })), "{backend}: {bad_kind:?}");
        let blank = mentee.client.raise_concern(&m, "other", "   ");
        assert!(matches!(blank, Err(ClientError::Invalid { .. })), "{backend}: {blank:?}");
        let id = mentee.client.raise_concern(&m, "safeguarding", WORRY).unwrap();
        let other = mentee.client.raise_concern(&m, "pairing_not_working", "We never overlap on shifts.").unwrap();
        assert_eq!(mentee.client.pending().unwrap(), 2, "{backend}");
        assert!(matches!(mentee.client.sync(), Err(ClientError::Offline { .. })), "{backend}");
        let mine = mentee.client.concerns().unwrap();
        assert_eq!(mine.len(), 2, "{backend}");
        let raised = mine.iter().find(|c| c.id == id).unwrap();
        assert_eq!((raised.kind.as_str(), raised.status.as_str(), raised.text.as_str()), ("safeguarding", "open", WORRY));
        assert_eq!(raised.mentorship_id, m);
        assert!(raised.response.is_empty() && raised.raised_at.is_some());

        // Nothing reached the server yet.
        let none = json_body(app.get("/v1/concerns", Some(org.coordinator.token())).await).await;
        assert_eq!(none.as_array().unwrap().len(), 0, "{backend}: {none}");

        // Back online: one sync sends both.
        let mentee = online(mentee, &app.address);
        let report = mentee.client.sync().unwrap();
        assert!(report.rejected.is_empty(), "{backend}: {:?}", report.rejected);
        assert_eq!(mentee.client.pending().unwrap(), 0, "{backend}");

        // The coordinator reads them, with the words, through the API...
        let list = json_body(app.get("/v1/concerns", Some(org.coordinator.token())).await).await;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2, "{backend}: {list:?}");
        let item = list.iter().find(|c| c["id"] == id.as_str()).unwrap();
        assert_eq!(item["kind"], "safeguarding");
        assert_eq!(item["status"], "open");
        assert_eq!(item["text"], WORRY);
        assert_eq!(item["mentorship_id"], m.as_str());
        assert_eq!(item["author_id"], org.mentee.id.as_str());
        assert_eq!(item["author_name"], "Mia Mentee");
        let open = json_body(app.get("/v1/concerns?status=open", Some(org.coordinator.token())).await).await;
        assert_eq!(open.as_array().unwrap().len(), 2, "{backend}");
        let closed = json_body(app.get("/v1/concerns?status=closed", Some(org.coordinator.token())).await).await;
        assert_eq!(closed.as_array().unwrap().len(), 0, "{backend}");
        assert_error(app.get("/v1/concerns?status=pending", Some(org.coordinator.token())).await, 400, "invalid_status").await;

        // ...and in the console's inbox; the dashboard flags the safeguarding
        // concern without its words.
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, inbox) = console.page("/console/concerns").await;
        assert_eq!(status, 200, "{backend}");
        assert!(inbox.contains(&format!("data-concern=\"{id}\"")), "{backend}");
        assert!(inbox.contains("bruising on Mr Ahmed"), "{backend}: the inbox shows the author's words");
        assert!(inbox.contains("href=\"/console/concerns\""), "{backend}: the inbox is in the navigation");
        let (_, dashboard) = console.page("/console").await;
        assert!(dashboard.contains("data-open-safeguarding=\"1\""), "{backend}: flagged");
        assert!(dashboard.find("data-open-safeguarding").unwrap() < dashboard.find("id=\"live\"").unwrap(), "at the top");
        assert!(!dashboard.contains("bruising"), "{backend}: the dashboard never shows a concern's words");
        let (_, pairing) = console.page(&format!("/console/pairings/{m}")).await;
        assert!(!pairing.contains("bruising"), "{backend}: only the inbox shows them");

        // The partner syncs and holds no concern; the server does not show it to them.
        let report = mentor.client.sync().unwrap();
        assert!(report.rejected.is_empty());
        assert!(mentor.client.concerns().unwrap().is_empty(), "{backend}: the partner holds no concern");
        let path = format!("/v1/documents/{id}");
        assert_eq!(app.get(&path, Some(org.mentor.token())).await.status(), 404, "{backend}: partner");
        assert_eq!(app.get(&path, Some(org.coordinator.token())).await.status(), 404, "{backend}: coordinators use the inbox");
        let doc = json_body(app.get(&path, Some(org.mentee.token())).await).await;
        assert_eq!(doc["view"]["text"], WORRY, "{backend}: the author reads their own");
        assert_error(app.get("/v1/concerns", Some(org.mentor.token())).await, 403, "forbidden").await;
        assert_error(app.get("/v1/concerns", Some(org.admin.token())).await, 403, "forbidden").await;

        // The coordinator acknowledges in the console (a CSRF-checked form)...
        let refused = console.post_raw(&format!("/console/concerns/{id}/acknowledge"), &[("response", "x")]).await;
        assert_eq!(refused.status(), 403, "{backend}: no CSRF token, no answer");
        let done = console
            .post(&format!("/console/concerns/{id}/acknowledge"), &[("response", "Thank you. I will call you today.")])
            .await;
        assert_eq!(done.status(), 303, "{backend}");
        mentee.client.sync().unwrap();
        let seen = mentee.client.concerns().unwrap().into_iter().find(|c| c.id == id).unwrap();
        assert_eq!(seen.status, "acknowledged", "{backend}: {seen:?}");
        assert_eq!(seen.response, "Thank you. I will call you today.");
        assert!(seen.acknowledged_at.is_some() && seen.closed_at.is_none());

        // ...and closes it through the API; the author's phone gets that too.
        assert_error(
            app.post(&format!("/v1/concerns/{id}/close"), Some(org.coordinator.token()), &json!({ "response": "  " })).await,
            400,
            "missing_field",
        )
        .await;
        let closed = app
            .post(&format!("/v1/concerns/{id}/close"), Some(org.coordinator.token()), &json!({ "response": "Passed to the safeguarding lead, who will meet you on Friday." }))
            .await;
        assert_eq!(closed.status(), 200, "{backend}");
        let closed = json_body(closed).await;
        assert_eq!(closed["status"], "closed");
        assert!(closed["closed_at"].is_string() && closed["acknowledged_at"].is_string(), "{closed}");
        assert_error(
            app.post(&format!("/v1/concerns/{id}/acknowledge"), Some(org.coordinator.token()), &json!({ "response": "again" })).await,
            409,
            "concern_closed",
        )
        .await;
        mentee.client.sync().unwrap();
        let seen = mentee.client.concerns().unwrap().into_iter().find(|c| c.id == id).unwrap();
        assert_eq!(seen.status, "closed", "{backend}");
        assert_eq!(seen.response, "Passed to the safeguarding lead, who will meet you on Friday.");
        let (_, dashboard) = console.page("/console").await;
        assert!(!dashboard.contains("data-open-safeguarding"), "{backend}: a closed concern is no longer flagged");
        let (_, closed_tab) = console.page("/console/concerns?show=closed").await;
        assert!(closed_tab.contains(&format!("data-concern=\"{id}\"")), "{backend}");
        let (_, open_tab) = console.page("/console/concerns").await;
        assert!(!open_tab.contains(&format!("data-concern=\"{id}\"")) && open_tab.contains(&format!("data-concern=\"{other}\"")));

        // The partner still holds nothing, even after the server wrote into it.
        mentor.client.sync().unwrap();
        assert!(mentor.client.concerns().unwrap().is_empty(), "{backend}");

        // Audited, without the words.
        let events = app.audit_events(&org.org_id).await;
        let answered: Vec<_> = events.iter().filter(|e| e.action.starts_with("concern.")).collect();
        assert_eq!(answered.len(), 2, "{backend}: {answered:?}");
        assert!(answered.iter().all(|e| !e.detail.contains("bruising") && !e.detail.contains("Friday")));

        // Another organisation's coordinator: not found, and nothing listed.
        let elsewhere = app.seed_org("aspen").await;
        assert_error(
            app.post(&format!("/v1/concerns/{other}/acknowledge"), Some(elsewhere.coordinator.token()), &json!({ "response": "hi" })).await,
            404,
            "not_found",
        )
        .await;
        let theirs = json_body(app.get("/v1/concerns", Some(elsewhere.coordinator.token())).await).await;
        assert_eq!(theirs.as_array().unwrap().len(), 0, "{backend}");
        assert_error(
            app.post(&format!("/v1/concerns/{}/close", DocumentId::new_random()), Some(org.coordinator.token()), &json!({ "response": "hi" })).await,
            404,
            "not_found",
        )
        .await;
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_coordinators_write_the_response_and_the_partner_writes_nothing(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("hazel").await;
        let m: MentorshipId = org.mentorship_id.parse().unwrap();
        let mentee_id: UserId = org.mentee.id.parse().unwrap();

        // The author answers their own concern on a crafted phone: refused.
        let header = DocHeader::new_concern(m, mentee_id);
        let mut doc = Document::create(header, actor(&org.mentee.session.actor_id)).unwrap();
        doc.raise_concern(mentee_id, ConcernKind::Other, "The rota is unfair.").unwrap();
        doc.respond_to_concern(mentee_id, ConcernStatus::Closed, "Sorted, says I").unwrap();
        let reply = post_sync(&app, org.mentee.token(), &one_offer(&mut doc)).await;
        let rejection = reply.documents[0].rejection.as_ref().expect("refused");
        assert_eq!(rejection.code, "coordinator_only", "{backend}: {rejection:?}");
        assert!(rejection.path.starts_with("/response"), "{rejection:?}");

        // Raised properly, it is stored; the partner offering writes into it is
        // told to purge it, and nothing of theirs is stored.
        let mut doc = Document::create(header, actor(&org.mentee.session.actor_id)).unwrap();
        doc.raise_concern(mentee_id, ConcernKind::Other, "The rota is unfair.").unwrap();
        let reply = post_sync(&app, org.mentee.token(), &one_offer(&mut doc)).await;
        assert!(reply.documents[0].rejection.is_none(), "{backend}: {:?}", reply.documents[0].rejection);
        let mut forged = Document::create(header, actor(&org.mentor.session.actor_id)).unwrap();
        let mentor_id: UserId = org.mentor.id.parse().unwrap();
        assert!(forged.raise_concern(mentor_id, ConcernKind::Other, "Ignore this").is_err(), "the phone refuses too");
        // Written around the phone's checks, straight into the response.
        let automerge = forged.automerge();
        let (_, response) = automerge.get(ROOT, "response").unwrap().unwrap();
        automerge.put(&response, "status", "closed").unwrap();
        automerge.put(&response, "text", "Closed by the mentor").unwrap();
        automerge.commit();
        let reply = post_sync(&app, org.mentor.token(), &one_offer(&mut forged)).await;
        assert!(reply.purge.contains(&header.id), "{backend}: {reply:?}");
        assert!(reply.documents.iter().all(|d| d.header.id != header.id), "{backend}: nothing revealed");
        let list = json_body(app.get("/v1/concerns", Some(org.coordinator.token())).await).await;
        let item = &list.as_array().unwrap()[0];
        assert_eq!((item["status"].as_str(), item["response"].as_str()), (Some("open"), Some("")), "{backend}: {item}");

        // A concern about someone else's pairing cannot be raised at all.
        let outsider: UserId = org.other_mentee.id.parse().unwrap();
        let foreign = DocHeader::new_concern(m, outsider);
        let mut doc = Document::create(foreign, actor(&org.other_mentee.session.actor_id)).unwrap();
        doc.raise_concern(outsider, ConcernKind::Other, "Not my pairing").unwrap();
        let reply = post_sync(&app, org.other_mentee.token(), &one_offer(&mut doc)).await;
        assert!(reply.purge.contains(&foreign.id), "{backend}");
        let list = json_body(app.get("/v1/concerns", Some(org.coordinator.token())).await).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_author_keeps_a_concern_after_the_pairing_ends_and_subject_access_exports_it(backend) {
        let app = spawn_app_with(backend, |_| {}).await;
        let org = app.seed_org("birch").await;
        let m = org.mentorship_id.clone();
        let mentee = Phone::login(&app, &org.mentee.email);
        let id = mentee.client.raise_concern(&m, "pairing_not_working", "We do not get on.").unwrap();
        mentee.client.sync().unwrap();

        let ended = app
            .post(&format!("/v1/mentorships/{m}/end"), Some(org.coordinator.token()), &json!({ "outcome": "ended", "reason": "mismatch" }))
            .await;
        assert!(ended.status().is_success(), "{backend}: {}", ended.text().await.unwrap());
        let closed = app
            .post(&format!("/v1/concerns/{id}/close"), Some(org.coordinator.token()), &json!({ "response": "We have ended the pairing and will find you a new mentor." }))
            .await;
        assert_eq!(closed.status(), 200, "{backend}");
        mentee.client.sync().unwrap();
        let kept = mentee.client.concerns().unwrap();
        assert_eq!(kept.len(), 1, "{backend}: kept after the pairing ended");
        assert_eq!(kept[0].status, "closed");

        // Subject access carries the person's own concern, the coordinator unnamed.
        let export = app
            .request(Method::POST, &format!("/v1/people/{}/subject-access", org.mentee.id), Some(org.admin.token()), None)
            .await;
        assert_eq!(export.status(), 200, "{backend}");
        let bytes = export.bytes().await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut data = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("data.json").unwrap(), &mut data).unwrap();
        let data: serde_json::Value = serde_json::from_str(&data).unwrap();
        let concerns = data["concerns"].as_array().unwrap();
        assert_eq!(concerns.len(), 1, "{backend}: {data}");
        assert_eq!(concerns[0]["text"], "We do not get on.");
        assert_eq!(concerns[0]["responded_by"], "a coordinator");
        assert!(!data.to_string().contains(&org.coordinator.id), "{backend}: the coordinator is not named by id");
        // The partner's export does not carry it.
        let export = app
            .request(Method::POST, &format!("/v1/people/{}/subject-access", org.mentor.id), Some(org.admin.token()), None)
            .await;
        let bytes = export.bytes().await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut data = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("data.json").unwrap(), &mut data).unwrap();
        assert!(!data.contains("We do not get on"), "{backend}: not in the partner's export");

        // Erasing the author erases the concern (a tombstone, the phone purges it).
        let erased = app.request(Method::POST, &format!("/v1/people/{}/erase", org.mentee.id), Some(org.admin.token()), None).await;
        assert_eq!(erased.status(), 200, "{backend}");
        let list = json_body(app.get("/v1/concerns", Some(org.coordinator.token())).await).await;
        assert_eq!(list.as_array().unwrap().len(), 0, "{backend}: gone with its projection");
    }
}

#[tokio::test]
async fn openapi_describes_the_concern_routes() {
    let app = spawn_app(alongside_tests::Backend::Sqlite).await;
    let doc = json_body(app.get("/openapi.json", None).await).await;
    for (path, method, statuses) in [
        ("/v1/concerns", "get", &["200", "400", "401", "403"][..]),
        ("/v1/concerns/{id}/acknowledge", "post", &["200", "400", "401", "403", "404", "408", "409", "413"][..]),
        ("/v1/concerns/{id}/close", "post", &["200", "400", "401", "403", "404", "408", "409", "413"][..]),
    ] {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        for status in statuses {
            assert!(operation["responses"][status].is_object(), "{method} {path}: {status} undocumented");
        }
    }
    for field in ["id", "mentorship_id", "author_id", "kind", "status", "text", "response", "raised_at"] {
        assert!(doc["components"]["schemas"]["ConcernItem"]["properties"][field].is_object(), "{field}");
    }
}
