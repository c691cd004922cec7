//! Issue 15: people leave (the day and the reason, through the API, the CLI
//! and the console) and the oversight report (JSON, CSV, PDF, console) over an
//! organisation whose starters and leavers are known, with sessions written
//! by real phones. SQLite always, PostgreSQL with `TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::HashMap;

use alongside_server::domain::Role;
use alongside_server::domain::people::NewPerson;
use alongside_tests::console::Console;
use alongside_tests::phones::Phone;
use alongside_tests::process::run_cli;
use alongside_tests::{PASSWORD, TestApp, assert_error, backend_test, json_body, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::{GoalCategory, GoalStatus, SessionKind, SessionStatus};
use time::{Date, Duration, OffsetDateTime};

/// What pairs wrote that no report may carry.
const SECRETS: &[&str] = &[
    "NOTES-SECRET-resident-fell-twice",
    "SUMMARY-SECRET-shared-but-not-for-reports",
    "ACCOUNT-SECRET-felt-out-of-depth",
    "GOAL-SECRET-hoist-competence",
    "REASON-SECRET-mum-in-hospital",
];

/// The reason five or more pairings give, spelt a little differently each time.
const COMMON_REASONS: &[&str] = &[
    "No cover on the unit",
    "no cover on the unit",
    "  No cover on the   unit ",
    "NO COVER ON THE UNIT",
    "No cover on the unit",
    "No cover on the Unit",
];

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The 5th of the month `months` before this one.
fn fifth_of_month_ago(months: i32) -> Date {
    let today = today();
    let index = today.year() * 12 + i32::from(u8::from(today.month())) - 1 - months;
    let month = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).unwrap()).unwrap();
    Date::from_calendar_date(index.div_euclid(12), month, 5).unwrap()
}

fn cohort(date: Date) -> String {
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let response = app.post(path, Some(token), &body).await;
    let status = response.status();
    let body = json_body(response).await;
    assert_eq!(status, 201, "POST {path}: {body}");
    body
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.request(Method::PATCH, path, Some(token), Some(&body)).await
}

async fn person(app: &TestApp, org: &str, email: &str, roles: &[Role], site: Option<&str>, start: Date) -> String {
    app.create_person_with(
        org,
        NewPerson {
            email: email.to_owned(),
            display_name: email.split('@').next().unwrap().to_owned(),
            roles: roles.to_vec(),
            password: PASSWORD.to_owned(),
            line_manager_id: None,
            site_id: site.map(|s| s.parse().unwrap()),
            start_date: Some(start.to_string()),
        },
    )
    .await
}

async fn pair_from(app: &TestApp, org: &str, mentor: &str, mentee: &str, start: Date) -> String {
    let org_id: alongside_server::model::OrgId = org.parse().unwrap();
    let new = alongside_server::domain::mentorships::NewMentorship {
        mentor_id: mentor.parse().unwrap(),
        mentee_id: mentee.parse().unwrap(),
        started_on: Some(start.to_string().parse().unwrap()),
        site_id: None,
        programme_id: None,
    };
    app.with_db(move |conn| {
        Ok(alongside_server::domain::mentorships::create(
            conn,
            org_id,
            &alongside_server::domain::Actor::system(),
            &new,
        )?
        .0
        .id
        .to_string())
    })
    .await
}

async fn leave(app: &TestApp, token: &str, id: &str, left_on: Date, reason: &str) {
    let response = patch(
        app,
        &format!("/v1/people/{id}"),
        token,
        json!({"active": false, "left_on": left_on.to_string(), "leaving_reason": reason}),
    )
    .await;
    let status = response.status();
    let body = json_body(response).await;
    assert_eq!(status, 200, "deactivating {id}: {body}");
    assert_eq!(body["left_on"], left_on.to_string());
    assert_eq!(body["leaving_reason"], reason);
}

/// One CSV cell: (value, count, of, suppressed, reasons).
type CsvCell = (String, String, String, bool, String);

