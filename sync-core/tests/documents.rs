#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use common::{exchange, pair, phone, session_header};
use sync_core::automerge::transaction::Transactable;
use sync_core::automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use sync_core::{
    DocHeader, Document, DocumentError, DocumentId, GoalCategory, GoalStatus, ReflectionInput, SessionKind,
    SessionStatus, UserId,
};

#[test]
fn same_header_gives_identical_genesis_on_every_device() {
    let header = session_header(pair());
    let mut a = phone(header);
    let mut b = phone(header);
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.heads(), vec![Document::genesis_hash(&header).unwrap()]);
    let other = session_header(pair());
    assert_ne!(Document::genesis_hash(&other).unwrap(), a.heads()[0]);
}

#[test]
fn two_phones_offline_converge_without_losing_notes() {
    let pair = pair();
    let header = session_header(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);

    mentor.set_session_basics(pair.mentor_id, SessionKind::Shadowing, "2026-03-14").unwrap();
    mentee.set_session_basics(pair.mentee_id, SessionKind::Shadowing, "2026-03-14").unwrap();
    mentor.edit_notes(pair.mentor_id, 0, 0, "Morning: hoist transfer in room 4.").unwrap();
    mentee.edit_notes(pair.mentee_id, 0, 0, "Learnt how to talk with Mrs Ó Briain's family.").unwrap();
    mentor.set_my_account(pair.mentor_id, "Calm and careful with the hoist.").unwrap();
    mentee.set_my_account(pair.mentee_id, "Nervous at first, better by lunch.").unwrap();

    exchange(&mut mentor, &mut mentee);

    let a = mentor.session_view().unwrap();
    let b = mentee.session_view().unwrap();
    assert_eq!(a, b);
    assert!(a.notes.contains("Morning: hoist transfer in room 4."), "{}", a.notes);
    assert!(a.notes.contains("Learnt how to talk with Mrs Ó Briain's family."), "{}", a.notes);
    assert_eq!(a.accounts[&pair.mentor_id.to_string()], "Calm and careful with the hoist.");
    assert_eq!(a.accounts[&pair.mentee_id.to_string()], "Nervous at first, better by lunch.");
    assert_eq!(a.kind, Some(SessionKind::Shadowing));

    // Nothing sits hidden in a conflict: every root object exists exactly once.
    let doc = mentor.automerge_ref();
    for key in ["meta", "notes", "accounts", "feedback", "actions", "sign_offs"] {
        assert_eq!(doc.get_all(ROOT, key).unwrap().len(), 1, "conflict at /{key}");
    }
}

/// Documents a property of Automerge itself, not of Alongside: two plain
/// Automerge documents that each create the same root object apart end up with a
/// conflict, one `notes` object hidden behind the other. This is what the
/// deterministic genesis change (identical on every device, see
/// `same_header_gives_identical_genesis_on_every_device`) exists to avoid; no
/// Alongside code runs here.
#[test]
fn automerge_itself_conflicts_when_documents_are_created_apart_without_a_shared_genesis() {
    let mut a = AutoCommit::new();
    let mut b = AutoCommit::new();
    a.put_object(ROOT, "notes", sync_core::automerge::ObjType::Text).unwrap();
    b.put_object(ROOT, "notes", sync_core::automerge::ObjType::Text).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.get_all(ROOT, "notes").unwrap().len(), 2);
}

