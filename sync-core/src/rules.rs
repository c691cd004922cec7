//! The write rules: who may write which part of which document.
//!
//! One rule set, two enforcers. The editing API calls [`check_path`] before it
//! writes anything; the server calls [`check_changes`] on the raw operations of
//! every change it receives. Both end in the same [`check_path`].
//!
//! Raw operations name the object they touch by the id of the operation that
//! created it, not by a path, and an object may already be deleted by a concurrent
//! change (then `diff()` shows nothing, yet the write is in history). So the checker
//! keeps an [`ObjectIndex`] built from the whole history, deleted objects included,
//! and resolves every operation's object to its path from the root.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{self, ObjectId, OpId, OpType};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ObjType};

use crate::ids::{DocHeader, DocKind, DocRole, UserId};

/// Objects nested deeper than this are refused: no legitimate document goes there,
/// and it bounds the work of resolving a path.
const MAX_DEPTH: usize = 16;

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A key of a map.
    Key(String),
    /// An element of a list or a character of a text.
    Elem,
}

/// A path from the root of a document, e.g. `/feedback/strengths`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Path(pub Vec<Seg>);

impl Path {
    /// A path of map keys.
    pub fn keys<I: IntoIterator<Item = S>, S: Into<String>>(keys: I) -> Self {
        Self(keys.into_iter().map(|k| Seg::Key(k.into())).collect())
    }

    fn key(&self, depth: usize) -> Option<&str> {
        match self.0.get(depth) {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => write!(f, "/{k}")?,
                Seg::Elem => f.write_str("/*")?,
            }
        }
        Ok(())
    }
}

/// Which rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Mentor feedback and the mentor's sign-off: the mentor only.
    MentorOnly,
    /// The mentee's feedback to the mentor and the mentee's sign-off: the mentee only.
    MenteeOnly,
    /// Each author's own account of the shift: that author only.
    AuthorOnly,
    /// Pair documents: the mentor and the mentee only.
    PairOnly,
    /// A journal or a survey response: its owner only.
    OwnerOnly,
    /// A group document: the group's current members only.
    GroupOnly,
    /// What each member hopes for from an agreement: that member only.
    OwnHopesOnly,
    /// A concern: its author and the organisation's coordinators only.
    ConcernOnly,
    /// A concern's response: the organisation's coordinators only.
    CoordinatorOnly,
    /// The top-level layout is fixed by the genesis change.
    FixedStructure,
    /// The change touches an object the document never had, or nests too deep.
    UnknownObject,
    /// The change could not be decoded, or is not encoded as Automerge writes it,
    /// or does not fit the document's history (its first operation, sequence
    /// number or predecessors are not what Automerge would have written).
    Malformed,
    /// The change reuses a sequence number its actor already has in this document:
    /// the device's store was restored from an older copy.
    ActorRolledBack,
}

impl Rule {
    /// A stable machine-readable name.
    pub fn code(self) -> &'static str {
        match self {
            Rule::MentorOnly => "mentor_only",
            Rule::MenteeOnly => "mentee_only",
            Rule::AuthorOnly => "author_only",
            Rule::PairOnly => "pair_only",
            Rule::OwnerOnly => "owner_only",
            Rule::GroupOnly => "group_only",
            Rule::OwnHopesOnly => "own_hopes_only",
            Rule::ConcernOnly => "concern_only",
            Rule::CoordinatorOnly => "coordinator_only",
            Rule::FixedStructure => "fixed_structure",
            Rule::UnknownObject => "unknown_object",
            Rule::Malformed => "malformed",
            Rule::ActorRolledBack => "actor_rolled_back",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::MentorOnly => "only the mentor may write here",
            Rule::MenteeOnly => "only the mentee may write here",
            Rule::AuthorOnly => "only its author may write an account of the shift",
            Rule::PairOnly => "only the mentor and mentee of the pairing may write this document",
            Rule::OwnerOnly => "only its owner may write a private document (a journal, a survey response)",
            Rule::GroupOnly => "only the group's current members may write its documents",
            Rule::OwnHopesOnly => "each member of the pair writes only their own hopes",
            Rule::ConcernOnly => "only its author and the organisation's coordinators may write a concern",
            Rule::CoordinatorOnly => "only the organisation's coordinators may respond to a concern",
            Rule::FixedStructure => "the document's top-level layout cannot be changed",
            Rule::UnknownObject => "the change writes into an object this document does not have",
            Rule::Malformed => "the change could not be decoded, or its checksum or encoding is wrong",
            Rule::ActorRolledBack => {
                "this device's writer reuses sequence numbers the document already holds: its store was restored from an older copy"
            }
        })
    }
}

