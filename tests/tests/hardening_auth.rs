//! Issue 13's account and token findings, each reproduced against the real
//! server: refresh-token reuse, a lost refresh response, the live WebSocket
//! after sign-out, parallel password guessing, passwords (policy, change, reset),
//! and the console's smaller holes.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use alongside_server::domain::Role;
use alongside_server::model::Timestamp;
use alongside_tests::console::{Console, attempt_sign_in, form_body, post_signed_out_form};
use alongside_tests::phones::Phone;
use alongside_tests::process::run_cli;
use alongside_tests::{
    Backend, PASSWORD, Session, TestApp, assert_error, backend_test, json_body, session_from, spawn_app, spawn_app_with,
};
use serde_json::{Value, json};
use sync_core::{ClientError, SessionKind};

const EMAIL: &str = "sam.mentee@harbour.example";

async fn app_with_mentee(backend: Backend) -> (TestApp, String, String) {
    let app = spawn_app(backend).await;
    let org = app.create_org("Harbour Homecare").await;
    let person = app.create_person(&org, EMAIL, "Sam Osei", &[Role::Mentee]).await;
    (app, org, person)
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/v1/auth/refresh", None, &json!({ "refresh_token": token })).await
}

async fn rotated(app: &TestApp, token: &str) -> Session {
    let response = refresh(app, token).await;
    assert_eq!(response.status(), 200, "{}", app.backend);
    session_from(&json_body(response).await)
}

backend_test! {
    #[tokio::test]
    async fn refresh_token_reuse_ends_the_familys_access_tokens_at_once(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let first = app.login(EMAIL, PASSWORD, "phone").await;
        let second = rotated(&app, &first.refresh_token).await;
        let third = rotated(&app, &second.refresh_token).await;
        assert_eq!(app.get("/v1/me", Some(&third.access_token)).await.status(), 200);

        // The first token again, after its successor was used: a copy is loose.
        assert_error(refresh(&app, &first.refresh_token).await, 401, "refresh_token_reused").await;
        // Whatever the copy minted ends now, not in 15 minutes.
        assert_error(app.get("/v1/me", Some(&third.access_token)).await, 401, "signed_out").await;
        assert_error(refresh(&app, &third.refresh_token).await, 401, "invalid_refresh_token").await;
        // Signing in again works.
        let again = app.login(EMAIL, PASSWORD, "phone").await;
        assert_eq!(app.get("/v1/me", Some(&again.access_token)).await.status(), 200, "{}", app.backend);
    }
}

backend_test! {
    #[tokio::test]
    async fn a_refresh_whose_answer_was_lost_is_answered_again_within_the_grace_window(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let first = app.login(EMAIL, PASSWORD, "phone").await;
        let lost = rotated(&app, &first.refresh_token).await;
        // The phone never saw `lost` and retries with the token it has.
        let retried = rotated(&app, &first.refresh_token).await;
        assert_eq!(retried.refresh_token, lost.refresh_token, "{}: the same new refresh token", app.backend);
        assert_eq!(app.get("/v1/me", Some(&retried.access_token)).await.status(), 200);
        assert_eq!(app.get("/v1/me", Some(&lost.access_token)).await.status(), 200);
        // The family goes on from there.
        let next = rotated(&app, &retried.refresh_token).await;
        // Once the successor is used, the old token is reuse again.
        assert_error(refresh(&app, &first.refresh_token).await, 401, "refresh_token_reused").await;
        assert_error(app.get("/v1/me", Some(&next.access_token)).await, 401, "signed_out").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn a_refresh_replayed_after_the_grace_window_is_reuse(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let first = app.login(EMAIL, PASSWORD, "phone").await;
        let second = rotated(&app, &first.refresh_token).await;
        // Its rotation a minute ago.
        app.with_db(|conn| {
            use alongside_server::schema::refresh_tokens::dsl::*;
            use diesel::prelude::*;
            let long_ago = Timestamp::now() - Duration::from_secs(60);
            diesel::update(refresh_tokens.filter(used_at.is_not_null())).set(used_at.eq(long_ago)).execute(conn)?;
            Ok(())
        })
        .await;
        assert_error(refresh(&app, &first.refresh_token).await, 401, "refresh_token_reused").await;
        assert_error(app.get("/v1/me", Some(&second.access_token)).await, 401, "signed_out").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn racing_refreshes_of_one_token_both_get_the_same_pair(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let first = app.login(EMAIL, PASSWORD, "phone").await;
        let (a, b) = tokio::join!(refresh(&app, &first.refresh_token), refresh(&app, &first.refresh_token));
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200), "{}", app.backend);
        let (a, b) = (session_from(&json_body(a).await), session_from(&json_body(b).await));
        assert_eq!(a.refresh_token, b.refresh_token);
        assert_eq!(app.get("/v1/me", Some(&a.access_token)).await.status(), 200);
    }
}

