//! The bodies of the fuzz targets, shared by the fuzz crate (`fuzz/`, run by
//! `scripts/fuzz`) and by `fuzz_replay.rs`, which replays every kept input under
//! plain `cargo test`. Each target takes arbitrary bytes, uses only sync-core's
//! public API the way the phone or the server does, and must return: a panic is a
//! finding. `assert!`s here state invariants whose breach is a bug even without a
//! panic.

use std::path::Path;

use sync_core::automerge::sync;
use sync_core::automerge::{ActorId, Change};
use sync_core::protocol::{self, DocOffer, DocReply};
use sync_core::rules::{self, ObjectIndex};
use sync_core::{DocHeader, DocKind, DocScope, Document, DocumentError, Store, UserId};

/// What a target made of one input: how many parts went through, and why the
/// others were refused.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Parts accepted (a decoded body, an applied batch of changes, a store opened).
    pub accepted: usize,
    /// Why parts were refused, one line each.
    pub refused: Vec<String>,
}

impl Outcome {
    fn refuse(&mut self, what: &str, error: impl std::fmt::Display) {
        self.refused.push(format!("{what}: {error}"));
    }

    fn record<T, E: std::fmt::Display>(&mut self, what: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.refuse(what, error);
                None
            }
        }
    }

    /// Whether Automerge panicked somewhere and sync-core contained it.
    pub fn contained_a_panic(&self) -> bool {
        self.refused.iter().any(|r| r.contains("automerge failed while"))
    }
}

/// Fixed actors keep every run of an input identical (the fuzzer needs that).
fn phone_actor() -> ActorId {
    ActorId::from([0x70; 16])
}

fn server_actor() -> ActorId {
    ActorId::from([0x5e; 16])
}

/// Someone who is neither mentor, mentee nor owner of any document.
pub fn outsider() -> UserId {
    "00000000-0000-4000-8000-00000000dead".parse().expect("a valid uuid")
}

fn members(header: &DocHeader) -> Vec<UserId> {
    match header.scope {
        DocScope::Pair { mentor_id, mentee_id, .. } => vec![mentor_id, mentee_id],
        DocScope::Owner { owner_id } => vec![owner_id],
        // Membership is checked by the holder, not the header: no one to name here.
        DocScope::Group { .. } => Vec::new(),
        DocScope::Concern { author_id, .. } => vec![author_id],
    }
}

fn parse_changes<B: AsRef<[u8]>>(raw: &[B]) -> Result<Vec<Change>, String> {
    raw.iter().map(|bytes| Change::from_bytes(bytes.as_ref().to_vec()).map_err(|e| e.to_string())).collect()
}

/// Read a document the way the apps and the console do.
fn read_views(doc: &mut Document, out: &mut Outcome) {
    match doc.header().kind {
        DocKind::Session => {
            out.record("session view", doc.session_view());
            out.record("actions", doc.actions());
            out.record("sign-off state", doc.sign_off_state());
        }
        DocKind::GoalPlan => {
            out.record("goals", doc.goals());
        }
        DocKind::Journal => {
            out.record("reflections", doc.reflections());
        }
        DocKind::Agreement => {
            out.record("agreement", doc.agreement_view());
        }
        DocKind::GroupSession => {
            out.record("group session", doc.group_session_view());
        }
        DocKind::SurveyResponse => {
            out.record("survey response", doc.survey_response());
        }
        DocKind::Concern => {
            out.record("concern", doc.concern_view());
        }
    }
}