/// A forbidden write: where, and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct Violation {
    /// The path that was written.
    pub path: Path,
    /// The rule it broke.
    pub rule: Rule,
}

impl Violation {
    fn at(path: &Path, rule: Rule) -> Self {
        Self { path: path.clone(), rule }
    }
}

/// The root keys each kind of document has (created by its genesis change).
pub(crate) fn root_keys(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Session => {
            &["meta", "notes", "accounts", "skills", "feedback", "mentee_feedback", "actions", "sign_offs", "shared"]
        }
        DocKind::GoalPlan => &["goals"],
        DocKind::Journal => &["entries"],
        DocKind::Agreement => &["terms", "hopes", "sign_offs"],
        DocKind::GroupSession => &["meta", "notes", "attendance", "accounts"],
        DocKind::SurveyResponse => &["response"],
        DocKind::Concern => &["concern", "response"],
    }
}

/// May `user` write at `path` in the document described by `header`?
///
/// `path` is the full path of the write: the path of the object plus the key or
/// element written. A write directly into the root object is a structural change
/// and is refused for everyone: the root's fields come from the genesis change.
pub fn check_path(header: &DocHeader, user: UserId, path: &Path) -> Result<(), Violation> {
    check_path_as(header, header.role_of(user), user, path)
}

/// [`check_path`] for `user` in the part `role`, which the caller granted after
/// its own check: [`DocRole::Coordinator`] (the server, having checked that
/// `user` coordinates the organisation) writes a concern's response and nothing
/// else. Any other role must be the one [`DocHeader::role_of`] gives.
pub fn check_path_as(header: &DocHeader, role: DocRole, user: UserId, path: &Path) -> Result<(), Violation> {
    let outsider_rule = match header.kind {
        DocKind::Session | DocKind::GoalPlan | DocKind::Agreement => Rule::PairOnly,
        DocKind::Journal | DocKind::SurveyResponse => Rule::OwnerOnly,
        DocKind::GroupSession => Rule::GroupOnly,
        DocKind::Concern => Rule::ConcernOnly,
    };
    let role = match role {
        DocRole::Coordinator if header.kind == DocKind::Concern => DocRole::Coordinator,
        DocRole::Coordinator => DocRole::Outsider,
        _ => header.role_of(user),
    };
    if role == DocRole::Outsider {
        return Err(Violation::at(path, outsider_rule));
    }
    let Some(top) = path.key(0) else {
        return Err(Violation::at(path, Rule::FixedStructure));
    };
    if path.0.len() < 2 || !root_keys(header.kind).contains(&top) {
        return Err(Violation::at(path, Rule::FixedStructure));
    }
    let second = path.key(1);
    let required = match (header.kind, top, second) {
        // Goal plans: both members everywhere below the root; journals and survey
        // responses: the owner.
        (DocKind::GoalPlan | DocKind::Journal | DocKind::SurveyResponse, _, _) => None,
        // Concerns: the author writes what they raised, coordinators the response.
        (DocKind::Concern, "concern", _) => Some((DocRole::Owner, Rule::AuthorOnly)),
        (DocKind::Concern, "response", _) => Some((DocRole::Coordinator, Rule::CoordinatorOnly)),
        (DocKind::Concern, _, _) => return Err(Violation::at(path, Rule::FixedStructure)),
        (DocKind::GroupSession, "accounts", Some(author)) if author == user.to_string() => None,
        (DocKind::GroupSession, "accounts", _) => return Err(Violation::at(path, Rule::AuthorOnly)),
        (DocKind::GroupSession, _, _) => None,
        (DocKind::Agreement, "hopes", Some("mentor")) => Some((DocRole::Mentor, Rule::OwnHopesOnly)),
        (DocKind::Agreement, "hopes", Some("mentee")) => Some((DocRole::Mentee, Rule::OwnHopesOnly)),
        (DocKind::Agreement, "hopes", _) => return Err(Violation::at(path, Rule::FixedStructure)),
        (DocKind::Agreement | DocKind::Session, "sign_offs", Some("mentor")) => {
            Some((DocRole::Mentor, Rule::MentorOnly))
        }
        (DocKind::Agreement | DocKind::Session, "sign_offs", Some("mentee")) => {
            Some((DocRole::Mentee, Rule::MenteeOnly))
        }
        (DocKind::Agreement | DocKind::Session, "sign_offs", _) => {
            return Err(Violation::at(path, Rule::FixedStructure));
        }
        (DocKind::Agreement, _, _) => None,
        (DocKind::Session, _, _) => session_rule(top, second, user, path)?,
    };
    match required {
        Some((needed, rule)) if role != needed => Err(Violation::at(path, rule)),
        _ => Ok(()),
    }
}

