//! One email in several organisations, and document ids that cannot be told
//! apart across scopes (issue 13).

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_server::domain::Role;
use alongside_tests::console::{attempt_sign_in, cookie_value, form_body, hidden_value};
use alongside_tests::phones::{Phone, craft_offer};
use alongside_tests::process::run_cli;
use alongside_tests::{PASSWORD, TestApp, assert_error, backend_test, json_body, session_from, spawn_app};
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use sync_core::automerge::ActorId;
use sync_core::protocol::{self, SyncRequest};
use sync_core::{ClientError, DocHeader, Document, DocumentId, Pair, SessionKind};

const SHARED: &str = "jo.bank@staff.example";
const OTHER_PASSWORD: &str = "kettle lantern orchard drizzle";

/// Two organisations, each with an account for [`SHARED`] (with `passwords`),
/// plus a coordinator in the first.
async fn two_accounts(app: &TestApp, passwords: [&str; 2]) -> ([String; 2], [String; 2]) {
    let north = app.create_org("North Care").await;
    let south = app.create_org("South Care").await;
    let mut people = Vec::new();
    for (org, password) in [&north, &south].into_iter().zip(passwords) {
        let id = app
            .create_person_with(
                org,
                alongside_server::domain::people::NewPerson {
                    email: SHARED.to_owned(),
                    display_name: "Jo Bank".to_owned(),
                    roles: vec![Role::Mentor, Role::Coordinator],
                    password: password.to_owned(),
                    line_manager_id: None,
                    site_id: None,
                    start_date: None,
                },
            )
            .await;
        people.push(id);
    }
    ([north, south], [people[0].clone(), people[1].clone()])
}

fn login_body(password: &str, org: Option<&str>) -> Value {
    let mut body = json!({ "email": SHARED, "password": password, "device_name": "phone" });
    if let Some(org) = org {
        body["organisation_id"] = json!(org);
    }
    body
}

backend_test! {
    #[tokio::test]
    async fn an_email_of_another_organisation_can_be_added_and_is_not_revealed(backend) {
        let app = spawn_app(backend).await;
        let north = app.seed_org("north").await;
        let south = app.seed_org("south").await;
        let person = |email: &str| {
            json!({ "email": email, "display_name": "Jo Bank", "roles": ["mentee"], "password": OTHER_PASSWORD })
        };
        // North's mentor's address, added in South: nothing tells South it exists.
        let added = app.post("/v1/people", Some(south.coordinator.token()), &person(&north.mentor.email)).await;
        assert_eq!(added.status(), 201, "{backend}");
        // Within one organisation an email is still unique.
        let again = app.post("/v1/people", Some(south.coordinator.token()), &person(&north.mentor.email)).await;
        assert_error(again, 409, "email_taken").await;
        let own = app.post("/v1/people", Some(south.coordinator.token()), &person(&south.mentor.email)).await;
        assert_error(own, 409, "email_taken").await;
        // Each account signs in to its own organisation with its own password.
        let in_north = app.login(&north.mentor.email, PASSWORD, "phone").await;
        assert_eq!(in_north.org_id, north.org_id, "{backend}");
        let in_south = app.login(&north.mentor.email, OTHER_PASSWORD, "phone").await;
        assert_eq!(in_south.org_id, south.org_id, "{backend}");
    }
}

