//! A typed Automerge document with a deterministic genesis.
//!
//! Every document starts from a genesis change computed from its [`DocHeader`]
//! alone: fixed actor, fixed time, the same operations in the same order. Two
//! phones that create the same session while offline therefore share the same
//! root objects (`notes`, `accounts`, ...) and their edits merge instead of one
//! `notes` text hiding the other.
//!
//! Text positions count UTF-16 code units everywhere, as Kotlin and Swift strings do.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, AutomergeError, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, TextEncoding, Value,
};

use crate::ids::{DocHeader, DocKind, DocRole, DocScope, UserId};

mod contained;
use crate::rules::{self, Path, Violation};

/// The schema version this build writes and the newest it reads.
pub const SCHEMA_VERSION: u64 = 1;

/// The text index convention of the whole product.
pub const TEXT_ENCODING: TextEncoding = TextEncoding::Utf16CodeUnit;

/// Longest text accepted in one field, in UTF-16 code units (about 40 pages).
pub const MAX_TEXT_LEN: usize = 100_000;

/// The actor of every genesis change. Device actors are random 16-byte ids issued
/// by the server, so they never collide with this one.
const GENESIS_ACTOR: [u8; 16] = *b"alongside-genesi";

/// What can go wrong reading or editing a document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The write rules refuse this edit.
    #[error("forbidden: {0}")]
    Forbidden(#[from] Violation),
    /// The document is of another kind than the operation needs.
    #[error("document is a {found}, not a {expected}")]
    WrongKind {
        /// The kind the operation needs.
        expected: &'static str,
        /// The kind the document is.
        found: &'static str,
    },
    /// The caller's input is not acceptable.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Something named by the caller does not exist in the document.
    #[error("not found: {0}")]
    NotFound(String),
    /// The document does not have the shape its kind promises.
    #[error("unexpected document shape at {path}: {problem}")]
    Schema {
        /// Where in the document.
        path: String,
        /// What is wrong there.
        problem: String,
    },
    /// The document was written by a newer version of the app.
    #[error("document schema version {found} is newer than this app supports ({supported}); update the app")]
    NewerSchema {
        /// The version found in the document.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
    },
    /// Automerge refused an operation or could not load bytes.
    #[error("automerge: {0}")]
    Automerge(Box<AutomergeError>),
    /// Automerge panicked on received bytes (see `document/contained.rs`); the
    /// document in memory must be reloaded from storage.
    #[error("automerge failed while {operation} ({detail}); the input was refused")]
    AutomergePanic {
        /// What was being done.
        operation: &'static str,
        /// The panic's message.
        detail: String,
    },
}

impl From<AutomergeError> for DocumentError {
    fn from(error: AutomergeError) -> Self {
        Self::Automerge(Box::new(error))
    }
}

/// The error of reading a string that is none of an enum's wire names (strum's
/// `parse_err_fn` for sync-core's string enums): it says which names are valid.
pub(crate) fn not_one_of<T: strum::VariantNames>(value: &str) -> DocumentError {
    let name = std::any::type_name::<T>().rsplit("::").next().unwrap_or("value");
    DocumentError::Invalid(format!("{value:?} is not a valid {name}; expected one of: {}", T::VARIANTS.join(", ")))
}

pub(crate) fn schema_error(path: impl Into<String>, problem: impl Into<String>) -> DocumentError {
    DocumentError::Schema { path: path.into(), problem: problem.into() }
}

/// One CRDT document with the header that says what it is and who it belongs to.
pub struct Document {
    header: DocHeader,
    doc: AutoCommit,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").field("header", &self.header).finish_non_exhaustive()
    }
}

impl Document {
    /// Create a document from its deterministic genesis, then write as `actor`.
    pub fn create(header: DocHeader, actor: ActorId) -> Result<Self, DocumentError> {
        let mut doc = genesis(&header)?;
        doc.set_actor(actor);
        Ok(Self { header, doc })
    }

    /// Load a document saved by [`Document::save`] (or assembled from changes),
    /// checking that it is the document `header` describes.
    pub fn load(header: DocHeader, bytes: &[u8], actor: ActorId) -> Result<Self, DocumentError> {
        let doc = Self::load_contained(bytes)?;
        Self::from_automerge(header, doc.with_actor(actor))
    }

    /// Wrap an Automerge document, checking its root against `header`.
    pub fn from_automerge(header: DocHeader, doc: AutoCommit) -> Result<Self, DocumentError> {
        let document = Self { header, doc };
        document.check_root()?;
        Ok(document)
    }

    /// The hash of the genesis change of the document `header` describes.
    pub fn genesis_hash(header: &DocHeader) -> Result<ChangeHash, DocumentError> {
        let mut doc = genesis(header)?;
        doc.get_heads().first().copied().ok_or_else(|| schema_error("/", "genesis produced no change"))
    }

