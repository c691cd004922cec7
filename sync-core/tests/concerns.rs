//! Issue 15's concern documents in sync-core: the author writes what they
//! raised, only the coordinators' part writes the response, the partner and
//! everyone else nothing; checked locally and on raw changes as the server does.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use common::{pair, phone};
use sync_core::automerge::ActorId;
use sync_core::rules::{ObjectIndex, Path, Rule, check_changes, check_path, check_path_as};
use sync_core::{ConcernKind, ConcernStatus, DocHeader, DocKind, DocRole, Document, DocumentError, UserId};

fn concern_of(author: UserId, pair: sync_core::Pair) -> DocHeader {
    DocHeader::new_concern(pair.mentorship_id, author)
}

#[test]
fn a_concern_belongs_to_its_author_not_the_pairing() {
    let pair = pair();
    let header = concern_of(pair.mentee_id, pair);
    assert!(header.is_consistent());
    assert!(!DocHeader { kind: DocKind::Session, ..header }.is_consistent());
    assert_eq!(header.role_of(pair.mentee_id), DocRole::Owner);
    assert_eq!(header.role_of(pair.mentor_id), DocRole::Outsider, "the partner is an outsider");
    assert_eq!(header.mentorship_id(), None, "not a pair document");
    assert_eq!(header.concern_about(), Some(pair.mentorship_id));
    assert_eq!(header.owner_id(), Some(pair.mentee_id));
    // Two phones of the author share the genesis.
    assert_eq!(Document::genesis_hash(&header).unwrap(), Document::genesis_hash(&header).unwrap());
    let other = DocHeader::concern(header.id, pair.mentorship_id, pair.mentor_id);
    assert_ne!(Document::genesis_hash(&header).unwrap(), Document::genesis_hash(&other).unwrap());
}

#[test]
fn the_author_raises_and_a_coordinator_answers() {
    let pair = pair();
    let header = concern_of(pair.mentee_id, pair);
    let mut doc = phone(header);
    let fresh = doc.concern_view().unwrap();
    assert_eq!((fresh.kind, fresh.status), (None, ConcernStatus::Open));
    assert!(matches!(doc.raise_concern(pair.mentee_id, ConcernKind::Other, " \n"), Err(DocumentError::Invalid(_))));
    doc.raise_concern(pair.mentee_id, ConcernKind::Safeguarding, "  Bruising seen, Zoë 😟 ").unwrap();
    let raised = doc.concern_view().unwrap();
    assert_eq!(raised.kind, Some(ConcernKind::Safeguarding));
    assert_eq!(raised.text, "Bruising seen, Zoë 😟");
    assert_eq!(raised.author_id, pair.mentee_id.to_string());
    assert!(raised.raised_at.is_some());

    // The partner may not raise in it, nor answer it.
    let refused = doc.raise_concern(pair.mentor_id, ConcernKind::Other, "mine now");
    assert!(matches!(refused, Err(DocumentError::Forbidden(v)) if v.rule == Rule::ConcernOnly));

    let coordinator = UserId::new_random();
    assert!(matches!(
        doc.respond_to_concern(coordinator, ConcernStatus::Open, "reopen"),
        Err(DocumentError::Invalid(_))
    ));
    doc.respond_to_concern(coordinator, ConcernStatus::Acknowledged, "Calling you today").unwrap();
    let seen = doc.concern_view().unwrap();
    assert_eq!(seen.status, ConcernStatus::Acknowledged);
    assert_eq!(seen.response, "Calling you today");
    assert_eq!(seen.responded_by, Some(coordinator.to_string()));
    assert!(seen.acknowledged_at.is_some() && seen.closed_at.is_none());
    doc.respond_to_concern(coordinator, ConcernStatus::Closed, "Passed to the lead").unwrap();
    let closed = doc.concern_view().unwrap();
    assert_eq!(closed.status, ConcernStatus::Closed);
    assert_eq!(closed.acknowledged_at, seen.acknowledged_at, "the first acknowledgement is kept");
    assert!(closed.closed_at.is_some());
    assert!(matches!(
        doc.respond_to_concern(coordinator, ConcernStatus::Acknowledged, "again"),
        Err(DocumentError::Invalid(_))
    ));
}

