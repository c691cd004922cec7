//! Creating pairings, their warnings, and moving them through their life.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_server::domain::Role;
use alongside_server::domain::people::NewPerson;
use alongside_tests::{PASSWORD, assert_error, backend_test, json_body, spawn_app};
use serde_json::json;

backend_test! {
    #[tokio::test]
    async fn coordinator_pairs_people_and_is_warned_about_line_managers_and_full_loads(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("north").await;
        let coordinator = org.coordinator.token();

        // The mentor already has one mentee; the programme allows three.
        let mut mentees = Vec::new();
        for i in 0..3 {
            mentees.push(
                app.create_person_with(
                    &org.org_id,
                    NewPerson {
                        email: format!("new{i}@north.example"),
                        display_name: format!("New Starter {i}"),
                        roles: vec![Role::Mentee],
                        password: PASSWORD.to_owned(),
                        // The mentor manages the first one.
                        line_manager_id: (i == 0).then(|| org.mentor.id.parse().unwrap()),
                        site_id: None,
                        start_date: Some("2025-03-03".to_owned()),
                    },
                )
                .await,
            );
        }

        let response = app
            .post(
                "/v1/mentorships",
                Some(coordinator),
                &json!({ "mentor_id": org.mentor.id, "mentee_id": mentees[0], "started_on": "2025-03-03" }),
            )
            .await;
        assert_eq!(response.status(), 201, "{backend}");
        let created = json_body(response).await;
        assert_eq!(created["status"], "active");
        assert_eq!(created["started_on"], "2025-03-03");
        assert_eq!(created["mentor_name"], "Mo Mentor");
        assert_eq!(created["mentee_name"], "New Starter 0");
        assert_eq!(created["warnings"][0]["code"], "mentor_is_line_manager", "{created}");
        assert_eq!(created["warnings"].as_array().map(Vec::len), Some(1));

        let second = json_body(
            app.post(
                "/v1/mentorships",
                Some(coordinator),
                &json!({ "mentor_id": org.mentor.id, "mentee_id": mentees[1] }),
            )
            .await,
        )
        .await;
        assert_eq!(second["warnings"], json!([]), "two active mentees before this one");

        let third = json_body(
            app.post(
                "/v1/mentorships",
                Some(coordinator),
                &json!({ "mentor_id": org.mentor.id, "mentee_id": mentees[2] }),
            )
            .await,
        )
        .await;
        assert_eq!(third["warnings"][0]["code"], "mentor_at_capacity", "{third}");

        let again = app
            .post("/v1/mentorships", Some(coordinator), &json!({ "mentor_id": org.mentor.id, "mentee_id": mentees[2] }))
            .await;
        assert_error(again, 409, "already_paired").await;

        let audit = app.audit_events(&org.org_id).await;
        assert_eq!(
            audit.iter().filter(|e| e.action == "mentorship.created").count(),
            4,
            "the fixture pairing and three new ones"
        );
        let by_coordinator = audit
            .iter()
            .find(|e| e.action == "mentorship.created" && e.object_id == created["id"])
            .expect("an audit event for the new pairing");
        assert_eq!(by_coordinator.actor_person_id.as_deref(), Some(org.coordinator.id.as_str()));
        assert_eq!(by_coordinator.device_id.as_deref(), Some(org.coordinator.session.device_id.as_str()));
    }
}

backend_test! {
    #[tokio::test]
    async fn pairing_input_is_checked(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("south").await;
        let token = org.coordinator.token();
        let app = &app;
        let post = |body: serde_json::Value| async move { app.post("/v1/mentorships", Some(token), &body).await };

        assert_error(
            post(json!({ "mentor_id": org.mentee.id, "mentee_id": org.other_mentee.id })).await,
            400,
            "not_a_mentor",
        )
        .await;
        assert_error(post(json!({ "mentor_id": org.mentor.id, "mentee_id": org.admin.id })).await, 400, "not_a_mentee")
            .await;
        assert_error(post(json!({ "mentor_id": org.mentor.id, "mentee_id": org.mentor.id })).await, 400, "same_person")
            .await;
        assert_error(
            post(json!({ "mentor_id": org.mentor.id, "mentee_id": org.other_mentee.id, "started_on": "3 March" }))
                .await,
            400,
            "invalid_date",
        )
        .await;
        assert_error(
            post(json!({ "mentor_id": "not-a-uuid", "mentee_id": org.other_mentee.id })).await,
            400,
            "invalid_body",
        )
        .await;
        assert_error(
            post(json!({ "mentor_id": uuid::Uuid::new_v4(), "mentee_id": org.other_mentee.id })).await,
            404,
            "not_found",
        )
        .await;

        let future = json_body(
            post(json!({ "mentor_id": org.mentor.id, "mentee_id": org.other_mentee.id, "started_on": "2999-01-01" }))
                .await,
        )
        .await;
        assert_eq!(future["status"], "proposed", "{backend}: {future}");
    }
}

