//! Governance end to end: the hash-chained audit trail (verify, tampering, the
//! CSV and a console page view), subject access ZIPs, retention (documents of an
//! ended pairing erased, purged from real phones, a re-upload refused) and
//! erasure of a person.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::io::Read;
use std::process::Command;

use alongside_server::db::DbConnection;
use alongside_tests::console::Console;
use alongside_tests::phones::{Phone, craft_offer, post_sync};
use alongside_tests::process::{run_cli, server_binary};
use alongside_tests::{Backend, TestApp, assert_error, backend_test, json_body, spawn_app};
use diesel::RunQueryDsl;
use serde_json::{Value, json};
use sync_core::protocol::{self, SyncRequest};
use sync_core::{ReflectionInput, SessionKind};

fn reflection(what_happened: &str) -> ReflectionInput {
    ReflectionInput {
        what_happened: what_happened.to_owned(),
        feelings: "tired but proud".into(),
        went_well: "the hoist".into(),
        to_improve: "asking sooner".into(),
        next_time: "ask".into(),
    }
}

/// Runs a raw SQL statement on the test database; returns the error text if it failed.
async fn sql(app: &TestApp, statement: &str) -> Option<String> {
    let statement = statement.to_owned();
    app.with_db(move |conn| {
        let result = match conn {
            DbConnection::Sqlite(conn) => diesel::sql_query(&statement).execute(conn),
            DbConnection::Pg(conn) => diesel::sql_query(&statement).execute(conn),
        };
        Ok(result.err().map(|e| e.to_string()))
    })
    .await
}