#[test]
fn raw_changes_to_the_response_pass_only_in_the_coordinators_part() {
    let pair = pair();
    let header = concern_of(pair.mentee_id, pair);
    let mut doc = phone(header);
    // The genesis change is the server's to check (it is derived, not written).
    let genesis_heads = doc.heads();
    let mut index = ObjectIndex::default();
    index.extend(&doc.automerge().get_changes(&[])).unwrap();
    doc.raise_concern(pair.mentee_id, ConcernKind::PairingNotWorking, "We never overlap").unwrap();
    let all = doc.automerge().get_changes(&genesis_heads);
    let raised = check_changes(&index, &header, pair.mentee_id, &all);
    assert!(raised.is_ok(), "the author raises: {raised:?}");
    let partner = check_changes(&index, &header, pair.mentor_id, &all).unwrap_err();
    assert_eq!(partner.rule, Rule::ConcernOnly, "the partner writes nothing");

    // An author's phone that answers its own concern is refused by the server's check.
    index.extend(&all).unwrap();
    let base = doc.heads();
    doc.respond_to_concern(pair.mentee_id, ConcernStatus::Closed, "closed by me").unwrap();
    let answer = doc.automerge().get_changes(&base);
    let violation = check_changes(&index, &header, pair.mentee_id, &answer).unwrap_err();
    assert_eq!(violation.rule, Rule::CoordinatorOnly);
    assert!(violation.path.to_string().starts_with("/response/"), "{}", violation.path);

    // The paths, directly: the coordinators' part writes the response only.
    let coordinator = UserId::new_random();
    let response = Path::keys(["response", "status"]);
    let text = Path::keys(["concern", "text"]);
    assert!(check_path_as(&header, DocRole::Coordinator, coordinator, &response).is_ok());
    assert_eq!(check_path_as(&header, DocRole::Coordinator, coordinator, &text).unwrap_err().rule, Rule::AuthorOnly);
    assert_eq!(check_path(&header, coordinator, &response).unwrap_err().rule, Rule::ConcernOnly);
    assert!(check_path(&header, pair.mentee_id, &text).is_ok());
    assert_eq!(check_path(&header, pair.mentee_id, &Path::keys(["extra"])).unwrap_err().rule, Rule::FixedStructure);

    // The coordinators' part means nothing in any other document.
    let session = common::session_header(pair);
    let notes = Path::keys(["notes", "x"]);
    assert_eq!(check_path_as(&session, DocRole::Coordinator, coordinator, &notes).unwrap_err().rule, Rule::PairOnly);
    let journal = DocHeader::journal(pair.mentee_id);
    let entries = Path::keys(["entries", "x"]);
    assert_eq!(check_path_as(&journal, DocRole::Coordinator, coordinator, &entries).unwrap_err().rule, Rule::OwnerOnly);
}

#[test]
fn an_answer_made_elsewhere_merges_into_the_authors_copy() {
    let pair = pair();
    let header = concern_of(pair.mentor_id, pair);
    let mut author = phone(header);
    author.raise_concern(pair.mentor_id, ConcernKind::Other, "Training clashes with my shifts").unwrap();
    let mut server = Document::load(header, &author.save(), ActorId::from(*b"alongside-office")).unwrap();
    server.respond_to_concern(UserId::new_random(), ConcernStatus::Closed, "Moved to Tuesdays").unwrap();
    author.automerge().merge(server.automerge()).unwrap();
    let view = author.concern_view().unwrap();
    assert_eq!((view.status, view.response.as_str()), (ConcernStatus::Closed, "Moved to Tuesdays"));
    assert_eq!(view.text, "Training clashes with my shifts");
}
