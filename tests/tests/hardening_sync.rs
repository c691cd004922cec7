//! Hardening of the server's sync side (issue 13): real sync-core clients and
//! hand-built requests against the real server, on SQLite and (with
//! `TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::path::Path;

use alongside_server::schema::device_sync;
use alongside_tests::phones::{Phone, post_sync};
use alongside_tests::{backend_test, spawn_app};
use diesel::prelude::*;
use sync_core::protocol::{self, SyncRequest};
use sync_core::{Client, SessionKind};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Stop the app (drop its client), run `f` on its data folder, start it again.
fn with_app_stopped(phone: Phone, address: &str, f: impl FnOnce(&Path)) -> Phone {
    let Phone { client, dir } = phone;
    drop(client);
    f(dir.path());
    let client = Client::new(dir.path(), address).expect("the app starts again");
    Phone { client, dir }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_phone_restored_from_an_older_copy_continues_under_a_fresh_actor_and_loses_nothing(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("dale").await;
        let m = &org.mentorship_id;
        let phone = Phone::login(&app, &org.mentor.email);
        let before = phone.client.account().unwrap();
        let sid = phone.client.create_session(m, SessionKind::Shadowing, "2026-12-01").unwrap();
        phone.client.edit_notes(&sid, 0, 0, "Backed up. ").unwrap();
        phone.client.sync().unwrap();

        // An OS backup of the data folder, then more words that reach the server.
        let backup = tempfile::tempdir().unwrap();
        let phone = with_app_stopped(phone, &app.address, |dir| copy_dir(dir, backup.path()));
        phone.client.edit_notes(&sid, 11, 0, "Synced after the backup. ").unwrap();
        phone.client.set_my_account(&sid, "Written after the backup.").unwrap();
        phone.client.sync().unwrap();
        assert_eq!(phone.client.pending().unwrap(), 0, "{backend}");

        // The backup is restored: the store reuses its actor's sequence numbers.
        let phone = with_app_stopped(phone, &app.address, |dir| {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() { std::fs::remove_dir_all(&path).unwrap() } else { std::fs::remove_file(&path).unwrap() }
            }
            copy_dir(backup.path(), dir);
        });
        assert_eq!(phone.client.session(&sid).unwrap().notes, "Backed up. ", "{backend}: the restore is real");
        phone.client.edit_notes(&sid, 11, 0, "Typed after the restore.").unwrap();
        let report = phone.client.sync().expect("the restored phone syncs");
        assert_eq!(phone.client.pending().unwrap(), 0, "{backend}: {report:?}");
        let after = phone.client.account().unwrap();
        assert_eq!(after.device_id, before.device_id, "{backend}: the same device");
        assert_ne!(after.actor_id, before.actor_id, "{backend}: under a fresh actor");

        let view = phone.client.session(&sid).unwrap();
        for words in ["Backed up. ", "Synced after the backup. ", "Typed after the restore."] {
            assert!(view.notes.contains(words), "{backend}: {words:?} lost: {:?}", view.notes);
        }
        assert_eq!(
            view.accounts.get(&org.mentor.id).map(String::as_str),
            Some("Written after the backup."),
            "{backend}"
        );
        for rejection in phone.client.rejections().unwrap() {
            assert!(
                rejection.kept_text.split_whitespace().count() > 1 || rejection.kept_text.is_empty(),
                "{backend}: kept text holds words, not field names: {rejection:?}"
            );
        }

        // The partner sees every word, and the phone keeps syncing under its new actor.
        let partner = Phone::login(&app, &org.mentee.email);
        partner.client.sync().unwrap();
        assert_eq!(partner.client.session(&sid).unwrap().notes, view.notes, "{backend}");
        phone.client.edit_notes(&sid, 0, 0, "Later. ").unwrap();
        let report = phone.client.sync().unwrap();
        assert!(report.rejected.is_empty(), "{backend}: {report:?}");
        partner.client.sync().unwrap();
        assert!(partner.client.session(&sid).unwrap().notes.starts_with("Later. "), "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_media_type_that_only_starts_like_cbor_is_refused(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("weir").await;
        let request = SyncRequest { protocol: protocol::PROTOCOL_VERSION, ..SyncRequest::default() };
        let body = protocol::encode(&request).unwrap();
        for (content_type, expected) in
            [("application/cborXYZ", 415), ("application/cbor-seq", 415), ("Application/CBOR; charset=binary", 200)]
        {
            let response = app
                .client
                .post(app.url("/v1/sync"))
                .bearer_auth(org.mentor.token())
                .header("content-type", content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), expected, "{backend}: {content_type}");
        }
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_reported_age_of_the_oldest_unsynced_change_is_clamped(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("holt").await;
        let request = SyncRequest {
            protocol: protocol::PROTOCOL_VERSION,
            oldest_unsynced_secs: Some(u64::MAX),
            ..SyncRequest::default()
        };
        post_sync(&app, org.mentor.token(), &request).await;
        let ages: Vec<Option<i64>> = app
            .with_db(|conn| Ok(device_sync::table.select(device_sync::oldest_unsynced_secs).load(conn)?))
            .await;
        let max = i64::try_from(alongside_server::sync::engine::MAX_OLDEST_UNSYNCED_SECS).unwrap();
        assert_eq!(ages, vec![Some(max)], "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_offering_too_many_documents_is_refused_with_a_clear_code(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("mere").await;
        let owner: sync_core::UserId = org.mentor.id.parse().unwrap();
        let offer = |_| sync_core::protocol::DocOffer {
            header: sync_core::DocHeader::new_session(sync_core::Pair {
                mentorship_id: org.mentorship_id.parse().unwrap(),
                mentor_id: owner,
                mentee_id: org.mentee.id.parse().unwrap(),
            }),
            heads: Vec::new(),
            changes: Vec::new(),
            sync_message: None,
        };
        let request = SyncRequest {
            protocol: protocol::PROTOCOL_VERSION,
            documents: (0..=protocol::MAX_DOCUMENTS_PER_REQUEST).map(offer).collect(),
            ..SyncRequest::default()
        };
        let response = app
            .client
            .post(app.url("/v1/sync"))
            .bearer_auth(org.mentor.token())
            .header("content-type", protocol::CONTENT_TYPE)
            .body(protocol::encode(&request).unwrap())
            .send()
            .await
            .unwrap();
        let body = alongside_tests::assert_error(response, 413, "too_many_documents").await;
        assert!(body["message"].as_str().unwrap().contains("1000"), "{backend}: {body}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_phone_holding_more_documents_than_one_request_may_offer_splits_its_sync(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("carr").await;
        let m = &org.mentorship_id;
        let phone = Phone::login(&app, &org.mentor.email);
        let count = protocol::MAX_DOCUMENTS_PER_REQUEST + 5;
        let mut ids = Vec::new();
        for n in 0..count {
            let sid = phone.client.create_session(m, SessionKind::CheckIn, "2026-12-02").unwrap();
            if n % 250 == 0 {
                phone.client.edit_notes(&sid, 0, 0, &format!("Session {n}.")).unwrap();
            }
            ids.push(sid);
        }
        let report = phone.client.sync().expect("the split sync succeeds");
        assert_eq!(report.round_trips, 2, "{backend}: {count} documents in two requests");
        assert!(report.rejected.is_empty() && report.purged.is_empty(), "{backend}: {report:?}");
        assert_eq!(phone.client.pending().unwrap(), 0, "{backend}");
        // The next sync sends the change cursor, not the inventory: one request,
        // and nothing comes back as missing.
        let again = phone.client.sync().unwrap();
        assert_eq!((again.round_trips, again.docs_received), (1, 0), "{backend}: {again:?}");

        let partner = Phone::login(&app, &org.mentee.email);
        let first = partner.client.sync().unwrap();
        assert_eq!(first.docs_received as usize, count, "{backend}");
        assert_eq!(partner.client.sessions(m).unwrap().len(), count, "{backend}");
        assert_eq!(partner.client.session(&ids[1000]).unwrap().notes, "Session 1000.", "{backend}");
        let second = partner.client.sync().unwrap();
        assert_eq!((second.round_trips, second.docs_received), (1, 0), "{backend}: {second:?}");
    }
}

/// Send `head` then trickle `body` a byte every 200 ms; return what the server
/// answered and whether it closed the connection.
fn trickle(address: &str, head: &str, body: &[u8]) -> (String, bool) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_millis(200))).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let started = std::time::Instant::now();
    for byte in body {
        if stream.write_all(std::slice::from_ref(byte)).is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&answer).into_owned(), true),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the server kept reading a trickle");
    }
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    let closed = stream.read_to_end(&mut rest).is_ok();
    answer.extend_from_slice(&rest);
    (String::from_utf8_lossy(&answer).into_owned(), closed)
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_trickled_body_times_out_with_408_and_the_connection_is_closed(backend) {
        let app = alongside_tests::spawn_app_with(backend, |settings| {
            settings.body_deadline = alongside_server::body_deadline::BodyDeadline {
                grace: std::time::Duration::from_secs(1),
                min_rate: 1024,
            };
        })
        .await;
        let org = app.seed_org("ford").await;
        let login = format!(
            r#"{{"email":"{}","password":"{}","device_name":"a slow phone","padding":"{}"}}"#,
            org.mentor.email,
            alongside_tests::PASSWORD,
            "x".repeat(60)
        );
        let host = app.address.trim_start_matches("http://").to_owned();
        let head = format!(
            "POST /v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            login.len()
        );
        let address = app.address.clone();
        let body = login.clone().into_bytes();
        let (answer, closed) = tokio::task::spawn_blocking(move || trickle(&address, &head, &body)).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{backend}: {answer}");
        assert!(answer.contains("request_timeout"), "{backend}: {answer}");
        assert!(closed, "{backend}: the connection is closed");

        let sync_head = format!(
            "POST /v1/sync HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/cbor\r\nContent-Length: 500\r\n\r\n",
            org.mentor.token()
        );
        let address = app.address.clone();
        let (answer, _) = tokio::task::spawn_blocking(move || trickle(&address, &sync_head, &[0xa0; 500])).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{backend}: {answer}");

        // A body that arrives at once is unaffected.
        let response = app.try_login(&org.mentor.email, alongside_tests::PASSWORD, "a quick phone").await;
        assert_eq!(response.status(), 200, "{backend}");
    }
}
