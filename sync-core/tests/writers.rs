//! The writers of issue 11: session details that clear, planned / cancelled /
//! missed sessions, skills, action edits, shared summaries, goal descriptions and
//! progress; and that the write rules hold for each of them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use common::{exchange, pair, phone, session_header};
use sync_core::automerge::{Change, ReadDoc};
use sync_core::rules::{ObjectIndex, Rule, check_changes};
use sync_core::{
    DocHeader, Document, DocumentError, GoalCategory, Mode, SessionDetails, SessionKind, SessionStatus, UserId,
};

fn new_changes(doc: &mut Document, base: &[sync_core::automerge::ChangeHash]) -> Vec<Change> {
    doc.automerge().get_changes(base)
}

fn details(start: Option<&str>, minutes: Option<u32>, mode: Option<Mode>, location: Option<&str>) -> SessionDetails {
    SessionDetails {
        start_time: start.map(str::to_owned),
        duration_minutes: minutes,
        mode,
        location: location.map(str::to_owned),
    }
}

#[test]
fn session_details_none_clears_the_field_on_both_phones() {
    let pair = pair();
    let header = session_header(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);
    mentor
        .set_session_details(pair.mentor_id, &details(Some("07:30"), Some(450), Some(Mode::FaceToFace), Some("Ward 3")))
        .unwrap();
    exchange(&mut mentor, &mut mentee);
    assert_eq!(mentee.session_view().unwrap().details.location.as_deref(), Some("Ward 3"));

    mentee.set_session_details(pair.mentee_id, &details(Some("08:00"), None, Some(Mode::Phone), None)).unwrap();
    exchange(&mut mentor, &mut mentee);
    let seen = mentor.session_view().unwrap().details;
    assert_eq!(seen, details(Some("08:00"), None, Some(Mode::Phone), None));

    mentor.set_session_details(pair.mentor_id, &SessionDetails::default()).unwrap();
    assert_eq!(mentor.session_view().unwrap().details, SessionDetails::default());
    // Clearing what is already clear writes nothing.
    let before = mentor.heads();
    mentor.set_session_details(pair.mentor_id, &SessionDetails::default()).unwrap();
    assert_eq!(mentor.heads(), before);

    for bad in [details(Some("7.30"), None, None, None), details(None, Some(24 * 60 + 1), None, None)] {
        assert!(matches!(mentor.set_session_details(pair.mentor_id, &bad), Err(DocumentError::Invalid(_))));
    }
}

#[test]
fn status_needs_a_reason_for_cancelled_and_missed_and_planned_round_trips() {
    let pair = pair();
    let mut doc = phone(session_header(pair));
    doc.set_session_basics(pair.mentor_id, SessionKind::CheckIn, "2026-12-14").unwrap();
    doc.set_start_time(pair.mentor_id, "12:15").unwrap();
    doc.set_session_status(pair.mentor_id, SessionStatus::Planned, None).unwrap();
    let view = doc.session_view().unwrap();
    assert_eq!(view.status, SessionStatus::Planned);
    assert_eq!(view.details.start_time.as_deref(), Some("12:15"));
    assert_eq!(view.status_reason, None);

    for status in [SessionStatus::Cancelled, SessionStatus::Missed] {
        for reason in [None, Some(""), Some("   ")] {
            assert!(
                matches!(doc.set_session_status(pair.mentee_id, status, reason), Err(DocumentError::Invalid(_))),
                "{status} with {reason:?}"
            );
        }
        doc.set_session_status(pair.mentee_id, status, Some("no cover on the unit")).unwrap();
        let view = doc.session_view().unwrap();
        assert_eq!((view.status, view.status_reason.as_deref()), (status, Some("no cover on the unit")));
    }
    doc.set_session_status(pair.mentor_id, SessionStatus::Logged, None).unwrap();
    let view = doc.session_view().unwrap();
    assert_eq!((view.status, view.status_reason), (SessionStatus::Logged, None));
    assert_eq!(SessionStatus::Planned.as_str(), "planned");
}