/// `alongside audit verify --org ORG`: (succeeded, stdout + stderr).
fn verify_cli(app: &TestApp, org_id: &str) -> (bool, String) {
    let output = Command::new(server_binary())
        .args(["audit", "verify", "--org", org_id])
        .env("ALONGSIDE_DATABASE_URL", &app.db_url)
        .output()
        .expect("run alongside");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip file");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(file.name().unwrap().to_string(), text);
    }
    files
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn audit_verify_passes_then_reports_the_altered_event(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("chain").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        let sid = mentee.client.create_session(&org.mentorship_id, SessionKind::Shadowing, "2026-11-30").unwrap();
        mentee.client.edit_notes(&sid, 0, 0, "Moving and handling with Mrs Patel").unwrap();
        mentee.client.sync().unwrap();

        // Concurrent writers of one organisation take turns on its chain: no fork.
        // (Five: the login limiter lets five attempts per account and address be
        // in flight at once.)
        let mut logins = Vec::new();
        for i in 0..5 {
            let (client, url, email) = (app.client.clone(), app.url("/v1/auth/login"), org.mentor.email.clone());
            let body = json!({ "email": email, "password": alongside_tests::PASSWORD, "device_name": format!("tablet {i}") });
            logins.push(tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap().status() }));
        }
        for login in logins {
            assert_eq!(login.await.unwrap(), 200, "{backend}");
        }

        let events = app.audit_events(&org.org_id).await;
        let seqs: Vec<i64> = (1..=i64::try_from(events.len()).unwrap()).collect();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs, "{backend}: one unbroken sequence");
        let changed: Vec<_> = events.iter().filter(|e| e.action == "document.changed").collect();
        assert_eq!(changed.len(), 1, "{backend}: one event for the document's changes");
        assert_eq!(changed[0].object_id, sid);
        assert_eq!(changed[0].actor_person_id.as_deref(), Some(org.mentee.id.as_str()));
        assert!(changed[0].device_id.is_some());
        assert!(!changed[0].detail.contains("Mrs Patel"), "{backend}: never the content");

        let (ok, text) = verify_cli(&app, &org.org_id);
        assert!(ok, "{backend}: {text}");
        assert!(text.contains(&format!("{} events verified", events.len())), "{backend}: {text}");

        // No code path, and no plain statement, changes an event.
        let table = "audit_events";
        let tamper = format!(
            "UPDATE {table} SET detail = '{{\"fields\":[\"nothing\"]}}' WHERE org_id = '{}' AND seq = 4",
            org.org_id
        );
        let refused = sql(&app, &tamper).await;
        assert!(refused.is_some_and(|e| e.contains("append-only")), "{backend}: the trigger refuses UPDATE");
        if backend == Backend::Postgres {
            let delete = format!("DELETE FROM {table} WHERE org_id = '{}' AND seq = 2", org.org_id);
            assert!(sql(&app, &delete).await.is_some_and(|e| e.contains("append-only")), "{backend}: and DELETE");
        }

        // Someone with the database's own powers gets past the trigger: the chain shows it.
        let bypass = match backend {
            Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
            Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        };
        assert_eq!(sql(&app, bypass).await, None);
        assert_eq!(sql(&app, &tamper).await, None);
        let (ok, text) = verify_cli(&app, &org.org_id);
        assert!(!ok, "{backend}: a broken chain fails the command: {text}");
        assert!(text.contains("broken at event 4 "), "{backend}: {text}");
        assert!(text.contains("does not match its hash"), "{backend}: {text}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn audit_csv_lists_a_console_page_view(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("csv").await;
        let console = Console::sign_in(&app, &org.admin.email).await;
        let (status, _) = console.page(&format!("/console/pairings/{}", org.mentorship_id)).await;
        assert_eq!(status, 200, "{backend}");

        let response = app.get("/v1/audit.csv?action=console.viewed_pairing", Some(org.admin.token())).await;
        assert_eq!(response.status(), 200, "{backend}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{backend}: a header and the one view: {csv}");
        assert!(lines[1].contains(&org.mentorship_id) && lines[1].contains(&org.admin.id), "{backend}: {csv}");
        let all = app.get("/v1/audit.csv", Some(org.admin.token())).await.text().await.unwrap();
        assert!(all.contains(",console.signed_in,"), "{backend}: sign-ins are there too");

        // The JSON list pages with a cursor.
        let first = json_body(app.get("/v1/audit?limit=2", Some(org.admin.token())).await).await;
        assert_eq!(first["events"].as_array().unwrap().len(), 2, "{backend}: {first}");
        let cursor = first["next_cursor"].as_str().expect("more pages").to_owned();
        let second = json_body(app.get(&format!("/v1/audit?limit=2&cursor={cursor}"), Some(org.admin.token())).await).await;
        assert_eq!(second["events"][0]["seq"], 3, "{backend}: {second}");
        let mine = json_body(app.get(&format!("/v1/audit?actor_id={}", org.admin.id), Some(org.admin.token())).await).await;
        assert!(mine["events"].as_array().unwrap().iter().all(|e| e["actor_id"] == org.admin.id.as_str()));

        // Admins only, and the console page too.
        assert_error(app.get("/v1/audit", Some(org.coordinator.token())).await, 403, "forbidden").await;
        assert_error(app.get("/v1/audit?from=yesterday", Some(org.admin.token())).await, 400, "invalid_date").await;
        let (status, html) = console.page("/console/audit?action=console.viewed_pairing").await;
        assert_eq!(status, 200, "{backend}");
        assert!(html.contains(&org.mentorship_id), "{backend}");
        let coordinator = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, _) = coordinator.page("/console/audit").await;
        assert_eq!(status, 403, "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subject_access_zip_holds_the_persons_words_and_their_pairing_only(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("sar").await;
        let other_pairing = app.pair(&org.org_id, &org.mentor.id, &org.other_mentee.id).await;
        let mentee = Phone::login(&app, &org.mentee.email);
        let mentor = Phone::login(&app, &org.mentor.email);

        let ours = mentee.client.create_session(&org.mentorship_id, SessionKind::Shadowing, "2026-11-30").unwrap();
        mentee.client.edit_notes(&ours, 0, 0, "Hoist transfer in room 4").unwrap();
        mentee.client.add_reflection(&reflection("My first night shift alone")).unwrap();
        mentee.client.sync().unwrap();
        mentor.client.sync().unwrap();
        mentor.client.set_my_account(&ours, "She kept calm with the family").unwrap();
        let theirs = mentor.client.create_session(&other_pairing, SessionKind::Meeting, "2026-11-29").unwrap();
        mentor.client.edit_notes(&theirs, 0, 0, "Noor worried about the night rota").unwrap();
        mentor.client.sync().unwrap();

        let path = format!("/v1/people/{}/subject-access", org.mentee.id);
        assert_error(app.post(&path, Some(org.coordinator.token()), &json!({})).await, 403, "forbidden").await;
        let response = app.post(&path, Some(org.admin.token()), &json!({})).await;
        assert_eq!(response.status(), 200, "{backend}");
        assert_eq!(response.headers()["content-type"], "application/zip");
        let files = unzip(&response.bytes().await.unwrap());
        assert_eq!(files.keys().collect::<Vec<_>>(), ["data.json", "index.html", "review.txt"], "{backend}");
        let data: Value = serde_json::from_str(&files["data.json"]).unwrap();
        let everything = files.values().cloned().collect::<Vec<_>>().join("\n");
        assert!(everything.contains("My first night shift alone"), "{backend}: the journal");
        assert!(everything.contains("Hoist transfer in room 4"), "{backend}: the pairing's notes");
        assert!(!everything.contains("night rota"), "{backend}: nothing of another pairing");
        assert!(!everything.contains(&theirs), "{backend}");
        assert_eq!(data["person"]["email"], org.mentee.email);
        assert_eq!(data["journal"][0]["input"]["what_happened"], "My first night shift alone", "{backend}");
        let session = data["documents"].as_array().unwrap().iter().find(|d| d["id"] == ours.as_str()).unwrap();
        assert_eq!(session["content"]["accounts"]["your mentor"], "She kept calm with the family", "{backend}: {session}");
        assert!(!files["data.json"].contains(&org.mentor.id), "{backend}: the mentor appears by role, not by id");
        assert!(files["review.txt"].contains("your mentor's own account"), "{backend}: {}", files["review.txt"]);
        assert!(files["index.html"].contains("My first night shift alone"));

        // The command line writes the same kind of file.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sar.zip");
        let printed =
            run_cli(&app.db_url, &["sar", "export", "--person", &org.mentee.email, "--out", out.to_str().unwrap()]);
        assert_eq!(printed.trim(), org.mentee.id);
        let files = unzip(&std::fs::read(&out).unwrap());
        assert!(files["data.json"].contains("Hoist transfer in room 4"), "{backend}");

        let exports: Vec<_> = app
            .audit_events(&org.org_id)
            .await
            .into_iter()
            .filter(|e| e.action == "subject_access.exported" && e.object_id == org.mentee.id)
            .collect();
        assert_eq!(exports.len(), 2, "{backend}: each export is audited");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_zero_erases_an_ended_pairings_documents_and_phones_purge_them(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("retain").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        let mentor = Phone::login(&app, &org.mentor.email);
        let sid = mentee.client.create_session(&org.mentorship_id, SessionKind::Shadowing, "2026-11-30").unwrap();
        mentee.client.edit_notes(&sid, 0, 0, "Pressure care round").unwrap();
        mentee.client.sync().unwrap();
        mentor.client.sync().unwrap();
        assert!(mentor.client.session(&sid).is_ok());

        let end = app
            .post(
                &format!("/v1/mentorships/{}/end", org.mentorship_id),
                Some(org.coordinator.token()),
                &json!({ "reason": "induction done", "outcome": "completed" }),
            )
            .await;
        assert_eq!(end.status(), 200, "{backend}");
        // Completed pairings stay with the pair until retention says otherwise.
        let report = mentee.client.sync().unwrap();
        assert!(report.purged.is_empty(), "{backend}: {report:?}");

        let policy = json!({ "pair_document_years": 0, "leaver_days": 30, "audit_years": 8, "device_inactive_days": 90 });
        let put = app.request(reqwest::Method::PUT, "/v1/organisation/retention", Some(org.admin.token()), Some(&policy)).await;
        assert_eq!(put.status(), 200, "{backend}");
        assert_eq!(json_body(app.get("/v1/organisation/retention", Some(org.admin.token())).await).await, policy);
        let forbidden = app.request(reqwest::Method::PUT, "/v1/organisation/retention", Some(org.coordinator.token()), Some(&policy)).await;
        assert_error(forbidden, 403, "forbidden").await;

        let dry = run_cli(&app.db_url, &["retention", "run", "--dry-run"]);
        assert!(dry.contains(&format!("{} would erase: 1 pair documents of 1 pairings", org.org_id)), "{backend}: {dry}");
        assert!(mentee.client.sync().unwrap().purged.is_empty(), "{backend}: a dry run changes nothing");

        // The mentor writes while offline, then retention runs.
        mentor.client.edit_notes(&sid, 0, 0, "Late addition: ").unwrap();
        let run = run_cli(&app.db_url, &["retention", "run"]);
        assert!(run.contains(&format!("{} erased: 1 pair documents of 1 pairings", org.org_id)), "{backend}: {run}");

        let report = mentee.client.sync().unwrap();
        assert_eq!(report.purged, vec![sid.clone()], "{backend}");
        assert!(mentee.client.session(&sid).is_err(), "{backend}: gone from the phone");
        let report = mentor.client.sync().unwrap();
        assert_eq!(report.purged, vec![sid.clone()], "{backend}");
        assert_eq!(report.rejected.len(), 1, "{backend}: {report:?}");
        assert!(report.rejected[0].reason.starts_with("erased"), "{backend}: {report:?}");
        assert!(report.rejected[0].kept_text.is_empty(), "{backend}: no erased text stays on the phone");
        assert!(mentor.client.session(&sid).is_err(), "{backend}");
        assert_error(app.get(&format!("/v1/documents/{sid}"), Some(org.mentee.token())).await, 404, "not_found").await;

        // A device that kept a copy offers it again: refused, and purged.
        let pair = sync_core::Pair {
            mentorship_id: org.mentorship_id.parse().unwrap(),
            mentor_id: org.mentor.id.parse().unwrap(),
            mentee_id: org.mentee.id.parse().unwrap(),
        };
        let header = sync_core::DocHeader::session(sid.parse().unwrap(), pair);
        let actor = sync_core::automerge::ActorId::from(hex_actor(&org.mentee.session.actor_id));
        let mut copy = sync_core::Document::create(header, actor).unwrap();
        let offer = craft_offer(&mut copy);
        let request = SyncRequest {
            protocol: protocol::PROTOCOL_VERSION,
            complete_inventory: true,
            documents: vec![offer],
            oldest_unsynced_secs: None,
            offered_before: Vec::new(),
            cursor: None,
        };
        let reply = post_sync(&app, org.mentee.token(), &request).await;
        assert_eq!(reply.purge.len(), 1, "{backend}");
        let refusal = reply.documents[0].rejection.as_ref().expect("a rejection");
        assert_eq!(refusal.code, "erased", "{backend}");

        let runs: Vec<_> = app.audit_events(&org.org_id).await.into_iter().filter(|e| e.action == "retention.run").collect();
        assert_eq!(runs.len(), 1, "{backend}");
        let detail: Value = serde_json::from_str(&runs[0].detail).unwrap();
        assert_eq!(detail["pair_documents"], 1, "{backend}: {detail}");
        let (ok, text) = verify_cli(&app, &org.org_id);
        assert!(ok, "{backend}: {text}");
    }
}