/// The field rules of a session below its root (sign-offs aside).
fn session_rule(
    top: &str,
    second: Option<&str>,
    user: UserId,
    path: &Path,
) -> Result<Option<(DocRole, Rule)>, Violation> {
    Ok(match (top, second) {
        ("feedback", _) => Some((DocRole::Mentor, Rule::MentorOnly)),
        ("mentee_feedback", _) => Some((DocRole::Mentee, Rule::MenteeOnly)),
        ("accounts", Some(author)) if author == user.to_string() => None,
        ("accounts", _) => return Err(Violation::at(path, Rule::AuthorOnly)),
        _ => None,
    })
}

/// An operation id as (counter, actor bytes).
type OpKey = (u64, Box<[u8]>);

fn op_key(id: &OpId) -> OpKey {
    (id.0, id.1.to_bytes().into())
}

type Parents = HashMap<OpKey, (ObjectId, legacy::Key)>;

/// An operation id with its actor interned: (counter, actor's position).
type CompactId = (u64, u32);

/// A [`CompactId`] packed into one word (counter below 2^40, actor position
/// below 2^24), so the per-operation map costs about 17 bytes a slot.
fn pack(id: CompactId) -> Option<u64> {
    (id.0 < 1 << 40 && id.1 < 1 << 24).then(|| id.0 | (u64::from(id.1) << 40))
}

/// Where every object of a document was created (its parent object and key), and
/// enough of its history to refuse a change Automerge would choke on.
///
/// Built from history, so objects hidden by a concurrent delete stay resolvable.
/// Besides the objects it keeps, per operation, a fingerprint of the slot it
/// wrote (its object and map key or list element), per change the counter of its
/// last operation, and per actor its highest sequence number: Automerge asserts,
/// rather than returning an error, on a change whose first operation does not
/// follow its dependencies, whose sequence number skips, or whose predecessors
/// name operations elsewhere in the document (found by fuzzing). The slot is a
/// 64-bit SipHash fingerprint, so the map costs 17 bytes per slot (about 20 to
/// 40 per operation, as the table grows by doubling).
#[derive(Debug, Clone, Default)]
pub struct ObjectIndex {
    parents: Parents,
    actors: HashMap<ActorId, u32>,
    slots: HashMap<u64, u64>,
    max_ops: HashMap<ChangeHash, u64>,
    seqs: HashMap<u32, u64>,
}