    /// What this document is and who it belongs to.
    pub fn header(&self) -> &DocHeader {
        &self.header
    }

    /// The whole document, compressed.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Whether the document holds the change `hash` (applied, or queued waiting
    /// for its dependencies). Cheap, unlike `get_change_by_hash`, which rebuilds
    /// the change's bytes from the op columns (11% of the server's sync time when
    /// it was used as an existence test).
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        !self.doc.get_missing_deps(std::slice::from_ref(hash)).contains(hash)
    }

    /// The underlying Automerge document, for sync.
    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Read-only access to the underlying Automerge document.
    pub fn automerge_ref(&self) -> &AutoCommit {
        &self.doc
    }

    fn check_root(&self) -> Result<(), DocumentError> {
        let version = self.get_u64(&ROOT, "schema", "/schema")?.ok_or_else(|| schema_error("/schema", "missing"))?;
        if version > SCHEMA_VERSION {
            return Err(DocumentError::NewerSchema { found: version, supported: SCHEMA_VERSION });
        }
        let kind = self.get_string(&ROOT, "kind", "/kind")?;
        if kind.as_deref() != Some(self.header.kind.as_str()) {
            return Err(schema_error("/kind", format!("expected {:?}, found {kind:?}", self.header.kind.as_str())));
        }
        let id = self.get_string(&ROOT, "id", "/id")?;
        if id.as_deref() != Some(self.header.id.to_string().as_str()) {
            return Err(schema_error("/id", "the document's id does not match its header"));
        }
        let owners: Vec<(&str, String)> = match self.header.scope {
            DocScope::Pair { mentorship_id, mentor_id, mentee_id } => vec![
                ("mentorship_id", mentorship_id.to_string()),
                ("mentor_id", mentor_id.to_string()),
                ("mentee_id", mentee_id.to_string()),
            ],
            DocScope::Owner { owner_id } => vec![("owner_id", owner_id.to_string())],
            DocScope::Group { group_id } => vec![("group_id", group_id.to_string())],
            DocScope::Concern { mentorship_id, author_id } => {
                vec![("mentorship_id", mentorship_id.to_string()), ("author_id", author_id.to_string())]
            }
        };
        for (key, expected) in owners {
            let path = format!("/{key}");
            if self.get_string(&ROOT, key, &path)?.as_deref() != Some(expected.as_str()) {
                return Err(schema_error(path, "the document belongs to someone else than its header says"));
            }
        }
        Ok(())
    }

    pub(crate) fn expect_kind(&self, expected: DocKind) -> Result<(), DocumentError> {
        if self.header.kind == expected {
            Ok(())
        } else {
            Err(DocumentError::WrongKind { expected: expected.as_str(), found: self.header.kind.as_str() })
        }
    }

    /// Refuse the edit unless `user` may write at `path`.
    pub(crate) fn authorize(&self, user: UserId, path: &Path) -> Result<(), DocumentError> {
        rules::check_path(&self.header, user, path).map_err(DocumentError::from)
    }

    /// Refuse the edit unless `user`, in the part `role` (granted by the caller
    /// after its own check), may write at `path`.
    pub(crate) fn authorize_as(&self, role: DocRole, user: UserId, path: &Path) -> Result<(), DocumentError> {
        rules::check_path_as(&self.header, role, user, path).map_err(DocumentError::from)
    }

    /// Run `edit` as one change: committed if it succeeds, rolled back if not, so a
    /// failed edit leaves nothing half-written.
    pub(crate) fn transact<R>(
        &mut self,
        edit: impl FnOnce(&mut AutoCommit) -> Result<R, DocumentError>,
    ) -> Result<R, DocumentError> {
        match edit(&mut self.doc) {
            Ok(value) => {
                self.doc.commit_with(CommitOptions::default().with_time(now_unix()));
                Ok(value)
            }
            Err(error) => {
                self.doc.rollback();
                Err(error)
            }
        }
    }

    /// A root object by key, which must exist with the given type.
    pub(crate) fn root_obj(&self, key: &str, expected: ObjType) -> Result<ObjId, DocumentError> {
        self.get_obj(&ROOT, key, expected, &format!("/{key}"))?
            .ok_or_else(|| schema_error(format!("/{key}"), "missing"))
    }

    /// A child object, if present; an error if something else sits there.
    pub(crate) fn get_obj(
        &self,
        parent: &ObjId,
        key: &str,
        expected: ObjType,
        path: &str,
    ) -> Result<Option<ObjId>, DocumentError> {
        match self.doc.get(parent, key)? {
            None => Ok(None),
            Some((Value::Object(found), id)) if same_obj_type(found, expected) => Ok(Some(id)),
            Some((other, _)) => Err(schema_error(path, format!("expected {expected:?}, found {other:?}"))),
        }
    }

    /// A string scalar, if present.
    pub(crate) fn get_string(&self, parent: &ObjId, key: &str, path: &str) -> Result<Option<String>, DocumentError> {
        match self.doc.get(parent, key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Str(text) => Ok(Some(text.to_string())),
                other => Err(schema_error(path, format!("expected a string, found {other:?}"))),
            },
            Some((Value::Object(ObjType::Text), id)) => Ok(Some(self.doc.text(&id)?)),
            Some((other, _)) => Err(schema_error(path, format!("expected a string, found {other:?}"))),
        }
    }

    /// An unsigned integer scalar, if present.
    pub(crate) fn get_u64(&self, parent: &ObjId, key: &str, path: &str) -> Result<Option<u64>, DocumentError> {
        match self.doc.get(parent, key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(n) => Ok(Some(*n)),
                ScalarValue::Int(n) if *n >= 0 => Ok(Some(n.unsigned_abs())),
                other => Err(schema_error(path, format!("expected a number, found {other:?}"))),
            },
            Some((other, _)) => Err(schema_error(path, format!("expected a number, found {other:?}"))),
        }
    }

    /// A boolean scalar, if present.
    pub(crate) fn get_bool(&self, parent: &ObjId, key: &str, path: &str) -> Result<Option<bool>, DocumentError> {
        match self.doc.get(parent, key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Boolean(b) => Ok(Some(*b)),
                other => Err(schema_error(path, format!("expected true or false, found {other:?}"))),
            },
            Some((other, _)) => Err(schema_error(path, format!("expected true or false, found {other:?}"))),
        }
    }

    /// The keys of a map object, in order.
    pub(crate) fn keys(&self, obj: &ObjId) -> Vec<String> {
        self.doc.keys(obj).collect()
    }

    /// The content of a text object.
    pub(crate) fn text(&self, obj: &ObjId) -> Result<String, DocumentError> {
        Ok(self.doc.text(obj)?)
    }
}