#[test]
fn rescheduling_moves_the_day_and_start_time_in_one_change_and_keeps_the_rest() {
    let pair = pair();
    let header = session_header(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);
    mentee.set_session_basics(pair.mentee_id, SessionKind::CheckIn, "2026-12-14").unwrap();
    mentee.set_start_time(pair.mentee_id, "12:15").unwrap();
    mentee.set_session_status(pair.mentee_id, SessionStatus::Planned, None).unwrap();
    exchange(&mut mentor, &mut mentee);

    let base = mentor.heads();
    mentor.reschedule(pair.mentor_id, "2026-12-16", Some("09:45")).unwrap();
    assert_eq!(new_changes(&mut mentor, &base).len(), 1, "one change");
    exchange(&mut mentor, &mut mentee);
    let view = mentee.session_view().unwrap();
    assert_eq!((view.date.as_deref(), view.details.start_time.as_deref()), (Some("2026-12-16"), Some("09:45")));
    assert_eq!((view.kind, view.status), (Some(SessionKind::CheckIn), SessionStatus::Planned));

    // No time given: the old day's time does not stay.
    mentee.reschedule(pair.mentee_id, "2026-12-17", None).unwrap();
    exchange(&mut mentor, &mut mentee);
    let view = mentor.session_view().unwrap();
    assert_eq!((view.date.as_deref(), view.details.start_time), (Some("2026-12-17"), None));

    let before = mentor.heads();
    for (date, start) in [("17/12/2026", None), ("2026-02-30", None), ("2026-12-17", Some("25:00"))] {
        assert!(
            matches!(mentor.reschedule(pair.mentor_id, date, start), Err(DocumentError::Invalid(_))),
            "{date} {start:?}"
        );
    }
    assert_eq!(mentor.heads(), before, "refused input writes nothing");
}

#[test]
fn skills_add_remove_catalogue_ids_and_free_text() {
    let pair = pair();
    let header = session_header(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);
    mentor.add_skill(pair.mentor_id, "hoist_transfers").unwrap();
    mentee.add_skill(pair.mentee_id, "Using the new bed sensor").unwrap();
    mentee.add_skill(pair.mentee_id, "duty_of_care").unwrap();
    exchange(&mut mentor, &mut mentee);
    let mut skills = mentor.session_view().unwrap().skills;
    skills.sort();
    assert_eq!(skills, ["Duty of care", "Hoist transfers", "Using the new bed sensor"]);

    mentor.remove_skill(pair.mentor_id, "duty_of_care").unwrap();
    mentor.remove_skill(pair.mentor_id, "never added").unwrap();
    exchange(&mut mentor, &mut mentee);
    let mut skills = mentee.session_view().unwrap().skills;
    skills.sort();
    assert_eq!(skills, ["Hoist transfers", "Using the new bed sensor"]);
    assert!(matches!(mentee.add_skill(pair.mentee_id, " "), Err(DocumentError::Invalid(_))));
    assert!(sync_core::skill_catalogue().iter().any(|s| s.title == "Infection prevention and control"));
}

#[test]
fn actions_are_edited_ticked_and_their_due_date_cleared() {
    let pair = pair();
    let header = session_header(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);
    let id = mentor.add_action(pair.mentor_id, "Read the policy", pair.mentee_id, Some("2026-12-20")).unwrap();
    exchange(&mut mentor, &mut mentee);
    mentee.edit_action(pair.mentee_id, &id, "Read the hoist policy", pair.mentor_id, None).unwrap();
    mentee.set_action_done(pair.mentee_id, &id, true).unwrap();
    exchange(&mut mentor, &mut mentee);
    let action = mentor.session_view().unwrap().actions.remove(0);
    assert_eq!(action.text, "Read the hoist policy");
    assert_eq!(action.owner_id, pair.mentor_id.to_string());
    assert_eq!(action.due, None);
    assert!(action.done);

    assert!(matches!(
        mentor.edit_action(pair.mentor_id, "nope", "x", pair.mentor_id, None),
        Err(DocumentError::NotFound(_))
    ));
    assert!(matches!(
        mentor.edit_action(pair.mentor_id, &id, " ", pair.mentor_id, None),
        Err(DocumentError::Invalid(_))
    ));
    assert!(matches!(
        mentor.edit_action(pair.mentor_id, &id, "x", UserId::new_random(), None),
        Err(DocumentError::Invalid(_))
    ));
}

#[test]
fn shared_summary_by_either_member_and_empty_clears() {
    let pair = pair();
    let mut doc = phone(session_header(pair));
    doc.set_shared_summary(pair.mentee_id, "Practised hoist transfers with support.").unwrap();
    assert_eq!(doc.session_view().unwrap().shared_summary.as_deref(), Some("Practised hoist transfers with support."));
    doc.set_shared_summary(pair.mentor_id, "").unwrap();
    assert_eq!(doc.session_view().unwrap().shared_summary, None);
}