/// What a batch of changes under check adds to an [`ObjectIndex`], kept apart
/// so that a refused batch leaves the index as it was.
#[derive(Default)]
struct Additions {
    parents: Parents,
    actors: HashMap<ActorId, u32>,
    slots: HashMap<u64, u64>,
    max_ops: HashMap<ChangeHash, u64>,
    seqs: HashMap<u32, u64>,
}

/// An index with the additions of a batch on top.
struct Staged<'a> {
    base: &'a ObjectIndex,
    added: Additions,
}

impl Staged<'_> {
    fn actor(&self, actor: &ActorId) -> Option<u32> {
        self.base.actors.get(actor).or_else(|| self.added.actors.get(actor)).copied()
    }

    fn intern(&mut self, actor: &ActorId) -> u32 {
        if let Some(known) = self.actor(actor) {
            return known;
        }
        let next = u32::try_from(self.base.actors.len() + self.added.actors.len()).unwrap_or(u32::MAX);
        self.added.actors.insert(actor.clone(), next);
        next
    }

    fn compact(&self, id: &OpId) -> Option<CompactId> {
        Some((id.0, self.actor(&id.1)?))
    }

    fn slot(&self, id: &CompactId) -> Option<u64> {
        let key = pack(*id)?;
        self.base.slots.get(&key).or_else(|| self.added.slots.get(&key)).copied()
    }

    fn max_op(&self, hash: &ChangeHash) -> Option<u64> {
        self.base.max_ops.get(hash).or_else(|| self.added.max_ops.get(hash)).copied()
    }

    fn seq(&self, actor: u32) -> u64 {
        self.added.seqs.get(&actor).or_else(|| self.base.seqs.get(&actor)).copied().unwrap_or(0)
    }

    fn parent(&self, id: &OpKey) -> Option<&(ObjectId, legacy::Key)> {
        self.added.parents.get(id).or_else(|| self.base.parents.get(id))
    }

    fn object(&self, obj: &ObjectId) -> Option<Option<CompactId>> {
        match obj {
            ObjectId::Root => Some(None),
            ObjectId::Id(id) => Some(Some(self.compact(id)?)),
        }
    }

    /// The fingerprint of the slot `op` (whose own id is `own`) writes: its
    /// object and map key, or its object and list element (for an insertion, the
    /// element it creates). `None` names something not in the document, or a
    /// list position used as a map key or the reverse.
    fn slot_of(&self, op: &legacy::Op, own: CompactId) -> Option<u64> {
        let obj = self.object(&op.obj)?;
        match (&op.key, op.insert) {
            (legacy::Key::Map(key), false) => Some(fingerprint(obj, SlotKey::Key(key.as_str()))),
            (legacy::Key::Seq(legacy::ElementId::Head), true) => Some(fingerprint(obj, SlotKey::Element(own))),
            (legacy::Key::Seq(legacy::ElementId::Id(element)), insert) => {
                let element = self.compact(element)?;
                Some(fingerprint(obj, SlotKey::Element(if insert { own } else { element })))
            }
            _ => None,
        }
    }

    /// Record what `change` adds, checking nothing.
    fn record(&mut self, change: &legacy::Change) {
        let actor = self.intern(&change.actor_id);
        for (offset, op) in change.operations.iter().enumerate() {
            let own = (change.start_op.get() + offset as u64, actor);
            if let (Some(key), Some(slot)) = (pack(own), self.slot_of(op, own)) {
                self.added.slots.insert(key, slot);
            }
            if let OpType::Make(_) = op.action {
                self.added.parents.insert(created_id(change, offset), (op.obj.clone(), op.key.clone()));
            }
        }
        self.added.max_ops.insert(hash_of(change), last_op(change));
        self.added.seqs.insert(actor, change.seq);
    }

    /// Whether `change` fits the history Automerge would have written it on: the
    /// next sequence number of its actor, its first operation one past the last of
    /// its dependencies, and every predecessor an operation on the same slot. Runs
    /// before [`Staged::record`] for the same change.
    fn check_history(&mut self, change: &legacy::Change) -> Result<(), Violation> {
        let malformed = || Violation::at(&Path::default(), Rule::Malformed);
        if change.author.is_some() {
            // Never written by this product; Automerge asserts on one past the first change.
            return Err(malformed());
        }
        let actor = self.intern(&change.actor_id);
        let last_seq = self.seq(actor);
        if change.seq <= last_seq {
            return Err(Violation::at(&Path::default(), Rule::ActorRolledBack));
        }
        if change.seq != last_seq + 1 {
            return Err(malformed());
        }
        let mut after = 0;
        for dep in &change.deps {
            after = after.max(self.max_op(dep).ok_or_else(malformed)?);
        }
        if change.start_op.get() != after + 1 {
            return Err(malformed());
        }
        for (offset, op) in change.operations.iter().enumerate() {
            let own = (change.start_op.get() + offset as u64, actor);
            let slot = self.slot_of(op, own).ok_or_else(malformed)?;
            if let legacy::Key::Seq(legacy::ElementId::Id(element)) = &op.key {
                // The element must be one of this very list or text.
                let element = self.compact(element).ok_or_else(malformed)?;
                let obj = self.object(&op.obj).ok_or_else(malformed)?;
                if self.slot(&element) != Some(fingerprint(obj, SlotKey::Element(element))) {
                    return Err(malformed());
                }
            }
            for pred in op.pred.iter() {
                let pred = self.compact(pred).ok_or_else(malformed)?;
                if pred.0 >= own.0 || self.slot(&pred) != Some(slot) {
                    return Err(malformed());
                }
            }
            // Later operations of the change may name this one.
            self.added.slots.insert(pack(own).ok_or_else(malformed)?, slot);
        }
        Ok(())
    }
}

