#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use common::{exchange, pair, phone, session_header};
use sync_core::automerge::transaction::Transactable;
use sync_core::automerge::{Change, ObjType, ROOT, ReadDoc};
use sync_core::rules::{ObjectIndex, Rule, check_changes};
use sync_core::{DocHeader, Document, DocumentError, UserId};

/// The changes `doc` has that `base` does not, as the server would receive them.
fn new_changes(doc: &mut Document, base: &[sync_core::automerge::ChangeHash]) -> Vec<Change> {
    doc.automerge().get_changes(base)
}

fn obj(doc: &Document, key: &str) -> sync_core::automerge::ObjId {
    doc.automerge_ref().get(ROOT, key).unwrap().unwrap().1
}

#[test]
fn mentee_cannot_write_mentor_feedback_locally() {
    let pair = pair();
    let mut doc = phone(session_header(pair));
    let before = doc.heads();
    let err = doc.set_feedback(pair.mentee_id, "I was great", "nothing").unwrap_err();
    let DocumentError::Forbidden(violation) = err else { panic!("expected Forbidden, got {err}") };
    assert_eq!(violation.rule, Rule::MentorOnly);
    assert_eq!(violation.path.to_string(), "/feedback/strengths");
    assert_eq!(doc.heads(), before, "nothing was written");
}

#[test]
fn local_rules_cover_every_protected_part() {
    let pair = pair();
    let mut doc = phone(session_header(pair));
    let coordinator = UserId::new_random();
    assert!(matches!(doc.sign_off(coordinator), Err(DocumentError::Forbidden(v)) if v.rule == Rule::PairOnly));
    assert!(
        matches!(doc.edit_notes(coordinator, 0, 0, "x"), Err(DocumentError::Forbidden(v)) if v.rule == Rule::PairOnly)
    );
    assert!(
        matches!(doc.set_mentee_feedback(pair.mentor_id, "a", "b"), Err(DocumentError::Forbidden(v)) if v.rule == Rule::MenteeOnly)
    );
    doc.set_feedback(pair.mentor_id, "steady", "pace").unwrap();
    doc.sign_off(pair.mentor_id).unwrap();
    doc.sign_off(pair.mentee_id).unwrap();
}

#[test]
fn server_check_accepts_what_the_client_permits() {
    let pair = pair();
    let header = session_header(pair);
    let mut doc = phone(header);
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    doc.edit_notes(pair.mentee_id, 0, 0, "notes").unwrap();
    doc.set_my_account(pair.mentee_id, "mine").unwrap();
    doc.add_action(pair.mentee_id, "read policy", pair.mentee_id, None).unwrap();
    doc.set_mentee_feedback(pair.mentee_id, "good", "less good").unwrap();
    doc.sign_off(pair.mentee_id).unwrap();
    let changes = new_changes(&mut doc, &base);
    assert_eq!(check_changes(&index, &header, pair.mentee_id, &changes), Ok(()));
}

#[test]
fn crafted_change_bypassing_the_client_is_caught_on_raw_ops() {
    let pair = pair();
    let header = session_header(pair);
    let mut doc = phone(header);
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    // A modified app writes straight into Automerge, skipping the editing API.
    let feedback = obj(&doc, "feedback");
    doc.automerge().put(&feedback, "strengths", "forged praise").unwrap();
    doc.automerge().commit();
    let changes = new_changes(&mut doc, &base);
    let violation = check_changes(&index, &header, pair.mentee_id, &changes).unwrap_err();
    assert_eq!(violation.rule, Rule::MentorOnly);
    assert_eq!(violation.path.to_string(), "/feedback/strengths");
    // The same change from the mentor is fine.
    assert_eq!(check_changes(&index, &header, pair.mentor_id, &changes), Ok(()));
}

