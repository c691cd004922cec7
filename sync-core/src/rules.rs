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
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{self, ObjectId, OpId, OpType};
use automerge::{AutoCommit, Change, ObjType};

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
    /// A journal: its owner only.
    OwnerOnly,
    /// A group document: the group's current members only.
    GroupOnly,
    /// What each member hopes for from an agreement: that member only.
    OwnHopesOnly,
    /// The top-level layout is fixed by the genesis change.
    FixedStructure,
    /// The change touches an object the document never had, or nests too deep.
    UnknownObject,
    /// The change could not be decoded, or is not encoded as Automerge writes it.
    Malformed,
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
            Rule::FixedStructure => "fixed_structure",
            Rule::UnknownObject => "unknown_object",
            Rule::Malformed => "malformed",
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
            Rule::OwnerOnly => "only its owner may write a journal",
            Rule::GroupOnly => "only the group's current members may write its documents",
            Rule::OwnHopesOnly => "each member of the pair writes only their own hopes",
            Rule::FixedStructure => "the document's top-level layout cannot be changed",
            Rule::UnknownObject => "the change writes into an object this document does not have",
            Rule::Malformed => "the change could not be decoded, or its checksum or encoding is wrong",
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
    }
}

/// May `user` write at `path` in the document described by `header`?
///
/// `path` is the full path of the write: the path of the object plus the key or
/// element written. A write directly into the root object is a structural change
/// and is refused for everyone: the root's fields come from the genesis change.
pub fn check_path(header: &DocHeader, user: UserId, path: &Path) -> Result<(), Violation> {
    let role = header.role_of(user);
    let outsider_rule = match header.kind {
        DocKind::Session | DocKind::GoalPlan | DocKind::Agreement => Rule::PairOnly,
        DocKind::Journal => Rule::OwnerOnly,
        DocKind::GroupSession => Rule::GroupOnly,
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
        // Goal plans: both members everywhere below the root; journals: the owner.
        (DocKind::GoalPlan | DocKind::Journal, _, _) => None,
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

/// Where every object of a document was created: its parent object and key.
///
/// Built from history, so objects hidden by a concurrent delete stay resolvable.
#[derive(Debug, Clone, Default)]
pub struct ObjectIndex {
    parents: Parents,
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
        for change in changes {
            record(&decode(change)?, &mut self.parents);
        }
        Ok(())
    }

    /// The number of objects indexed.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether no object is indexed (a document before its genesis).
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    fn path_of(&self, overlay: &Parents, obj: &ObjectId) -> Result<Path, Violation> {
        let mut segs = Vec::new();
        let mut current = obj;
        while let ObjectId::Id(id) = current {
            if segs.len() >= MAX_DEPTH {
                return Err(Violation::at(&Path::default(), Rule::UnknownObject));
            }
            let id = op_key(id);
            let Some((parent, key)) = overlay.get(&id).or_else(|| self.parents.get(&id)) else {
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

/// Note where each object created by `change` lives. An operation's id is the
/// change's start op plus its position in the change.
fn record(change: &legacy::Change, parents: &mut Parents) {
    for (offset, op) in change.operations.iter().enumerate() {
        if let OpType::Make(_) = op.action {
            parents.insert(created_id(change, offset), (op.obj.clone(), op.key.clone()));
        }
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
    catch_unwind(AssertUnwindSafe(|| change.decode())).map_err(|_| Violation::at(&Path::default(), Rule::Malformed))
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
/// `user`, after [`verify_change`] on each. Objects created earlier in the same
/// batch are resolvable by later operations. On success the caller applies the
/// changes and then calls [`ObjectIndex::extend`]; on failure nothing in `index`
/// has changed.
pub fn check_changes(
    index: &ObjectIndex,
    header: &DocHeader,
    user: UserId,
    changes: &[Change],
) -> Result<(), Violation> {
    let mut overlay = Parents::new();
    for change in changes {
        let expanded = decode(change)?;
        verify_decoded(change, &expanded)?;
        for (offset, op) in expanded.operations.iter().enumerate() {
            let mut path = index.path_of(&overlay, &op.obj)?;
            path.0.push(seg_of(&op.key));
            check_path(header, user, &path)?;
            match &op.action {
                OpType::Make(ObjType::Table) => return Err(Violation::at(&path, Rule::FixedStructure)),
                // Later operations of this very change may write into the new object.
                OpType::Make(_) => {
                    overlay.insert(created_id(&expanded, offset), (op.obj.clone(), op.key.clone()));
                }
                _ => {}
            }
        }
    }
    Ok(())
}
