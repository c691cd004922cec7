//! Issue 11 through `sync_core::Client` against the real server: what a phone
//! writes about a session (details, plans, cancellations, skills, actions, the
//! shared summary) reaches the other phone and the console's projection, which
//! stores `planned` like any other status.
//!
//! SQLite only: the projection code is the same for both backends (`sync.rs`
//! runs the sync itself on both).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::phones::Phone;
use alongside_tests::{Backend, spawn_app};
use sync_core::{Mode, SessionDetails, SessionKind, SessionStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_writes_reach_the_other_phone_and_the_projection() {
    let app = spawn_app(Backend::Sqlite).await;
    let org = app.seed_org("rowan").await;
    let mentor = Phone::login(&app, &org.mentor.email);
    let mentee = Phone::login(&app, &org.mentee.email);
    let m = org.mentorship_id.clone();

    let sid = mentor.client.create_session(&m, SessionKind::Shadowing, "2026-12-01").unwrap();
    let details = SessionDetails {
        start_time: Some("07:30".into()),
        duration_minutes: Some(450),
        mode: Some(Mode::FaceToFace),
        location: Some("Ward 3".into()),
    };
    mentor.client.set_session_details(&sid, &details).unwrap();
    mentor.client.add_skill(&sid, "moving_and_handling").unwrap();
    let action = mentor.client.add_action(&sid, "Read the policy", &org.mentee.id, Some("2026-12-20")).unwrap();
    mentor.client.set_shared_summary(&sid, "Hoist practice").unwrap();
    let planned = mentee.client.plan_session(&m, SessionKind::CheckIn, "2026-12-14", Some("12:15")).unwrap();
    let cancelled = mentee.client.create_session(&m, SessionKind::Meeting, "2026-12-03").unwrap();
    mentee.client.set_session_status(&cancelled, SessionStatus::Cancelled, Some("no cover on the unit")).unwrap();
    for phone in [&mentor, &mentee, &mentor] {
        assert!(phone.client.sync().unwrap().rejected.is_empty());
    }

    let seen = mentee.client.session(&sid).unwrap();
    assert_eq!(seen.details, details);
    assert_eq!(seen.skills, ["Moving and handling"]);
    assert_eq!(seen.shared_summary.as_deref(), Some("Hoist practice"));
    assert_eq!(mentor.client.session(&planned).unwrap().status, SessionStatus::Planned);
    let open = mentee.client.open_actions(&m).unwrap();
    assert_eq!(open.iter().map(|o| o.action.id.as_str()).collect::<Vec<_>>(), [action.as_str()]);

    mentee.client.set_action_done(&sid, &action, true).unwrap();
    mentee.client.sync().unwrap();
    assert!(mentee.client.open_actions(&m).unwrap().is_empty());

    let rows = app
        .with_db(move |conn| {
            use alongside_server::schema::session_projections::dsl::*;
            use diesel::prelude::*;
            Ok(session_projections
                .filter(mentorship_id.eq(m))
                .select((document_id, status, duration_minutes, mode, shared_summary))
                .load::<(String, String, Option<i32>, Option<String>, Option<String>)>(conn)?)
        })
        .await;
    let row = |id: &str| rows.iter().find(|r| r.0 == id).cloned().unwrap();
    assert_eq!(row(&sid).1, "logged");
    assert_eq!(row(&sid).2, Some(450));
    assert_eq!(row(&sid).3.as_deref(), Some("face_to_face"));
    assert_eq!(row(&sid).4.as_deref(), Some("Hoist practice"));
    assert_eq!(row(&planned).1, "planned");
    assert_eq!(row(&cancelled).1, "cancelled");
}