#[test]
fn goal_description_and_progress_notes_with_ids() {
    let pair = pair();
    let header = DocHeader::goal_plan(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);
    let goal = mentee.add_goal(pair.mentee_id, "Lead a handover", GoalCategory::Confidence, None).unwrap();
    exchange(&mut mentor, &mut mentee);
    mentor.set_goal_description(pair.mentor_id, &goal, "The morning handover on Ward 3").unwrap();
    let first = mentee.add_goal_progress(pair.mentee_id, &goal, "2026-12-01", "Did half of one").unwrap();
    let second = mentor.add_goal_progress(pair.mentor_id, &goal, "2026-12-02", "Led it with prompts").unwrap();
    exchange(&mut mentor, &mut mentee);
    let goals = mentee.goals().unwrap();
    assert_eq!(goals[0].description, "The morning handover on Ward 3");
    let progress: Vec<_> = goals[0].progress.iter().map(|p| (p.id.as_str(), p.text.as_str(), p.by.clone())).collect();
    assert_eq!(
        progress,
        [
            (first.as_str(), "Did half of one", pair.mentee_id.to_string()),
            (second.as_str(), "Led it with prompts", pair.mentor_id.to_string())
        ]
    );
    assert!(goals[0].progress.iter().all(|p| p.at.len() > "2026-12-01".len()), "written with a timestamp");
    assert!(matches!(
        mentee.add_goal_progress(pair.mentee_id, &goal, "2026-12-03", " "),
        Err(DocumentError::Invalid(_))
    ));
}

/// Every new writer, as the mentee: the server's raw-operation check accepts the
/// lot (none of them reaches a mentor-only part), an outsider is refused by each
/// on the phone, and a mentee's crafted write to the mentor's feedback in the same
/// batch is still refused on the server.
#[test]
fn rules_hold_for_every_new_writer() {
    let pair = pair();
    let header = session_header(pair);
    let mut doc = phone(header);
    let action = doc.add_action(pair.mentor_id, "Read the policy", pair.mentee_id, None).unwrap();
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    let me = pair.mentee_id;
    doc.set_session_details(me, &details(Some("09:00"), Some(60), Some(Mode::Online), Some("Teams"))).unwrap();
    doc.set_session_status(me, SessionStatus::Missed, Some("Called in to cover nights")).unwrap();
    doc.add_skill(me, "record_keeping").unwrap();
    doc.remove_skill(me, "record_keeping").unwrap();
    doc.edit_action(me, &action, "Read it twice", me, Some("2026-12-24")).unwrap();
    doc.set_action_done(me, &action, true).unwrap();
    doc.set_shared_summary(me, "A short summary").unwrap();
    doc.reschedule(me, "2026-12-15", Some("10:30")).unwrap();
    let changes = new_changes(&mut doc, &base);
    assert_eq!(check_changes(&index, &header, me, &changes), Ok(()));
    // The same operations from someone outside the pair are refused on the server...
    let outsider = UserId::new_random();
    assert_eq!(check_changes(&index, &header, outsider, &changes).unwrap_err().rule, Rule::PairOnly);

    // ...and on the phone by every writer.
    let refused = |result: Result<(), DocumentError>| matches!(result, Err(DocumentError::Forbidden(_)));
    assert!(refused(doc.set_session_details(outsider, &SessionDetails::default())));
    assert!(refused(doc.set_start_time(outsider, "09:00")));
    assert!(refused(doc.set_session_status(outsider, SessionStatus::Cancelled, Some("x"))));
    assert!(refused(doc.add_skill(outsider, "handover")));
    assert!(refused(doc.remove_skill(outsider, "handover")));
    assert!(refused(doc.edit_action(outsider, &action, "x", me, None)));
    assert!(refused(doc.set_action_done(outsider, &action, false)));
    assert!(refused(doc.set_shared_summary(outsider, "x")));
    assert!(refused(doc.reschedule(outsider, "2026-12-15", None)));
    let mut plan = phone(DocHeader::goal_plan(pair));
    let goal = plan.add_goal(me, "Lead a handover", GoalCategory::Skill, None).unwrap();
    assert!(refused(plan.set_goal_description(outsider, &goal, "x")));
    assert!(plan.add_goal_progress(outsider, &goal, "2026-12-01", "x").is_err());

    // A mentee's crafted write under the mentor's feedback, batched with allowed
    // writes, is refused as a whole.
    let base = doc.heads();
    doc.set_shared_summary(me, "Another summary").unwrap();
    let feedback = doc.automerge_ref().get(sync_core::automerge::ROOT, "feedback").unwrap().unwrap().1;
    sync_core::automerge::transaction::Transactable::put(doc.automerge(), &feedback, "strengths", "I was great")
        .unwrap();
    doc.automerge().commit();
    let index = ObjectIndex::build(&mut doc.automerge().fork_at(&base).unwrap()).unwrap();
    let violation = check_changes(&index, &header, me, &new_changes(&mut doc, &base)).unwrap_err();
    assert_eq!(violation.rule, Rule::MentorOnly);
    assert_eq!(violation.path.to_string(), "/feedback/strengths");
}
