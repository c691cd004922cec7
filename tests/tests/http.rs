//! The HTTP contract around the endpoints: error shapes, limits, operations
//! endpoints and the OpenAPI document.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_tests::{Backend, assert_error, backend_test, json_body, spawn_app};
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::json;

backend_test! {
    #[tokio::test]
    async fn malformed_wrong_type_and_incomplete_json_are_400_naming_the_problem(backend) {
        let app = spawn_app(backend).await;
        let send = |body: &'static str, content_type: &'static str| {
            app.client.post(app.url("/v1/auth/login")).header("content-type", content_type).body(body).send()
        };

        let broken = assert_error(send("{\"email\": ", "application/json").await.unwrap(), 400, "invalid_json").await;
        assert!(broken["message"].as_str().unwrap().contains("EOF"), "{backend}: {broken}");

        let missing = assert_error(
            send(r#"{"email":"a@b.example","password":"x"}"#, "application/json").await.unwrap(),
            400,
            "invalid_body",
        )
        .await;
        assert!(missing["message"].as_str().unwrap().contains("device_name"), "{missing}");

        let wrong_type = assert_error(
            send(r#"{"email":1,"password":"x","device_name":"p"}"#, "application/json").await.unwrap(),
            400,
            "invalid_body",
        )
        .await;
        assert!(wrong_type["message"].as_str().unwrap().contains("invalid type"), "{wrong_type}");

        assert_error(send(r#"{"email":"a@b.example"}"#, "text/plain").await.unwrap(), 400, "unsupported_content_type")
            .await;
        assert_error(app.try_login("not an email", "x", "phone").await, 400, "invalid_email").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn bodies_over_the_limit_are_413_json(backend) {
        let app = spawn_app(backend).await;
        let huge = json!({ "email": "a@b.example", "password": "x".repeat(70 * 1024), "device_name": "p" });
        let response = app.post("/v1/auth/login", None, &huge).await;
        let body = assert_error(response, 413, "payload_too_large").await;
        assert!(body["message"].as_str().unwrap().contains("65536"), "{backend}: {body}");
    }
}

backend_test! {
    #[tokio::test]
    async fn unknown_routes_wrong_methods_and_bad_queries_answer_json(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("q").await;
        assert_error(app.get("/v1/nothing-here", None).await, 404, "not_found").await;
        // A path of the API with a method it does not take: 405, saying which it does.
        let wrong_method = app.get("/v1/auth/login", None).await;
        assert_eq!(wrong_method.headers()["allow"], "POST", "{backend}");
        assert_error(wrong_method, 405, "method_not_allowed").await;
        let wrong_method = app.request(reqwest::Method::DELETE, &format!("/v1/people/{}", org.mentee.id), Some(org.admin.token()), None).await;
        assert_eq!(wrong_method.headers()["allow"], "GET, PATCH", "{backend}");
        assert_error(wrong_method, 405, "method_not_allowed").await;
        assert_error(app.get("/v1/devices?scope=everyone", Some(org.admin.token())).await, 400, "invalid_query").await;
        assert_error(app.get("/v1/people/12345", Some(org.admin.token())).await, 404, "not_found").await;
        let unknown = app.get(&format!("/v1/people/{}", uuid::Uuid::new_v4()), Some(org.admin.token())).await;
        assert_error(unknown, 404, "not_found").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn health_readiness_and_metrics(backend) {
        let app = spawn_app(backend).await;
        assert_eq!(json_body(app.get("/healthz", None).await).await, json!({ "status": "ok" }));
        assert_eq!(json_body(app.get("/readyz", None).await).await, json!({ "status": "ready" }));
        app.get("/v1/nothing-here", None).await;

        let metrics = app.get("/metrics", None).await;
        assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = metrics.text().await.unwrap();
        assert!(
            text.contains(r#"alongside_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
            "{backend}: {text}"
        );
        assert!(text.contains(r#"route="unmatched",status="404"} 1"#), "{text}");
        assert!(text.contains("alongside_login_failures_total 0"), "{text}");

        if backend == Backend::Postgres {
            // Take the database away under the running server.
            let admin = alongside_tests::postgres_admin_url().unwrap();
            let name = app.db_url.rsplit('/').next().unwrap().to_owned();
            let mut conn = PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).unwrap();
            assert_error(app.get("/readyz", None).await, 503, "unavailable").await;
            assert_eq!(app.get("/healthz", None).await.status(), 200);
        }
    }
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc = json_body(app.get("/openapi.json", None).await).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let expected = [
        ("/v1/auth/login", "post"),
        ("/v1/auth/refresh", "post"),
        ("/v1/auth/logout", "post"),
        ("/v1/me", "get"),
        ("/v1/mentorships", "get"),
        ("/v1/mentorships", "post"),
        ("/v1/mentorships/{id}/pause", "post"),
        ("/v1/mentorships/{id}/resume", "post"),
        ("/v1/mentorships/{id}/end", "post"),
        ("/v1/people", "get"),
        ("/v1/people", "post"),
        ("/v1/people/{id}", "get"),
        ("/v1/people/{id}", "patch"),
        ("/v1/sites", "get"),
        ("/v1/sites", "post"),
        ("/v1/devices", "get"),
        ("/v1/devices/{id}/revoke", "post"),
        ("/v1/sync", "post"),
        ("/v1/sync/live", "get"),
        ("/v1/documents/{id}", "get"),
        ("/v1/groups", "get"),
        ("/v1/groups", "post"),
        ("/v1/groups/{id}", "patch"),
        ("/v1/organisation/confidentiality", "get"),
        ("/v1/organisation/confidentiality", "put"),
        ("/v1/surveys/results", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ];
    for (path, method) in expected {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing");
    }
    let mentorship = &doc["components"]["schemas"]["MentorshipView"]["properties"];
    for field in ["id", "mentor_id", "mentor_name", "mentee_id", "mentee_name", "status", "started_on"] {
        assert!(mentorship[field].is_object(), "MentorshipView.{field} missing");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}
