//! Issue 15, surveys end to end: the default Induction programme's surveys
//! fall due on the mentees' phones, are answered while the phones are offline
//! and synced later; results appear only once 5 people have answered; shared
//! text reaches the coordinator without a name, unshared text never; the
//! partner's phone never receives a response; bad answers and bad survey
//! definitions are refused with clear errors; a survey at close, subject access
//! and erasure. Real server, real clients, both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::io::Read;

use alongside_server::domain::Role;
use alongside_server::domain::surveys as survey_ops;
use alongside_tests::console::Console;
use alongside_tests::phones::Phone;
use alongside_tests::{PASSWORD, TestApp, assert_error, backend_test, json_body, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::{Client, ClientError, DocKind, DocumentId, ShareText, Store, SurveyAnswer};
use time::{Duration, OffsetDateTime};

const SHARED: &str = "The night rota made it hard to meet, but it got better";
const KEPT: &str = "Only for me: I nearly left in week two";

fn days_ago(days: i64) -> String {
    (OffsetDateTime::now_utc().date() - Duration::days(days)).to_string()
}

/// An address where nothing listens: the phone is offline.
const NOWHERE: &str = "http://127.0.0.1:9";

/// The same phone (its data folder) with no network.
fn offline(phone: &Phone) -> Client {
    Client::new(phone.dir.path(), NOWHERE).unwrap()
}

/// The same phone back online.
fn online(app: &TestApp, phone: &Phone) -> Client {
    Client::new(phone.dir.path(), &app.address).unwrap()
}

fn scores(confidence: u32, comment: Option<&str>) -> Vec<SurveyAnswer> {
    let mut answers: Vec<SurveyAnswer> =
        [("confidence", confidence), ("support", 4), ("availability", 5), ("stay", 4), ("match", 3)]
            .into_iter()
            .map(|(id, score)| SurveyAnswer { question_id: id.into(), score: Some(score), text: None })
            .collect();
    if let Some(text) = comment {
        answers.push(SurveyAnswer { question_id: "comment".into(), score: None, text: Some(text.into()) });
    }
    answers
}

fn kinds_on(phone: &Phone) -> Vec<DocKind> {
    Store::open(&phone.store_path()).unwrap().headers().unwrap().into_iter().map(|h| h.kind).collect()
}

async fn results(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/v1/surveys/results{query}"), Some(token)).await;
    assert_eq!(response.status(), 200);
    json_body(response).await
}

/// The oversight report's cell for the whole period at every site.
async fn report_cell(app: &TestApp, token: &str, metric: &str) -> Value {
    let response = app.get("/v1/reports/oversight", Some(token)).await;
    assert_eq!(response.status(), 200);
    let report = json_body(response).await;
    let rows = report["rows"].as_array().unwrap();
    let total =
        rows.iter().find(|r| r["cohort"].is_null() && r["site_scope"] == "all").unwrap_or_else(|| panic!("{report}"));
    total["cells"][metric].clone()
}

fn mean_of<'a>(results: &'a Value, survey: &str, question: &str) -> &'a Value {
    results["means"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["survey_key"] == survey && m["question_id"] == question)
        .unwrap_or_else(|| panic!("no {survey}/{question} in {results}"))
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offline_answers_show_only_once_five_have_answered_and_never_reach_the_partner(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("rowan").await;
        let coordinator = org.coordinator.token();
        let started = days_ago(40);

        // Six starters, 40 days in: the day 30 survey is due, day 90 not yet.
        let mentors = [
            app.create_person(&org.org_id, "m1@rowan.example", "Priya Mentor", &[Role::Mentor]).await,
            app.create_person(&org.org_id, "m2@rowan.example", "Tom Mentor", &[Role::Mentor]).await,
        ];
        let mut mentees = Vec::new();
        for i in 1..=6 {
            let email = format!("e{i}@rowan.example");
            let id = app.create_person(&org.org_id, &email, &format!("Starter Number{i}"), &[Role::Mentee]).await;
            let pairing = json_body(app.post("/v1/mentorships", Some(coordinator), &json!({
                "mentor_id": mentors[(i - 1) / 3], "mentee_id": id, "started_on": started,
            })).await).await;
            let pairing = pairing["id"].as_str().unwrap_or_else(|| panic!("{pairing}")).to_owned();
            mentees.push((email, id, pairing));
        }

        let phones: Vec<Phone> = mentees.iter().map(|(email, _, _)| Phone::login(&app, email)).collect();
        let due = phones[0].client.due_surveys().unwrap();
        assert_eq!(due.len(), 1, "{backend}: {due:?}");
        assert_eq!(due[0].survey_key, "day_30");
        assert_eq!(due[0].mentorship_id, mentees[0].2);
        assert_eq!(due[0].due_on, days_ago(10));
        assert_eq!(due[0].questions.len(), 6);
        assert_eq!(due[0].questions[0].id, "confidence");

        // The phones go offline; due surveys are still known, and answered there.
        let confidence = [2, 3, 4, 5, 5];
        for (n, phone) in phones.iter().take(5).enumerate() {
            let client = offline(phone);
            assert_eq!(client.due_surveys().unwrap().len(), 1, "{backend}: due offline");
            let (share, comment) = match n {
                0 => (ShareText::Share, Some(SHARED)),
                1 => (ShareText::Keep, Some(KEPT)),
                _ => (ShareText::Keep, None),
            };
            client.answer_survey(&mentees[n].2, "day_30", &scores(confidence[n], comment), share).unwrap();
            assert!(client.due_surveys().unwrap().is_empty(), "{backend}: answered offline");
            assert!(matches!(client.sync(), Err(ClientError::Offline { .. })), "{backend}");
            assert_eq!(client.pending().unwrap(), 1, "{backend}: waits for a connection");
        }

        // Bad answers are refused clearly, before anything is written.
        let client = offline(&phones[5]);
        let m6 = &mentees[5].2;
        let refused = |result: Result<(), ClientError>| match result {
            Err(ClientError::Invalid { message }) => message,
            other => panic!("{backend}: expected Invalid, got {other:?}"),
        };
        let message = refused(client.answer_survey(m6, "day_30", &scores(6, None), ShareText::Keep));
        assert!(message.contains("1 to 5"), "{message}");
        let mut unknown = scores(3, None);
        unknown.push(SurveyAnswer { question_id: "salary".into(), score: Some(2), text: None });
        assert!(refused(client.answer_survey(m6, "day_30", &unknown, ShareText::Keep)).contains("salary"));
        let missing: Vec<_> = scores(3, None).into_iter().skip(1).collect();
        assert!(refused(client.answer_survey(m6, "day_30", &missing, ShareText::Keep)).contains("confidence"));
        let mut texted = scores(3, None);
        texted[0].text = Some("words on a scale".into());
        refused(client.answer_survey(m6, "day_30", &texted, ShareText::Keep));
        assert!(refused(client.answer_survey(m6, "day_90", &scores(3, None), ShareText::Keep)).contains("not due until"));
        let unknown_key = client.answer_survey(m6, "exit", &scores(3, None), ShareText::Keep);
        assert!(matches!(unknown_key, Err(ClientError::NotFound { .. })), "{backend}: {unknown_key:?}");
        assert_eq!(client.pending().unwrap(), 0, "{backend}: nothing written by a refused answer");
        assert_eq!(client.due_surveys().unwrap().len(), 1);
        // A mentor is not asked the mentee's surveys.
        let mentor_phone = Phone::login(&app, "m1@rowan.example");
        assert!(mentor_phone.client.due_surveys().unwrap().is_empty(), "{backend}");
        let not_theirs = mentor_phone.client.answer_survey(&mentees[0].2, "day_30", &scores(3, None), ShareText::Keep);
        assert!(matches!(not_theirs, Err(ClientError::NotFound { .. })), "{backend}: {not_theirs:?}");

        // Four come back online: nothing to show yet.
        for phone in phones.iter().take(4) {
            let report = online(&app, phone).sync().unwrap();
            assert!(report.rejected.is_empty(), "{backend}: {report:?}");
        }
        let four = results(&app, coordinator, "").await;
        let confidence_mean = mean_of(&four, "day_30", "confidence");
        assert_eq!(confidence_mean["respondents"], 4, "{backend}: {four}");
        assert!(confidence_mean["mean"].is_null(), "{backend}: suppressed under 5: {four}");
        assert_eq!(four["comments"], json!([]), "{backend}: no text from a group under 5");
        let cell = report_cell(&app, coordinator, "survey_mean.confidence").await;
        assert_eq!(cell["suppressed"], true, "{backend}: the oversight report suppresses it too: {cell}");
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, page) = console.page("/console/surveys").await;
        assert_eq!(status, 200);
        assert!(page.contains("fewer than 5 responses"), "{backend}: {page}");
        assert!(!page.contains(SHARED), "{backend}");
        assert!(!page.contains("data-mean="), "{backend}: no figure under 5");

        // The fifth: means appear, the shared text too, the kept text never.
        online(&app, &phones[4]).sync().unwrap();
        let five = results(&app, coordinator, "").await;
        let confidence_mean = mean_of(&five, "day_30", "confidence");
        assert_eq!(confidence_mean["respondents"], 5, "{backend}: {five}");
        assert_eq!(confidence_mean["mean"], 3.8, "{backend}: (2+3+4+5+5)/5");
        let cell = report_cell(&app, coordinator, "survey_mean.confidence").await;
        assert_eq!((cell["suppressed"].as_bool(), cell["value"].as_f64()), (Some(false), Some(3.8)), "{backend}: {cell}");
        assert_eq!(mean_of(&five, "day_30", "availability")["mean"], 5.0);
        assert_eq!(confidence_mean["programme_name"], "Induction");
        let comments: Vec<&str> = five["comments"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap()).collect();
        assert_eq!(comments, [SHARED], "{backend}: {five}");
        let everything = five.to_string();
        assert!(!everything.contains(KEPT), "{backend}: unshared text never leaves the phone's document");
        assert!(!everything.contains(&mentees[0].1) && !everything.contains("Number1"), "{backend}: no names or ids");
        let (_, page) = console.page("/console/surveys").await;
        assert!(page.contains("data-mean=\"3.80\""), "{backend}: {page}");
        assert!(page.contains(SHARED), "{backend}");
        assert!(!page.contains(KEPT) && !page.contains("Starter Number"), "{backend}: no kept text, no names");
        // By cohort: all five started in the same month; by site: none has a site.
        let by_cohort = results(&app, coordinator, "?group_by=programme,cohort").await;
        let row = mean_of(&by_cohort, "day_30", "confidence");
        assert_eq!(row["cohort"], &started[..7], "{backend}: {by_cohort}");
        assert_eq!(row["mean"], 3.8);
        let by_site = results(&app, coordinator, "?group_by=site").await;
        assert_eq!(mean_of(&by_site, "day_30", "confidence")["site_name"], "No site", "{backend}: {by_site}");
        let elsewhere = results(&app, coordinator, &format!("?from={}", days_ago(-40))).await;
        assert_eq!(elsewhere["means"], json!([]), "{backend}: filtered by start month");
        // The oversight report's entry point: the same figures, suppression included.
        let org_id = org.org_id.parse().unwrap();
        let means = app
            .with_db(move |conn| {
                let by = survey_ops::Grouping { programme: false, site: true, cohort: true };
                Ok(survey_ops::survey_results(conn, org_id, &survey_ops::ResultsFilter::default(), by)?)
            })
            .await;
        assert!(means.means.iter().all(|m| m.respondents == 5 && m.mean.is_some()), "{backend}: {means:?}");

        // Only coordinators and admins read results; bad queries are 400s.
        assert_error(app.get("/v1/surveys/results", Some(org.mentee.token())).await, 403, "forbidden").await;
        assert_error(app.get("/v1/surveys/results?group_by=name", Some(coordinator)).await, 400, "invalid_group_by").await;
        assert_error(app.get("/v1/surveys/results?from=yesterday", Some(coordinator)).await, 400, "invalid_date").await;
        assert_eq!(app.get("/v1/surveys/results", Some(org.admin.token())).await.status(), 200);

        // The partner's phone never receives a response; the respondent reads theirs.
        mentor_phone.client.sync().unwrap();
        assert!(!kinds_on(&mentor_phone).contains(&DocKind::SurveyResponse), "{backend}");
        let response_id =
            DocumentId::survey_response_of(mentees[0].1.parse().unwrap(), mentees[0].2.parse().unwrap(), "day_30");
        let path = format!("/v1/documents/{response_id}");
        let m1 = app.login("m1@rowan.example", PASSWORD, "laptop").await;
        assert_error(app.get(&path, Some(&m1.access_token)).await, 404, "not_found").await;
        assert_error(app.get(&path, Some(coordinator)).await, 404, "not_found").await;
        let e1 = app.login(&mentees[0].0, PASSWORD, "laptop").await;
        let own = json_body(app.get(&path, Some(&e1.access_token)).await).await;
        let answers = own["view"]["response"]["answers"].as_array().unwrap();
        let confidence = answers.iter().find(|a| a["question_id"] == "confidence").unwrap();
        assert_eq!(confidence["score"], 2, "{backend}: {own}");
        assert_eq!(own["view"]["response"]["share_text"], true);

        // Two phones of one person answer offline into one document.
        let second = Phone::login(&app, &mentees[5].0);
        let a = offline(&phones[5]);
        let b = offline(&second);
        a.answer_survey(m6, "day_30", &scores(1, None), ShareText::Keep).unwrap();
        b.answer_survey(m6, "day_30", &scores(5, None), ShareText::Keep).unwrap();
        online(&app, &phones[5]).sync().unwrap();
        let b = online(&app, &second);
        b.sync().unwrap();
        b.sync().unwrap();
        assert!(b.due_surveys().unwrap().is_empty(), "{backend}");
        let six = results(&app, coordinator, "").await;
        let confidence_mean = mean_of(&six, "day_30", "confidence");
        assert_eq!(confidence_mean["respondents"], 6, "{backend}: one response per person: {six}");
        let mean = confidence_mean["mean"].as_f64().unwrap();
        assert!(mean == 3.33 || mean == 4.0, "{backend}: one of the two answers won whole: {six}");
    }
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip file");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(file.name().unwrap().to_string(), text);
    }
    files
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn survey_at_close_is_due_to_both_then_exported_and_erased(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("hazel").await;
        let m = org.mentorship_id.clone();
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        assert!(mentee.client.due_surveys().unwrap().is_empty(), "{backend}: started today");
        let org_id: alongside_server::model::OrgId = org.org_id.parse().unwrap();
        let mentor_id: alongside_server::model::PersonId = org.mentor.id.parse().unwrap();
        let today = alongside_server::model::Day::today();
        let due = app.with_db(move |conn| Ok(survey_ops::due_for_person(conn, org_id, mentor_id, today)?)).await;
        assert!(due.is_empty(), "{backend}: {due:?}");

        let ended = app.post(&format!("/v1/mentorships/{m}/end"), Some(org.coordinator.token()),
            &json!({"reason": "Induction finished", "outcome": "completed"})).await;
        assert_eq!(ended.status(), 200, "{backend}");
        // Each phone learns of the end with its pairings, then works offline.
        mentor.client.mentorships().unwrap();
        mentee.client.mentorships().unwrap();
        for phone in [&mentor, &mentee] {
            let due = offline(phone).due_surveys().unwrap();
            assert_eq!(due.iter().map(|d| d.survey_key.as_str()).collect::<Vec<_>>(), ["close"], "{backend}: {due:?}");
            assert_eq!(due[0].due_on, today.to_string());
        }
        let due = app.with_db(move |conn| Ok(survey_ops::due_for_person(conn, org_id, mentor_id, today)?)).await;
        assert_eq!(due.len(), 1, "{backend}: the server knows it too (for reminders)");
        assert_eq!(due[0].survey_key, "close");

        let client = offline(&mentor);
        client.answer_survey(&m, "close", &scores(4, Some("Proud of her")), ShareText::Share).unwrap();
        online(&app, &mentor).sync().unwrap();
        let mentee_client = offline(&mentee);
        mentee_client.answer_survey(&m, "close", &scores(5, Some("Thank you, Mo")), ShareText::Keep).unwrap();
        online(&app, &mentee).sync().unwrap();
        let due = app.with_db(move |conn| Ok(survey_ops::due_for_person(conn, org_id, mentor_id, today)?)).await;
        assert!(due.is_empty(), "{backend}: answered: {due:?}");
        // Two respondents: nothing shows.
        let two = results(&app, org.coordinator.token(), "").await;
        assert!(two["means"].as_array().unwrap().iter().all(|m| m["mean"].is_null()), "{backend}: {two}");
        assert_eq!(two["comments"], json!([]));
        // Neither phone holds the other's response.
        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();
        assert_eq!(kinds_on(&mentor).iter().filter(|k| **k == DocKind::SurveyResponse).count(), 1, "{backend}");
        assert_eq!(kinds_on(&mentee).iter().filter(|k| **k == DocKind::SurveyResponse).count(), 1, "{backend}");

        // Subject access includes the person's own response, not the partner's.
        let sar = app.post(&format!("/v1/people/{}/subject-access", org.mentee.id), Some(org.admin.token()), &json!({})).await;
        assert_eq!(sar.status(), 200, "{backend}");
        let files = unzip(&sar.bytes().await.unwrap());
        let data: Value = serde_json::from_str(&files["data.json"]).unwrap();
        assert_eq!(data["survey_responses"][0]["survey_key"], "close", "{backend}: {}", data["survey_responses"]);
        assert!(files["data.json"].contains("Thank you, Mo"), "{backend}");
        assert!(!files["data.json"].contains("Proud of her"), "{backend}: not the mentor's response");
        assert!(files["index.html"].contains("Your survey responses"));

        // Erasure removes the response document and its projection.
        let erased = json_body(app.post(&format!("/v1/people/{}/erase", org.mentee.id), Some(org.admin.token()), &json!({})).await).await;
        assert_eq!(erased["documents_erased"], 1, "{backend}: {erased}");
        let mentee_id = org.mentee.id.clone();
        let left: i64 = app
            .with_db(move |conn| {
                use alongside_server::schema::survey_responses;
                use diesel::prelude::*;
                Ok(survey_responses::table.filter(survey_responses::respondent_id.eq(mentee_id)).count().get_result(conn)?)
            })
            .await;
        assert_eq!(left, 0, "{backend}: the projection went with the document");
        let after = results(&app, org.coordinator.token(), "").await;
        assert_eq!(mean_of(&after, "close", "confidence")["respondents"], 1, "{backend}: the mentor's stays");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn programme_surveys_have_a_shape_checked_with_clear_errors(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("elm").await;
        let coordinator = org.coordinator.token();
        let list = json_body(app.get("/v1/programmes", Some(org.mentee.token())).await).await;
        let induction = &list[0];
        let keys: Vec<&str> = induction["surveys"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["day_30", "day_90", "close"], "{backend}");
        assert_eq!(induction["surveys"][0]["when"], json!({"after_days": 30}));
        assert_eq!(induction["surveys"][2]["when"], "close");
        assert_eq!(induction["surveys"][2]["respondent"], "both");
        let questions: Vec<&str> =
            induction["surveys"][0]["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
        assert_eq!(questions, ["confidence", "support", "availability", "stay", "match", "comment"]);
        let id = induction["id"].as_str().unwrap();
        let path = format!("/v1/programmes/{id}");

        let survey = json!({"key": "exit", "title": "Leaving", "respondent": "mentor", "when": {"after_days": 14},
            "questions": [{"id": "q1", "text": "Was it worth it?", "kind": "scale"}]});
        let cases = [
            (json!({"key": "exit"}), "surveys[0]"),
            (json!(merge(&survey, json!({"respondent": "manager"}))), "respondent"),
            (json!(merge(&survey, json!({"when": "soon"}))), "surveys[0]"),
            (json!(merge(&survey, json!({"when": {"after_days": 0}}))), "after_days"),
            (json!(merge(&survey, json!({"questions": []}))), "questions"),
            (json!(merge(&survey, json!({"questions": [{"id": "q1", "text": "A", "kind": "stars"}]}))), "surveys[0]"),
            (json!(merge(&survey, json!({"questions": [{"id": "q1", "text": "A", "kind": "scale"}, {"id": "q1", "text": "B", "kind": "text"}]}))), "used twice"),
            (json!(merge(&survey, json!({"key": "has space"}))), "surveys[0].key"),
        ];
        for (bad, needle) in cases {
            let response = app.request(Method::PATCH, &path, Some(coordinator), Some(&json!({"surveys": [bad]}))).await;
            let body = assert_error(response, 400, "invalid_programme").await;
            let message = body["message"].as_str().unwrap().to_lowercase();
            assert!(message.contains(&needle.to_lowercase()), "{backend}: {needle}: {body}");
        }
        let twice = app.request(Method::PATCH, &path, Some(coordinator), Some(&json!({"surveys": [survey, survey]}))).await;
        assert_error(twice, 400, "invalid_programme").await;
        let refused = app.request(Method::PATCH, &path, Some(org.mentor.token()), Some(&json!({"surveys": [survey]}))).await;
        assert_error(refused, 403, "forbidden").await;
        let set = json_body(app.request(Method::PATCH, &path, Some(coordinator), Some(&json!({"surveys": [survey]}))).await).await;
        assert_eq!(set["surveys"][0]["when"]["after_days"], 14, "{backend}: {set}");

        // The programme's page shows them read-only.
        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, page) = console.page(&format!("/console/programmes/{id}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("data-survey=\"exit\"") && page.contains("Was it worth it?"), "{backend}: {page}");
        assert!(page.contains("14 days after the start"), "{backend}");
    }
}

fn merge(base: &Value, over: Value) -> Value {
    let mut out = base.clone();
    for (key, value) in over.as_object().unwrap() {
        out[key] = value.clone();
    }
    out
}
