//! Issue 11, the console half: every session field a phone writes reaches the
//! coordinator's console (the pairing page and the dashboard, signed in through
//! the real console with its CSRF token), and nothing confidential does. Also
//! that session rows written by older projection code are projected again.
//! SQLite always, PostgreSQL with `TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::backend_test;
use alongside_tests::console::Console;
use alongside_tests::phones::Phone;
use alongside_tests::spawn_app;
use sync_core::{GoalCategory, GoalStatus, Mode, ReflectionInput, SessionDetails, SessionKind, SessionStatus};
use time::{Duration, OffsetDateTime};

/// What the pair wrote that the coordinator must never see.
const SECRETS: &[&str] = &[
    "NOTES-hoist-sling-was-frayed",
    "MENTOR-ACCOUNT-felt-rushed",
    "MENTEE-ACCOUNT-cried-in-the-sluice",
    "FEEDBACK-STRENGTH-gentle",
    "FEEDBACK-DEVELOP-speak-up",
    "MENTEE-FEEDBACK-working",
    "MENTEE-FEEDBACK-not-working",
    "ACTION-TEXT-read-policy",
    "ACTION-TEXT-shadow-meds",
    "ACTION-TEXT-edited",
    "GOAL-TITLE-hoist-sign-off",
    "GOAL-DESCRIPTION-three-supervised",
    "GOAL-PROGRESS-two-done",
    "REFLECTION-what-happened",
    "REFLECTION-feelings",
    "REFLECTION-went-well",
    "REFLECTION-to-improve",
    "REFLECTION-next-time",
];

fn day(date: time::Date) -> String {
    date.to_string()
}

