//! The scheme a coordinator runs (issue 14): programmes with their own
//! touchpoints, trained and approved mentors, mentor profiles and matching,
//! over real HTTP with real phones, on both backends.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_server::domain::Role;
use alongside_tests::console::Console;
use alongside_tests::phones::Phone;
use alongside_tests::{OrgFixture, TestApp, assert_error, backend_test, json_body, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::SessionKind;
use time::{Duration, OffsetDateTime};

fn days_ago(days: i64) -> String {
    let day = OffsetDateTime::now_utc().date() - Duration::days(days);
    day.to_string()
}

fn days_ahead(days: i64) -> String {
    let day = OffsetDateTime::now_utc().date() + Duration::days(days);
    day.to_string()
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let response = app.request(Method::PATCH, path, Some(token), Some(&body)).await;
    assert_eq!(response.status(), 200, "PATCH {path}");
    json_body(response).await
}

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let response = app.post(path, Some(token), &body).await;
    let status = response.status();
    let body = json_body(response).await;
    assert_eq!(status, 201, "POST {path}: {body}");
    body
}

async fn default_programme(app: &TestApp, org: &OrgFixture) -> Value {
    let list = json_body(app.get("/v1/programmes", Some(org.mentee.token())).await).await;
    list.as_array().unwrap().iter().find(|p| p["is_default"] == true).cloned().expect("a default programme")
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_programme_with_its_own_touchpoints_drives_the_dashboard(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("pine").await;
        let coordinator = org.coordinator.token();

        // A new organisation has Induction, and everyone in it reads it.
        let induction = default_programme(&app, &org).await;
        assert_eq!(induction["name"], "Induction", "{backend}");
        assert_eq!(induction["kind"], "formal");
        assert_eq!(induction["length_weeks"], 12);
        let names: Vec<&str> = induction["touchpoints"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Welcome", "First contact", "Day 30 check-in", "Day 60 check-in", "Day 90 check-in"]);
        assert_eq!(induction["touchpoints"][0]["day"], 1);
        assert_eq!(induction["touchpoints"][1]["window_days"], 7);

        let nights = created(&app, "/v1/programmes", coordinator, json!({
            "name": "Night starters",
            "length_weeks": 6,
            "contact_every_days": 3,
            "touchpoints": [
                {"name": "Buddy call", "day": 2, "window_days": 1},
                {"name": "Day 11 review", "day": 11, "window_days": 2}
            ],
            "surveys": [{"key": "end_of_induction", "title": "How did it go?", "respondent": "mentee",
                "when": "close", "questions": [{"id": "confidence", "text": "How confident are you?", "kind": "scale"}]}]
        })).await;
        assert_eq!(nights["touchpoints"].as_array().map(Vec::len), Some(2));
        assert_eq!(nights["surveys"][0]["key"], "end_of_induction");
        let nights_id = nights["id"].as_str().unwrap().to_owned();
        let fetched = json_body(app.get(&format!("/v1/programmes/{nights_id}"), Some(org.mentor.token())).await).await;
        assert_eq!(fetched["contact_every_days"], 3, "{backend}");
        // Surveys are checked against their shape (see tests/tests/surveys.rs).
        let bad = app.request(Method::PATCH, &format!("/v1/programmes/{nights_id}"), Some(coordinator),
            Some(&json!({"surveys": [{"title": "no key"}]}))).await;
        assert_error(bad, 400, "invalid_programme").await;
        let buddying = created(&app, "/v1/programmes", coordinator, json!({"name": "Buddying", "kind": "informal"})).await;
        assert_eq!(buddying["touchpoints"], json!([]), "{backend}: informal programmes have no touchpoints");

        // Two pairings in Night starters, started 10 days ago: one met its
        // buddy call (a session logged on day 2 from the mentor's phone),
        // neither held a week 2 review yet (due), and one in Buddying that has
        // had no contact for months and is never overdue.
        let met = created(&app, "/v1/mentorships", coordinator, json!({
            "mentor_id": org.mentor.id, "mentee_id": org.other_mentee.id,
            "started_on": days_ago(10), "programme_id": nights_id
        })).await;
        assert_eq!(met["programme_id"], nights_id.as_str(), "{backend}");
        let late_mentee = app.create_person(&org.org_id, "late@pine.example", "Lou Late", &[Role::Mentee]).await;
        let late = created(&app, "/v1/mentorships", coordinator, json!({
            "mentor_id": org.mentor.id, "mentee_id": late_mentee,
            "started_on": days_ago(10), "programme_id": nights_id
        })).await;
        let quiet_mentee = app.create_person(&org.org_id, "quiet@pine.example", "Quinn Quiet", &[Role::Mentee]).await;
        let quiet = created(&app, "/v1/mentorships", coordinator, json!({
            "mentor_id": org.mentor.id, "mentee_id": quiet_mentee,
            "started_on": days_ago(120), "programme_id": buddying["id"]
        })).await;
        // A default pairing joins Induction.
        let listed = json_body(app.get("/v1/mentorships", Some(coordinator)).await).await;
        let fixture = listed.as_array().unwrap().iter().find(|m| m["id"] == org.mentorship_id.as_str()).unwrap();
        assert_eq!(fixture["programme_id"], induction["id"], "{backend}");

        let (address, email, met_id) = (app.address.clone(), org.mentor.email.clone(), met["id"].as_str().unwrap().to_owned());
        let day_two = days_ago(8);
        let quiet_id = quiet["id"].as_str().unwrap().to_owned();
        let long_ago = days_ago(100);
        let nights_on_phone = nights_id.clone();
        tokio::task::spawn_blocking(move || {
            let phone = Phone::login_at(&address, &email);
            phone.client.sync().unwrap();
            let on_phone = phone.client.mentorships().unwrap();
            let record = on_phone.iter().find(|m| m.id == met_id).expect("the pairing is on the phone");
            assert_eq!(record.programme_id, nights_on_phone, "the phone knows the pairing's programme");
            phone.client.create_session(&met_id, SessionKind::CheckIn, &day_two).unwrap();
            // Buddying's only contact was long ago.
            phone.client.create_session(&quiet_id, SessionKind::Meeting, &long_ago).unwrap();
            phone.client.sync().unwrap();
        })
        .await
        .unwrap();

        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, page) = console.page(&format!("/console?programme_id={nights_id}")).await;
        assert_eq!(status, 200, "{backend}");
        assert_eq!(page.matches("data-pairing=").count(), 2, "{backend}: only Night starters' pairings");
        let row = |id: &str| {
            let start = page.find(&format!("data-pairing=\"{id}\"")).expect("the pairing's row");
            let rest = &page[start..];
            rest[..rest.find("</tr>").unwrap()].to_owned()
        };
        let met_row = row(met["id"].as_str().unwrap());
        assert!(met_row.contains("met</span> Buddy call"), "{backend}: {met_row}");
        assert!(met_row.contains("due</span> Day 11 review"), "{backend}: {met_row}");
        assert!(!met_row.contains("Day 30 check-in") && !met_row.contains("Welcome"), "{backend}: not Induction's");
        let late_row = row(late["id"].as_str().unwrap());
        assert!(late_row.contains("Buddy call overdue"), "{backend}: {late_row}");
        assert!(page.contains("data-live-fragment=\"/console/fragments/dashboard?programme_id="), "{backend}");

        let (_, fragment) = console.page(&format!("/console/fragments/dashboard?programme_id={}", buddying["id"].as_str().unwrap())).await;
        assert_eq!(fragment.matches("data-pairing=").count(), 1, "{backend}");
        let quiet_row = &fragment[fragment.find("data-pairing=").unwrap()..];
        assert!(!quiet_row.contains("overdue") && !quiet_row.contains("No contact"), "{backend}: informal is never overdue: {quiet_row}");

        let (_, all) = console.page("/console").await;
        assert_eq!(all.matches("data-pairing=").count(), 4, "{backend}: every programme");

        // Changing the programme's touchpoints changes the dashboard.
        patch(&app, &format!("/v1/programmes/{nights_id}"), coordinator,
            json!({"touchpoints": [{"name": "Buddy call", "day": 2, "window_days": 10}]})).await;
        let (_, page) = console.page(&format!("/console?programme_id={nights_id}")).await;
        assert!(!page.contains("Buddy call overdue") && !page.contains("Day 11 review"), "{backend}: the new rules apply");

        // The programmes page lists them, and its form adds one (with CSRF).
        let (status, programmes) = console.page("/console/programmes").await;
        assert_eq!(status, 200);
        assert!(programmes.contains("Night starters") && programmes.contains("Buddying") && programmes.contains("default for new pairings"));
        let added = console.post("/console/programmes", &[
            ("name", "Returners"), ("kind", "formal"), ("length_weeks", "4"), ("contact_every_days", "7"),
            ("max_mentees_per_mentor", "2"), ("touchpoints", "Welcome back, 0, 2\nDay 14 check-in, 14, 3"),
            ("required_training", "Safeguarding"),
        ]).await;
        assert_eq!(added.status(), 303, "{backend}");
        let list = json_body(app.get("/v1/programmes", Some(coordinator)).await).await;
        let returners = list.as_array().unwrap().iter().find(|p| p["name"] == "Returners").expect("added from the console");
        assert_eq!(returners["touchpoints"][0]["name"], "Welcome back", "{backend}");
        assert_eq!(returners["required_training"], json!(["Safeguarding"]));
        let no_token = console.post_raw("/console/programmes", &[("name", "Forged")]).await;
        assert_eq!(no_token.status(), 403, "{backend}: CSRF");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unapproved_mentor_is_refused_and_approved_after_training_is_recorded(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("fir").await;
        let coordinator = org.coordinator.token();
        let induction = default_programme(&app, &org).await;
        let path = format!("/v1/programmes/{}", induction["id"].as_str().unwrap());
        let changed = patch(&app, &path, coordinator, json!({"required_training": ["Safeguarding", "Mentor skills"]})).await;
        assert_eq!(changed["required_training"], json!(["Safeguarding", "Mentor skills"]), "{backend}");

        let pair = json!({"mentor_id": org.mentor.id, "mentee_id": org.other_mentee.id});
        let refused = assert_error(app.post("/v1/mentorships", Some(coordinator), &pair).await, 409, "mentor_not_approved").await;
        let message = refused["message"].as_str().unwrap();
        assert!(message.contains("Safeguarding (not held)") && message.contains("Mentor skills (not held)"), "{backend}: {message}");

        // Training: an expired course does not count, a current one does.
        let training = format!("/v1/people/{}/training", org.mentor.id);
        created(&app, &training, coordinator, json!({
            "course": "Safeguarding", "completed_on": days_ago(800), "expires_on": days_ago(70), "evidence": "certificate 123"
        })).await;
        created(&app, &training, coordinator, json!({"course": "Mentor skills", "completed_on": days_ago(30)})).await;
        let refused = assert_error(app.post("/v1/mentorships", Some(coordinator), &pair).await, 409, "mentor_not_approved").await;
        let message = refused["message"].as_str().unwrap();
        assert!(message.contains(&format!("Safeguarding (expired {})", days_ago(70))), "{backend}: {message}");
        assert!(!message.contains("Mentor skills"), "{backend}: {message}");

        // The mentor reads their own training; another mentee does not.
        let own = json_body(app.get(&training, Some(org.mentor.token())).await).await;
        assert_eq!(own.as_array().map(Vec::len), Some(2), "{backend}");
        assert_eq!(own[0]["course"], "Mentor skills", "newest first");
        assert_eq!(app.get(&training, Some(org.other_mentee.token())).await.status(), 403);
        let bad_dates = app.post(&training, Some(coordinator), &json!({
            "course": "X", "completed_on": days_ago(1), "expires_on": days_ago(2)
        })).await;
        assert_error(bad_dates, 400, "invalid_date").await;

        // The console's matrix marks the expired course.
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, matrix) = console.page("/console/training").await;
        assert_eq!(status, 200, "{backend}");
        let mentor_row = &matrix[matrix.find(&format!("data-person=\"{}\"", org.mentor.id)).unwrap()..];
        let mentor_row = &mentor_row[..mentor_row.find("</tr>").unwrap()];
        assert!(mentor_row.contains("data-expired=\"yes\""), "{backend}: {mentor_row}");

        // An override pairs anyway and is in the audit trail.
        let overridden = created(&app, "/v1/mentorships", coordinator, json!({
            "mentor_id": org.mentor.id, "mentee_id": org.other_mentee.id,
            "override_reason": "renewal booked for next week"
        })).await;
        assert!(overridden["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "mentor_not_approved"), "{backend}");
        let audit = app.audit_events(&org.org_id).await;
        let event = audit.iter().find(|e| e.action == "mentorship.approval_overridden").expect("the override is audited");
        assert_eq!(event.object_id, overridden["id"].as_str().unwrap());
        assert!(event.detail.contains("renewal booked for next week") && event.detail.contains("Safeguarding"), "{}", event.detail);
        assert_eq!(event.actor_person_id.as_deref(), Some(org.coordinator.id.as_str()));

        // Renewed: the next pairing needs no override, and the matrix is clear.
        created(&app, &training, coordinator, json!({
            "course": "safeguarding", "completed_on": days_ago(1), "expires_on": days_ahead(20)
        })).await;
        let third = app.create_person(&org.org_id, "third@fir.example", "Tess Third", &[Role::Mentee]).await;
        let approved = created(&app, "/v1/mentorships", coordinator, json!({"mentor_id": org.mentor.id, "mentee_id": third})).await;
        assert!(approved["warnings"].as_array().unwrap().iter().all(|w| w["code"] != "mentor_not_approved"), "{backend}: {approved}");
        let (_, matrix) = console.page("/console/training").await;
        let mentor_row = &matrix[matrix.find(&format!("data-person=\"{}\"", org.mentor.id)).unwrap()..];
        let mentor_row = &mentor_row[..mentor_row.find("</tr>").unwrap()];
        assert!(mentor_row.contains("data-expiring=\"soon\"") && !mentor_row.contains("data-expired"), "{backend}: {mentor_row}");
    }
}

/// A mentor with a site, a shift, a capacity and languages.
async fn mentor(app: &TestApp, org: &OrgFixture, slug: &str, name: &str, profile: Value) -> String {
    let id = app.create_person(&org.org_id, &format!("{slug}@willow.example"), name, &[Role::Mentor]).await;
    patch(app, &format!("/v1/people/{id}"), org.coordinator.token(), profile).await;
    id
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn suggestions_rank_a_same_site_same_shift_approved_mentor_with_capacity_first_and_never_the_line_manager(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("willow").await;
        let elsewhere = app.seed_org("yew").await;
        let coordinator = org.coordinator.token();
        let site = created(&app, "/v1/sites", coordinator, json!({"name": "Willow House", "kind": "care_home"})).await;
        let site_id = site["id"].as_str().unwrap().to_owned();
        let induction = default_programme(&app, &org).await;
        patch(&app, &format!("/v1/programmes/{}", induction["id"].as_str().unwrap()), coordinator,
            json!({"required_training": ["Safeguarding"]})).await;

        let best = mentor(&app, &org, "best", "Bea Best", json!({
            "site_id": site_id, "shift_pattern": "early", "capacity": 2, "languages": ["Polish", "English"]
        })).await;
        // On paper as good as Bea, but the mentee's line manager.
        let manager = mentor(&app, &org, "manager", "Max Manager", json!({
            "site_id": site_id, "shift_pattern": "early", "capacity": 2, "languages": ["Polish"]
        })).await;
        let nights = mentor(&app, &org, "nights", "Nia Nights", json!({"shift_pattern": "night", "capacity": 2})).await;
        let full = mentor(&app, &org, "full", "Finn Full", json!({
            "site_id": site_id, "shift_pattern": "days", "capacity": 0
        })).await;
        for id in [&best, &manager, &full] {
            created(&app, &format!("/v1/people/{id}/training"), coordinator,
                json!({"course": "Safeguarding", "completed_on": days_ago(10)})).await;
        }
        let mentee = app.create_person(&org.org_id, "new@willow.example", "Nell New", &[Role::Mentee, Role::Mentor]).await;
        let profile = patch(&app, &format!("/v1/people/{mentee}"), coordinator, json!({
            "site_id": site_id, "line_manager_id": manager, "shift_pattern": "early", "languages": ["polish"]
        })).await;
        assert_eq!(profile["profile"]["shift_pattern"], "early", "{backend}: {profile}");
        let read = json_body(app.get(&format!("/v1/people/{best}"), Some(coordinator)).await).await;
        assert_eq!(read["profile"]["capacity"], 2, "{backend}: {read}");
        assert_eq!(read["profile"]["languages"], json!(["Polish", "English"]));
        let bad = app.request(Method::PATCH, &format!("/v1/people/{best}"), Some(coordinator), Some(&json!({"shift_pattern": "weekends"}))).await;
        assert_eq!(bad.status(), 400, "{backend}");

        // An earlier pairing of Nia and the mentee ended.
        let earlier = created(&app, "/v1/mentorships", coordinator, json!({
            "mentor_id": nights, "mentee_id": mentee, "override_reason": "cover"
        })).await;
        let ended = app.post(&format!("/v1/mentorships/{}/end", earlier["id"].as_str().unwrap()), Some(coordinator),
            &json!({"reason": "shift change"})).await;
        assert_eq!(ended.status(), 200);

        let path = format!("/v1/mentorships/suggestions?mentee_id={mentee}&programme_id={}", induction["id"].as_str().unwrap());
        let list = json_body(app.get(&path, Some(coordinator)).await).await;
        let list = list.as_array().unwrap();
        let order: Vec<&str> = list.iter().map(|s| s["mentor_id"].as_str().unwrap()).collect();
        assert_eq!(order.first(), Some(&best.as_str()), "{backend}: {list:?}");
        assert_eq!(order.last(), Some(&manager.as_str()), "{backend}: the line manager comes last");
        assert!(!order.contains(&mentee.as_str()), "{backend}: never the mentee themself");
        for theirs in [&elsewhere.mentor.id, &elsewhere.coordinator.id] {
            assert!(!order.contains(&theirs.as_str()), "{backend}: never someone outside the organisation");
        }
        assert!(order.contains(&org.mentor.id.as_str()) && order.contains(&nights.as_str()) && order.contains(&full.as_str()));
        let codes = |s: &Value, key: &str| -> Vec<String> {
            s[key].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect()
        };
        let top = &list[0];
        assert_eq!(codes(top, "reasons"), ["same_site", "overlapping_shifts", "capacity_left", "shared_language", "approved"], "{backend}");
        assert!(codes(top, "warnings").is_empty());
        assert!(list.windows(2).take(list.len() - 2).all(|w| w[0]["score"].as_i64() >= w[1]["score"].as_i64()), "{backend}: by score");
        let by_id = |id: &str| list.iter().find(|s| s["mentor_id"] == id).unwrap();
        assert!(codes(by_id(&manager), "warnings").contains(&"mentor_is_line_manager".to_owned()));
        assert!(by_id(&manager)["score"].as_i64() >= top["score"].as_i64(), "{backend}: last despite its score");
        assert!(codes(by_id(&full), "warnings").contains(&"mentor_at_capacity".to_owned()));
        assert!(codes(by_id(&nights), "warnings").contains(&"earlier_pairing_ended".to_owned()));
        assert!(codes(by_id(&nights), "warnings").contains(&"mentor_not_approved".to_owned()));
        assert_eq!(by_id(&nights)["missing_training"][0]["course"], "Safeguarding");

        // Coordinators only; the other organisation's mentee is not found.
        assert_eq!(app.get(&path, Some(org.admin.token())).await.status(), 403, "{backend}");
        let foreign = format!("/v1/mentorships/suggestions?mentee_id={}", elsewhere.mentee.id);
        assert_error(app.get(&foreign, Some(coordinator)).await, 404, "not_found").await;

        // The console's new-pairing form offers them with reasons, and pairs.
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, page) = console.page(&format!("/console/pairings/new?mentee_id={mentee}")).await;
        assert_eq!(status, 200, "{backend}");
        let first = page.find("data-suggestion=").unwrap();
        assert!(page[first..].starts_with(&format!("data-suggestion=\"{best}\"")), "{backend}: best first");
        assert!(page.contains("data-reason=\"same_site\"") && page.contains("data-warning=\"mentor_is_line_manager\""));
        let paired = console.post("/console/pairings", &[
            ("mentor_id", &best), ("mentee_id", &mentee), ("programme_id", induction["id"].as_str().unwrap()),
        ]).await;
        assert_eq!(paired.status(), 200, "{backend}");
        assert!(paired.text().await.unwrap().contains("Pairing created"));
        let refused = console.post("/console/pairings", &[("mentor_id", &nights), ("mentee_id", &mentee)]).await;
        assert_eq!(refused.status(), 409, "{backend}: not approved, no override");
        // The person page shows and saves the profile.
        let (status, person) = console.page(&format!("/console/people/{best}")).await;
        assert_eq!(status, 200);
        assert!(person.contains("Polish, English") && person.contains("Safeguarding"), "{backend}");
        let saved = console.post(&format!("/console/people/{best}/profile"), &[
            ("capacity", "3"), ("shift_pattern", "late"), ("languages", "Polish"), ("specialisms", "dementia care, nights"),
        ]).await;
        assert_eq!(saved.status(), 200, "{backend}");
        let read = json_body(app.get(&format!("/v1/people/{best}"), Some(coordinator)).await).await;
        assert_eq!(read["profile"]["specialisms"], json!(["dementia care", "nights"]), "{backend}");
        assert_eq!(read["profile"]["shift_pattern"], "late");
        let (status, _) = console.page(&format!("/console/people/{}", elsewhere.mentor.id)).await;
        assert_eq!(status, 404, "{backend}: another organisation's person");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_scheme_pages_need_a_console_session_and_forms_their_csrf_token(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("hazel").await;
        let induction = default_programme(&app, &org).await;
        let programme = format!("/console/programmes/{}", induction["id"].as_str().unwrap());
        let person = format!("/console/people/{}", org.mentor.id);
        let gets = ["/console/programmes", "/console/training", "/console/pairings/new", &programme, &person];
        for path in gets {
            let response = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 303, "{backend}: GET {path} signed out");
        }
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        for path in gets {
            assert_eq!(console.page(path).await.0, 200, "{backend}: GET {path}");
        }
        let posts = ["/console/programmes".to_owned(), programme.clone(), format!("{person}/profile"), format!("{person}/training")];
        for path in &posts {
            let refused = console.post_raw(path, &[("name", "x"), ("course", "x"), ("completed_on", "2026-01-01")]).await;
            assert_eq!(refused.status(), 403, "{backend}: POST {path} without a token");
        }
        // Admins manage programmes and training but do not pair.
        let admin = Console::sign_in(&app, &org.admin.email).await;
        assert_eq!(admin.page("/console/training").await.0, 200, "{backend}");
        assert_eq!(admin.page("/console/pairings/new").await.0, 403, "{backend}");
        let recorded = admin.post(&format!("{person}/training"), &[("course", "First aid"), ("completed_on", "2026-01-01")]).await;
        assert_eq!(recorded.status(), 303, "{backend}");
        let held = json_body(app.get(&format!("/v1/people/{}/training", org.mentor.id), Some(org.mentor.token())).await).await;
        assert_eq!(held[0]["course"], "First aid", "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_has_an_informal_programme_and_trained_mentors(backend) {
        let app = spawn_app(backend).await;
        let demo = app.with_db(|conn| Ok(alongside_server::demo::seed(conn)?)).await;
        let coordinator = demo.logins.iter().find(|l| l.roles.contains(&Role::Coordinator)).unwrap();
        let session = app.login(coordinator.email, demo.password, "demo").await;
        let list = json_body(app.get("/v1/programmes", Some(&session.access_token)).await).await;
        let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Induction", "Buddying"], "{backend}");
        assert_eq!(list[1]["kind"], "informal");
        assert_eq!(list[0]["required_training"].as_array().map(Vec::len), Some(2));
        let console = Console::sign_in_with(&app, coordinator.email, demo.password).await;
        let (_, matrix) = console.page("/console/training").await;
        assert_eq!(matrix.matches("data-person=").count(), 3, "{backend}: the three mentors");
        assert!(matrix.contains("data-expiring=\"soon\""), "{backend}: one course expires within 30 days");
    }
}

backend_test! {
    #[test]
    fn the_command_line_pairs_into_a_named_programme(backend) {
        use alongside_tests::process::{run_cli, server_binary};
        let database = alongside_tests::TestDatabase::create(backend);
        let url = database.url.as_str();
        run_cli(url, &["migrate"]);
        let org = run_cli(url, &["org", "create", "--name", "Cli Care"]).trim().to_owned();
        for (email, role) in [("m@cli.example", "mentor"), ("n@cli.example", "mentee")] {
            run_cli(url, &["user", "add", "--org", &org, "--email", email, "--name", email, "--role", role,
                "--password", alongside_tests::PASSWORD]);
        }
        let unknown = std::process::Command::new(server_binary())
            .args(["pair", "--org", &org, "--mentor", "m@cli.example", "--mentee", "n@cli.example", "--programme", "Nope"])
            .env("ALONGSIDE_DATABASE_URL", url)
            .output()
            .unwrap();
        assert!(!unknown.status.success(), "{backend}: an unknown programme is refused");
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("programme"), "{backend}");
        let id = run_cli(url, &["pair", "--org", &org, "--mentor", "m@cli.example", "--mentee", "n@cli.example",
            "--programme", "Induction"]).trim().to_owned();
        let mut conn = alongside_server::db::connect_one(url).unwrap();
        let org_id = org.parse().unwrap();
        let pairing = alongside_server::db::mentorships::find_by_id(&mut conn, org_id, id.parse().unwrap()).unwrap().unwrap();
        let induction = alongside_server::db::programmes::find_by_name(&mut conn, org_id, "Induction").unwrap().unwrap();
        assert_eq!(pairing.programme_id, induction.id, "{backend}");
    }
}