/// Target `sync_body`: a body as the server receives it (a request) and as the
/// phone receives it (a reply). Decoding must refuse or round-trip; a decoded
/// reply is then taken in as the phone does: snapshot, changes, sync message.
pub fn sync_body(data: &[u8]) -> Outcome {
    let mut out = Outcome::default();
    if let Some(request) = out.record("request", protocol::decode_request(data)) {
        let again = protocol::encode(&request).ok().and_then(|bytes| protocol::decode_request(&bytes).ok());
        assert_eq!(again.as_ref(), Some(&request), "a decoded request must survive encoding");
        for offer in &request.documents {
            out.record("offered heads", protocol::heads_from_wire(&offer.heads).ok_or("not 32-byte hashes"));
        }
        out.accepted += 1;
    }
    if let Some(response) = out.record("reply", protocol::decode_response(data)) {
        let again = protocol::encode(&response).ok().and_then(|bytes| protocol::decode_response(&bytes).ok());
        assert_eq!(again.as_ref(), Some(&response), "a decoded reply must survive encoding");
        out.accepted += 1;
        for reply in &response.documents {
            phone_takes_in(reply, &mut out);
        }
    }
    out
}

fn phone_takes_in(reply: &DocReply, out: &mut Outcome) {
    let header = reply.header;
    if out.record("reply heads", protocol::heads_from_wire(&reply.heads).ok_or("not 32-byte hashes")).is_none() {
        return;
    }
    let Some(mut doc) = out.record("reply header", Document::create(header, phone_actor())) else { return };
    if let Some(snapshot) = &reply.snapshot
        && let Some(mut incoming) = out.record("snapshot", Document::load(header, snapshot, phone_actor()))
    {
        read_views(&mut incoming, out);
        out.record("merging the snapshot", doc.merge(&mut incoming));
    }
    if !reply.changes.is_empty() {
        let verified = parse_changes(&reply.changes).and_then(|changes| {
            changes.iter().try_for_each(|c| rules::verify_change(c).map_err(|v| v.to_string()))?;
            Ok(changes)
        });
        if let Some(changes) = out.record("reply changes", verified) {
            out.record("applying reply changes", doc.apply_changes(changes));
        }
    }
    if let Some(message) = &reply.sync_message
        && let Some(message) = out.record("reply sync message", sync::Message::decode(message))
    {
        let mut state = sync::State::new();
        out.record("receiving the sync message", doc.receive_sync_message(&mut state, message));
        out.record("answering the sync message", doc.generate_sync_message(&mut state));
    }
    read_views(&mut doc, out);
    // The phone saves what it took in and loads it on the next start.
    let saved = doc.save();
    if let Some(mut reloaded) = out.record("reloading", Document::load(header, &saved, phone_actor())) {
        read_views(&mut reloaded, out);
    }
}

/// Target `changes`: a sync request as the server receives it. Every offer's
/// changes go through the write rules on their raw operations, for each member
/// and for an outsider, and a batch some member may write is applied and read
/// back, as the server does; a sync message is received into a fork and the
/// changes it adds are checked the same way.
///
/// A mutated change almost never keeps a valid checksum, and the rules refuse it
/// for that; so when some checksum is wrong the request is checked a second time
/// with every checksum made right, to let the fuzzer reach past that gate (an
/// attacker can compute checksums too).
pub fn changes(data: &[u8]) -> Outcome {
    let mut out = Outcome::default();
    if let Some(mut request) = out.record("request", protocol::decode_request(data)) {
        for offer in &request.documents {
            server_checks(offer, &mut out);
        }
        let mut fixed = false;
        for change in request.documents.iter_mut().flat_map(|offer| offer.changes.iter_mut()) {
            fixed |= fix_checksum(change);
        }
        if fixed {
            for offer in &request.documents {
                server_checks(offer, &mut out);
            }
        }
    }
    out
}

/// Give an uncompressed change chunk the checksum of its contents; whether it changed.
fn fix_checksum(bytes: &mut [u8]) -> bool {
    const CHECKSUM: std::ops::Range<usize> = 4..8;
    if bytes.get(8) != Some(&1) {
        return false;
    }
    let Ok(change) = Change::from_bytes(bytes.to_vec()) else { return false };
    let hash = change.hash();
    match bytes.get_mut(CHECKSUM) {
        Some(sum) if sum != &hash.0[..4] => {
            sum.copy_from_slice(&hash.0[..4]);
            true
        }
        _ => false,
    }
}