#[test]
fn someone_elses_account_structure_and_outsiders_are_refused() {
    let pair = pair();
    let header = session_header(pair);
    let mut doc = phone(header);
    let index = ObjectIndex::build(doc.automerge()).unwrap();

    let base = doc.heads();
    let accounts = obj(&doc, "accounts");
    doc.automerge().put(&accounts, pair.mentor_id.to_string(), "words put in the mentor's mouth").unwrap();
    doc.automerge().commit();
    let violation = check_changes(&index, &header, pair.mentee_id, &new_changes(&mut doc, &base)).unwrap_err();
    assert_eq!(violation.rule, Rule::AuthorOnly);

    let base = doc.heads();
    doc.automerge().delete(ROOT, "notes").unwrap();
    doc.automerge().commit();
    let violation = check_changes(&index, &header, pair.mentor_id, &new_changes(&mut doc, &base)).unwrap_err();
    assert_eq!(violation.rule, Rule::FixedStructure);
    assert_eq!(violation.path.to_string(), "/notes");

    let mut doc = phone(header);
    let base = doc.heads();
    doc.edit_notes(pair.mentor_id, 0, 0, "hello").unwrap();
    let changes = new_changes(&mut doc, &base);
    let coordinator = UserId::new_random();
    assert_eq!(check_changes(&index, &header, coordinator, &changes).unwrap_err().rule, Rule::PairOnly);

    let journal = DocHeader::journal(pair.mentee_id);
    let mut doc = phone(journal);
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    let entries = obj(&doc, "entries");
    doc.automerge().put(&entries, "x", "peek").unwrap();
    doc.automerge().commit();
    let changes = new_changes(&mut doc, &base);
    assert_eq!(check_changes(&index, &journal, pair.mentor_id, &changes).unwrap_err().rule, Rule::OwnerOnly);
    assert_eq!(check_changes(&index, &journal, pair.mentee_id, &changes), Ok(()));
}

#[test]
fn write_into_concurrently_deleted_object_is_caught_though_diff_cannot_see_it() {
    let pair = pair();
    let header = session_header(pair);
    let mut mentor = phone(header);
    let mut mentee = phone(header);
    mentor.sign_off(pair.mentor_id).unwrap();
    exchange(&mut mentor, &mut mentee);
    let shared_heads = mentor.heads();

    // The mentor withdraws the signature (deletes the map) while, concurrently, a
    // crafted mentee app writes into the mentor's signature map.
    let sign_offs = obj(&mentor, "sign_offs");
    mentor.automerge().delete(&sign_offs, "mentor").unwrap();
    mentor.automerge().commit();
    let signature = mentee.automerge_ref().get(&sign_offs, "mentor").unwrap().unwrap().1;
    mentee.automerge().put(&signature, "heads", "").unwrap();
    mentee.automerge().commit();
    let forged = new_changes(&mut mentee, &shared_heads);

    // On the merged document the forged write is invisible to diff()...
    let server_index = ObjectIndex::build(mentor.automerge()).unwrap();
    let before = mentor.heads();
    let mut merged = mentor.automerge().fork();
    merged.apply_changes(forged.clone()).unwrap();
    let after = merged.get_heads();
    let visible = merged.diff(&before, &after);
    assert!(visible.is_empty(), "diff unexpectedly shows the write: {visible:?}");

    // ...but the rules check the raw operations and refuse it.
    let violation = check_changes(&server_index, &header, pair.mentee_id, &forged).unwrap_err();
    assert_eq!(violation.rule, Rule::MentorOnly);
    assert_eq!(violation.path.to_string(), "/sign_offs/mentor/heads");
}

#[test]
fn objects_created_earlier_in_the_same_batch_resolve() {
    let pair = pair();
    let header = session_header(pair);
    let mut doc = phone(header);
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    let action = doc.add_action(pair.mentor_id, "shadow a night shift", pair.mentee_id, None).unwrap();
    doc.set_action_done(pair.mentee_id, &action, true).unwrap();
    let changes = new_changes(&mut doc, &base);
    assert_eq!(changes.len(), 2);
    assert_eq!(check_changes(&index, &header, pair.mentee_id, &changes), Ok(()));
    // Writing into an object the server never saw created is refused.
    assert_eq!(check_changes(&index, &header, pair.mentee_id, &changes[1..]).unwrap_err().rule, Rule::UnknownObject);
}

#[test]
fn tables_are_not_part_of_any_schema() {
    let pair = pair();
    let header = session_header(pair);
    let mut doc = phone(header);
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    let actions = obj(&doc, "actions");
    doc.automerge().put_object(&actions, "t", ObjType::Table).unwrap();
    doc.automerge().commit();
    let changes = new_changes(&mut doc, &base);
    assert_eq!(check_changes(&index, &header, pair.mentor_id, &changes).unwrap_err().rule, Rule::FixedStructure);
}
