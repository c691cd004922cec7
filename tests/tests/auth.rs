//! Login, refresh rotation, logout, device revocation and token validation.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_server::domain::Role;
use alongside_tests::{Backend, PASSWORD, TestApp, assert_error, backend_test, json_body, session_from, spawn_app};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// A server on `backend` with one organisation and one mentee in it.
async fn app_with_mentee(backend: Backend) -> (TestApp, String, String) {
    let app = spawn_app(backend).await;
    let org = app.create_org("Harbour Homecare").await;
    let person = app.create_person(&org, "sam.mentee@harbour.example", "Sam Osei", &[Role::Mentee]).await;
    (app, org, person)
}

backend_test! {
    #[tokio::test]
    async fn login_returns_tokens_user_and_a_device_with_a_fresh_actor_id(backend) {
        let (app, org, person) = app_with_mentee(backend).await;
        let first = app.login("Sam.Mentee@Harbour.example ", PASSWORD, "Sam's phone").await;
        let second = app.login("sam.mentee@harbour.example", PASSWORD, "Sam's tablet").await;
        let body = &first.body;
        assert_eq!(body["expires_in"], 900, "{}", app.backend);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["user"]["id"], person.as_str());
        assert_eq!(body["user"]["org_id"], org.as_str());
        assert_eq!(body["user"]["email"], "sam.mentee@harbour.example");
        assert_eq!(body["user"]["display_name"], "Sam Osei");
        assert_eq!(body["user"]["roles"], json!(["mentee"]));
        assert_eq!(body["device"]["name"], "Sam's phone");
        for session in [&first, &second] {
            assert_eq!(session.actor_id.len(), 32);
            assert!(session.actor_id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        }
        assert_ne!(first.actor_id, second.actor_id);
        assert_ne!(first.device_id, second.device_id);

        let me = json_body(app.get("/v1/me", Some(&first.access_token)).await).await;
        assert_eq!(me["id"], person.as_str());
        assert_eq!(me["device"]["id"], first.device_id.as_str());
        assert_eq!(me["device"]["actor_id"], first.actor_id.as_str());
        assert!(me.get("password_hash").is_none());

        let events = app.audit_events(&org).await;
        let logins: Vec<_> = events.iter().filter(|e| e.action == "login").collect();
        assert_eq!(logins.len(), 2, "{events:?}");
        assert_eq!(logins[0].actor_person_id.as_deref(), Some(person.as_str()));
    }
}

backend_test! {
    #[tokio::test]
    async fn wrong_password_and_unknown_email_are_refused_alike(backend) {
        let (app, org, _) = app_with_mentee(backend).await;
        let wrong = app.try_login("sam.mentee@harbour.example", "not the password", "phone").await;
        let wrong = assert_error(wrong, 401, "invalid_credentials").await;
        let unknown = app.try_login("nobody@harbour.example", PASSWORD, "phone").await;
        let unknown = assert_error(unknown, 401, "invalid_credentials").await;
        assert_eq!(wrong, unknown, "{}", app.backend);
        assert!(
            app.audit_events(&org).await.iter().any(|e| e.action == "login.failed"),
            "a failed login on a known account is audited"
        );
        let metrics = app.get("/metrics", None).await.text().await.unwrap();
        assert!(metrics.contains("alongside_login_failures_total 2"), "{metrics}");
    }
}

