//! The manager console over HTTP: who gets in, CSRF, cookies, organisation
//! boundaries, managing people and pairings, live events, and that nothing a
//! pair wrote ever reaches a console response. SQLite always, PostgreSQL with
//! `TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::time::{Duration, Instant};

use alongside_tests::console::{Console, SESSION_COOKIE, attempt_sign_in, form_body, set_cookie_header};
use alongside_tests::phones::Phone;
use alongside_tests::{OrgFixture, TestApp, backend_test, spawn_app};
use reqwest::header::LOCATION;
use sync_core::{DocumentId, GoalCategory, ReflectionInput, SessionKind};

/// Every GET the console serves, for an organisation's pairing.
fn get_routes(pairing: &str) -> Vec<String> {
    vec![
        "/console".into(),
        "/console/fragments/dashboard".into(),
        "/console/charts/sessions-per-week.svg".into(),
        "/console/people".into(),
        format!("/console/pairings/{pairing}"),
        format!("/console/fragments/pairings/{pairing}"),
        format!("/console/pairings/{pairing}/timeline.svg"),
    ]
}

/// Every POST the console serves (besides sign-in), for a pairing, a device and a
/// person.
fn post_routes(pairing: &str, device: &str, person: &str) -> Vec<String> {
    vec![
        "/console/sign-out".into(),
        "/console/people".into(),
        "/console/pairings".into(),
        format!("/console/pairings/{pairing}/pause"),
        format!("/console/pairings/{pairing}/resume"),
        format!("/console/pairings/{pairing}/end"),
        format!("/console/devices/{device}/revoke"),
        format!("/console/people/{person}/access"),
    ]
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

async fn status_of(app: &TestApp, org: &OrgFixture) -> String {
    let org = org.clone();
    app.with_db(move |conn| {
        let (org_id, id) = (org.org_id.parse()?, org.mentorship_id.parse()?);
        Ok(alongside_server::db::mentorships::find_by_id(conn, org_id, id)?.unwrap().status.to_string())
    })
    .await
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn coordinators_and_admins_sign_in_with_strict_cookies_and_others_are_refused(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("oak").await;

        let coordinator = Console::sign_in(&app, &org.coordinator.email).await;
        let cookie = coordinator.set_cookie.to_ascii_lowercase();
        assert!(cookie.contains("httponly"), "{backend}: {cookie}");
        assert!(cookie.contains("samesite=strict"), "{backend}: {cookie}");
        assert!(cookie.contains("path=/console"), "{backend}: {cookie}");
        assert!(!cookie.contains("secure"), "{backend}: plain HTTP gets no Secure flag: {cookie}");
        assert_eq!(coordinator.session.len(), 64, "a 256-bit random token");
        let (status, html) = coordinator.page("/console").await;
        assert_eq!(status, 200, "{backend}");
        assert!(html.contains("Mia Mentee") && html.contains("Cora Coordinator"), "{backend}");

        // Behind a TLS-terminating proxy the cookie is Secure.
        let tls =
            attempt_sign_in(&app, &org.coordinator.email, alongside_tests::PASSWORD, &[("x-forwarded-proto", "https")])
                .await
                .response;
        assert_eq!(tls.status(), 303, "{backend}");
        let secure = set_cookie_header(&tls, SESSION_COOKIE).unwrap().to_ascii_lowercase();
        assert!(secure.contains("; secure") && secure.contains("httponly"), "{backend}: {secure}");

        let admin = Console::sign_in(&app, &org.admin.email).await;
        assert_eq!(admin.page("/console/people").await.0, 200, "{backend}: admins get in");

        for member in [&org.mentor, &org.mentee] {
            let refused = attempt_sign_in(&app, &member.email, alongside_tests::PASSWORD, &[]).await.response;
            assert_eq!(refused.status(), 403, "{backend}: {} is refused", member.email);
            assert!(set_cookie_header(&refused, SESSION_COOKIE).is_none(), "{backend}: no session for them");
            let page = refused.text().await.unwrap();
            assert!(page.contains("coordinators and administrators"), "{backend}: a clear refusal: {page}");
        }

        let wrong = attempt_sign_in(&app, &org.coordinator.email, "not the password", &[]).await.response;
        assert_eq!(wrong.status(), 401, "{backend}");
        assert!(wrong.text().await.unwrap().contains("email or password is not correct"));

        // A phone's bearer token is not a console session.
        let with_token = app.get("/console", Some(org.coordinator.token())).await;
        assert_eq!(with_token.status(), 303, "{backend}");
        assert_eq!(location(&with_token), "/console/sign-in");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_like_the_api() {
    let app = spawn_app(alongside_tests::Backend::Sqlite).await;
    let org = app.seed_org("elm").await;
    let mut last = 0;
    for _ in 0..6 {
        last = attempt_sign_in(&app, &org.coordinator.email, "guess", &[]).await.response.status().as_u16();
    }
    assert_eq!(last, 429, "the sixth failure in the window is refused");
    let throttled = attempt_sign_in(&app, &org.coordinator.email, alongside_tests::PASSWORD, &[]).await.response;
    assert_eq!(throttled.status(), 429, "even the right password waits");
    assert!(throttled.headers().get("retry-after").is_some());
    assert!(throttled.text().await.unwrap().contains("<html"), "an HTML page, not JSON");
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_console_route_needs_a_console_session(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("ash").await;
        let device = &org.mentee.session.device_id;
        for path in get_routes(&org.mentorship_id).iter().chain(["/console/events".to_owned()].iter()) {
            let response = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 303, "{backend}: GET {path}");
            assert_eq!(location(&response), "/console/sign-in", "{backend}: GET {path}");
            let forged = app
                .client
                .get(app.url(path))
                .header("cookie", format!("{SESSION_COOKIE}={}", "ab".repeat(32)))
                .send()
                .await
                .unwrap();
            assert_eq!(forged.status(), 303, "{backend}: GET {path} with a made-up session");
        }
        for path in post_routes(&org.mentorship_id, device, &org.mentee.id) {
            let response = app
                .client
                .post(app.url(&path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("csrf=x&reason=r")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 303, "{backend}: POST {path}");
        }
        assert_eq!(status_of(&app, &org).await, "active", "{backend}: nothing changed");
        // The stylesheet and script are public and static.
        for asset in ["/console/assets/console.css", "/console/assets/console.js"] {
            assert_eq!(app.get(asset, None).await.status(), 200, "{backend}: {asset}");
        }
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forms_without_the_sessions_csrf_token_are_refused(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("birch").await;
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let other = Console::sign_in(&app, &org.admin.email).await;
        let device = org.mentee.session.device_id.clone();
        for path in post_routes(&org.mentorship_id, &device, &org.mentee.id) {
            let fields: &[(&str, &str)] = &[("reason", "moved on"), ("outcome", "ended")];
            let missing = console.post_raw(&path, fields).await;
            assert_eq!(missing.status(), 403, "{backend}: POST {path} without a token");
            let mut wrong = vec![("csrf", "0".repeat(64))];
            wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
            let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(
                console.post_raw(&path, &wrong).await.status(),
                403,
                "{backend}: POST {path} with a wrong token"
            );
            // Another session's token is wrong too.
            let mut borrowed = vec![("csrf", other.csrf.as_str())];
            borrowed.extend_from_slice(fields);
            assert_eq!(
                console.post_raw(&path, &borrowed).await.status(),
                403,
                "{backend}: POST {path}, borrowed token"
            );
        }
        assert_eq!(status_of(&app, &org).await, "active", "{backend}");
        assert_eq!(console.page("/console").await.0, 200, "{backend}: still signed in");
        let devices = app.get("/v1/devices", Some(org.mentee.token())).await;
        assert_eq!(devices.status(), 200, "{backend}: the device was not revoked");

        // The sign-in form needs its double-submit token too.
        let no_cookie = app
            .client
            .post(app.url("/console/sign-in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("csrf", "abc"),
                ("email", &org.coordinator.email),
                ("password", alongside_tests::PASSWORD),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(no_cookie.status(), 403, "{backend}");

        // With the token the same form works.
        let paused = console
            .post(&format!("/console/pairings/{}/pause", org.mentorship_id), &[("reason", "Annual leave")])
            .await;
        assert_eq!(paused.status(), 303, "{backend}");
        assert_eq!(status_of(&app, &org).await, "paused", "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_organisations_ids_are_not_found(backend) {
        let app = spawn_app(backend).await;
        let ours = app.seed_org("pine").await;
        let theirs = app.seed_org("yew").await;
        let console = Console::sign_in(&app, &ours.coordinator.email).await;
        for path in get_routes(&theirs.mentorship_id).into_iter().skip(4) {
            let (status, html) = console.page(&path).await;
            assert_eq!(status, 404, "{backend}: GET {path}");
            assert!(!html.contains("Mia Mentee"), "{backend}: nothing of theirs shows");
        }
        let their_routes = post_routes(&theirs.mentorship_id, &theirs.mentee.session.device_id, &theirs.mentee.id);
        for path in their_routes.into_iter().skip(3) {
            let response = console.post(&path, &[("reason", "not ours"), ("outcome", "ended")]).await;
            assert_eq!(response.status(), 404, "{backend}: POST {path}");
        }
        assert_eq!(status_of(&app, &theirs).await, "active", "{backend}");
        assert_eq!(app.get("/v1/me", Some(theirs.mentee.token())).await.status(), 200, "{backend}: not revoked");
        let (status, _) = console.page("/console/pairings/not-a-uuid").await;
        assert_eq!(status, 404, "{backend}");
        let pair_theirs = console
            .post("/console/pairings", &[("mentor_id", &theirs.mentor.id), ("mentee_id", &theirs.other_mentee.id)])
            .await;
        assert_eq!(pair_theirs.status(), 404, "{backend}: their people are not found");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn signing_out_or_losing_the_role_ends_console_access(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("holly").await;
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let out = console.post("/console/sign-out", &[]).await;
        assert_eq!(out.status(), 303, "{backend}");
        assert_eq!(location(&out), "/console/sign-in");
        let cleared = set_cookie_header(&out, SESSION_COOKIE).unwrap();
        assert!(cleared.contains("Max-Age=0"), "{backend}: the cookie is removed: {cleared}");
        let after = console.get("/console").await;
        assert_eq!(after.status(), 303, "{backend}: the old cookie no longer works");

        let admin = Console::sign_in(&app, &org.admin.email).await;
        let admin_id = org.admin.id.clone();
        app.with_db(move |conn| {
            use alongside_server::schema::people;
            use diesel::prelude::*;
            diesel::update(people::table.find(admin_id)).set(people::is_admin.eq(false)).execute(conn)?;
            Ok(())
        })
        .await;
        let (status, html) = admin.page("/console").await;
        assert_eq!(status, 403, "{backend}: the role is read on every request");
        assert!(html.contains("coordinators and administrators"));
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn coordinators_add_people_pair_them_with_warnings_and_manage_pairings(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("rowan").await;
        let console = Console::sign_in(&app, &org.coordinator.email).await;

        // A new mentee managed by the mentor: pairing them warns about it.
        let added = console
            .post(
                "/console/people",
                &[
                    ("display_name", "Priya Patel"),
                    ("email", "priya@rowan.example"),
                    ("mentee", "on"),
                    ("password", "a long enough password"),
                    ("line_manager_id", &org.mentor.id),
                ],
            )
            .await;
        assert_eq!(added.status(), 303, "{backend}");
        let (_, people) = console.page(&location(&added)).await;
        assert!(people.contains("Added Priya Patel."), "{backend}");
        let priya = app.find_person("priya@rowan.example").await.unwrap();

        let duplicate = console
            .post(
                "/console/people",
                &[
                    ("display_name", "Again"),
                    ("email", "priya@rowan.example"),
                    ("mentee", "on"),
                    ("password", "long enough pw"),
                ],
            )
            .await;
        assert_eq!(duplicate.status(), 409, "{backend}");
        let page = duplicate.text().await.unwrap();
        assert!(page.contains("already exists") && page.contains("value=\"Again\""), "{backend}: the form is kept");
        let admin_by_coordinator = console
            .post(
                "/console/people",
                &[
                    ("display_name", "Boss"),
                    ("email", "boss@rowan.example"),
                    ("admin", "on"),
                    ("password", "long enough pw"),
                ],
            )
            .await;
        assert_eq!(admin_by_coordinator.status(), 403, "{backend}: only admins make admins");

        let paired =
            console.post("/console/pairings", &[("mentor_id", &org.mentor.id), ("mentee_id", &priya.id)]).await;
        assert_eq!(paired.status(), 200, "{backend}");
        let page = paired.text().await.unwrap();
        assert!(page.contains("data-warning=\"mentor_is_line_manager\""), "{backend}: {page}");
        assert!(page.contains("line manager"), "{backend}");

        // The mentor now has two; a third and a fourth reach the programme's limit of three.
        let mut last = String::new();
        for n in 0..2 {
            let email = format!("new{n}@rowan.example");
            console
                .post(
                    "/console/people",
                    &[
                        ("display_name", &format!("New {n}")),
                        ("email", &email),
                        ("mentee", "on"),
                        ("password", "long enough pw"),
                    ],
                )
                .await;
            let person = app.find_person(&email).await.unwrap();
            last = console
                .post("/console/pairings", &[("mentor_id", &org.mentor.id), ("mentee_id", &person.id)])
                .await
                .text()
                .await
                .unwrap();
        }
        assert!(last.contains("data-warning=\"mentor_at_capacity\""), "{backend}: {last}");
        let again = console.post("/console/pairings", &[("mentor_id", &org.mentor.id), ("mentee_id", &priya.id)]).await;
        assert_eq!(again.status(), 409, "{backend}: already paired");

        // Pause, resume, end with a reason.
        let base = format!("/console/pairings/{}", org.mentorship_id);
        assert_eq!(console.post(&format!("{base}/pause"), &[]).await.status(), 400, "{backend}: a reason is asked for");
        let leave = [("reason", "Sam is on two weeks' leave")];
        assert_eq!(console.post(&format!("{base}/pause"), &leave).await.status(), 303);
        assert_eq!(status_of(&app, &org).await, "paused", "{backend}");
        let (_, page) = console.page(&base).await;
        assert!(
            page.contains("Sam is on two weeks&#39; leave") || page.contains("Sam is on two weeks' leave"),
            "{backend}"
        );
        assert_eq!(console.post(&format!("{base}/pause"), &leave).await.status(), 409, "{backend}: already paused");
        assert_eq!(console.post(&format!("{base}/resume"), &[]).await.status(), 303);
        assert_eq!(console.post(&format!("{base}/end"), &[("reason", " "), ("outcome", "ended")]).await.status(), 400);
        let ended =
            console.post(&format!("{base}/end"), &[("reason", "Mia moved to nights"), ("outcome", "ended")]).await;
        assert_eq!(ended.status(), 303, "{backend}");
        assert_eq!(status_of(&app, &org).await, "ended", "{backend}");
        let (_, page) = console.page(&base).await;
        assert!(page.contains("Mia moved to nights"), "{backend}: the end reason shows");

        // Revoking a device stops its tokens.
        let revoke = console
            .post(
                &format!("/console/devices/{}/revoke", org.mentor.session.device_id),
                &[("return_to", "https://evil.example/")],
            )
            .await;
        assert_eq!(revoke.status(), 303, "{backend}");
        assert_eq!(location(&revoke), "/console", "{backend}: never redirected off the console");
        assert_eq!(app.get("/v1/me", Some(org.mentor.token())).await.status(), 401, "{backend}");

        // A leaver is deactivated from the people page: their devices stop working.
        let (_, people) = console.page("/console/people").await;
        assert!(people.contains(&format!("/console/people/{}/access", org.mentee.id)), "{backend}");
        assert!(!people.contains(&format!("/console/people/{}/access", org.coordinator.id)), "{backend}: not oneself");
        let access = format!("/console/people/{}/access", org.mentee.id);
        assert_eq!(console.post(&access, &[("action", "vanish")]).await.status(), 400, "{backend}");
        assert_eq!(console.post(&access, &[("action", "deactivate")]).await.status(), 303, "{backend}");
        let refused = app.get("/v1/me", Some(org.mentee.token())).await;
        assert_eq!(refused.status(), 401, "{backend}: a deactivated person's device is refused");
        assert_eq!(console.post(&access, &[("action", "reactivate")]).await.status(), 303, "{backend}");
        let (_, people) = console.page("/console/people").await;
        assert!(!people.contains("deactivated"), "{backend}: reactivated");

        // Admins see the pages but pairing changes are the coordinator's, as in the API.
        let admin = Console::sign_in(&app, &org.admin.email).await;
        let (_, people) = admin.page("/console/people").await;
        assert!(people.contains("Only coordinators pair"), "{backend}");
        let refused = admin
            .post("/console/pairings", &[("mentor_id", &org.mentor.id), ("mentee_id", &org.other_mentee.id)])
            .await;
        assert_eq!(refused.status(), 403, "{backend}");
    }
}

/// Words no console response may ever contain: each phone field gets its own.
const SECRETS: &[&str] = &[
    "ZEBRA-NOTES-7731",
    "MENTOR-ACCOUNT-QUOKKA",
    "MENTEE-ACCOUNT-AXOLOTL",
    "STRENGTHS-PANGOLIN",
    "DEVELOPMENT-NARWHAL",
    "MENTEE-WORKING-OKAPI",
    "MENTEE-NOTWORKING-TAPIR",
    "ACTION-TEXT-WOMBAT",
    "GOAL-TITLE-CAPYBARA",
    "REFLECTION-WHAT-IBEX",
    "REFLECTION-FEELINGS-LYNX",
    "REFLECTION-WELL-MARMOT",
    "REFLECTION-BETTER-GECKO",
    "REFLECTION-NEXT-HERON",
];

/// Reads a server-sent event stream until `until` holds or `limit` passes.
async fn read_events(response: &mut reqwest::Response, limit: Duration, until: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + limit;
    let mut text = String::new();
    while !until(&text) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    text
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_console_shows_projections_and_never_what_the_pair_wrote(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("willow").await;
        let elsewhere = app.seed_org("cedar").await;
        // A second pairing of ours, synced last: once its event arrives, every
        // earlier event (including any leaked from elsewhere) has been read.
        let sentinel = app.pair(&org.org_id, &org.mentor.id, &org.other_mentee.id).await;
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let mut events = console.get("/console/events").await;
        assert_eq!(events.status(), 200, "{backend}");
        assert!(events.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));

        let (m, mentee_id, last_pairing) = (org.mentorship_id.clone(), org.mentee.id.clone(), sentinel.clone());
        let (mentor_email, mentee_email, other_email) =
            (org.mentor.email.clone(), org.mentee.email.clone(), elsewhere.mentee.email.clone());
        let (address, other_m) = (app.address.clone(), elsewhere.mentorship_id.clone());
        let session_id = tokio::task::spawn_blocking(move || {
            let mentor = Phone::login_at(&address, &mentor_email);
            let mentee = Phone::login_at(&address, &mentee_email);
            let sid = mentor.client.create_session(&m, SessionKind::Shadowing, "2026-03-14").unwrap();
            mentor.client.edit_notes(&sid, 0, 0, SECRETS[0]).unwrap();
            mentor.client.set_my_account(&sid, SECRETS[1]).unwrap();
            mentor.client.set_feedback(&sid, SECRETS[3], SECRETS[4]).unwrap();
            mentor.client.add_action(&sid, SECRETS[7], &mentee_id, Some("2026-03-01")).unwrap();
            mentor.client.add_goal(&m, SECRETS[8], GoalCategory::Confidence, Some("2026-06-30")).unwrap();
            mentor.client.sync().unwrap();
            mentee.client.sync().unwrap();
            mentee.client.set_my_account(&sid, SECRETS[2]).unwrap();
            mentee.client.set_mentee_feedback(&sid, SECRETS[5], SECRETS[6]).unwrap();
            mentee.client.sign_off(&sid).unwrap();
            mentee
                .client
                .add_reflection(&ReflectionInput {
                    what_happened: SECRETS[9].into(),
                    feelings: SECRETS[10].into(),
                    went_well: SECRETS[11].into(),
                    to_improve: SECRETS[12].into(),
                    next_time: SECRETS[13].into(),
                })
                .unwrap();
            mentee.client.sync().unwrap();
            mentor.client.sync().unwrap();
            mentor.client.sign_off(&sid).unwrap();
            mentor.client.sync().unwrap();
            // Another organisation's pair syncs too: its events are not ours to see.
            let other = Phone::login_at(&address, &other_email);
            other.client.create_session(&other_m, SessionKind::Meeting, "2026-03-15").unwrap();
            other.client.sync().unwrap();
            mentor.client.create_session(&last_pairing, SessionKind::CheckIn, "2026-03-16").unwrap();
            mentor.client.sync().unwrap();
            sid
        })
        .await
        .unwrap();

        let stream = read_events(&mut events, Duration::from_secs(20), |text| text.contains(&sentinel)).await;
        assert!(stream.contains(&sentinel), "{backend}: the last event arrived: {stream}");
        assert!(stream.contains(&format!("\"mentorship_id\":\"{}\"", org.mentorship_id)), "{backend}: {stream}");
        assert!(!stream.contains(&elsewhere.mentorship_id), "{backend}: another organisation's event leaked");
        let journal = DocumentId::journal_of(org.mentee.id.parse().unwrap()).to_string();
        assert!(
            !stream.contains(&journal) && !stream.contains(&session_id),
            "{backend}: events carry pairing ids only"
        );

        let mut responses = vec![("/console/events".to_owned(), stream)];
        let mut paths = get_routes(&org.mentorship_id);
        paths.push(format!("/console/pairings/{sentinel}"));
        paths.push("/console/sign-in".into());
        paths.push("/console/pairings/00000000-0000-0000-0000-000000000000".into());
        for path in paths {
            let (status, body) = console.page(&path).await;
            assert!(status == 200 || status == 404, "{backend}: GET {path} answered {status}");
            responses.push((path, body));
        }
        // The pages after adding someone and pairing them, too.
        let added = console
            .post(
                "/console/people",
                &[
                    ("display_name", "Sam Starter"),
                    ("email", "sam@willow.example"),
                    ("mentee", "on"),
                    ("password", "long enough pw"),
                ],
            )
            .await;
        let (_, people) = console.page(&location(&added)).await;
        responses.push(("/console/people?added".into(), people));
        let sam = app.find_person("sam@willow.example").await.unwrap();
        let created = console.post("/console/pairings", &[("mentor_id", &org.mentor.id), ("mentee_id", &sam.id)]).await;
        responses.push(("POST /console/pairings".into(), created.text().await.unwrap()));

        for (path, body) in &responses {
            for secret in SECRETS {
                assert!(!body.contains(secret), "{backend}: {path} contains {secret}");
            }
        }

        // The metadata does show.
        let find = |wanted: &str| responses.iter().find(|(p, _)| p == wanted).map(|(_, b)| b.clone()).unwrap();
        let pairing = find(&format!("/console/pairings/{}", org.mentorship_id));
        assert!(pairing.contains("datetime=\"2026-03-14\"") && pairing.contains("14 Mar 2026"), "{backend}: the date");
        assert!(pairing.contains("Shadowing shift"), "{backend}: the kind");
        assert!(pairing.contains(&format!("data-session=\"{session_id}\"")), "{backend}");
        assert!(pairing.contains("confidence") && pairing.contains("30 Jun 2026"), "{backend}: goal category and date");
        assert!(pairing.contains("1 open (1 overdue)"), "{backend}: action counts");
        assert!(pairing.contains("data-label=\"Mentee signed\">yes<"), "{backend}: sign-off state");
        let dashboard = find("/console");
        assert!(dashboard.contains("data-sessions-logged=\"1\""), "{backend}");
        assert!(dashboard.contains("1 of 1 signed") && dashboard.contains("0 of 1 achieved"), "{backend}");
        assert!(dashboard.contains("1 overdue action"), "{backend}");
        let timeline = find(&format!("/console/pairings/{}/timeline.svg", org.mentorship_id));
        assert!(timeline.starts_with("<svg") && timeline.contains("<circle"), "{backend}: the session is drawn");
        let weekly = find("/console/charts/sessions-per-week.svg");
        assert!(weekly.starts_with("<svg") && weekly.contains("<text"), "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_ends_when_the_session_is_signed_out() {
    let app = spawn_app(alongside_tests::Backend::Sqlite).await;
    let org = app.seed_org("alder").await;
    let console = Console::sign_in(&app, &org.coordinator.email).await;
    let mut events = console.get("/console/events").await;
    let greeting = read_events(&mut events, Duration::from_secs(5), |t| t.contains("connected")).await;
    assert!(greeting.contains("retry:"), "{greeting}");
    // Sign out through another request; the stream notices at its next check.
    assert_eq!(console.post("/console/sign-out", &[]).await.status(), 303);
    let ended = tokio::time::timeout(Duration::from_secs(60), async {
        // Keep-alive comments may come first; the stream then ends.
        while let Ok(Some(_)) = events.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream closes after sign-out");
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_organisation_has_a_populated_dashboard_built_from_real_documents(backend) {
        let app = spawn_app(backend).await;
        let demo = app.with_db(|conn| Ok(alongside_server::demo::seed(conn)?)).await;
        assert!(demo.created, "{backend}");
        let coordinator =
            demo.logins.iter().find(|l| l.roles.contains(&alongside_server::domain::Role::Coordinator)).unwrap();
        let console = Console::sign_in_with(&app, coordinator.email, demo.password).await;
        let (status, dashboard) = console.page("/console").await;
        assert_eq!(status, 200, "{backend}");
        assert_eq!(dashboard.matches("data-pairing=").count(), 6, "{backend}: six pairings");
        assert!(!dashboard.contains("data-sessions-logged=\"0\""), "{backend}: every pairing has sessions");
        for expected in
            ["Day 60 check-in overdue", "1 overdue action", "amended after sign-off", "has unsynced changes"]
        {
            assert!(dashboard.contains(expected), "{backend}: the demo shows {expected:?}");
        }
        let bars = dashboard.matches("<rect").count();
        assert!(bars > 10, "{backend}: the weekly chart has bars ({bars} rects)");

        // The history is real documents: a mentor's phone receives its sessions.
        let mentor = demo.logins.iter().find(|l| l.roles == [alongside_server::domain::Role::Mentor]).unwrap();
        let (address, email, password) = (app.address.clone(), mentor.email, demo.password);
        let sessions = tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            let client = sync_core::Client::new(dir.path(), &address).unwrap();
            client.login(email, password, "demo phone").unwrap();
            client.sync().unwrap();
            let mentorships = client.mentorships().unwrap();
            mentorships.iter().map(|m| client.sessions(&m.id).unwrap().len()).sum::<usize>()
        })
        .await
        .unwrap();
        assert!(sessions > 3, "{backend}: the mentor's phone holds the demo sessions ({sessions})");

        let again = app.with_db(|conn| Ok(alongside_server::demo::seed(conn)?)).await;
        assert!(!again.created, "{backend}: seeding again changes nothing");
    }
}