/// A live connection for `token`, read on a blocking thread.
type Live = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

fn open_live(app: &TestApp, token: &str) -> Live {
    let url = format!("{}/v1/sync/live", app.address.replace("http://", "ws://"));
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, _) = tungstenite::connect(request).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    }
    socket
}

/// Waits up to `within` for the server to close the socket; its close reason.
async fn closed_within(mut socket: Live, within: Duration) -> Option<String> {
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            match socket.read() {
                Ok(tungstenite::Message::Close(frame)) => {
                    return Some(frame.map(|f| f.reason.to_string()).unwrap_or_default());
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Some(String::new());
                }
                Err(other) => return Some(other.to_string()),
            }
        }
        None
    })
    .await
    .unwrap()
}

fn quick_recheck(settings: &mut alongside_server::config::Settings) {
    settings.live_recheck = Duration::from_millis(250);
}

backend_test! {
    #[tokio::test]
    async fn the_live_socket_closes_after_logout_revocation_and_deactivation(backend) {
        let app = spawn_app_with(backend, quick_recheck).await;
        let org = app.seed_org("live").await;
        let within = Duration::from_secs(5);

        // Sign-out.
        let socket = open_live(&app, org.mentee.token());
        let other = open_live(&app, org.mentor.token());
        assert_eq!(app.post("/v1/auth/logout", Some(org.mentee.token()), &json!({})).await.status(), 204);
        assert_eq!(closed_within(socket, within).await.as_deref(), Some("signed_out"), "{backend}");

        // Revocation by a coordinator.
        let path = format!("/v1/devices/{}/revoke", org.mentor.session.device_id);
        assert_eq!(app.post(&path, Some(org.coordinator.token()), &json!({})).await.status(), 200);
        assert_eq!(closed_within(other, within).await.as_deref(), Some("device_revoked"), "{backend}");

        // Deactivation.
        let socket = open_live(&app, org.other_mentee.token());
        let path = format!("/v1/people/{}", org.other_mentee.id);
        let patched = app.request(reqwest::Method::PATCH, &path, Some(org.coordinator.token()), Some(&json!({ "active": false }))).await;
        assert_eq!(patched.status(), 200, "{backend}");
        let reason = closed_within(socket, within).await;
        assert!(matches!(reason.as_deref(), Some("device_revoked" | "account_deactivated")), "{backend}: {reason:?}");

        // A connection whose token is still good stays open.
        let socket = open_live(&app, org.admin.token());
        assert_eq!(closed_within(socket, Duration::from_secs(1)).await, None, "{backend}");
    }
}