backend_test! {
    #[tokio::test]
    async fn repeated_failures_are_throttled_per_account_with_retry_after(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        for _ in 0..5 {
            let response = app.try_login("sam.mentee@harbour.example", "guess", "phone").await;
            assert_eq!(response.status(), 401, "{}", app.backend);
        }
        // Even the right password is refused while the account is throttled.
        let response = app.try_login("sam.mentee@harbour.example", PASSWORD, "phone").await;
        let retry_after: u64 =
            response.headers().get("retry-after").expect("a Retry-After header").to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        assert_error(response, 429, "too_many_requests").await;
        // Another account from the same address is still let in.
        let org = app.create_org("Elsewhere").await;
        app.create_person(&org, "kim@elsewhere.example", "Kim", &[Role::Mentor]).await;
        app.login("kim@elsewhere.example", PASSWORD, "phone").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn repeated_failures_from_one_address_are_throttled_across_accounts(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        for i in 0..20 {
            let email = format!("guess{i}@harbour.example");
            let response = app.try_login(&email, "guess", "phone").await;
            assert_eq!(response.status(), 401, "{}", app.backend);
        }
        let response = app.try_login("sam.mentee@harbour.example", PASSWORD, "phone").await;
        assert!(response.headers().contains_key("retry-after"));
        assert_error(response, 429, "too_many_requests").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn refresh_rotates_and_reuse_revokes_the_whole_family(backend) {
        let (app, org, _) = app_with_mentee(backend).await;
        let session = app.login("sam.mentee@harbour.example", PASSWORD, "phone").await;
        let refreshed = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": session.refresh_token })).await;
        assert_eq!(refreshed.status(), 200, "{}", app.backend);
        let rotated = session_from(&json_body(refreshed).await);
        assert_ne!(rotated.refresh_token, session.refresh_token);
        assert_eq!(rotated.device_id, session.device_id);
        assert_eq!(rotated.actor_id, session.actor_id);
        assert_eq!(app.get("/v1/me", Some(&rotated.access_token)).await.status(), 200);

        let newest = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": rotated.refresh_token })).await;
        let newest = session_from(&json_body(newest).await);

        // The first token again, after its successor was used: someone else has a copy.
        let replay = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": session.refresh_token })).await;
        assert_error(replay, 401, "refresh_token_reused").await;
        // ... so the legitimate holder's newer token is dead too.
        let after = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": newest.refresh_token })).await;
        assert_error(after, 401, "invalid_refresh_token").await;
        assert!(app.audit_events(&org).await.iter().any(|e| e.action == "refresh_token.reused"));

        let garbage = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": "not-a-token" })).await;
        assert_error(garbage, 401, "invalid_refresh_token").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn logout_stops_the_devices_refresh_and_access_tokens(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let session = app.login("sam.mentee@harbour.example", PASSWORD, "phone").await;
        let other = app.login("sam.mentee@harbour.example", PASSWORD, "tablet").await;
        let logout = app.post("/v1/auth/logout", Some(&session.access_token), &json!({})).await;
        assert_eq!(logout.status(), 204, "{}", app.backend);
        // A shared phone: the token of the person who signed out works no more.
        assert_error(app.get("/v1/me", Some(&session.access_token)).await, 401, "signed_out").await;
        assert_eq!(app.get("/v1/me", Some(&other.access_token)).await.status(), 200, "the tablet is unaffected");
        let refresh = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": session.refresh_token })).await;
        assert_error(refresh, 401, "invalid_refresh_token").await;
        let unaffected = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": other.refresh_token })).await;
        assert_eq!(unaffected.status(), 200);
    }
}

backend_test! {
    #[tokio::test]
    async fn a_revoked_device_can_neither_call_nor_refresh(backend) {
        let (app, org, _) = app_with_mentee(backend).await;
        let session = app.login("sam.mentee@harbour.example", PASSWORD, "lost phone").await;
        let other = app.login("sam.mentee@harbour.example", PASSWORD, "new phone").await;
        let revoke =
            app.post(&format!("/v1/devices/{}/revoke", session.device_id), Some(&other.access_token), &json!({})).await;
        assert_eq!(revoke.status(), 200, "{}", app.backend);
        let device = json_body(revoke).await;
        assert!(device["revoked_at"].is_string(), "{device}");

        assert_error(app.get("/v1/me", Some(&session.access_token)).await, 401, "device_revoked").await;
        assert_error(app.get("/v1/mentorships", Some(&session.access_token)).await, 401, "device_revoked").await;
        let refresh = app.post("/v1/auth/refresh", None, &json!({ "refresh_token": session.refresh_token })).await;
        assert_error(refresh, 401, "device_revoked").await;
        assert_eq!(app.get("/v1/me", Some(&other.access_token)).await.status(), 200);
        assert!(
            app.audit_events(&org)
                .await
                .iter()
                .any(|e| e.action == "device.revoked" && e.object_id == session.device_id)
        );
    }
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON claims")
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

backend_test! {
    #[tokio::test]
    async fn forged_expired_and_tampered_tokens_are_refused(backend) {
        let (app, _, _) = app_with_mentee(backend).await;
        let session = app.login("sam.mentee@harbour.example", PASSWORD, "phone").await;
        let claims = claims_of(&session.access_token);
        let right_key = EncodingKey::from_secret(app.jwt_secret.as_bytes());

        // alg: none, no signature.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let unsigned = format!("{header}.{payload}.");
        assert_error(app.get("/v1/me", Some(&unsigned)).await, 401, "invalid_token").await;

        // Signed with another key.
        let wrong_key = EncodingKey::from_secret(b"an entirely different secret of 32+ bytes");
        let forged = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &wrong_key).unwrap();
        assert_error(app.get("/v1/me", Some(&forged)).await, 401, "invalid_token").await;

        // Right key, another algorithm.
        let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &right_key).unwrap();
        assert_error(app.get("/v1/me", Some(&hs512)).await, 401, "invalid_token").await;

        // Right key, expired an hour ago.
        let mut expired = claims.clone();
        expired["iat"] = json!(now() - 7200);
        expired["exp"] = json!(now() - 3600);
        let expired = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &expired, &right_key).unwrap();
        assert_error(app.get("/v1/me", Some(&expired)).await, 401, "token_expired").await;

        // Payload edited after signing (promoting the mentee to admin).
        let mut promoted = claims.clone();
        promoted["roles"] = json!(["admin"]);
        let mut parts: Vec<String> = session.access_token.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(promoted.to_string());
        let tampered = parts.join(".");
        assert_error(app.get("/v1/me", Some(&tampered)).await, 401, "invalid_token").await;

        // Correctly signed, but naming a device that does not exist.
        let mut ghost = claims.clone();
        ghost["did"] = json!(uuid::Uuid::new_v4().to_string());
        let ghost = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &ghost, &right_key).unwrap();
        assert_error(app.get("/v1/me", Some(&ghost)).await, 401, "invalid_token").await;

        for garbage in ["", "Bearer", "not.a.jwt", "a.b"] {
            let response = app
                .client
                .get(app.url("/v1/me"))
                .header("authorization", format!("Bearer {garbage}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{garbage:?}");
        }
        assert_error(app.get("/v1/me", None).await, 401, "missing_token").await;
        // The genuine token still works.
        assert_eq!(app.get("/v1/me", Some(&session.access_token)).await.status(), 200);
    }
}
