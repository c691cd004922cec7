//! The touchpoint, weekly and attention rules, tested on plain rows.

use time::macros::date;

use super::*;

fn rules() -> TouchpointRules {
    TouchpointRules::default()
}

fn states(list: &[Touchpoint]) -> Vec<(String, TouchpointState)> {
    list.iter().map(|t| (t.name.clone(), t.state)).collect()
}

#[test]
fn a_new_pairing_has_first_contact_due_and_check_ins_upcoming() {
    let start = date!(2026 - 03 - 02);
    let list = touchpoints(&rules(), start, None, date!(2026 - 03 - 04), &[]);
    assert_eq!(
        states(&list),
        vec![
            ("First contact".into(), TouchpointState::Due),
            ("Day 30 check-in".into(), TouchpointState::Upcoming),
            ("Day 60 check-in".into(), TouchpointState::Upcoming),
            ("Day 90 check-in".into(), TouchpointState::Upcoming),
        ]
    );
}

#[test]
fn touchpoints_are_met_late_overdue_or_met_by_contact_in_their_window() {
    let start = date!(2026 - 01 - 01);
    // First contact on day 10 (late), then day 28 (inside day 30's window).
    let contacts = [date!(2026 - 01 - 11), date!(2026 - 01 - 29)];
    let list = touchpoints(&rules(), start, None, date!(2026 - 03 - 20), &contacts);
    assert_eq!(list[0].state, TouchpointState::MetLate);
    assert_eq!(list[0].contact_on, Some(date!(2026 - 01 - 11)));
    assert_eq!(list[1].state, TouchpointState::Met);
    // Day 60 is 2026-03-02; its window closed on 03-09 with no contact.
    assert_eq!(list[2].state, TouchpointState::Overdue);
    // Day 90 is 2026-04-01; its window opens on 03-25.
    assert_eq!(list[3].state, TouchpointState::Upcoming);
}

#[test]
fn future_dated_sessions_are_not_contact_yet() {
    let start = date!(2026 - 03 - 02);
    let list = touchpoints(&rules(), start, None, date!(2026 - 03 - 04), &[date!(2026 - 03 - 06)]);
    assert_eq!(list[0].state, TouchpointState::Due);
}

#[test]
fn touchpoints_after_a_pairing_ended_are_dropped() {
    let start = date!(2026 - 01 - 01);
    let list = touchpoints(&rules(), start, Some(date!(2026 - 02 - 10)), date!(2026 - 05 - 01), &[]);
    assert_eq!(list.len(), 2, "first contact and day 30 only: {list:?}");
}

#[test]
fn programme_check_in_days_are_parsed_leniently() {
    let programme = Programme {
        id: "p".into(),
        org_id: "o".into(),
        name: "Night shifts".into(),
        induction_weeks: 8,
        contact_every_days: 14,
        first_contact_days: 3,
        checkin_days: " 60, 30,x,,30".into(),
        max_mentees_per_mentor: 2,
        created_at: "2026-01-01T00:00:00Z".into(),
    };
    assert_eq!(TouchpointRules::from(&programme).checkin_days, vec![30, 60]);
}

fn session(date: &str, kind: &str, status: &str) -> SessionRow {
    SessionRow {
        document_id: format!("{date}-{kind}"),
        mentorship_id: "m".into(),
        kind: Some(kind.into()),
        session_date: Some(date.into()),
        start_time: None,
        duration_minutes: Some(90),
        mode: None,
        status: status.into(),
        mentor_signed: true,
        mentee_signed: false,
        amended_after_sign_off: false,
        amended_parts: String::new(),
    }
}

#[test]
fn weeks_start_on_monday_and_count_logged_sessions_by_kind() {
    let today = date!(2026 - 03 - 18); // a Wednesday
    let sessions = [
        session("2026-03-16", "shadowing", "logged"),
        session("2026-03-15", "meeting", "logged"), // the Sunday before
        session("2026-03-17", "check_in", "cancelled"),
        session("2026-03-19", "shadowing", "logged"), // tomorrow
    ];
    let weeks = sessions_per_week(&sessions, today, 2);
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[0].monday, Some(date!(2026 - 03 - 09)));
    assert_eq!((weeks[0].shadowing, weeks[0].meeting), (0, 1));
    assert_eq!((weeks[1].shadowing, weeks[1].total()), (1, 1));
    assert!(weeks.iter().all(|w| w.monday.is_some_and(is_monday)));
}

fn named(id: &str, status: &str, started: &str) -> NamedMentorship {
    NamedMentorship {
        mentorship: crate::db::mentorships::Mentorship {
            id: id.into(),
            org_id: "o".into(),
            programme_id: "p".into(),
            site_id: None,
            mentor_id: format!("{id}-mentor"),
            mentee_id: format!("{id}-mentee"),
            status: status.into(),
            started_on: Some(started.into()),
            ended_on: None,
            end_reason: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            pause_reason: None,
        },
        mentor_name: "Mo".into(),
        mentee_name: "Mia".into(),
    }
}

#[test]
fn pairings_needing_attention_come_first_and_inactive_ones_never_need_it() {
    let now = time::macros::datetime!(2026-03-18 12:00 UTC);
    let mut overdue = session("2026-03-10", "meeting", "logged");
    overdue.mentorship_id = "calm".into();
    let rows = Rows {
        pairings: vec![
            named("calm", "active", "2026-03-09"),
            named("paused", "paused", "2026-01-01"),
            named("silent", "active", "2026-01-01"),
        ],
        sessions: vec![overdue],
        ..Rows::default()
    };
    let summaries = summarise(&rows, now);
    let order: Vec<&str> = summaries.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(order, ["silent", "calm", "paused"]);
    assert!(summaries[0].attention.iter().any(|r| r == "First contact overdue"), "{:?}", summaries[0].attention);
    assert!(summaries[1].attention.is_empty() && summaries[2].attention.is_empty());
    assert_eq!(summaries[0].week, Some(11));
    assert_eq!(summaries[1].sessions.last_contact, Some(date!(2026 - 03 - 10)));
}

#[test]
fn sessions_are_counted_with_shadowing_minutes_and_sign_off_state() {
    let rows = [session("2026-03-16", "shadowing", "logged"), session("2026-03-10", "meeting", "logged")];
    let refs: Vec<&SessionRow> = rows.iter().collect();
    let counts = count_sessions(&refs, date!(2026 - 03 - 18));
    assert_eq!(counts.logged, 2);
    assert_eq!(counts.shadowing_minutes, 90);
    assert_eq!(counts.awaiting_sign_off, 2);
    assert_eq!(counts.last_contact, Some(date!(2026 - 03 - 16)));
}
