//! Issue 14's documents in sync-core: agreements (derived id, each member's own
//! hopes, signatures that pin the heads, amendments after signing) and group
//! sessions (each member's own account; notes and attendance for any member),
//! checked locally and on raw changes as the server does.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use common::{exchange, pair, phone};
use sync_core::automerge::transaction::Transactable;
use sync_core::automerge::{ROOT, ReadDoc};
use sync_core::rules::{ObjectIndex, Rule, check_changes};
use sync_core::{
    AgreementInput, DocHeader, DocKind, DocScope, Document, DocumentError, DocumentId, GroupId, Mode, UserId,
};

fn terms() -> AgreementInput {
    AgreementInput {
        meeting_frequency: "weekly".into(),
        preferred_modes: vec![Mode::FaceToFace],
        boundaries: "no texts after 8pm".into(),
        hopes_mentee: String::new(),
        hopes_mentor: "confident handovers".into(),
        review_on: Some("2027-03-01".into()),
    }
}

#[test]
fn agreement_ids_derive_from_the_pairing_and_headers_must_match() {
    let pair = pair();
    let header = DocHeader::agreement(pair);
    assert_eq!(header.id, DocumentId::agreement_of(pair.mentorship_id));
    assert_ne!(header.id, DocumentId::goal_plan_of(pair.mentorship_id));
    assert!(header.is_consistent());
    let wrong = DocHeader { id: DocumentId::new_random(), ..header };
    assert!(!wrong.is_consistent());
    let group = DocHeader::group_session(DocumentId::new_random(), GroupId::new_random());
    assert!(group.is_consistent());
    assert!(!DocHeader { kind: DocKind::Agreement, ..group }.is_consistent());
    assert!(!DocHeader { kind: DocKind::GroupSession, ..header }.is_consistent());
    assert!(matches!(group.scope, DocScope::Group { .. }));
}

#[test]
fn both_sign_the_same_version_and_a_later_edit_shows_as_amended() {
    let pair = pair();
    let header = DocHeader::agreement(pair);
    let (mut mentor, mut mentee) = (phone(header), phone(header));
    mentor.set_agreement(pair.mentor_id, &terms()).unwrap();
    exchange(&mut mentor, &mut mentee);
    let mut mine = terms();
    mine.hopes_mentee = "finish the care certificate".into();
    mentee.set_agreement(pair.mentee_id, &mine).unwrap();
    exchange(&mut mentor, &mut mentee);
    // Writing the same values again writes nothing.
    let before = mentor.heads();
    mentor.set_agreement(pair.mentor_id, &mine).unwrap();
    assert_eq!(mentor.heads(), before);

    mentor.sign_agreement(pair.mentor_id).unwrap();
    mentee.sign_agreement(pair.mentee_id).unwrap();
    exchange(&mut mentor, &mut mentee);
    let view = mentor.agreement_view().unwrap();
    assert!(view.mentor_signed_at.is_some() && view.mentee_signed_at.is_some());
    assert!(!view.amended_after_signing, "{view:?}");
    assert_eq!(view.terms, mine);
    assert_eq!(view, mentee.agreement_view().unwrap());

    mine.review_on = None;
    mentee.set_agreement(pair.mentee_id, &mine).unwrap();
    exchange(&mut mentor, &mut mentee);
    let view = mentor.agreement_view().unwrap();
    assert!(view.amended_after_signing);
    assert_eq!(view.amended_parts, ["terms"]);
    assert_eq!(view.terms.review_on, None);
}

#[test]
fn each_member_writes_only_their_own_hopes_and_signature() {
    let pair = pair();
    let header = DocHeader::agreement(pair);
    let mut doc = phone(header);
    let mut theirs = terms();
    theirs.hopes_mentor = "rewritten".into();
    let err = doc.set_agreement(pair.mentee_id, &theirs).unwrap_err();
    assert!(matches!(&err, DocumentError::Forbidden(v) if v.rule == Rule::OwnHopesOnly), "{err}");
    let outsider = UserId::new_random();
    assert!(
        matches!(doc.set_agreement(outsider, &terms()), Err(DocumentError::Forbidden(v)) if v.rule == Rule::PairOnly)
    );
    assert!(matches!(doc.sign_agreement(outsider), Err(DocumentError::Forbidden(v)) if v.rule == Rule::PairOnly));
    assert!(matches!(doc.sign_off(pair.mentor_id), Err(DocumentError::WrongKind { .. })));

    // Crafted: the mentee writes the mentor's hopes and signature directly.
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    let automerge = doc.automerge();
    let (_, hopes) = automerge.get(ROOT, "hopes").unwrap().unwrap();
    automerge.put(&hopes, "mentor", "words in the mentor's mouth").unwrap();
    automerge.commit();
    let changes = doc.automerge().get_changes(&base);
    let violation = check_changes(&index, &header, pair.mentee_id, &changes).unwrap_err();
    assert_eq!(violation.rule, Rule::OwnHopesOnly);
    assert_eq!(violation.path.to_string(), "/hopes/mentor");
    assert!(check_changes(&index, &header, pair.mentor_id, &changes).is_ok());
}

#[test]
fn group_members_share_notes_and_attendance_but_not_accounts() {
    let header = DocHeader::group_session(DocumentId::new_random(), GroupId::new_random());
    let (a, b) = (UserId::new_random(), UserId::new_random());
    let (mut first, mut second) = (phone(header), phone(header));
    first.set_group_session_date(a, "2026-12-02").unwrap();
    second.set_group_session_date(b, "2026-12-02").unwrap();
    first.edit_group_notes(a, 0, 0, "Circle 🌷").unwrap();
    assert!(matches!(first.edit_group_notes(a, 8, 0, "x"), Err(DocumentError::Invalid(_))), "splits the emoji");
    second.edit_group_notes(b, 0, 0, "Week one. ").unwrap();
    first.set_attendance(a, b, true).unwrap();
    second.set_my_group_account(b, "mine").unwrap();
    assert!(matches!(first.set_group_session_date(a, "soon"), Err(DocumentError::Invalid(_))));
    exchange(&mut first, &mut second);
    let view = first.group_session_view().unwrap();
    assert_eq!(view, second.group_session_view().unwrap());
    assert!(view.notes.contains("Circle 🌷") && view.notes.contains("Week one. "), "{}", view.notes);
    assert_eq!(view.attendance.get(&b.to_string()), Some(&true));
    assert_eq!(view.accounts.get(&b.to_string()).map(String::as_str), Some("mine"));
    assert_eq!(view.group_id, header.group_id().unwrap().to_string());

    // Crafted: a writes b's account.
    let index = ObjectIndex::build(first.automerge()).unwrap();
    let base = first.heads();
    let automerge = first.automerge();
    let (_, accounts) = automerge.get(ROOT, "accounts").unwrap().unwrap();
    automerge.put(&accounts, b.to_string(), "not b's words").unwrap();
    automerge.commit();
    let changes = first.automerge().get_changes(&base);
    let violation = check_changes(&index, &header, a, &changes).unwrap_err();
    assert_eq!(violation.rule, Rule::AuthorOnly);
    assert!(check_changes(&index, &header, b, &changes).is_ok());
    // The root is fixed for group documents too.
    let mut doc: Document = phone(header);
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    doc.automerge().put(ROOT, "extra", "x").unwrap();
    doc.automerge().commit();
    let changes = doc.automerge().get_changes(&base);
    assert_eq!(check_changes(&index, &header, a, &changes).unwrap_err().rule, Rule::FixedStructure);
}