/// What a slot is keyed by inside its object.
#[derive(Hash)]
enum SlotKey<'a> {
    Key(&'a str),
    Element(CompactId),
}

/// A 64-bit fingerprint of a slot: SipHash with fixed keys, so the same in every
/// process (the index is rebuilt per process anyway).
fn fingerprint(obj: Option<CompactId>, key: SlotKey<'_>) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    (obj, key).hash(&mut hasher);
    hasher.finish()
}

fn hash_of(change: &legacy::Change) -> ChangeHash {
    change.hash.unwrap_or(ChangeHash([0; 32]))
}

/// The counter of the change's last operation (one before its first for an empty change).
fn last_op(change: &legacy::Change) -> u64 {
    (change.start_op.get() + change.operations.len() as u64).saturating_sub(1)
}

impl ObjectIndex {
    /// Index every object ever created in `doc`.
    pub fn build(doc: &mut AutoCommit) -> Result<Self, Violation> {
        let mut index = Self::default();
        index.extend(&doc.get_changes(&[]))?;
        Ok(index)
    }

    /// Record the objects created by changes that have been accepted.
    pub fn extend(&mut self, changes: &[Change]) -> Result<(), Violation> {
        let mut staged = Staged { base: self, added: Additions::default() };
        for change in changes {
            staged.record(&decode(change)?);
        }
        let added = staged.added;
        self.absorb(added);
        Ok(())
    }

    fn absorb(&mut self, added: Additions) {
        self.parents.extend(added.parents);
        self.actors.extend(added.actors);
        self.slots.extend(added.slots);
        self.max_ops.extend(added.max_ops);
        self.seqs.extend(added.seqs);
    }

    /// The number of objects indexed.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether no object is indexed (a document before its genesis).
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// The highest sequence number `actor` has in the indexed document (0: none).
    pub fn last_seq(&self, actor: &ActorId) -> u64 {
        self.actors.get(actor).and_then(|a| self.seqs.get(a)).copied().unwrap_or(0)
    }
}

impl Staged<'_> {
    fn path_of(&self, obj: &ObjectId) -> Result<Path, Violation> {
        let mut segs = Vec::new();
        let mut current = obj;
        while let ObjectId::Id(id) = current {
            if segs.len() >= MAX_DEPTH {
                return Err(Violation::at(&Path::default(), Rule::UnknownObject));
            }
            let Some((parent, key)) = self.parent(&op_key(id)) else {
                segs.reverse();
                return Err(Violation::at(&Path(segs), Rule::UnknownObject));
            };
            segs.push(seg_of(key));
            current = parent;
        }
        segs.reverse();
        Ok(Path(segs))
    }
}