backend_test! {
    #[tokio::test]
    async fn pairings_pause_resume_and_end_only_from_states_that_allow_it(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("east").await;
        let token = org.coordinator.token();
        let path = |action: &str| format!("/v1/mentorships/{}/{action}", org.mentorship_id);

        assert_error(app.post(&path("resume"), Some(token), &json!({})).await, 409, "invalid_transition").await;
        assert_error(app.post(&path("pause"), Some(token), &json!({ "reason": 5 })).await, 400, "invalid_json").await;
        let paused = json_body(app.post(&path("pause"), Some(token), &json!({ "reason": "Sick leave" })).await).await;
        assert_eq!(paused["status"], "paused", "{backend}");
        assert_eq!(paused["pause_reason"], "Sick leave", "{backend}");
        let mentee_view = json_body(app.get("/v1/mentorships", Some(org.mentee.token())).await).await;
        assert_eq!(mentee_view[0]["status"], "paused", "{backend}");
        assert!(mentee_view[0]["pause_reason"].is_null(), "{backend}: reasons are for managers: {mentee_view}");
        assert_error(app.post(&path("pause"), Some(token), &json!({})).await, 409, "invalid_transition").await;
        let resumed = json_body(app.post(&path("resume"), Some(token), &json!({})).await).await;
        assert_eq!(resumed["status"], "active");
        assert!(resumed["pause_reason"].is_null(), "{backend}: resuming clears the reason");
        // The API also takes a pause with no body at all.
        let bare = app.request(reqwest::Method::POST, &path("pause"), Some(token), None).await;
        assert_eq!(bare.status(), 200, "{backend}");
        json_body(app.post(&path("resume"), Some(token), &json!({})).await).await;

        assert_error(app.post(&path("end"), Some(token), &json!({ "reason": "  " })).await, 400, "missing_field").await;
        assert_error(app.post(&path("end"), Some(token), &json!({})).await, 400, "invalid_body").await;
        let ended =
            json_body(app.post(&path("end"), Some(token), &json!({ "reason": "Sam moved to nights" })).await).await;
        assert_eq!(ended["status"], "ended");
        assert_eq!(ended["end_reason"], "Sam moved to nights");
        let mentee_view = json_body(app.get("/v1/mentorships", Some(org.mentee.token())).await).await;
        assert_eq!(mentee_view[0]["status"], "ended", "{backend}");
        assert!(mentee_view[0]["end_reason"].is_null(), "{backend}: {mentee_view}");
        assert!(ended["ended_on"].is_string());
        assert_error(
            app.post(&path("end"), Some(token), &json!({ "reason": "again" })).await,
            409,
            "invalid_transition",
        )
        .await;
        assert_error(app.post("/v1/mentorships/not-a-uuid/pause", Some(token), &json!({})).await, 404, "not_found")
            .await;

        // Ending frees the pair to be paired again.
        let again = app
            .post("/v1/mentorships", Some(token), &json!({ "mentor_id": org.mentor.id, "mentee_id": org.mentee.id }))
            .await;
        assert_eq!(again.status(), 201);

        let actions: Vec<String> = app.audit_events(&org.org_id).await.into_iter().map(|e| e.action).collect();
        for action in ["mentorship.paused", "mentorship.resumed", "mentorship.ended"] {
            assert!(actions.iter().any(|a| a == action), "{action} missing from {actions:?}");
        }
    }
}
