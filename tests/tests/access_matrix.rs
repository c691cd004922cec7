//! Every role against every endpoint, over two organisations: each cell asserts
//! its status, and nothing from organisation B can be read or changed by anyone
//! in organisation A.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use alongside_tests::phones::Phone;
use alongside_tests::{OrgFixture, TestApp, backend_test, json_body, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::{DocumentId, GoalCategory, ReflectionInput};

/// Columns of the matrix, in the order cells run (coordinators last, so their
/// successful writes do not change what the others see).
const CALLERS: [&str; 5] = ["anonymous", "mentee", "mentor", "admin", "coordinator"];

struct Row {
    method: Method,
    /// May contain placeholders, see `resolve`.
    path: &'static str,
    /// `{caller}` is replaced by the caller's name, keeping created emails apart.
    body: Option<&'static str>,
    expected: [u16; 5],
}

fn row(method: Method, path: &'static str, body: Option<&'static str>, expected: [u16; 5]) -> Row {
    Row { method, path, body, expected }
}

struct World {
    a: OrgFixture,
    b: OrgFixture,
    /// A second signed-in device per caller of A, to revoke without losing the
    /// caller's own session.
    spare_devices: Vec<(String, String)>,
    /// A device of A's unpaired mentee, which only managers may revoke.
    other_device: String,
    /// Documents synced by the mentees of A and B: each pairing's goal plan, and
    /// A's mentee's journal.
    a_goal_plan: String,
    a_journal: String,
    b_goal_plan: String,
    /// Each organisation's default programme.
    a_programme: String,
    b_programme: String,
}

impl World {
    fn member(&self, caller: &str) -> Option<&alongside_tests::Member> {
        match caller {
            "mentee" => Some(&self.a.mentee),
            "mentor" => Some(&self.a.mentor),
            "admin" => Some(&self.a.admin),
            "coordinator" => Some(&self.a.coordinator),
            _ => None,
        }
    }

    fn resolve(&self, template: &str, caller: &str) -> String {
        let own = self.member(caller);
        let self_id = own.map_or("00000000-0000-4000-8000-000000000000", |m| m.id.as_str());
        let spare = self
            .spare_devices
            .iter()
            .find(|(who, _)| who == caller)
            .map_or(self.other_device.as_str(), |(_, device)| device.as_str());
        template
            .replace("{self}", self_id)
            .replace("{spare_device}", spare)
            .replace("{a_pairing}", &self.a.mentorship_id)
            .replace("{a_mentor}", &self.a.mentor.id)
            .replace("{a_other_mentee}", &self.a.other_mentee.id)
            .replace("{a_other_device}", &self.other_device)
            .replace("{b_pairing}", &self.b.mentorship_id)
            .replace("{b_mentor}", &self.b.mentor.id)
            .replace("{b_mentee}", &self.b.mentee.id)
            .replace("{b_person}", &self.b.other_mentee.id)
            .replace("{b_device}", &self.b.mentee.session.device_id)
            .replace("{a_goal_plan}", &self.a_goal_plan)
            .replace("{a_journal}", &self.a_journal)
            .replace("{b_goal_plan}", &self.b_goal_plan)
            .replace("{a_programme}", &self.a_programme)
            .replace("{b_programme}", &self.b_programme)
            .replace("{caller}", caller)
    }
}

fn matrix() -> Vec<Row> {
    use Method as M;
    vec![
        //                                                                      anon mentee mentor admin coord
        row(M::GET, "/v1/me", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/v1/mentorships", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/v1/people", None, [401, 403, 403, 200, 200]),
        row(M::GET, "/v1/people/{self}", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/v1/people/{a_other_mentee}", None, [401, 403, 403, 200, 200]),
        row(M::PATCH, "/v1/people/{a_other_mentee}", Some(r#"{"display_name":"Noor N"}"#), [401, 403, 403, 200, 200]),
        row(M::GET, "/v1/devices", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/v1/sites", None, [401, 200, 200, 200, 200]),
        row(M::POST, "/v1/sites", Some(r#"{"name":"Ward {caller}","kind":"ward"}"#), [401, 403, 403, 201, 201]),
        row(M::GET, "/v1/devices?scope=org", None, [401, 403, 403, 200, 200]),
        row(M::GET, "/v1/documents/{a_goal_plan}", None, [401, 200, 200, 404, 404]),
        row(M::GET, "/v1/documents/{a_journal}", None, [401, 200, 404, 404, 404]),
        row(M::GET, "/v1/programmes", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/v1/programmes/{a_programme}", None, [401, 200, 200, 200, 200]),
        row(M::POST, "/v1/programmes", Some(r#"{"name":"Nights {caller}"}"#), [401, 403, 403, 201, 201]),
        row(M::PATCH, "/v1/programmes/{a_programme}", Some(r#"{"contact_every_days":10}"#), [401, 403, 403, 200, 200]),
        row(M::GET, "/v1/people/{self}/training", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/v1/people/{a_mentor}/training", None, [401, 403, 200, 200, 200]),
        row(
            M::POST,
            "/v1/people/{a_mentor}/training",
            Some(r#"{"course":"Safeguarding","completed_on":"2026-01-05"}"#),
            [401, 403, 403, 201, 201],
        ),
        row(
            M::PATCH,
            "/v1/people/{a_mentor}",
            Some(r#"{"capacity":2,"shift_pattern":"late"}"#),
            [401, 403, 403, 200, 200],
        ),
        row(M::GET, "/v1/mentorships/suggestions?mentee_id={a_other_mentee}", None, [401, 403, 403, 403, 200]),
        row(
            M::POST,
            "/v1/people",
            Some(
                r#"{"email":"new.{caller}@a.example","display_name":"New Starter","roles":["mentee"],"password":"a long enough password"}"#,
            ),
            [401, 403, 403, 201, 201],
        ),
        row(
            M::POST,
            "/v1/mentorships",
            Some(r#"{"mentor_id":"{a_mentor}","mentee_id":"{a_other_mentee}"}"#),
            [401, 403, 403, 403, 201],
        ),
        row(M::POST, "/v1/mentorships/{a_pairing}/pause", Some("{}"), [401, 403, 403, 403, 200]),
        row(M::POST, "/v1/mentorships/{a_pairing}/resume", Some("{}"), [401, 403, 403, 403, 200]),
        row(M::POST, "/v1/devices/{spare_device}/revoke", Some("{}"), [401, 200, 200, 200, 200]),
        row(M::POST, "/v1/devices/{a_other_device}/revoke", Some("{}"), [401, 404, 404, 200, 200]),
        // Organisation B, seen from A: never found, or refused before looking.
        row(M::GET, "/v1/people/{b_person}", None, [401, 403, 403, 404, 404]),
        row(M::PATCH, "/v1/people/{b_person}", Some(r#"{"active":false}"#), [401, 403, 403, 404, 404]),
        row(M::POST, "/v1/mentorships/{b_pairing}/pause", Some("{}"), [401, 403, 403, 403, 404]),
        row(M::POST, "/v1/mentorships/{b_pairing}/resume", Some("{}"), [401, 403, 403, 403, 404]),
        row(M::POST, "/v1/mentorships/{b_pairing}/end", Some(r#"{"reason":"moved on"}"#), [401, 403, 403, 403, 404]),
        row(
            M::POST,
            "/v1/mentorships",
            Some(r#"{"mentor_id":"{b_mentor}","mentee_id":"{b_mentee}"}"#),
            [401, 403, 403, 403, 404],
        ),
        row(
            M::POST,
            "/v1/people",
            Some(
                r#"{"email":"x.{caller}@a.example","display_name":"X","roles":["mentee"],"password":"a long enough password","line_manager_id":"{b_person}"}"#,
            ),
            [401, 403, 403, 404, 404],
        ),
        row(M::POST, "/v1/devices/{b_device}/revoke", Some("{}"), [401, 404, 404, 404, 404]),
        row(M::GET, "/v1/programmes/{b_programme}", None, [401, 404, 404, 404, 404]),
        row(M::PATCH, "/v1/programmes/{b_programme}", Some(r#"{"name":"Taken over"}"#), [401, 403, 403, 404, 404]),
        row(M::GET, "/v1/people/{b_person}/training", None, [401, 403, 403, 404, 404]),
        row(
            M::POST,
            "/v1/people/{b_person}/training",
            Some(r#"{"course":"Safeguarding","completed_on":"2026-01-05"}"#),
            [401, 403, 403, 404, 404],
        ),
        row(M::GET, "/v1/mentorships/suggestions?mentee_id={b_mentee}", None, [401, 403, 403, 403, 404]),
        row(
            M::GET,
            "/v1/mentorships/suggestions?mentee_id={a_other_mentee}&programme_id={b_programme}",
            None,
            [401, 403, 403, 403, 404],
        ),
        row(M::GET, "/v1/documents/{b_goal_plan}", None, [401, 404, 404, 404, 404]),
        // Last: ends A's pairing.
        row(
            M::POST,
            "/v1/mentorships/{a_pairing}/end",
            Some(r#"{"reason":"completed induction","outcome":"completed"}"#),
            [401, 403, 403, 403, 200],
        ),
    ]
}

async fn build_world(app: &TestApp) -> World {
    let a = app.seed_org("a").await;
    let b = app.seed_org("b").await;
    let mut spare_devices = Vec::new();
    for caller in ["mentee", "mentor", "admin", "coordinator"] {
        let email = format!("{caller}@a.example");
        let spare = app.login(&email, alongside_tests::PASSWORD, "spare").await;
        spare_devices.push((caller.to_owned(), spare.device_id));
    }
    let other = app.login(&a.other_mentee.email, alongside_tests::PASSWORD, "second phone").await;
    let a_goal_plan = sync_documents(app, &a).await;
    let b_goal_plan = sync_documents(app, &b).await;
    let a_journal = DocumentId::journal_of(a.mentee.id.parse().expect("a person id")).to_string();
    let a_programme = default_programme(app, &a).await;
    let b_programme = default_programme(app, &b).await;
    World {
        a,
        b,
        spare_devices,
        other_device: other.device_id,
        a_goal_plan,
        a_journal,
        b_goal_plan,
        a_programme,
        b_programme,
    }
}

async fn default_programme(app: &TestApp, org: &OrgFixture) -> String {
    let list = json_body(app.get("/v1/programmes", Some(org.mentee.token())).await).await;
    list[0]["id"].as_str().expect("a default programme").to_owned()
}

/// The fixture's mentee adds a goal and a reflection from a phone and syncs;
/// returns the pairing's goal plan id.
async fn sync_documents(app: &TestApp, org: &OrgFixture) -> String {
    let (address, email, mentorship) = (app.address.clone(), org.mentee.email.clone(), org.mentorship_id.clone());
    tokio::task::spawn_blocking(move || {
        let phone = Phone::login_at(&address, &email);
        phone.client.add_goal(&mentorship, "Lead a handover", GoalCategory::Confidence, None).expect("goal");
        let reflection = ReflectionInput { what_happened: "First night shift".into(), ..Default::default() };
        phone.client.add_reflection(&reflection).expect("reflection");
        phone.client.sync().expect("sync");
    })
    .await
    .expect("phone thread");
    DocumentId::goal_plan_of(org.mentorship_id.parse().expect("a mentorship id")).to_string()
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_role_gets_the_expected_status_on_every_endpoint(backend) {
        let app = spawn_app(backend).await;
        let world = build_world(&app).await;
        let mut failures = Vec::new();
        for row in matrix() {
            for (column, caller) in CALLERS.iter().enumerate() {
                let path = world.resolve(row.path, caller);
                let body: Option<Value> = row.body.map(|template| {
                    serde_json::from_str(&world.resolve(template, caller)).expect("valid JSON in the matrix")
                });
                let token = world.member(caller).map(|m| m.token().to_owned());
                let response = app.request(row.method.clone(), &path, token.as_deref(), body.as_ref()).await;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                if status != row.expected[column] {
                    failures.push(format!(
                        "{backend}: {caller} {} {} -> {status} (expected {}): {text}",
                        row.method, row.path, row.expected[column]
                    ));
                }
                if status >= 400 {
                    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    assert!(parsed["error"].is_string(), "error body not JSON: {text}");
                }
            }
        }
        assert!(failures.is_empty(), "matrix mismatches:\n{}", failures.join("\n"));
        assert_b_is_untouched(&app, &world.b).await;
    }
}

/// After A's callers tried everything, B's pairing is still active, B's devices
/// still work, and B's lists show nothing of A's.
async fn assert_b_is_untouched(app: &TestApp, b: &OrgFixture) {
    let mentorships = json_body(app.get("/v1/mentorships", Some(b.coordinator.token())).await).await;
    let list = mentorships.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{mentorships}");
    assert_eq!(list[0]["id"], b.mentorship_id.as_str());
    assert_eq!(list[0]["status"], "active");
    assert_eq!(app.get("/v1/me", Some(b.mentee.token())).await.status(), 200);
    let programmes = json_body(app.get("/v1/programmes", Some(b.coordinator.token())).await).await;
    assert_eq!(programmes.as_array().map(Vec::len), Some(1), "{programmes}");
    assert_eq!(programmes[0]["name"], "Induction", "{programmes}");
    let training =
        json_body(app.get(&format!("/v1/people/{}/training", b.other_mentee.id), Some(b.admin.token())).await).await;
    assert_eq!(training, json!([]), "nothing recorded on B's people");
    let people = json_body(app.get("/v1/people", Some(b.admin.token())).await).await;
    for person in people.as_array().expect("a list") {
        assert_eq!(person["org_id"], b.org_id.as_str(), "{person}");
    }
}

backend_test! {
    #[tokio::test]
    async fn listings_only_show_the_callers_own_organisation_and_pairings(backend) {
        let app = spawn_app(backend).await;
        let a = app.seed_org("a").await;
        let b = app.seed_org("b").await;

        let for_mentee = json_body(app.get("/v1/mentorships", Some(a.mentee.token())).await).await;
        assert_eq!(for_mentee.as_array().map(Vec::len), Some(1), "{backend}: {for_mentee}");
        let record = &for_mentee[0];
        assert_eq!(record["id"], a.mentorship_id.as_str());
        assert_eq!(record["mentor_id"], a.mentor.id.as_str());
        assert_eq!(record["mentor_name"], "Mo Mentor");
        assert_eq!(record["mentee_id"], a.mentee.id.as_str());
        assert_eq!(record["mentee_name"], "Mia Mentee");
        assert_eq!(record["status"], "active");
        assert!(record["started_on"].is_string());

        let for_unpaired = json_body(app.get("/v1/mentorships", Some(a.other_mentee.token())).await).await;
        assert_eq!(for_unpaired, json!([]));

        let second = app.pair(&a.org_id, &a.mentor.id, &a.other_mentee.id).await;
        let for_coordinator = json_body(app.get("/v1/mentorships", Some(a.coordinator.token())).await).await;
        let mut ids: Vec<&str> =
            for_coordinator.as_array().expect("a list").iter().filter_map(|m| m["id"].as_str()).collect();
        ids.sort_unstable();
        let mut expected = vec![a.mentorship_id.as_str(), second.as_str()];
        expected.sort_unstable();
        assert_eq!(ids, expected, "no pairing of B is listed");
        assert!(!ids.contains(&b.mentorship_id.as_str()));

        let devices = json_body(app.get("/v1/devices?scope=org", Some(a.admin.token())).await).await;
        let devices = devices.as_array().expect("a list");
        assert_eq!(devices.len(), 5, "one device per person of A");
        assert!(devices.iter().all(|d| d["id"] != b.mentee.session.device_id.as_str()));
        let mine = json_body(app.get("/v1/devices", Some(a.mentee.token())).await).await;
        assert_eq!(mine.as_array().map(Vec::len), Some(1));
        assert_eq!(mine[0]["id"], a.mentee.session.device_id.as_str());
    }
}