backend_test! {
    #[tokio::test]
    async fn one_password_for_accounts_in_two_organisations_asks_which(backend) {
        let app = spawn_app(backend).await;
        let ([north, south], [_, south_person]) = two_accounts(&app, [PASSWORD, PASSWORD]).await;
        let ask = app.post("/v1/auth/login", None, &login_body(PASSWORD, None)).await;
        assert_eq!(ask.status(), 409, "{backend}");
        let ask = json_body(ask).await;
        assert_eq!(ask["error"], "organisation_required", "{ask}");
        let names: Vec<(&str, &str)> = ask["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|org| (org["id"].as_str().unwrap(), org["name"].as_str().unwrap()))
            .collect();
        let mut expected = vec![(north.as_str(), "North Care"), (south.as_str(), "South Care")];
        expected.sort();
        let mut names_sorted = names.clone();
        names_sorted.sort();
        assert_eq!(names_sorted, expected, "{backend}");

        let chosen = app.post("/v1/auth/login", None, &login_body(PASSWORD, Some(&south))).await;
        assert_eq!(chosen.status(), 200, "{backend}");
        let session = session_from(&json_body(chosen).await);
        assert_eq!(session.org_id, south, "{backend}");
        assert_eq!(session.person_id, south_person, "{backend}");

        // An organisation without such an account is a wrong login like any other.
        let elsewhere = app.create_org("Elsewhere").await;
        let none = app.post("/v1/auth/login", None, &login_body(PASSWORD, Some(&elsewhere))).await;
        assert_error(none, 401, "invalid_credentials").await;

        // The phone: `login` reports the choice, `login_to` makes it.
        let dir = tempfile::tempdir().unwrap();
        let client = sync_core::Client::new(dir.path(), &app.address).unwrap();
        match client.login(SHARED, PASSWORD, "phone") {
            Err(ClientError::Invalid { message }) => {
                assert!(message.contains(&north) && message.contains("South Care"), "{message}")
            }
            other => panic!("{backend}: expected the organisations to choose from, got {other:?}"),
        }
        let account = client.login_to(&north, SHARED, PASSWORD, "phone").unwrap();
        assert_eq!(account.org_id, north, "{backend}");
    }
}

backend_test! {
    #[tokio::test]
    async fn wrong_passwords_are_answered_alike_whatever_the_number_of_accounts(backend) {
        let app = spawn_app(backend).await;
        let ([north, south], _) = two_accounts(&app, [PASSWORD, OTHER_PASSWORD]).await;
        let one = app.create_org("Single").await;
        app.create_person(&one, "single@staff.example", "Sol", &[Role::Mentee]).await;
        let attempt = |email: &str| json!({ "email": email, "password": "not the password at all", "device_name": "phone" });
        let mut answers = Vec::new();
        for email in [SHARED, "single@staff.example", "nobody@staff.example"] {
            let response = app.post("/v1/auth/login", None, &attempt(email)).await;
            let status = response.status();
            let bytes = response.bytes().await.unwrap();
            answers.push((status, bytes));
        }
        assert!(answers.iter().all(|answer| *answer == answers[0]), "{backend}: {answers:?}");
        assert_eq!(answers[0].0, 401);
        // Each account's organisation audits the failure.
        for org in [&north, &south] {
            assert!(app.audit_events(org).await.iter().any(|e| e.action == "login.failed"), "{backend}");
        }
        // Each password alone fits one account: signed straight in.
        assert_eq!(app.login(SHARED, PASSWORD, "phone").await.org_id, north);
        assert_eq!(app.login(SHARED, OTHER_PASSWORD, "phone").await.org_id, south);
    }
}

backend_test! {
    #[tokio::test]
    async fn the_login_limiter_counts_one_email_across_its_organisations(backend) {
        let app = spawn_app(backend).await;
        let ([north, south], _) = two_accounts(&app, [PASSWORD, PASSWORD]).await;
        for org in [&north, &south, &north, &south, &north] {
            let wrong = app.post("/v1/auth/login", None, &login_body("not the password at all", Some(org))).await;
            assert_eq!(wrong.status(), 401, "{backend}");
        }
        // Naming the other organisation buys no further guesses.
        let refused = app.post("/v1/auth/login", None, &login_body(PASSWORD, Some(&south))).await;
        assert_error(refused, 429, "too_many_requests").await;
    }
}

backend_test! {
    #[tokio::test]
    async fn reset_codes_and_the_command_line_work_for_an_email_in_two_organisations(backend) {
        let app = spawn_app(backend).await;
        let ([north, south], _) = two_accounts(&app, [PASSWORD, OTHER_PASSWORD]).await;
        // Ambiguous without --org: the command says so and changes nothing.
        let output = std::process::Command::new(alongside_tests::process::server_binary())
            .args(["user", "reset-password", "--email", SHARED])
            .env("ALONGSIDE_DATABASE_URL", &app.db_url)
            .env_remove("ALONGSIDE_ORG")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{backend}");
        assert!(String::from_utf8_lossy(&output.stderr).contains(&north), "{}", String::from_utf8_lossy(&output.stderr));

        let code = run_cli(&app.db_url, &["user", "reset-password", "--email", SHARED, "--org", &south]).trim().to_owned();
        let new = "lantern drizzle kettle orchard";
        let body = json!({ "email": SHARED, "code": code, "new_password": new });
        assert_eq!(app.post("/v1/auth/password/reset", None, &body).await.status(), 204, "{backend}");
        assert_eq!(app.login(SHARED, new, "phone").await.org_id, south, "{backend}");
        // North's account is untouched.
        assert_eq!(app.login(SHARED, PASSWORD, "phone").await.org_id, north, "{backend}");
    }
}

backend_test! {
    #[tokio::test]
    async fn the_console_asks_which_organisation_when_the_password_fits_two(backend) {
        let app = spawn_app(backend).await;
        let ([_, south], _) = two_accounts(&app, [PASSWORD, PASSWORD]).await;
        let attempt = attempt_sign_in(&app, SHARED, PASSWORD, &[]).await;
        let response = attempt.response;
        assert_eq!(response.status(), 409, "{backend}");
        let cookie = cookie_value(&response, "alongside_console_sign_in").expect("a fresh form token");
        let html = response.text().await.unwrap();
        assert!(html.contains("North Care") && html.contains("South Care"), "{html}");
        let token = hidden_value(&html, "csrf").unwrap();
        let chosen = app
            .client
            .post(app.url("/console/sign-in"))
            .header(COOKIE, format!("alongside_console_sign_in={cookie}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[("csrf", &token), ("email", SHARED), ("password", PASSWORD), ("organisation", &south)]))
            .send()
            .await
            .unwrap();
        assert_eq!(chosen.status(), 303, "{backend}");
        let events = app.audit_events(&south).await;
        assert!(events.iter().any(|e| e.action == "console.signed_in"), "{backend}");
    }
}

fn pair_of(fixture: &alongside_tests::OrgFixture) -> Pair {
    Pair {
        mentorship_id: fixture.mentorship_id.parse().unwrap(),
        mentor_id: fixture.mentor.id.parse().unwrap(),
        mentee_id: fixture.mentee.id.parse().unwrap(),
    }
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// The raw reply to offering, as `fixture`'s mentee, a session with some
/// notes under `id` in their own pairing.
async fn offer_raw(app: &TestApp, fixture: &alongside_tests::OrgFixture, id: DocumentId) -> (u16, Vec<u8>) {
    let header = DocHeader::session(id, pair_of(fixture));
    let actor = ActorId::from(hex_decode(&fixture.mentee.session.actor_id));
    let mut doc = Document::create(header, actor).unwrap();
    doc.edit_notes(pair_of(fixture).mentee_id, 0, 0, "probe").unwrap();
    let request = SyncRequest {
        protocol: protocol::PROTOCOL_VERSION,
        complete_inventory: true,
        documents: vec![craft_offer(&mut doc)],
        oldest_unsynced_secs: None,
        offered_before: Vec::new(),
        cursor: None,
    };
    let response = app
        .client
        .post(app.url("/v1/sync"))
        .bearer_auth(fixture.mentee.token())
        .header("content-type", protocol::CONTENT_TYPE)
        .body(protocol::encode(&request).unwrap())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
}

/// `bytes` with every occurrence of the id (as text or as 16 bytes) replaced
/// by a marker of the same length.
fn without_id(bytes: &[u8], id: DocumentId) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for needle in [id.to_string().into_bytes(), id.0.as_bytes().to_vec()] {
        let mut at = 0;
        while let Some(found) = out[at..].windows(needle.len()).position(|w| w == needle.as_slice()) {
            let start = at + found;
            out[start..start + needle.len()].fill(b'#');
            at = start + needle.len();
        }
    }
    out
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_organisations_document_id_is_answered_exactly_like_an_unused_one(backend) {
        let app = spawn_app(backend).await;
        let victim = app.seed_org("north").await;
        let prober = app.seed_org("south").await;
        let phone = Phone::login(&app, &victim.mentor.email);
        let sid = phone.client.create_session(&victim.mentorship_id, SessionKind::Meeting, "2026-11-01").unwrap();
        phone.client.edit_notes(&sid, 0, 0, "Confidential").unwrap();
        phone.client.sync().unwrap();
        let existing: DocumentId = sid.parse().unwrap();
        let unused = DocumentId::new_random();

        let (status_existing, existing_reply) = offer_raw(&app, &prober, existing).await;
        let (status_unused, unused_reply) = offer_raw(&app, &prober, unused).await;
        assert_eq!((status_existing, status_unused), (200, 200), "{backend}");
        assert_eq!(without_id(&existing_reply, existing), without_id(&unused_reply, unused), "{backend}");
        let decoded = protocol::decode_response(&existing_reply).unwrap();
        assert_eq!(decoded.purge, vec![existing], "{backend}");

        // An id certified for the prober's own pairing is taken as any new document.
        let own = DocHeader::new_session(pair_of(&prober)).id;
        let (status, reply) = offer_raw(&app, &prober, own).await;
        assert_eq!(status, 200);
        let reply = protocol::decode_response(&reply).unwrap();
        assert!(reply.purge.is_empty(), "{backend}: {reply:?}");
        assert!(reply.documents.iter().any(|d| d.header.id == own && d.rejection.is_none()), "{backend}");

        // The victim's document is untouched.
        let partner = Phone::login(&app, &victim.mentee.email);
        partner.client.sync().unwrap();
        assert_eq!(partner.client.session(&sid).unwrap().notes, "Confidential", "{backend}");
    }
}