fn same_obj_type(found: ObjType, expected: ObjType) -> bool {
    found == expected || matches!((found, expected), (ObjType::Map, ObjType::Table) | (ObjType::Table, ObjType::Map))
}

/// Build the genesis change of the document `header` describes.
fn genesis(header: &DocHeader) -> Result<AutoCommit, DocumentError> {
    if !header.is_consistent() {
        return Err(DocumentError::Invalid(format!(
            "a {} cannot belong to {:?} with id {}",
            header.kind.as_str(),
            header.scope,
            header.id
        )));
    }
    let mut doc = AutoCommit::new_with_encoding(TEXT_ENCODING).with_actor(ActorId::from(GENESIS_ACTOR));
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", header.kind.as_str())?;
    doc.put(ROOT, "id", header.id.to_string())?;
    match header.scope {
        DocScope::Pair { mentorship_id, mentor_id, mentee_id } => {
            doc.put(ROOT, "mentorship_id", mentorship_id.to_string())?;
            doc.put(ROOT, "mentor_id", mentor_id.to_string())?;
            doc.put(ROOT, "mentee_id", mentee_id.to_string())?;
        }
        DocScope::Owner { owner_id } => {
            doc.put(ROOT, "owner_id", owner_id.to_string())?;
        }
        DocScope::Group { group_id } => {
            doc.put(ROOT, "group_id", group_id.to_string())?;
        }
        DocScope::Concern { mentorship_id, author_id } => {
            doc.put(ROOT, "mentorship_id", mentorship_id.to_string())?;
            doc.put(ROOT, "author_id", author_id.to_string())?;
        }
    }
    for key in rules::root_keys(header.kind) {
        let obj_type = if *key == "notes" { ObjType::Text } else { ObjType::Map };
        doc.put_object(ROOT, *key, obj_type)?;
    }
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// Seconds since the Unix epoch, for change timestamps.
pub(crate) fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Now, as an RFC 3339 UTC string, for timestamps stored inside documents.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Today's date (UTC), `YYYY-MM-DD`.
#[cfg_attr(not(feature = "phone"), allow(dead_code))]
pub(crate) fn today() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Check a text field's length (in UTF-16 code units).
pub(crate) fn check_len(field: &str, text: &str) -> Result<(), DocumentError> {
    let len = text.encode_utf16().count();
    if len > MAX_TEXT_LEN {
        return Err(DocumentError::Invalid(format!("{field} is {len} characters long; the limit is {MAX_TEXT_LEN}")));
    }
    Ok(())
}

/// Parse a `YYYY-MM-DD` date, or explain what is wrong.
pub(crate) fn parse_date(field: &str, value: &str) -> Result<time::Date, DocumentError> {
    time::Date::parse(value, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| DocumentError::Invalid(format!("{field} must be a date like 2026-03-14, not {value:?}")))
}
