//! People management over HTTP.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_tests::{assert_error, backends, json_body, spawn_app};
use serde_json::json;

#[tokio::test]
async fn people_are_managed_by_coordinators_and_admins() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let org = app.seed_org("west").await;
        let new_person = |email: &str, roles: serde_json::Value| {
            json!({
                "email": email,
                "display_name": "Priya Patel",
                "roles": roles,
                "password": "a long enough password",
                "line_manager_id": org.admin.id,
                "start_date": "2025-04-07",
            })
        };

        let created = app
            .post("/v1/people", Some(org.coordinator.token()), &new_person("Priya@West.example", json!(["mentee"])))
            .await;
        assert_eq!(created.status(), 201, "{backend}");
        let created = json_body(created).await;
        assert_eq!(created["email"], "priya@west.example");
        assert_eq!(created["org_id"], org.org_id.as_str());
        assert_eq!(created["line_manager_id"], org.admin.id.as_str());
        assert_eq!(created["start_date"], "2025-04-07");
        assert!(created.get("password_hash").is_none());
        app.login("priya@west.example", "a long enough password", "phone").await;

        let fetched = json_body(
            app.get(&format!("/v1/people/{}", created["id"].as_str().unwrap()), Some(org.admin.token())).await,
        )
        .await;
        assert_eq!(fetched, created);

        assert_error(
            app.post("/v1/people", Some(org.admin.token()), &new_person("priya@west.example", json!(["mentor"]))).await,
            409,
            "email_taken",
        )
        .await;
        assert_error(
            app.post("/v1/people", Some(org.coordinator.token()), &new_person("boss@west.example", json!(["admin"])))
                .await,
            403,
            "forbidden",
        )
        .await;
        let admin_made =
            app.post("/v1/people", Some(org.admin.token()), &new_person("boss@west.example", json!(["admin"]))).await;
        assert_eq!(admin_made.status(), 201);
        assert_error(
            app.post("/v1/people", Some(org.admin.token()), &new_person("not-an-email", json!(["mentee"]))).await,
            400,
            "invalid_email",
        )
        .await;
        assert_error(
            app.post("/v1/people", Some(org.admin.token()), &new_person("x@west.example", json!([]))).await,
            400,
            "missing_roles",
        )
        .await;
        assert_error(
            app.post("/v1/people", Some(org.admin.token()), &new_person("y@west.example", json!(["wizard"]))).await,
            400,
            "invalid_body",
        )
        .await;
        let mut weak = new_person("z@west.example", json!(["mentee"]));
        weak["password"] = json!("short");
        assert_error(app.post("/v1/people", Some(org.admin.token()), &weak).await, 400, "weak_password").await;

        let list = json_body(app.get("/v1/people", Some(org.coordinator.token())).await).await;
        assert_eq!(list.as_array().map(Vec::len), Some(7), "five fixture people and two new");
        let created_events = app
            .audit_events(&org.org_id)
            .await
            .into_iter()
            .filter(|e| e.action == "person.created" && e.actor_person_id.is_some())
            .count();
        assert_eq!(created_events, 2, "the two people created over HTTP");
    }
}
