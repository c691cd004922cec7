//! People management over HTTP.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_tests::phones::Phone;
use alongside_tests::{PASSWORD, TestApp, assert_error, backend_test, json_body, spawn_app};
use serde_json::json;
use sync_core::ClientError;

backend_test! {
    #[tokio::test]
    async fn people_are_managed_by_coordinators_and_admins(backend) {
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

async fn patch(app: &TestApp, id: &str, token: &str, body: serde_json::Value) -> reqwest::Response {
    app.request(reqwest::Method::PATCH, &format!("/v1/people/{id}"), Some(token), Some(&body)).await
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn people_are_changed_and_a_leaver_is_deactivated_and_their_phone_wiped(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("leaf").await;
        let other = app.seed_org("stem").await;
        let (coordinator, admin) = (org.coordinator.token(), org.admin.token());

        // Name, line manager, start date; then clearing the line manager.
        let changed = json_body(
            patch(
                &app,
                &org.mentee.id,
                coordinator,
                json!({ "display_name": "Mia Brown", "line_manager_id": org.mentor.id, "start_date": "2026-09-01" }),
            )
            .await,
        )
        .await;
        assert_eq!(changed["display_name"], "Mia Brown", "{backend}: {changed}");
        assert_eq!(changed["line_manager_id"], org.mentor.id.as_str());
        assert_eq!(changed["start_date"], "2026-09-01");
        let cleared =
            json_body(patch(&app, &org.mentee.id, coordinator, json!({ "line_manager_id": null })).await).await;
        assert!(cleared["line_manager_id"].is_null(), "{backend}: {cleared}");
        assert_eq!(cleared["display_name"], "Mia Brown", "absent fields stay");

        // Bad input, other organisations, and who may change whom.
        assert_error(patch(&app, &org.mentee.id, coordinator, json!({ "activ": false })).await, 400, "invalid_body")
            .await;
        assert_error(patch(&app, &org.mentee.id, coordinator, json!({ "roles": [] })).await, 400, "missing_roles")
            .await;
        assert_error(
            patch(&app, &org.mentee.id, coordinator, json!({ "display_name": " " })).await,
            400,
            "missing_field",
        )
        .await;
        let own_manager = json!({ "line_manager_id": org.mentee.id });
        assert_error(patch(&app, &org.mentee.id, coordinator, own_manager).await, 400, "invalid_line_manager").await;
        let foreign_manager = json!({ "line_manager_id": other.mentor.id });
        assert_error(patch(&app, &org.mentee.id, coordinator, foreign_manager).await, 404, "not_found").await;
        assert_error(patch(&app, &other.mentee.id, coordinator, json!({ "active": false })).await, 404, "not_found")
            .await;
        assert_error(
            patch(&app, &org.mentee.id, org.mentor.token(), json!({ "active": false })).await,
            403,
            "forbidden",
        )
        .await;
        assert_error(patch(&app, &org.admin.id, coordinator, json!({ "display_name": "X" })).await, 403, "forbidden")
            .await;
        assert_error(
            patch(&app, &org.mentor.id, coordinator, json!({ "roles": ["mentor", "admin"] })).await,
            403,
            "forbidden",
        )
        .await;
        let promoted =
            json_body(patch(&app, &org.mentor.id, admin, json!({ "roles": ["mentor", "coordinator"] })).await).await;
        assert_eq!(promoted["roles"], json!(["mentor", "coordinator"]), "{backend}");
        assert_error(
            patch(&app, &org.coordinator.id, coordinator, json!({ "active": false })).await,
            409,
            "own_access",
        )
        .await;
        assert_error(
            patch(&app, &org.coordinator.id, coordinator, json!({ "roles": ["mentor"] })).await,
            409,
            "own_access",
        )
        .await;
        assert_error(patch(&app, &org.admin.id, admin, json!({ "roles": ["coordinator"] })).await, 409, "own_access")
            .await;

        // A leaver: deactivated, every device revoked, the phone wipes, no new sign-in.
        let (address, email) = (app.address.clone(), org.mentee.email.clone());
        let phone = tokio::task::spawn_blocking(move || Phone::login_at(&address, &email)).await.unwrap();
        let gone = json_body(patch(&app, &org.mentee.id, coordinator, json!({ "active": false })).await).await;
        assert!(gone["deactivated_at"].is_string(), "{backend}: {gone}");
        let (wiped, phone) = tokio::task::spawn_blocking(move || {
            let store = phone.store_path();
            let result = phone.client.sync();
            assert!(matches!(result, Err(ClientError::Revoked { .. })), "{result:?}");
            (!store.exists(), phone)
        })
        .await
        .unwrap();
        assert!(wiped, "{backend}: the leaver's phone store is wiped");
        drop(phone);
        assert_eq!(app.try_login(&org.mentee.email, PASSWORD, "new phone").await.status(), 401, "{backend}");
        let back = json_body(patch(&app, &org.mentee.id, coordinator, json!({ "active": true })).await).await;
        assert!(back["deactivated_at"].is_null(), "{backend}: {back}");
        assert_eq!(app.try_login(&org.mentee.email, PASSWORD, "new phone").await.status(), 200, "{backend}");

        let actions: Vec<String> = app.audit_events(&org.org_id).await.into_iter().map(|e| e.action).collect();
        for action in ["person.updated", "person.deactivated", "person.reactivated", "device.revoked"] {
            assert!(actions.iter().any(|a| a == action), "{backend}: {action} missing from {actions:?}");
        }
    }
}

backend_test! {
    #[tokio::test]
    async fn sites_are_added_by_managers_listed_per_organisation_and_used_for_people(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("isle").await;
        let other = app.seed_org("main").await;
        let site = json!({ "name": "Harbour View", "kind": "care_home" });
        let created = json_body(app.post("/v1/sites", Some(org.coordinator.token()), &site).await).await;
        assert_eq!(created["kind"], "care_home", "{backend}: {created}");
        assert_error(app.post("/v1/sites", Some(org.admin.token()), &site).await, 409, "site_exists").await;
        assert_error(app.post("/v1/sites", Some(org.mentor.token()), &site).await, 403, "forbidden").await;
        let bad = json!({ "name": "Somewhere", "kind": "castle" });
        assert_error(app.post("/v1/sites", Some(org.admin.token()), &bad).await, 400, "invalid_body").await;
        // The same name is free in another organisation, and lists stay apart.
        assert_eq!(app.post("/v1/sites", Some(other.admin.token()), &site).await.status(), 201, "{backend}");
        let listed = json_body(app.get("/v1/sites", Some(org.mentee.token())).await).await;
        let names: Vec<&str> = listed.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names.iter().filter(|n| **n == "Harbour View").count(), 1, "{backend}: {listed}");

        let person = json!({
            "email": "new@isle.example", "display_name": "Ada Okafor", "roles": ["mentee"],
            "password": "a long enough password", "site_id": created["id"],
        });
        let added = json_body(app.post("/v1/people", Some(org.coordinator.token()), &person).await).await;
        assert_eq!(added["site_id"], created["id"], "{backend}: {added}");
    }
}