fn hex_actor(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn erasure_removes_the_journal_and_the_name_from_the_console(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("erase").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        mentee.client.add_reflection(&reflection("I nearly gave up this week")).unwrap();
        mentee.client.sync().unwrap();
        let journal = mentee.client.reflections().unwrap();
        assert_eq!(journal.len(), 1);

        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (_, before) = console.page("/console/people").await;
        assert!(before.contains("Mia Mentee"), "{backend}");

        let path = format!("/v1/people/{}/erase", org.mentee.id);
        assert_error(app.post(&path, Some(org.coordinator.token()), &json!({})).await, 403, "forbidden").await;
        let own = format!("/v1/people/{}/erase", org.admin.id);
        assert_error(app.post(&own, Some(org.admin.token()), &json!({})).await, 409, "own_access").await;
        let erased = json_body(app.post(&path, Some(org.admin.token()), &json!({})).await).await;
        assert_eq!(erased["documents_erased"], 1, "{backend}: {erased}");
        let pseudonym = erased["pseudonym"].as_str().unwrap().to_owned();

        for page in ["/console/people".to_owned(), format!("/console/pairings/{}", org.mentorship_id)] {
            let (status, html) = console.page(&page).await;
            assert_eq!(status, 200, "{backend}: {page}");
            assert!(!html.contains("Mia Mentee"), "{backend}: the name is gone from {page}");
            assert!(!html.contains(&org.mentee.email), "{backend}: and the email: {html}");
            assert!(html.contains(&pseudonym), "{backend}: the pseudonym stands in on {page}");
        }
        assert!(app.find_person(&org.mentee.email).await.is_none(), "{backend}");
        assert_eq!(app.try_login(&org.mentee.email, alongside_tests::PASSWORD, "again").await.status(), 401);

        // The journal is gone from the server, and the phone (revoked) wipes.
        let owner = org.mentee.id.clone();
        let left: i64 = app
            .with_db(move |conn| {
                use alongside_server::schema::documents;
                use diesel::prelude::*;
                Ok(documents::table.filter(documents::owner_id.eq(owner)).count().get_result(conn)?)
            })
            .await;
        assert_eq!(left, 0, "{backend}");
        assert!(matches!(mentee.client.sync(), Err(sync_core::ClientError::Revoked { .. })), "{backend}");
        let audit = app.audit_events(&org.org_id).await;
        assert!(audit.iter().any(|e| e.action == "person.erased" && e.object_id == org.mentee.id));
        assert!(!audit.iter().any(|e| e.detail.contains("Mia Mentee")), "{backend}: no event keeps the name");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_erases_a_leavers_journal_and_revokes_idle_devices(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("leavers").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        mentee.client.add_reflection(&reflection("Leaving for university")).unwrap();
        mentee.client.sync().unwrap();
        let mentor = Phone::login(&app, &org.mentor.email);
        mentor.client.sync().unwrap();

        let policy = json!({ "pair_document_years": 6, "leaver_days": 0, "audit_years": 8, "device_inactive_days": 90 });
        let put = app.request(reqwest::Method::PUT, "/v1/organisation/retention", Some(org.admin.token()), Some(&policy)).await;
        assert_eq!(put.status(), 200, "{backend}");
        let leave = app
            .request(
                reqwest::Method::PATCH,
                &format!("/v1/people/{}", org.mentee.id),
                Some(org.coordinator.token()),
                Some(&json!({ "active": false })),
            )
            .await;
        assert_eq!(leave.status(), 200, "{backend}");
        // The mentor's phone was last seen long ago.
        let stale = format!(
            "UPDATE devices SET last_seen_at = '2020-01-01T00:00:00Z', created_at = '2020-01-01T00:00:00Z' \
             WHERE person_id = '{}'",
            org.mentor.id
        );
        assert_eq!(sql(&app, &stale).await, None);

        let run = run_cli(&app.db_url, &["retention", "run"]);
        assert!(run.contains("1 leaver documents"), "{backend}: {run}");
        assert!(run.contains("2 devices"), "{backend}: the mentor's two sign-ins: {run}");
        let owner = org.mentee.id.clone();
        let left: i64 = app
            .with_db(move |conn| {
                use alongside_server::schema::documents;
                use diesel::prelude::*;
                Ok(documents::table.filter(documents::owner_id.eq(owner)).count().get_result(conn)?)
            })
            .await;
        assert_eq!(left, 0, "{backend}: the leaver's journal is gone");
        assert!(matches!(mentor.client.sync(), Err(sync_core::ClientError::Revoked { .. })), "{backend}");
        let audit = app.audit_events(&org.org_id).await;
        assert!(audit.iter().any(|e| e.action == "device.revoked" && e.actor_person_id.is_none()), "{backend}");
        // Other devices are untouched.
        assert_eq!(app.get("/v1/me", Some(org.admin.token())).await.status(), 200, "{backend}");
    }
}