#[test]
fn text_indexes_count_utf16_code_units() {
    let pair = pair();
    let mut doc = phone(session_header(pair));
    let me = pair.mentee_id;
    doc.edit_notes(me, 0, 0, "Zoë 👩🏽‍⚕️ helped").unwrap();
    // "Zoë " is 4 units; the emoji sequence is 7 UTF-16 units (4 code points + ZWJ...).
    let emoji_units = "👩🏽‍⚕️".encode_utf16().count();
    doc.edit_notes(me, 4 + emoji_units, 0, " Renée").unwrap();
    assert_eq!(doc.session_view().unwrap().notes, "Zoë 👩🏽‍⚕️ Renée helped");
    // Delete the emoji by its UTF-16 length.
    doc.edit_notes(me, 4, emoji_units + 1, "").unwrap();
    assert_eq!(doc.session_view().unwrap().notes, "Zoë Renée helped");
    // Splitting a surrogate pair or reaching past the end is refused, not a panic.
    doc.edit_notes(me, 0, 0, "😀").unwrap();
    assert!(matches!(doc.edit_notes(me, 1, 0, "x"), Err(DocumentError::Invalid(_))));
    assert!(matches!(doc.edit_notes(me, 1000, 0, "x"), Err(DocumentError::Invalid(_))));
    assert!(matches!(doc.edit_notes(me, 0, usize::MAX, ""), Err(DocumentError::Invalid(_))));
    assert_eq!(doc.session_view().unwrap().notes, "😀Zoë Renée helped");
}

#[test]
fn sign_off_pins_heads_and_later_edits_show_as_amended() {
    let pair = pair();
    let header = session_header(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);
    mentor.edit_notes(pair.mentor_id, 0, 0, "Handover notes.").unwrap();
    exchange(&mut mentor, &mut mentee);

    mentor.sign_off(pair.mentor_id).unwrap();
    mentee.sign_off(pair.mentee_id).unwrap();
    exchange(&mut mentor, &mut mentee);
    let view = mentor.session_view().unwrap();
    assert!(view.mentor_sign_off.is_some() && view.mentee_sign_off.is_some());
    assert!(!view.amended_after_sign_off, "sign-offs alone are not amendments: {:?}", view.amended_parts);

    // The mentee's offline edit arrives after the signatures: accepted, and flagged.
    mentee.edit_notes(pair.mentee_id, 0, 0, "Added later: ").unwrap();
    exchange(&mut mentor, &mut mentee);
    let view = mentor.session_view().unwrap();
    assert!(view.notes.starts_with("Added later: "));
    assert!(view.amended_after_sign_off);
    assert_eq!(view.amended_parts, vec!["notes".to_owned()]);
}

#[test]
fn actions_feedback_and_status_round_trip() {
    let pair = pair();
    let mut doc = phone(session_header(pair));
    let action = doc
        .add_action(pair.mentor_id, "Read the moving and handling policy", pair.mentee_id, Some("2026-03-21"))
        .unwrap();
    doc.set_action_done(pair.mentee_id, &action, true).unwrap();
    doc.set_feedback(pair.mentor_id, "Kind with residents", "Ask before assuming").unwrap();
    doc.set_mentee_feedback(pair.mentee_id, "Explaining why", "Too fast at handover").unwrap();
    doc.add_skill(pair.mentee_id, "moving and handling").unwrap();
    doc.set_session_status(pair.mentor_id, SessionStatus::Cancelled, Some("Short-staffed")).unwrap();
    let view = doc.session_view().unwrap();
    assert_eq!(view.actions.len(), 1);
    assert!(view.actions[0].done);
    assert_eq!(view.actions[0].owner_id, pair.mentee_id.to_string());
    assert_eq!(view.feedback.strengths, "Kind with residents");
    assert_eq!(view.mentee_feedback.not_working, "Too fast at handover");
    assert_eq!(view.skills, vec!["moving and handling".to_owned()]);
    assert_eq!(view.status, SessionStatus::Cancelled);
    assert_eq!(view.status_reason.as_deref(), Some("Short-staffed"));

    assert!(matches!(doc.add_action(pair.mentor_id, "x", UserId::new_random(), None), Err(DocumentError::Invalid(_))));
    assert!(matches!(
        doc.add_action(pair.mentor_id, "x", pair.mentee_id, Some("14/03/2026")),
        Err(DocumentError::Invalid(_))
    ));
    assert!(matches!(doc.set_action_done(pair.mentor_id, "nope", true), Err(DocumentError::NotFound(_))));
}

