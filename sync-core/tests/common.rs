//! Shared fixtures for sync-core's tests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures
#![allow(dead_code)]

use sync_core::automerge::ActorId;
use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, UserId};

pub fn pair() -> Pair {
    Pair { mentorship_id: MentorshipId::new_random(), mentor_id: UserId::new_random(), mentee_id: UserId::new_random() }
}

pub fn session_header(pair: Pair) -> DocHeader {
    DocHeader::session(DocumentId::new_random(), pair)
}

pub fn phone(header: DocHeader) -> Document {
    Document::create(header, ActorId::random()).expect("genesis")
}

/// Merge `b` into `a` and `a` into `b`.
pub fn exchange(a: &mut Document, b: &mut Document) {
    a.automerge().merge(b.automerge()).expect("merge into a");
    b.automerge().merge(a.automerge()).expect("merge into b");
}