/// "14 Dec", as the console words a plan.
fn short(date: time::Date) -> String {
    format!("{} {}", date.day(), &format!("{:?}", date.month())[..3])
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_console_shows_every_field_a_phone_wrote_and_none_of_the_pairs_words(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("hazel").await;
        let today = OffsetDateTime::now_utc().date();
        // The pairing starts today: its day 30 check-in is today + 30 (window +23..+37).
        let check_in_day = today + Duration::days(30);

        let (address, m) = (app.address.clone(), org.mentorship_id.clone());
        let (mentor_email, mentee_email, mentee_id) = (org.mentor.email.clone(), org.mentee.email.clone(), org.mentee.id.clone());
        let ids = tokio::task::spawn_blocking(move || {
            let mentor = Phone::login_at(&address, &mentor_email);
            let mentee = Phone::login_at(&address, &mentee_email);
            let c = &mentor.client;
            let shift = c.create_session(&m, SessionKind::Shadowing, &day(today)).unwrap();
            c.set_session_details(
                &shift,
                &SessionDetails {
                    start_time: Some("07:30".into()),
                    duration_minutes: Some(450),
                    mode: Some(Mode::FaceToFace),
                    location: None,
                },
            )
            .unwrap();
            c.add_skill(&shift, "moving_and_handling").unwrap();
            c.add_skill(&shift, "Using the bed sensor").unwrap();
            c.add_skill(&shift, "duty_of_care").unwrap();
            c.remove_skill(&shift, "duty_of_care").unwrap();
            c.edit_notes(&shift, 0, 0, SECRETS[0]).unwrap();
            c.set_my_account(&shift, SECRETS[1]).unwrap();
            c.set_feedback(&shift, SECRETS[3], SECRETS[4]).unwrap();
            let done = c.add_action(&shift, SECRETS[7], &mentee_id, Some(&day(today + Duration::days(7)))).unwrap();
            let open = c.add_action(&shift, SECRETS[8], &mentee_id, Some(&day(today + Duration::days(14)))).unwrap();
            c.edit_action(&shift, &open, SECRETS[9], &mentee_id, Some(&day(today + Duration::days(10)))).unwrap();
            let goal = c.add_goal(&m, SECRETS[10], GoalCategory::Skill, Some(&day(today + Duration::days(60)))).unwrap();
            c.set_goal_status(&m, &goal, GoalStatus::InProgress).unwrap();
            c.set_goal_description(&m, &goal, SECRETS[11]).unwrap();
            c.add_goal_progress(&m, &goal, SECRETS[12]).unwrap();
            assert!(c.sync().unwrap().rejected.is_empty());

            let e = &mentee.client;
            e.sync().unwrap();
            e.set_my_account(&shift, SECRETS[2]).unwrap();
            e.set_mentee_feedback(&shift, SECRETS[5], SECRETS[6]).unwrap();
            e.set_action_done(&shift, &done, true).unwrap();
            e.set_shared_summary(&shift, "Hoist practice went well; ready for medication rounds").unwrap();
            let cancelled = e.create_session(&m, SessionKind::Meeting, &day(today)).unwrap();
            e.set_session_status(&cancelled, SessionStatus::Cancelled, Some("No cover on the unit")).unwrap();
            let missed = e.create_session(&m, SessionKind::CheckIn, &day(today)).unwrap();
            e.set_session_status(&missed, SessionStatus::Missed, Some("Off sick on the day")).unwrap();
            // Planned for another day first, then moved by the mentor's phone.
            let planned = e.plan_session(&m, SessionKind::CheckIn, &day(check_in_day - Duration::days(2)), Some("09:00")).unwrap();
            e.add_reflection(&ReflectionInput {
                what_happened: SECRETS[13].into(),
                feelings: SECRETS[14].into(),
                went_well: SECRETS[15].into(),
                to_improve: SECRETS[16].into(),
                next_time: SECRETS[17].into(),
            })
            .unwrap();
            assert!(e.sync().unwrap().rejected.is_empty());
            c.sync().unwrap();
            c.reschedule_session(&planned, &day(check_in_day), Some("12:15")).unwrap();
            assert!(c.sync().unwrap().rejected.is_empty());
            (shift, cancelled, missed, planned)
        })
        .await
        .unwrap();
        let (shift, cancelled, missed, planned) = ids;

        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let mut pages = Vec::new();
        for path in [
            format!("/console/pairings/{}", org.mentorship_id),
            format!("/console/fragments/pairings/{}", org.mentorship_id),
            "/console".to_owned(),
            "/console/fragments/dashboard".to_owned(),
        ] {
            let (status, body) = console.page(&path).await;
            assert_eq!(status, 200, "{backend}: GET {path}");
            pages.push((path, body));
        }
        for (path, body) in &pages {
            for secret in SECRETS {
                assert!(!body.contains(secret), "{backend}: {path} shows {secret}");
            }
        }

        // The pairing page: one row per session, each phone-written field in it.
        let pairing = &pages[0].1;
        let row = |id: &str| {
            let start = pairing.find(&format!("data-session=\"{id}\"")).unwrap_or_else(|| panic!("{backend}: row {id}"));
            let end = pairing[start..].find("</tr>").unwrap() + start;
            pairing[start..end].to_owned()
        };
        let shift_row = row(&shift);
        for expected in [
            "Shadowing shift",
            "07:30",
            "450 min",
            "Face to face",
            "Logged",
            "<li>Moving and handling</li>",
            "<li>Using the bed sensor</li>",
            "data-actions-open=\"1\" data-actions-done=\"1\"",
            "1 open, 1 done",
            "Hoist practice went well; ready for medication rounds",
        ] {
            assert!(shift_row.contains(expected), "{backend}: the shift's row shows {expected:?}: {shift_row}");
        }
        assert!(!shift_row.contains("Duty of care"), "{backend}: a removed skill is gone: {shift_row}");
        let cancelled_row = row(&cancelled);
        assert!(cancelled_row.contains("1:1 meeting") && cancelled_row.contains("Cancelled"), "{backend}: {cancelled_row}");
        assert!(cancelled_row.contains("Reason: No cover on the unit"), "{backend}: {cancelled_row}");
        let missed_row = row(&missed);
        assert!(missed_row.contains("Missed") && missed_row.contains("Reason: Off sick on the day"), "{backend}: {missed_row}");
        let planned_row = row(&planned);
        assert!(planned_row.contains("Planned") && planned_row.contains("12:15"), "{backend}: {planned_row}");
        assert!(planned_row.contains(&format!("datetime=\"{}\"", day(check_in_day))), "{backend}: {planned_row}");
        assert!(!planned_row.contains("09:00"), "{backend}: the old start time is gone: {planned_row}");
        let plan = format!("Day 30 check-in: planned for {}", short(check_in_day));
        assert!(pairing.contains(&plan), "{backend}: the touchpoints show {plan:?}");
        assert!(pairing.contains("7.5 h shadowing, 2 cancelled or missed, 1 planned"), "{backend}: the overview counts");
        assert!(pairing.contains("1 open (0 overdue), 1 done."), "{backend}: the action counts");

        // The dashboard: hours, cancelled or missed, the plan and the skills view.
        let dashboard = &pages[2].1;
        assert!(dashboard.contains("<strong>7.5 h</strong> of shadowing logged"), "{backend}: hours");
        assert!(dashboard.contains("data-not-held=\"2\""), "{backend}: cancelled or missed, headline");
        assert!(dashboard.contains("2 cancelled or missed") && dashboard.contains("1 planned"), "{backend}");
        assert!(dashboard.contains(&format!(": planned for {}", short(check_in_day))), "{backend}: the planned touchpoint");
        let skills_at = dashboard.find("Skills practised across the programme").expect("the skills view");
        let skills = &dashboard[skills_at..];
        let cohort = format!("Started {} {}", &format!("{:?}", today.month())[..3], today.year());
        assert!(skills.contains(&cohort), "{backend}: the cohort column {cohort:?}");
        let everyday = skills.find("data-skill-group=\"Everyday care\"").expect("the catalogue's group");
        let other = skills.find("data-skill-group=\"Other\"").expect("free text under Other");
        assert!(everyday < other, "{backend}: catalogue groups before Other");
        assert!(skills[everyday..other].contains("data-skill=\"Moving and handling\""), "{backend}");
        assert!(skills[other..].contains("data-skill=\"Using the bed sensor\""), "{backend}");
        assert!(!skills.contains("Duty of care"), "{backend}: removed skills count for nothing");
        assert_eq!(skills.matches("data-sessions=\"1\"").count(), 2, "{backend}: one logged session per skill");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_from_older_projection_code_are_projected_again_from_the_documents(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("rowan").await;
        let (address, m, email) = (app.address.clone(), org.mentorship_id.clone(), org.mentee.email.clone());
        let sid = tokio::task::spawn_blocking(move || {
            let mentee = Phone::login_at(&address, &email);
            let sid = mentee.client.create_session(&m, SessionKind::Meeting, "2026-11-20").unwrap();
            mentee.client.add_skill(&sid, "handover").unwrap();
            mentee.client.set_session_status(&sid, SessionStatus::Cancelled, Some("Rota changed")).unwrap();
            mentee.client.sync().unwrap();
            sid
        })
        .await
        .unwrap();

        // As rows written before the reason and the skills were projected: no
        // version recorded (the server recorded one at start-up).
        let id = sid.clone();
        app.with_db(move |conn| {
            use alongside_server::schema::{projection_versions as v, session_projections as s, skill_projections as k};
            use diesel::prelude::*;
            diesel::update(s::table.filter(s::document_id.eq(&id)))
                .set(s::status_reason.eq(None::<String>))
                .execute(conn)?;
            diesel::delete(k::table.filter(k::document_id.eq(&id))).execute(conn)?;
            diesel::delete(v::table).execute(conn)?;
            Ok(())
        })
        .await;
        let id = sid.clone();
        let (rewritten, again, row) = app
            .with_db(move |conn| {
                use alongside_server::schema::{projection_versions as v, session_projections as s, skill_projections as k};
                use diesel::prelude::*;
                let rewritten = alongside_server::sync::projection::reproject_stale(conn)?;
                let again = alongside_server::sync::projection::reproject_stale(conn)?;
                let reason: Option<String> =
                    s::table.filter(s::document_id.eq(&id)).select(s::status_reason).first(conn)?;
                let version: i32 = v::table.filter(v::projection.eq("session")).select(v::version).first(conn)?;
                let skills: Vec<String> = k::table.filter(k::document_id.eq(&id)).select(k::skill).load(conn)?;
                Ok((rewritten, again, ((reason, version), skills)))
            })
            .await;
        assert_eq!((rewritten, again), (1, 0), "{backend}: the stale row once, then nothing");
        assert_eq!(row.0.0.as_deref(), Some("Rota changed"), "{backend}");
        assert_eq!(row.0.1, alongside_server::db::projections::SESSION_PROJECTION_VERSION, "{backend}");
        assert_eq!(row.1, ["Shift handover"], "{backend}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_is_written_like_phone_data_and_shows_on_the_console(backend) {
        let app = spawn_app(backend).await;
        let demo = app.with_db(|conn| Ok(alongside_server::demo::seed(conn)?)).await;
        let coordinator =
            demo.logins.iter().find(|l| l.roles.contains(&alongside_server::domain::Role::Coordinator)).unwrap();
        let console = Console::sign_in_with(&app, coordinator.email, demo.password).await;
        let (status, dashboard) = console.page("/console").await;
        assert_eq!(status, 200, "{backend}");
        for expected in [
            "cancelled or missed",
            "Day 30 check-in<span class=\"planned\">: planned for ",
            "Day 60 check-in<span class=\"planned\">: planned for ",
            "Skills practised across the programme",
            "data-skill=\"Moving and handling\"",
            "data-skill=\"Using the new bed sensors\"",
        ] {
            assert!(dashboard.contains(expected), "{backend}: the demo dashboard shows {expected:?}");
        }
        assert!(!dashboard.contains("data-not-held=\"0\""), "{backend}: some sessions were cancelled or missed");

        // A pairing past its first month: a cancelled meeting with its reason, done
        // actions and shared summaries.
        let pairings: Vec<String> = dashboard
            .split("data-pairing=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect();
        let mut pages = Vec::new();
        for id in &pairings {
            pages.push(console.page(&format!("/console/pairings/{id}")).await.1);
        }
        let all = pages.concat();
        for expected in [
            "Reason: No cover on the unit; rearranged for the following week",
            "Reason: Community round overran; no signal to call",
            "Confidence growing; ready to lead part of a handover next week.",
            "<li>Hoist transfers</li>",
            ": planned for ",
        ] {
            assert!(all.contains(expected), "{backend}: a demo pairing page shows {expected:?}");
        }
        assert!(all.contains(" done</td>") && all.contains("data-status=\"planned\""), "{backend}");
        assert!(!all.contains("Went well overall") && !all.contains("SBAR"), "{backend}: no accounts or goal text");

        // Four mentees answered the day 30 survey: too few for figures. The
        // concern is in the inbox with the coordinator's reply.
        let (status, surveys) = console.page("/console/surveys").await;
        assert_eq!(status, 200, "{backend}");
        assert!(surveys.contains("fewer than 5 responses"), "{backend}: {surveys}");
        let (status, inbox) = console.page("/console/concerns?show=all").await;
        assert_eq!(status, 200, "{backend}");
        assert!(inbox.contains("Our shifts hardly overlap"), "{backend}: the inbox shows the concern");
        assert!(inbox.contains("suggest a night-shift mentor"), "{backend}: and the reply");

        // The documents are the phones': a mentee's phone receives reflections,
        // goal descriptions and progress, skills and summaries.
        let mentee = demo.logins.iter().find(|l| l.email.starts_with("ellie.parker")).unwrap();
        let (address, email, password) = (app.address.clone(), mentee.email, demo.password);
        let (reflections, due, progress, described, skills, shared) = tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            let client = sync_core::Client::new(dir.path(), &address).unwrap();
            client.login(email, password, "demo phone").unwrap();
            client.sync().unwrap();
            let m = client.mentorships().unwrap().remove(0).id;
            let goals = client.goals(&m).unwrap();
            let sessions = client.sessions(&m).unwrap();
            (
                client.reflections().unwrap().len(),
                client.due_surveys().unwrap(),
                goals.iter().map(|g| g.progress.len()).sum::<usize>(),
                goals.iter().filter(|g| !g.description.is_empty()).count(),
                sessions.iter().map(|s| s.skills.len()).sum::<usize>(),
                sessions.iter().filter(|s| s.shared_summary.is_some()).count(),
            )
        })
        .await
        .unwrap();
        assert_eq!(reflections, 2, "{backend}");
        assert!(due.is_empty(), "{backend}: Ellie answered her day 30 and day 90 surveys: {due:?}");
        assert!(progress >= 3 && described >= 3, "{backend}: goal progress {progress}, descriptions {described}");
        assert!(skills > 10 && shared >= 3, "{backend}: skills {skills}, shared summaries {shared}");

        // Kwame's phone has his concern back with the coordinator's reply.
        let kwame = demo.logins.iter().find(|l| l.email.starts_with("kwame.boateng")).unwrap();
        let (address, email, password) = (app.address.clone(), kwame.email, demo.password);
        let concerns = tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            let client = sync_core::Client::new(dir.path(), &address).unwrap();
            client.login(email, password, "demo phone").unwrap();
            client.sync().unwrap();
            client.concerns().unwrap()
        })
        .await
        .unwrap();
        assert_eq!(concerns.len(), 1, "{backend}: {concerns:?}");
        assert_eq!(concerns[0].status, "acknowledged", "{backend}");
        assert!(concerns[0].response.contains("night-shift mentor"), "{backend}");
    }
}