/// The CSV by (cohort, site, metric). Fields here hold no commas except the
/// reasons, which are quoted.
fn parse_csv(text: &str) -> HashMap<(String, String, String), CsvCell> {
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("cohort,site_id,site,metric,label,value,count,of,suppressed,reasons"));
    let mut out = HashMap::new();
    for line in lines {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        assert_eq!(fields.len(), 10, "{line}");
        out.insert(
            (fields[0].clone(), fields[2].clone(), fields[3].clone()),
            (fields[5].clone(), fields[6].clone(), fields[7].clone(), fields[8] == "true", fields[9].clone()),
        );
    }
    out
}

fn shown(count: u32, of: u32) -> (String, String, bool) {
    (count.to_string(), of.to_string(), false)
}

fn cell(
    csv: &HashMap<(String, String, String), CsvCell>,
    cohort: &str,
    site: &str,
    metric: &str,
) -> (String, String, bool) {
    let (_, count, of, suppressed, _) = csv
        .get(&(cohort.to_owned(), site.to_owned(), metric.to_owned()))
        .unwrap_or_else(|| panic!("{cohort} {site} {metric}"));
    (count.clone(), of.clone(), *suppressed)
}

fn suppressed() -> (String, String, bool) {
    (String::new(), String::new(), true)
}