fn server_checks(offer: &DocOffer, out: &mut Outcome) {
    let header = offer.header;
    // The server starts a new document from its genesis, which the header determines.
    let Some(mut base) = out.record("header", Document::create(header, server_actor())) else { return };
    let Some(mut index) = out.record("object index", ObjectIndex::build(base.automerge())) else { return };
    if let Some(offered) = out.record("changes", parse_changes(&offer.changes)) {
        let new: Vec<Change> = offered.into_iter().filter(|c| !base.has_change(&c.hash())).collect();
        check_then_apply(&mut base, &mut index, new, out);
    }
    if let Some(message) = &offer.sync_message {
        let Some(message) = out.record("sync message", sync::Message::decode(message)) else { return };
        let Some(mut staged) = out.record("fork", Document::from_automerge(header, base.automerge().fork())) else {
            return;
        };
        let mut state = sync::State::new();
        if out.record("receiving into a fork", staged.receive_sync_message(&mut state, message)).is_some() {
            let added = base.automerge().get_changes_added(staged.automerge());
            check_then_apply(&mut base, &mut index, added, out);
        }
        out.record("the server's next sync message", base.generate_sync_message(&mut state));
    }
}

fn check_then_apply(base: &mut Document, index: &mut ObjectIndex, new: Vec<Change>, out: &mut Outcome) {
    let header = *base.header();
    let writes = new.iter().any(|c| !c.is_empty());
    let outsider_verdict = rules::check_changes(index, &header, outsider(), &new);
    assert!(!writes || outsider_verdict.is_err(), "an outsider's write passed the rules");
    let mut writer = None;
    for user in members(&header) {
        match rules::check_changes(index, &header, user, &new) {
            Ok(()) => writer = writer.or(Some(user)),
            Err(violation) => out.refuse("rules", violation),
        }
    }
    if writer.is_none() || new.is_empty() {
        return;
    }
    if out.record("applying", base.apply_changes(new.clone())).is_none() {
        return;
    }
    if out.record("indexing", index.extend(&new)).is_none() {
        return;
    }
    out.accepted += 1;
    read_views(base, out);
    // Accepted changes never touch the root, so the saved document must load again.
    let saved = base.save();
    match Document::load(header, &saved, server_actor()) {
        Ok(mut reloaded) => read_views(&mut reloaded, out),
        Err(DocumentError::AutomergePanic { operation, detail }) => out.refuse(operation, detail),
        Err(error) => panic!("an accepted document does not load again: {error}"),
    }
}

/// Target `store_open`: `data` written as the device store file at `path`, then
/// opened and read as the phone does when it starts. A damaged file must give an
/// error, never a panic.
pub fn store_open(path: &Path, data: &[u8]) -> Outcome {
    let mut out = Outcome::default();
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(error) = std::fs::write(path, data) {
        panic!("the fuzz harness could not write {}: {error}", path.display());
    }
    let Some(mut store) = out.record("opening", Store::open(path)) else { return out };
    out.accepted += 1;
    let headers = out.record("headers", store.headers()).unwrap_or_default();
    for header in &headers {
        out.record("sync mark", store.sync_mark(header.id));
        if let Some(Some(stored)) = out.record("loading", store.load(header.id))
            && let Some(mut doc) = out.record("document", Document::load(stored.header, &stored.bytes, phone_actor()))
        {
            read_views(&mut doc, &mut out);
        }
    }
    out.record("rejections", store.rejections());
    out.record("account", store.setting("account"));
    out.record("pending", store.pending_count());
    out.record("oldest pending", store.oldest_pending_since());
    // The first sync after opening writes a document the server sent.
    let header = DocHeader::journal(outsider());
    if let Some(mut doc) = out.record("genesis", Document::create(header, phone_actor())) {
        out.record("saving", store.save_remote(&header, &doc.save()));
        out.record("marking synced", store.mark_synced(header.id, &[], 0));
    }
    out
}
