//! The touchpoint, weekly and attention rules, tested on plain rows.

use time::macros::date;
use uuid::Uuid;

use super::*;
use crate::model::{DocumentId, OrgId};

/// A fixed id for a name, so the tests can say which pairing is which.
fn id_of(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
}

fn session(date: &str, kind: &str, status: &str) -> SessionRow {
    SessionRow {
        document_id: DocumentId(id_of(&format!("{date}-{kind}"))),
        mentorship_id: MentorshipId(id_of("m")),
        kind: Some(kind.into()),
        session_date: Some(date.into()),
        start_time: None,
        duration_minutes: Some(90),
        mode: None,
        status: status.into(),
        status_reason: None,
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
            id: MentorshipId(id_of(id)),
            org_id: OrgId(id_of("o")),
            programme_id: ProgrammeId(id_of("p")),
            site_id: None,
            mentor_id: PersonId(id_of(&format!("{id}-mentor"))),
            mentee_id: PersonId(id_of(&format!("{id}-mentee"))),
            status: status.parse().unwrap(),
            started_on: Some(started.parse().unwrap()),
            ended_on: None,
            end_reason: None,
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
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
    overdue.mentorship_id = MentorshipId(id_of("calm"));
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
    let name = |id: MentorshipId| ["calm", "paused", "silent"].into_iter().find(|n| MentorshipId(id_of(n)) == id);
    let order: Vec<Option<&str>> = summaries.iter().map(|p| name(p.id)).collect();
    assert_eq!(order, [Some("silent"), Some("calm"), Some("paused")]);
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

#[test]
fn planned_sessions_are_neither_contact_nor_cancelled_or_missed() {
    let rows = [
        session("2026-03-16", "shadowing", "logged"),
        session("2026-03-12", "meeting", "cancelled"),
        session("2026-03-11", "meeting", "missed"),
        session("2026-03-25", "check_in", "planned"),
        session("2026-03-20", "check_in", "planned"),
    ];
    let refs: Vec<&SessionRow> = rows.iter().collect();
    let counts = count_sessions(&refs, date!(2026 - 03 - 18));
    assert_eq!((counts.logged, counts.not_held, counts.planned), (1, 2, 2));
    assert_eq!(planned_dates(&refs), [date!(2026 - 03 - 20), date!(2026 - 03 - 25)]);
}
