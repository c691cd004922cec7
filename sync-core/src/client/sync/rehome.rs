//! A session whose id another pairing claimed first.
//!
//! Session ids are random and travel in QR codes, so someone who learns one can
//! sync a document under that id in their own pairing before its owner's phone
//! does. The server then tells the owner's phone to purge the id (it reveals
//! nothing about the other document). If the phone's copy never reached the
//! server, purging it would destroy the owner's unsynced text: instead its content
//! is copied, as the owner's own new writes, into a session with a fresh id in the
//! same pairing, which the next round syncs. Only sessions: goal plans and
//! journals have ids derived from their scope, which a header check pins.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ROOT, ReadDoc, Value};

use super::super::ClientError;
use crate::document::{Document, DocumentError};
use crate::ids::{DocHeader, DocKind, DocumentId};
use crate::replica::Replica;

/// Root objects not carried over: a sign-off records the heads its signer saw,
/// and those heads do not exist in the new document.
const NOT_COPIED: &[&str] = &["sign_offs"];

/// Deeper than any document layout goes; a guard against a hostile shape.
const MAX_DEPTH: usize = 16;

/// If the document `id` the server told the phone to purge holds unsynced local
/// writes and was never acknowledged by the server, re-create it under a fresh
/// id and return that id; `None` when purging is right.
pub(super) fn rehome_if_unsynced(replica: &mut Replica, id: DocumentId) -> Result<Option<DocHeader>, ClientError> {
    let Some(mark) = replica.store().sync_mark(id)? else { return Ok(None) };
    let never_acknowledged = mark.acked_seq == 0 && mark.server_heads.is_empty();
    if !never_acknowledged || mark.local_seq <= mark.acked_seq {
        return Ok(None);
    }
    let Some(stored) = replica.store().load(id)? else { return Ok(None) };
    if stored.header.kind != DocKind::Session {
        return Ok(None);
    }
    let Ok(source) = Document::load(stored.header, &stored.bytes, automerge::ActorId::random()) else {
        return Ok(None);
    };
    let header = DocHeader { id: DocumentId::new_random(), ..stored.header };
    replica.ensure(header)?;
    replica.edit(header.id, |doc, _me| {
        doc.transact(|target| copy_object(source.automerge_ref(), &ROOT, target, &ROOT, 0))
    })?;
    Ok(Some(header))
}

/// Copy what `source` holds in `from` into `to`, reusing objects `target`
/// already has at the same key (the genesis root objects) and skipping equal
/// values, so only the user's writes become new changes.
fn copy_object(
    source: &automerge::AutoCommit,
    from: &ObjId,
    target: &mut automerge::AutoCommit,
    to: &ObjId,
    depth: usize,
) -> Result<(), DocumentError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    match source.object_type(from)? {
        ObjType::Map | ObjType::Table => {
            for key in source.keys(from).collect::<Vec<_>>() {
                if depth == 0 && NOT_COPIED.contains(&key.as_str()) {
                    continue;
                }
                let Some((value, child)) = source.get(from, key.as_str())? else { continue };
                match value {
                    // Root values are fixed at genesis (and include the old id).
                    Value::Scalar(_) if depth == 0 => {}
                    Value::Scalar(scalar) => {
                        let same = matches!(target.get(to, key.as_str())?, Some((Value::Scalar(s), _)) if s == scalar);
                        if !same {
                            target.put(to, key.as_str(), scalar.into_owned())?;
                        }
                    }
                    Value::Object(kind) => {
                        let existing = match target.get(to, key.as_str())? {
                            Some((Value::Object(k), obj)) if k == kind => Some(obj),
                            _ => None,
                        };
                        let obj = match existing {
                            Some(obj) => obj,
                            None => target.put_object(to, key.as_str(), kind)?,
                        };
                        copy_object(source, &child, target, &obj, depth + 1)?;
                    }
                }
            }
        }
        ObjType::List => {
            for index in 0..source.length(from) {
                let Some((value, child)) = source.get(from, index)? else { continue };
                match value {
                    Value::Scalar(scalar) => target.insert(to, index, scalar.into_owned())?,
                    Value::Object(kind) => {
                        let obj = target.insert_object(to, index, kind)?;
                        copy_object(source, &child, target, &obj, depth + 1)?;
                    }
                }
            }
        }
        ObjType::Text => {
            let text = source.text(from)?;
            if target.text(to)? != text {
                let length = target.length(to);
                target.splice_text(to, 0, length as isize, &text)?;
            }
        }
    }
    Ok(())
}