#[test]
fn goals_and_reflections_round_trip() {
    let pair = pair();
    let mut plan = phone(DocHeader::goal_plan(pair));
    let goal = plan.add_goal(pair.mentee_id, "Lead a handover", GoalCategory::Confidence, Some("2026-05-01")).unwrap();
    plan.set_goal_status(pair.mentor_id, &goal, GoalStatus::InProgress).unwrap();
    plan.add_goal_progress(pair.mentee_id, &goal, "2026-03-20", "Did half of one").unwrap();
    let goals = plan.goals().unwrap();
    assert_eq!(goals.len(), 1);
    assert_eq!(goals[0].status, GoalStatus::InProgress);
    assert_eq!(goals[0].progress[0].text, "Did half of one");
    assert!(plan.set_goal_status(pair.mentor_id, "missing", GoalStatus::Achieved).is_err());

    let mut journal = phone(DocHeader::journal(pair.mentee_id));
    let input = ReflectionInput {
        what_happened: "First night shift".into(),
        feelings: "Tired 😴".into(),
        ..Default::default()
    };
    journal.add_reflection(pair.mentee_id, &input).unwrap();
    let entries = journal.reflections().unwrap();
    assert_eq!(entries[0].input, input);
    // The mentor cannot write, and the wrong kind of document is an error value.
    assert!(matches!(journal.add_reflection(pair.mentor_id, &input), Err(DocumentError::Forbidden(_))));
    assert!(matches!(journal.goals(), Err(DocumentError::WrongKind { .. })));
}

#[test]
fn wrong_shapes_are_clear_errors_not_panics() {
    let pair = pair();
    let header = session_header(pair);

    // A document whose notes are a number instead of text.
    let mut doc = phone(header);
    doc.automerge().put(ROOT, "notes", 42).unwrap();
    doc.automerge().commit();
    let err = doc.session_view().unwrap_err();
    assert!(matches!(&err, DocumentError::Schema { path, .. } if path == "/notes"), "{err}");

    // A mistyped field deeper down.
    let mut doc = phone(header);
    let meta = doc.automerge_ref().get(ROOT, "meta").unwrap().unwrap().1;
    doc.automerge().put(&meta, "duration_minutes", "long").unwrap();
    doc.automerge().commit();
    assert!(matches!(doc.session_view(), Err(DocumentError::Schema { .. })));

    // A newer schema version.
    let mut doc = phone(header);
    doc.automerge().put(ROOT, "schema", 99u64).unwrap();
    doc.automerge().commit();
    let bytes = doc.save();
    assert!(matches!(
        Document::load(header, &bytes, ActorId::random()),
        Err(DocumentError::NewerSchema { found: 99, .. })
    ));

    // Bytes of another document, or not a document at all.
    let other = session_header(pair);
    let bytes = phone(other).save();
    assert!(matches!(Document::load(header, &bytes, ActorId::random()), Err(DocumentError::Schema { .. })));
    assert!(matches!(Document::load(header, b"not automerge", ActorId::random()), Err(DocumentError::Automerge(_))));
    assert!(matches!(Document::load(header, &[], ActorId::random()), Err(DocumentError::Schema { .. })));

    // The same id claimed for another pair: the stored scope must match the header.
    let claimed = DocHeader::session(header.id, common::pair());
    let bytes = phone(header).save();
    let err = Document::load(claimed, &bytes, ActorId::random()).unwrap_err();
    assert!(matches!(&err, DocumentError::Schema { path, .. } if path == "/mentorship_id"), "{err}");

    // A header whose kind and scope do not fit.
    let bad = DocHeader { id: DocumentId::new_random(), ..DocHeader::journal(UserId::new_random()) };
    assert!(matches!(Document::create(bad, ActorId::random()), Err(DocumentError::Invalid(_))));
}