fn created_id(change: &legacy::Change, offset: usize) -> OpKey {
    (change.start_op.get() + offset as u64, change.actor_id.to_bytes().into())
}

fn seg_of(key: &legacy::Key) -> Seg {
    match key {
        legacy::Key::Map(k) => Seg::Key(k.to_string()),
        legacy::Key::Seq(_) => Seg::Elem,
    }
}

/// Decode a change into its operations. Decoding is not expected to fail for a
/// change that parsed, but a crafted change must never take the caller down.
fn decode(change: &Change) -> Result<legacy::Change, Violation> {
    let mut expanded = catch_unwind(AssertUnwindSafe(|| change.decode()))
        .map_err(|_| Violation::at(&Path::default(), Rule::Malformed))?;
    expanded.hash = Some(change.hash());
    Ok(expanded)
}

/// Refuse a change that is not exactly what Automerge writes for its operations.
///
/// Automerge's parser takes a change whose checksum does not match its bytes, or
/// whose operations are encoded unusually, and applies it; but a document holding
/// it then saves into bytes it cannot load again ("bad checksum", "mismatching
/// heads"), and every later load of that document fails (found by fuzzing:
/// `tests/fuzz-corpus/changes/crash-*`). So a change must carry its own checksum
/// (the first bytes of its hash) and survive re-encoding with the same hash.
pub fn verify_change(change: &Change) -> Result<(), Violation> {
    verify_decoded(change, &decode(change)?)
}

fn verify_decoded(change: &Change, expanded: &legacy::Change) -> Result<(), Violation> {
    let malformed = || Violation::at(&Path::default(), Rule::Malformed);
    let hash = change.hash();
    if change.raw_bytes().get(CHECKSUM) != hash.0.get(..CHECKSUM.len()) {
        return Err(malformed());
    }
    // Encoding asserts on some inconsistent inputs (predecessors out of order).
    let reencoded =
        catch_unwind(AssertUnwindSafe(|| Change::from(expanded.clone()).hash())).map_err(|_| malformed())?;
    if reencoded != hash {
        return Err(malformed());
    }
    Ok(())
}

/// Where a chunk's checksum sits: after the four magic bytes.
const CHECKSUM: std::ops::Range<usize> = 4..8;

/// Check every operation of `changes` (in causal order) against the write rules for
/// `user`, after [`verify_change`] on each, and check that each change fits the
/// document's history (see [`ObjectIndex`]); a change reusing a sequence number of
/// its actor is refused as [`Rule::ActorRolledBack`]. Objects created earlier in
/// the same batch are resolvable by later operations. On success the caller
/// applies the changes and then calls [`ObjectIndex::extend`]; on failure nothing
/// in `index` has changed.
pub fn check_changes(
    index: &ObjectIndex,
    header: &DocHeader,
    user: UserId,
    changes: &[Change],
) -> Result<(), Violation> {
    let mut staged = Staged { base: index, added: Additions::default() };
    for change in changes {
        let expanded = decode(change)?;
        verify_decoded(change, &expanded)?;
        for (offset, op) in expanded.operations.iter().enumerate() {
            let mut path = staged.path_of(&op.obj)?;
            path.0.push(seg_of(&op.key));
            check_path(header, user, &path)?;
            match &op.action {
                OpType::Make(ObjType::Table) => return Err(Violation::at(&path, Rule::FixedStructure)),
                // Later operations of this very change may write into the new object.
                OpType::Make(_) => {
                    staged.added.parents.insert(created_id(&expanded, offset), (op.obj.clone(), op.key.clone()));
                }
                _ => {}
            }
        }
        staged.check_history(&expanded)?;
        staged.record(&expanded);
    }
    Ok(())
}