/// A well-formed PDF: header, trailer, and a cross-reference table where
/// `startxref` says it is, whose entries point at the objects they name.
/// (Bytes, not text: WinAnsi bytes in the content are not UTF-8.)
fn assert_real_pdf(bytes: &[u8]) {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF header");
    let find_last = |needle: &[u8]| bytes.windows(needle.len()).rposition(|w| w == needle);
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let eof = find_last(b"%%EOF").expect("no %%EOF");
    assert!(bytes[eof + 5..].iter().all(u8::is_ascii_whitespace), "bytes after %%EOF");
    let after = find_last(b"startxref").expect("no startxref") + "startxref".len();
    let tail = std::str::from_utf8(&bytes[after..eof]).unwrap();
    let start: usize = tail.trim().parse().unwrap();
    assert!(bytes[start..].starts_with(b"xref"), "startxref does not point at the xref table");
    let table = std::str::from_utf8(&bytes[start..after]).unwrap();
    let mut lines = table.lines().skip(1);
    let count: usize = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(count > 5, "too few objects: {count}");
    for (number, line) in lines.take(count).enumerate().skip(1) {
        let offset: usize = line.split_whitespace().next().unwrap().parse().unwrap();
        assert!(bytes[offset..].starts_with(format!("{number} 0 obj").as_bytes()), "object {number} not at {offset}");
    }
    assert!(contains(b"/Type /Catalog"), "no catalog");
    assert!(contains(b"/BaseFont /Helvetica"), "no font");
    assert!(contains(b"(Oversight report)"), "no title");
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_oversight_report_counts_known_starters_and_leavers_and_shows_no_pair_text(backend) {
        let app = spawn_app(backend).await;
        let org = app.create_org("Rowan care").await;
        let long_ago = today() - Duration::days(5 * 365);
        let coordinator_id = person(&app, &org, "coordinator@rowan.example", &[Role::Coordinator], None, long_ago).await;
        let coordinator = app.login("coordinator@rowan.example", PASSWORD, "laptop").await;
        let token = coordinator.access_token.clone();
        let oak = created(&app, "/v1/sites", &token, json!({"name": "Oak House", "kind": "care_home"})).await;
        let birch = created(&app, "/v1/sites", &token, json!({"name": "Birch Lodge", "kind": "care_home"})).await;
        let (oak, birch) = (oak["id"].as_str().unwrap().to_owned(), birch["id"].as_str().unwrap().to_owned());

        // Cohort X started on the 5th, 14 months ago: 12 at Oak House (6 paired,
        // 6 not) and 3 at Birch Lodge (a small site). Cohort Y started 4 months
        // ago: 5 at Oak House, none paired. Mentors started long before.
        let x = fifth_of_month_ago(14);
        let y = fifth_of_month_ago(4);
        let mut mentors = Vec::new();
        for i in 0..5 {
            mentors.push(person(&app, &org, &format!("mentor{i}@rowan.example"), &[Role::Mentor], Some(&oak), long_ago).await);
        }
        let mut mentored = Vec::new();
        let mut pairings = Vec::new();
        for i in 0..6 {
            let id = person(&app, &org, &format!("m{i}@rowan.example"), &[Role::Mentee], Some(&oak), x).await;
            pairings.push(pair_from(&app, &org, &mentors[i % 5], &id, x).await);
            mentored.push(id);
        }
        let mut unpaired = Vec::new();
        for i in 0..6 {
            unpaired.push(person(&app, &org, &format!("n{i}@rowan.example"), &[Role::Mentee], Some(&oak), x).await);
        }
        let mut small = Vec::new();
        for i in 0..3 {
            small.push(person(&app, &org, &format!("b{i}@rowan.example"), &[Role::Mentee], Some(&birch), x).await);
        }
        let mut later = Vec::new();
        for i in 0..5 {
            later.push(person(&app, &org, &format!("y{i}@rowan.example"), &[Role::Mentee], Some(&oak), y).await);
        }

        // Real phones: each mentee logs a session three days in and records a
        // cancelled one with the common reason; the first writes words of the
        // pair's own everywhere, and a reason only they gave.
        let address = app.address.clone();
        let pairs = pairings.clone();
        let first_mentor = "mentor0@rowan.example".to_owned();
        tokio::task::spawn_blocking(move || {
            let held = (x + Duration::days(3)).to_string();
            let off = (x + Duration::days(10)).to_string();
            for (i, pairing) in pairs.iter().enumerate() {
                let phone = Phone::login_at(&address, &format!("m{i}@rowan.example"));
                let c = &phone.client;
                let shift = c.create_session(pairing, SessionKind::Shadowing, &held).unwrap();
                let cancelled = c.create_session(pairing, SessionKind::Meeting, &off).unwrap();
                c.set_session_status(&cancelled, SessionStatus::Cancelled, Some(COMMON_REASONS[i])).unwrap();
                if i == 0 {
                    c.edit_notes(&shift, 0, 0, SECRETS[0]).unwrap();
                    c.set_shared_summary(&shift, SECRETS[1]).unwrap();
                    c.set_my_account(&shift, SECRETS[2]).unwrap();
                    let goal = c.add_goal(pairing, SECRETS[3], GoalCategory::Skill, None).unwrap();
                    c.set_goal_status(pairing, &goal, GoalStatus::Achieved).unwrap();
                    let missed = c.create_session(pairing, SessionKind::CheckIn, &off).unwrap();
                    c.set_session_status(&missed, SessionStatus::Missed, Some(SECRETS[4])).unwrap();
                }
                assert!(c.sync().unwrap().rejected.is_empty());
            }
            let mentor = Phone::login_at(&address, &first_mentor);
            mentor.client.sync().unwrap();
            let shift = mentor.client.sessions(&pairs[0]).unwrap()[0].id.clone();
            mentor.client.set_my_account(&shift, SECRETS[2]).unwrap();
            assert!(mentor.client.sync().unwrap().rejected.is_empty());
        })
        .await
        .unwrap();

        // Leavers, in different months: through the API, and one through the CLI.
        leave(&app, &token, &mentored[0], x + Duration::days(60), "resigned").await;
        leave(&app, &token, &mentored[1], x + Duration::days(150), "end_of_contract").await;
        leave(&app, &token, &unpaired[0], x + Duration::days(30), "dismissed").await;
        leave(&app, &token, &unpaired[1], x + Duration::days(100), "retired").await;
        leave(&app, &token, &small[0], x + Duration::days(40), "resigned").await;
        leave(&app, &token, &later[0], y + Duration::days(20), "other").await;
        let (db_url, left_on) = (app.db_url.clone(), (x + Duration::days(300)).to_string());
        let cli_left_on = left_on.clone();
        let printed = tokio::task::spawn_blocking(move || {
            run_cli(&db_url, &["user", "deactivate", "--email", "n2@rowan.example", "--left-on", &cli_left_on, "--reason", "other"])
        })
        .await
        .unwrap();
        assert_eq!(printed.trim(), unpaired[2]);
        let n2 = json_body(app.get(&format!("/v1/people/{}", unpaired[2]), Some(&token)).await).await;
        assert_eq!((n2["left_on"].as_str(), n2["leaving_reason"].as_str()), (Some(left_on.as_str()), Some("other")), "{backend}");
        assert!(n2["deactivated_at"].is_string());

        // The CSV, exactly.
        let query = format!("from={}&to={}", cohort(x) + "-01", today());
        let response = app.get(&format!("/v1/reports/oversight.csv?{query}"), Some(&token)).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv_text = response.text().await.unwrap();
        let csv = parse_csv(&csv_text);
        let (cx, cy) = (cohort(x), cohort(y));
        let oak_x = |metric: &str| cell(&csv, &cx, "Oak House", metric);
        assert_eq!(oak_x("starters").0, "12", "{backend}");
        assert_eq!(oak_x("mentored").0, "6");
        assert_eq!(oak_x("not_mentored").0, "6");
        assert_eq!(oak_x("in_post_90_days.mentored"), shown(5, 6));
        assert_eq!(oak_x("in_post_6_months.mentored"), shown(4, 6));
        assert_eq!(oak_x("in_post_12_months.mentored"), shown(4, 6));
        assert_eq!(oak_x("in_post_90_days.not_mentored"), shown(5, 6));
        assert_eq!(oak_x("in_post_6_months.not_mentored"), shown(4, 6));
        assert_eq!(oak_x("in_post_12_months.not_mentored"), shown(3, 6));
        assert_eq!(oak_x("in_post_90_days.all"), shown(10, 12));
        assert_eq!(oak_x("in_post_6_months.all"), shown(8, 12));
        assert_eq!(oak_x("in_post_12_months.all"), shown(7, 12));
        // The small site: every cell suppressed, and said so.
        for metric in ["starters", "mentored", "in_post_90_days.all", "in_post_12_months.not_mentored"] {
            assert_eq!(cell(&csv, &cx, "Birch Lodge", metric), suppressed(), "{metric}");
        }
        let birch_line = csv_text.lines().find(|l| l.contains("Birch Lodge") && l.contains(",starters,")).unwrap();
        assert!(birch_line.contains("fewer than 5"), "{birch_line}");
        // The cohort at all sites and the later cohort.
        assert_eq!(cell(&csv, &cx, "All sites", "starters").0, "15");
        assert_eq!(cell(&csv, &cx, "All sites", "not_mentored").0, "9");
        assert_eq!(cell(&csv, &cx, "All sites", "in_post_90_days.not_mentored"), shown(7, 9));
        assert_eq!(cell(&csv, &cx, "All sites", "in_post_90_days.all"), shown(12, 15));
        assert_eq!(cell(&csv, &cy, "Oak House", "starters").0, "5");
        assert_eq!(cell(&csv, &cy, "Oak House", "in_post_90_days.all"), shown(4, 5));
        // Six months have not passed for cohort Y: nobody to judge.
        assert_eq!(cell(&csv, &cy, "Oak House", "in_post_6_months.all"), suppressed());
        // No one was mentored in Y: the split would name the few.
        assert_eq!(cell(&csv, &cy, "Oak House", "mentored"), suppressed());
        assert_eq!(cell(&csv, "all", "All sites", "starters").0, "20");
        assert_eq!(cell(&csv, "all", "All sites", "in_post_90_days.all"), shown(16, 20));
        // The pairings: first contact 3 days in; 7 of 13 sessions did not
        // happen, for the one reason six pairings gave; the one reason only one
        // pairing gave is not shown. One goal: too few people to show.
        assert_eq!(csv[&(cx.clone(), "Oak House".into(), "median_days_to_first_contact".into())].0, "3");
        let (share, count, of, hidden, reasons) =
            &csv[&(cx.clone(), "Oak House".into(), "cancelled_or_missed".into())];
        assert_eq!((count.as_str(), of.as_str(), *hidden), ("7", "13", false), "{share}");
        assert_eq!(reasons, "no cover on the unit (6 sessions, 6 pairings)");
        assert_eq!(oak_x("goals_achieved"), suppressed());
        assert_eq!(oak_x("mentor_training_current"), shown(5, 5));
        assert_eq!(oak_x("agreements_signed"), shown(0, 6));
        // Mentors and the coordinator started long before: not starters.
        assert!(!csv_text.contains("mentor0"));

        // JSON matches the CSV, cell for cell.
        let report = json_body(app.get(&format!("/v1/reports/oversight?{query}"), Some(&token)).await).await;
        assert_eq!(report["threshold"], 5);
        let mut compared = 0;
        for row in report["rows"].as_array().unwrap() {
            let cohort = row["cohort"].as_str().unwrap_or("all").to_owned();
            let site = row["site"].as_str().unwrap().to_owned();
            for (metric, value) in row["cells"].as_object().unwrap() {
                let (csv_value, count, of, hidden, _) = &csv[&(cohort.clone(), site.clone(), metric.clone())];
                let text = |v: &Value| v.as_u64().map(|n| n.to_string()).unwrap_or_default();
                assert_eq!((text(&value["count"]), text(&value["of"])), (count.clone(), of.clone()), "{cohort} {site} {metric}");
                assert_eq!(value["suppressed"].as_bool(), Some(*hidden));
                if *hidden {
                    assert!(value["value"].is_null() && value["count"].is_null() && value["of"].is_null());
                    assert_eq!(csv_value, "fewer than 5");
                }
                compared += 1;
            }
        }
        assert!(compared >= 19 * 6, "{compared}");
        let birch_row = report["rows"].as_array().unwrap().iter().find(|r| r["site"] == "Birch Lodge").unwrap();
        assert_eq!(birch_row["cells"]["starters"], json!({"value": null, "count": null, "of": null, "suppressed": true}));

        // The PDF is a real one, and the console shows the same.
        let response = app.get(&format!("/v1/reports/oversight.pdf?{query}"), Some(&token)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let pdf = response.bytes().await.unwrap().to_vec();
        assert_real_pdf(&pdf);
        let console = Console::sign_in(&app, "coordinator@rowan.example").await;
        let (status, page) = console.page(&format!("/console/reports/oversight?{query}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Oversight report") && page.contains("fewer than 5") && page.contains("Birch Lodge"));
        assert!(page.contains("83% (10 of 12)"), "the Oak House cohort's 90-day retention");
        assert!(page.contains("/console/reports/oversight.csv?") && page.contains("/console/reports/oversight.pdf?"));
        assert!(page.contains("href=\"/console/reports/oversight\""), "in the nav");
        let (status, chart) = console.page(&format!("/console/reports/oversight/retention.svg?{query}")).await;
        assert_eq!(status, 200);
        assert!(chart.contains("<svg") && chart.contains("Mentored"));
        let (status, console_csv) = console.page(&format!("/console/reports/oversight.csv?{query}")).await;
        assert_eq!((status, console_csv.as_str()), (200, csv_text.as_str()));
        let console_pdf = console.get(&format!("/console/reports/oversight.pdf?{query}")).await.bytes().await.unwrap();
        assert_real_pdf(&console_pdf);

        // Nothing a pair wrote, anywhere.
        let json_text = report.to_string();
        let pdf_text = String::from_utf8_lossy(&pdf).into_owned();
        for secret in SECRETS {
            for (name, text) in [("json", &json_text), ("csv", &csv_text), ("pdf", &pdf_text), ("console", &page)] {
                assert!(!text.contains(secret), "{secret} in the {name} report");
            }
        }
        // Downloads are audited.
        let events = app.audit_events(&org).await;
        let exports: Vec<&str> =
            events.iter().filter(|e| e.action == "report.exported").map(|e| e.detail.as_str()).collect();
        // Two from the API, two from the console, each with its filter.
        assert_eq!(exports.len(), 4, "{exports:?}");
        assert_eq!(exports.iter().filter(|d| d.contains("\"csv\"")).count(), 2, "{exports:?}");
        assert_eq!(exports.iter().filter(|d| d.contains("\"pdf\"")).count(), 2, "{exports:?}");
        assert!(exports.iter().all(|d| d.contains("\"site_id\":null") && d.contains(&today().to_string())), "{exports:?}");
        let departures: Vec<_> = events.iter().filter(|e| e.action == "person.deactivated").collect();
        assert_eq!(departures.len(), 7);
        assert!(departures.iter().any(|e| e.object_id == mentored[0] && e.detail.contains("\"resigned\"")));

        // Filters: one site (still suppressed), another programme (starters
        // mentored only in Induction drop out; the unpaired stay).
        let one_site = json_body(app.get(&format!("/v1/reports/oversight?{query}&site_id={birch}"), Some(&token)).await).await;
        let rows = one_site["rows"].as_array().unwrap();
        assert!(rows.iter().all(|r| r["site"] == "Birch Lodge"), "{one_site}");
        assert!(rows.iter().all(|r| r["cells"]["starters"]["suppressed"] == true));
        let other = created(&app, "/v1/programmes", &token, json!({"name": "Night starters"})).await;
        let filtered = json_body(
            app.get(&format!("/v1/reports/oversight?{query}&programme_id={}", other["id"].as_str().unwrap()), Some(&token)).await,
        )
        .await;
        let total = filtered["rows"].as_array().unwrap().iter().find(|r| r["cohort"].is_null()).unwrap();
        assert_eq!(total["cells"]["starters"]["count"], 14, "{backend}");
        let _ = coordinator_id;
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_the_organisations_managers_read_the_report_and_bad_filters_are_refused(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("elm").await;
        let other = app.seed_org("ash").await;
        for member in [&org.mentor, &org.mentee] {
            assert_error(app.get("/v1/reports/oversight", Some(member.token())).await, 403, "forbidden").await;
            assert_error(app.get("/v1/reports/oversight.csv", Some(member.token())).await, 403, "forbidden").await;
            assert_error(app.get("/v1/reports/oversight.pdf", Some(member.token())).await, 403, "forbidden").await;
        }
        assert_eq!(app.get("/v1/reports/oversight", None).await.status(), 401);
        let admin = org.admin.token();
        assert_eq!(app.get("/v1/reports/oversight", Some(admin)).await.status(), 200, "{backend}");
        let coordinator = org.coordinator.token();
        for (query, code) in [
            ("from=2026-02-30", "invalid_date"),
            ("to=yesterday", "invalid_date"),
            ("from=2026-06-01&to=2026-01-01", "invalid_range"),
            ("site_id=oak", "invalid_site_id"),
            ("programme_id=12", "invalid_programme_id"),
        ] {
            assert_error(app.get(&format!("/v1/reports/oversight?{query}"), Some(coordinator)).await, 400, code).await;
            assert_error(app.get(&format!("/v1/reports/oversight.pdf?{query}"), Some(coordinator)).await, 400, code).await;
        }
        // Another organisation's site and programme are not found.
        let site = created(&app, "/v1/sites", other.coordinator.token(), json!({"name": "Far away", "kind": "ward"})).await;
        let programmes = json_body(app.get("/v1/programmes", Some(other.coordinator.token())).await).await;
        let programme = programmes[0]["id"].as_str().unwrap().to_owned();
        let site = site["id"].as_str().unwrap().to_owned();
        assert_error(app.get(&format!("/v1/reports/oversight?site_id={site}"), Some(coordinator)).await, 404, "not_found").await;
        assert_error(app.get(&format!("/v1/reports/oversight.csv?programme_id={programme}"), Some(coordinator)).await, 404, "not_found").await;
        // The report and its downloads are in the API description.
        let spec = json_body(app.get("/openapi.json", None).await).await;
        assert!(spec["paths"]["/v1/reports/oversight"]["get"].is_object());
        assert!(spec["paths"]["/v1/reports/oversight.csv"]["get"]["responses"]["200"]["content"]["text/csv"].is_object());
        assert!(spec["paths"]["/v1/reports/oversight.pdf"]["get"]["responses"]["200"]["content"]["application/pdf"].is_object());
        assert!(spec["paths"]["/v1/reports/oversight"]["get"]["responses"]["404"].is_object());
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_leaver_is_recorded_with_the_day_and_reason_and_reactivation_forgets_it(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("yew").await;
        let coordinator = org.coordinator.token();
        let path = format!("/v1/people/{}", org.other_mentee.id);
        let today = today();

        // A start date is settable, and departures need a deactivation.
        let started = (today - Duration::days(200)).to_string();
        let body = json_body(patch(&app, &path, coordinator, json!({"start_date": started})).await).await;
        assert_eq!(body["start_date"], started, "{backend}");
        assert!(body["left_on"].is_null() && body["leaving_reason"].is_null());
        assert_error(patch(&app, &path, coordinator, json!({"left_on": today.to_string()})).await, 400, "not_leaving").await;
        let future = (today + Duration::days(3)).to_string();
        assert_error(patch(&app, &path, coordinator, json!({"active": false, "left_on": future})).await, 400, "invalid_left_on").await;
        let before_start = (today - Duration::days(300)).to_string();
        assert_error(patch(&app, &path, coordinator, json!({"active": false, "left_on": before_start})).await, 400, "invalid_left_on").await;
        assert_error(patch(&app, &path, coordinator, json!({"active": false, "leaving_reason": "bored"})).await, 400, "invalid_body").await;
        let still = json_body(app.get(&path, Some(coordinator)).await).await;
        assert!(still["deactivated_at"].is_null(), "refused changes change nothing: {still}");

        // Deactivating without a day means today; the reason can be added after.
        let body = json_body(patch(&app, &path, coordinator, json!({"active": false})).await).await;
        assert_eq!((body["left_on"].as_str(), body["leaving_reason"].is_null()), (Some(today.to_string().as_str()), true));
        let left_on = (today - Duration::days(2)).to_string();
        let body = json_body(patch(&app, &path, coordinator, json!({"left_on": left_on, "leaving_reason": "retired"})).await).await;
        assert_eq!((body["left_on"].as_str(), body["leaving_reason"].as_str()), (Some(left_on.as_str()), Some("retired")));
        let listed = json_body(app.get("/v1/people", Some(coordinator)).await).await;
        let row = listed.as_array().unwrap().iter().find(|p| p["id"] == org.other_mentee.id.as_str()).unwrap();
        assert_eq!(row["leaving_reason"], "retired");

        // Reactivation forgets the departure; the audit trail keeps it.
        let body = json_body(patch(&app, &path, coordinator, json!({"active": true})).await).await;
        assert!(body["left_on"].is_null() && body["leaving_reason"].is_null() && body["deactivated_at"].is_null());
        let events = app.audit_events(&org.org_id).await;
        let mine: Vec<_> = events.iter().filter(|e| e.object_id == org.other_mentee.id).collect();
        let actions: Vec<&str> = mine.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.ends_with(&["person.deactivated", "person.updated", "person.reactivated"]), "{actions:?}");
        assert!(mine.iter().any(|e| e.action == "person.updated" && e.detail.contains("\"retired\"") && e.detail.contains(&left_on)));

        // The console's person page: start date, the leaving form, and what was recorded.
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let page_path = format!("/console/people/{}", org.other_mentee.id);
        let (status, page) = console.page(&page_path).await;
        assert_eq!(status, 200);
        assert!(page.contains("Record that they left") && page.contains("End of contract"));
        let response = console
            .post(&format!("{page_path}/access"), &[("action", "deactivate"), ("left_on", &left_on), ("leaving_reason", "end_of_contract"), ("back", "person")])
            .await;
        assert_eq!(response.status(), 303);
        let (_, page) = console.page(&page_path).await;
        assert!(page.contains(&format!("Left on <strong>{left_on}</strong>: End of contract")), "{page}");
        let body = json_body(app.get(&path, Some(coordinator)).await).await;
        assert_eq!(body["leaving_reason"], "end_of_contract");
        let start = (today - Duration::days(100)).to_string();
        let response = console.post(&format!("{page_path}/start-date"), &[("start_date", &start)]).await;
        assert_eq!(response.status(), 303);
        let body = json_body(app.get(&path, Some(coordinator)).await).await;
        assert_eq!(body["start_date"], start);
        // A mentor is not a manager.
        assert_error(patch(&app, &path, org.mentor.token(), json!({"active": true})).await, 403, "forbidden").await;
    }
}