backend_test! {
    #[tokio::test]
    async fn the_live_socket_closes_when_its_token_expires(backend) {
        let app = spawn_app_with(backend, |settings| {
            quick_recheck(settings);
            settings.access_token_ttl = Duration::from_secs(2);
        })
        .await;
        let (org, _) = (app.create_org("Expiry").await, ());
        app.create_person(&org, EMAIL, "Sam Osei", &[Role::Mentee]).await;
        let session = app.login(EMAIL, PASSWORD, "phone").await;
        let socket = open_live(&app, &session.access_token);
        let reason = closed_within(socket, Duration::from_secs(6)).await;
        assert!(matches!(reason.as_deref(), Some("token_expired" | "signed_out")), "{backend}: {reason:?}");
    }
}

/// A client whose requests come from another loopback address.
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from(address)).build().unwrap()
}

async fn login_status(client: &reqwest::Client, app: &TestApp, password: &str) -> u16 {
    let body = json!({ "email": EMAIL, "password": password, "device_name": "phone" });
    client.post(app.url("/v1/auth/login")).json(&body).send().await.unwrap().status().as_u16()
}

backend_test! {
    #[tokio::test]
    async fn forty_parallel_wrong_passwords_only_check_the_limit(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let (client, url) = (app.client.clone(), app.url("/v1/auth/login"));
            tasks.push(tokio::spawn(async move {
                let body = json!({ "email": EMAIL, "password": "wrong guess", "device_name": "phone" });
                client.post(url).json(&body).send().await.unwrap().status().as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((checked, refused), (5, 35), "{backend}: {statuses:?}");
        let metrics = app.get("/metrics", None).await.text().await.unwrap();
        assert!(metrics.contains("alongside_login_failures_total 5"), "{backend}: {metrics}");
    }
}

backend_test! {
    #[tokio::test]
    async fn wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let attacker = client_from([127, 0, 0, 1]);
        for _ in 0..5 {
            assert_eq!(login_status(&attacker, &app, "wrong guess").await, 401, "{backend}");
        }
        assert_eq!(login_status(&attacker, &app, PASSWORD).await, 429, "{backend}: that address is stopped");
        let user = client_from([127, 0, 0, 2]);
        assert_eq!(login_status(&user, &app, PASSWORD).await, 200, "{backend}: the user, elsewhere, is not");
    }
}

fn person_path(id: &str, rest: &str) -> String {
    format!("/v1/people/{id}{rest}")
}

backend_test! {
    #[tokio::test]
    async fn changing_your_password_keeps_this_device_and_signs_out_the_others(backend) {
        let (app, org, _) = app_with_mentee(backend).await;
        let phone = app.login(EMAIL, PASSWORD, "phone").await;
        let tablet = app.login(EMAIL, PASSWORD, "tablet").await;
        let new = "kettle lantern orchard drizzle";

        let wrong = json!({ "old_password": "not it at all", "new_password": new });
        assert_error(app.post("/v1/auth/password", Some(&phone.access_token), &wrong).await, 400, "wrong_password").await;
        let weak = json!({ "old_password": PASSWORD, "new_password": "password1234" });
        let body = assert_error(app.post("/v1/auth/password", Some(&phone.access_token), &weak).await, 400, "weak_password").await;
        assert!(body["message"].as_str().unwrap().contains("too easy to guess"), "{body}");
        let short = json!({ "old_password": PASSWORD, "new_password": "short" });
        let body = assert_error(app.post("/v1/auth/password", Some(&phone.access_token), &short).await, 400, "weak_password").await;
        assert!(body["message"].as_str().unwrap().contains("at least 12 characters"), "{body}");

        let change = json!({ "old_password": PASSWORD, "new_password": new });
        assert_eq!(app.post("/v1/auth/password", Some(&phone.access_token), &change).await.status(), 204, "{backend}");
        assert_eq!(app.get("/v1/me", Some(&phone.access_token)).await.status(), 200, "this device stays");
        assert_eq!(refresh(&app, &phone.refresh_token).await.status(), 200);
        assert_eq!(app.get("/v1/me", Some(&tablet.access_token)).await.status(), 401, "{backend}: the tablet is out");
        assert_error(refresh(&app, &tablet.refresh_token).await, 401, "invalid_refresh_token").await;
        assert_eq!(app.try_login(EMAIL, PASSWORD, "phone").await.status(), 401);
        app.login(EMAIL, new, "phone").await;
        assert!(app.audit_events(&org).await.iter().any(|e| e.action == "password.changed"));
    }
}

backend_test! {
    #[tokio::test]
    async fn a_coordinators_reset_code_works_once_within_a_day(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("reset").await;
        let path = person_path(&org.mentee.id, "/password-reset");
        assert_eq!(app.post(&path, Some(org.mentor.token()), &json!({})).await.status(), 403, "{backend}");
        let admin_path = person_path(&org.admin.id, "/password-reset");
        assert_eq!(app.post(&admin_path, Some(org.coordinator.token()), &json!({})).await.status(), 403, "{backend}");
        let issued = app.post(&path, Some(org.coordinator.token()), &json!({})).await;
        assert_eq!(issued.status(), 201, "{backend}");
        let issued = json_body(issued).await;
        let code = issued["code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 19, "{issued}");
        assert!(issued["expires_at"].as_str().unwrap() > Timestamp::now().to_string().as_str());

        let redeem = |code: &str, password: &str| {
            json!({ "email": org.mentee.email, "code": code, "new_password": password })
        };
        let new = "kettle lantern orchard drizzle";
        let wrong = app.post("/v1/auth/password/reset", None, &redeem("0000-0000-0000-0000", new)).await;
        assert_error(wrong, 400, "invalid_reset_code").await;
        // A weak choice does not use the code up.
        let weak = app.post("/v1/auth/password/reset", None, &redeem(&code, "password1234")).await;
        assert_error(weak, 400, "weak_password").await;
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(app.post("/v1/auth/password/reset", None, &redeem(&typed, new)).await.status(), 204, "{backend}");
        let again = app.post("/v1/auth/password/reset", None, &redeem(&code, "another fine long phrase")).await;
        assert_error(again, 400, "invalid_reset_code").await;

        // Every sign-in of the person ended; the new password works.
        assert_eq!(app.get("/v1/me", Some(org.mentee.token())).await.status(), 401, "{backend}");
        assert_eq!(app.try_login(&org.mentee.email, PASSWORD, "phone").await.status(), 401);
        app.login(&org.mentee.email, new, "phone").await;

        // Expired codes are refused.
        let issued = json_body(app.post(&path, Some(org.coordinator.token()), &json!({})).await).await;
        app.with_db(|conn| {
            use alongside_server::schema::password_resets::dsl::*;
            use diesel::prelude::*;
            diesel::update(password_resets).set(expires_at.eq(Timestamp::now() - Duration::from_secs(1))).execute(conn)?;
            Ok(())
        })
        .await;
        let late = app.post("/v1/auth/password/reset", None, &redeem(issued["code"].as_str().unwrap(), new)).await;
        assert_error(late, 400, "invalid_reset_code").await;
        let events = app.audit_events(&org.org_id).await;
        assert!(events.iter().any(|e| e.action == "password.reset_issued"));
        assert!(events.iter().any(|e| e.action == "password.reset"));
    }
}

backend_test! {
    #[tokio::test]
    async fn a_phone_redeems_a_reset_code_and_keeps_what_it_had_to_send(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("phone-reset").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        let sid = mentee.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-12-03").unwrap();
        mentee.client.edit_notes(&sid, 0, 0, "Forgot my password, wrote this anyway").unwrap();
        assert_eq!(mentee.client.pending().unwrap(), 1);

        let path = person_path(&org.mentee.id, "/password-reset");
        let issued = json_body(app.post(&path, Some(org.coordinator.token()), &json!({})).await).await;
        let code = issued["code"].as_str().unwrap().to_owned();
        let new = "kettle lantern orchard drizzle";

        // A phone nobody is signed in on redeems it; refusals are `Invalid` with the reason.
        let dir = tempfile::tempdir().unwrap();
        let fresh = sync_core::Client::new(dir.path(), &app.address).unwrap();
        let invalid = |result: Result<(), ClientError>| match result {
            Err(ClientError::Invalid { message }) => message,
            other => panic!("{backend}: expected Invalid, got {other:?}"),
        };
        assert!(!invalid(fresh.reset_password(&org.mentee.email, "0000-0000-0000-0000", new)).is_empty());
        let weak = invalid(fresh.reset_password(&org.mentee.email, &code, "password1234"));
        assert!(weak.contains("too easy to guess"), "{weak}");
        fresh.reset_password(&org.mentee.email, &code.to_lowercase(), new).unwrap();
        invalid(fresh.reset_password(&org.mentee.email, &code, "another fine long phrase"));
        assert!(fresh.account().is_none(), "redeeming signs nobody in");

        // The person's own phone was signed out with everything else, and kept its note.
        assert!(matches!(mentee.client.sync(), Err(ClientError::Unauthorized { .. })), "{backend}");
        assert!(matches!(mentee.client.login(&org.mentee.email, PASSWORD, "phone"), Err(ClientError::Unauthorized { .. })));
        mentee.client.login(&org.mentee.email, new, "phone").unwrap();
        assert_eq!(mentee.client.pending().unwrap(), 1, "{backend}: the unsent note is still there");
        mentee.client.sync().unwrap();
        assert_eq!(mentee.client.pending().unwrap(), 0, "{backend}");
        let mentor = Phone::login(&app, &org.mentor.email);
        mentor.client.sync().unwrap();
        assert_eq!(mentor.client.session(&sid).unwrap().notes, "Forgot my password, wrote this anyway");
    }
}

backend_test! {
    #[tokio::test]
    async fn the_command_line_prints_a_reset_code_that_works(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let code = run_cli(&app.db_url, &["user", "reset-password", "--email", EMAIL]).trim().to_owned();
        let new = "kettle lantern orchard drizzle";
        let body = json!({ "email": EMAIL, "code": code, "new_password": new });
        assert_eq!(app.post("/v1/auth/password/reset", None, &body).await.status(), 204, "{backend}");
        app.login(EMAIL, new, "phone").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn new_accounts_need_a_password_the_policy_accepts(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("policy").await;
        let person = |password: &str| {
            json!({ "email": "new@policy.example", "display_name": "New Person", "roles": ["mentee"], "password": password })
        };
        for weak in ["eight ch", "password1234", "qwertyuiopasdf"] {
            let refused = app.post("/v1/people", Some(org.coordinator.token()), &person(weak)).await;
            let body: Value = assert_error(refused, 400, "weak_password").await;
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
        let added = app.post("/v1/people", Some(org.coordinator.token()), &person("kettle lantern orchard drizzle")).await;
        assert_eq!(added.status(), 201, "{backend}");
    }
}

backend_test! {
    #[tokio::test]
    async fn coordinators_cannot_revoke_an_admins_devices(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("admins").await;
        let path = format!("/v1/devices/{}/revoke", org.admin.session.device_id);
        assert_eq!(app.post(&path, Some(org.coordinator.token()), &json!({})).await.status(), 403, "{backend}");
        assert_eq!(app.get("/v1/me", Some(org.admin.token())).await.status(), 200);
        let mentor_device = format!("/v1/devices/{}/revoke", org.mentor.session.device_id);
        assert_eq!(app.post(&mentor_device, Some(org.coordinator.token()), &json!({})).await.status(), 200);
    }
}

backend_test! {
    #[tokio::test]
    async fn deactivation_ends_console_logins_for_good(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("leaver").await;
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let path = format!("/v1/people/{}", org.coordinator.id);
        for active in [false, true] {
            let patched =
                app.request(reqwest::Method::PATCH, &path, Some(org.admin.token()), Some(&json!({ "active": active }))).await;
            assert_eq!(patched.status(), 200, "{backend}");
        }
        let (status, _) = console.page("/console").await;
        assert_ne!(status, 200, "{backend}: the old console login stays ended after reactivation");
        Console::sign_in(&app, &org.coordinator.email).await;
    }
}

backend_test! {
    #[tokio::test]
    async fn a_console_return_address_with_a_line_break_is_not_a_server_error(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("crlf").await;
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let path = format!("/console/devices/{}/revoke", org.mentor.session.device_id);
        let response = console.post(&path, &[("return_to", "/console/people\r\nSet-Cookie: evil=1")]).await;
        assert_eq!(response.status(), 303, "{backend}");
        assert_eq!(response.headers()["location"], "/console");
    }
}

backend_test! {
    #[tokio::test]
    async fn metrics_are_off_unless_configured_and_a_token_or_own_address_guards_them(backend) {
        use alongside_server::config::MetricsAccess;
        let off = spawn_app_with(backend, |s| s.metrics = MetricsAccess::Off).await;
        assert_eq!(off.get("/metrics", None).await.status(), 404, "{backend}");

        let secret = "a-metrics-token-1234";
        let guarded = spawn_app_with(backend, |s| s.metrics = MetricsAccess::Token(secret.to_owned().into())).await;
        assert_eq!(guarded.get("/metrics", None).await.status(), 401, "{backend}");
        assert_eq!(guarded.get("/metrics", Some("a-metrics-token-9999")).await.status(), 401, "{backend}");
        let shown = guarded.get("/metrics", Some(secret)).await;
        assert_eq!(shown.status(), 200, "{backend}");
        assert!(shown.text().await.unwrap().contains("alongside_"));

        let port = alongside_tests::process::free_port();
        let apart = spawn_app_with(backend, |s| s.metrics = MetricsAccess::Listen(format!("127.0.0.1:{port}"))).await;
        assert_eq!(apart.get("/metrics", None).await.status(), 404, "{backend}: not on the main address");
        let own = apart.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
        assert_eq!(own.status(), 200, "{backend}");
        let other = apart.client.get(format!("http://127.0.0.1:{port}/v1/me")).send().await.unwrap();
        assert_eq!(other.status(), 404, "{backend}: nothing else there");
    }
}

#[tokio::test]
async fn a_new_sqlite_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app(Backend::Sqlite).await;
    let path = app.db_url.strip_prefix("sqlite://").unwrap();
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{path}");
}

backend_test! {
    #[tokio::test]
    async fn the_console_changes_your_password_and_shows_a_reset_code_once(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("console-pw").await;
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, form) = console.page("/console/password").await;
        assert_eq!(status, 200, "{backend}");
        assert!(form.contains("name=\"new_password\""));

        let weak = console.post("/console/password", &[("current_password", PASSWORD), ("new_password", "password1234")]).await;
        assert_eq!(weak.status(), 400, "{backend}");
        assert!(weak.text().await.unwrap().contains("too easy to guess"));
        let new = "kettle lantern orchard drizzle";
        let changed = console.post("/console/password", &[("current_password", PASSWORD), ("new_password", new)]).await;
        assert_eq!(changed.status(), 200, "{backend}");
        assert_eq!(console.page("/console").await.0, 200, "{backend}: this console login stays");
        assert_eq!(app.get("/v1/me", Some(org.coordinator.token())).await.status(), 401, "{backend}: the phone is out");
        app.login(&org.coordinator.email, new, "phone").await;

        // A reset code for the mentee, from the people page.
        let (_, people) = console.page("/console/people").await;
        let action = format!("/console/people/{}/password-reset", org.mentee.id);
        assert!(people.contains(&action), "{backend}");
        assert!(!people.contains(&format!("/console/people/{}/password-reset", org.admin.id)), "{backend}: not an admin's");
        let shown = console.post(&action, &[]).await;
        assert_eq!(shown.status(), 200, "{backend}");
        let html = shown.text().await.unwrap();
        let code = html.split("id=\"reset-code\">").nth(1).and_then(|rest| rest.split('<').next()).unwrap().to_owned();
        let body = json!({ "email": org.mentee.email, "code": code, "new_password": new });
        assert_eq!(app.post("/v1/auth/password/reset", None, &body).await.status(), 204, "{backend}");
    }
}

/// Posts the console's reset-password form with a fresh double-submit token.
async fn post_reset_form(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    post_signed_out_form(app, "/console/reset-password", fields, &[]).await
}

backend_test! {
    #[tokio::test]
    async fn a_coordinator_sets_a_new_password_with_a_reset_code_in_the_console(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("console-reset").await;
        let sign_in = app.client.get(app.url("/console/sign-in")).send().await.unwrap().text().await.unwrap();
        assert!(sign_in.contains("href=\"/console/reset-password\""), "{backend}: the sign-in page links to it");
        let path = person_path(&org.coordinator.id, "/password-reset");
        let issued = json_body(app.post(&path, Some(org.admin.token()), &json!({})).await).await;
        let code = issued["code"].as_str().unwrap().to_owned();
        let email = org.coordinator.email.as_str();
        let new = "kettle lantern orchard drizzle";

        let wrong = post_reset_form(&app, &[("email", email), ("code", "0000-0000-0000-0000"), ("new_password", new)]).await;
        assert_eq!(wrong.status(), 400, "{backend}");
        assert!(wrong.text().await.unwrap().contains("not valid"), "{backend}");
        let weak = post_reset_form(&app, &[("email", email), ("code", &code), ("new_password", "password1234")]).await;
        assert_eq!(weak.status(), 400, "{backend}");
        assert!(weak.text().await.unwrap().contains("too easy to guess"), "{backend}");
        let no_cookie = app
            .client
            .post(app.url("/console/reset-password"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[("csrf", "abc"), ("email", email), ("code", &code), ("new_password", new)]))
            .send()
            .await
            .unwrap();
        assert_eq!(no_cookie.status(), 403, "{backend}: the double-submit token is required");

        let set = post_reset_form(&app, &[("email", email), ("code", &code), ("new_password", new)]).await;
        assert_eq!(set.status(), 200, "{backend}");
        assert!(set.text().await.unwrap().contains("Your new password is set"), "{backend}");
        assert_eq!(app.get("/v1/me", Some(org.coordinator.token())).await.status(), 401, "{backend}: signed out");
        assert_eq!(attempt_sign_in(&app, email, PASSWORD, &[]).await.response.status(), 401, "{backend}");
        Console::sign_in_with(&app, email, new).await;
        let again = post_reset_form(&app, &[("email", email), ("code", &code), ("new_password", "another fine long phrase")]).await;
        assert_eq!(again.status(), 400, "{backend}: the code is used up");
    }
}

backend_test! {
    /// A sync checks the token check's cached rows against the database's
    /// auth generation in its snapshot, so a device revoked by another process
    /// (the command line, which no notification follows on SQLite) is refused
    /// by the very next sync, even when the cached rows are older than the
    /// one-second backstop.
    #[tokio::test]
    async fn a_device_revoked_from_the_command_line_is_refused_by_the_next_sync(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("cli-revoke").await;
        let mentee = Phone::login(&app, &org.mentee.email);
        mentee.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-12-03").unwrap();
        let device = mentee.client.account().unwrap().device_id;
        let warmed = std::time::Instant::now();
        while warmed.elapsed() < Duration::from_millis(1500) {
            mentee.client.sync().unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
        run_cli(&app.db_url, &["device", "revoke", "--device", &device]);
        assert!(
            matches!(mentee.client.sync(), Err(ClientError::Revoked { .. })),
            "{backend}: the first sync after the revocation is refused"
        );
        assert!(mentee.client.account().is_none(), "{backend}: and the phone wiped");
    }
}
