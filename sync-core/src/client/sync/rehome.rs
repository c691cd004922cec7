//! A session the server will not take under its id.
//!
//! Sessions and group sessions get ids certified for their scope
//! ([`crate::ids::DocumentId::certified`]). The server tells a phone to purge an
//! offered id it does not hold when the id is not certified for the offered
//! scope (a session made offline by an older version, with a random id), and an
//! id it holds under another scope (an uncertified id someone else synced
//! first, learnt from a QR code): alike, so the reply reveals nothing about
//! other scopes. If the phone's copy never reached the server, purging it would
//! destroy the owner's unsynced text: instead its content is copied, as the
//! owner's own new writes, into a document of the same kind and scope under a
//! fresh certified id, which the next round syncs. Goal plans, agreements and
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
    if !matches!(stored.header.kind, DocKind::Session | DocKind::GroupSession) {
        return Ok(None);
    }
    let Some(header) = stored.header.with_fresh_id() else { return Ok(None) };
    let Ok(source) = Document::load(stored.header, &stored.bytes, automerge::ActorId::random()) else {
        return Ok(None);
    };
    replica.ensure(header)?;
    replica.edit(header.id, |doc, _me| {
        doc.transact(|target| copy_object(source.automerge_ref(), &ROOT, target, &ROOT, 0))
    })?;
    Ok(Some(header))
}

/// Copy what `source` holds under `key` of the map `from` into the map `to`,
/// reusing an object of the same type already there.
pub(super) fn copy_key(
    source: &automerge::AutoCommit,
    from: &ObjId,
    key: &str,
    target: &mut automerge::AutoCommit,
    to: &ObjId,
    depth: usize,
) -> Result<(), DocumentError> {
    let Some((value, child)) = source.get(from, key)? else { return Ok(()) };
    match value {
        // Root values are fixed at genesis (and include the document's id).
        Value::Scalar(_) if depth == 0 => {}
        Value::Scalar(scalar) => {
            let same = matches!(target.get(to, key)?, Some((Value::Scalar(s), _)) if s == scalar);
            if !same {
                target.put(to, key, scalar.into_owned())?;
            }
        }
        Value::Object(kind) => {
            let existing = match target.get(to, key)? {
                Some((Value::Object(k), obj)) if k == kind => Some(obj),
                _ => None,
            };
            let obj = match existing {
                Some(obj) => obj,
                None => target.put_object(to, key, kind)?,
            };
            copy_object(source, &child, target, &obj, depth + 1)?;
        }
    }
    Ok(())
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
                copy_key(source, from, &key, target, to, depth)?;
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
            // The smallest splice that makes the texts equal, so a rebase onto a
            // fork keeps the rest of the text as it is (positions in UTF-16 units).
            let (want, have) = (source.text(from)?, target.text(to)?);
            if want != have {
                let prefix =
                    want.chars().zip(have.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect::<String>();
                let (want_rest, have_rest) = (&want[prefix.len()..], &have[prefix.len()..]);
                let suffix = want_rest.chars().rev().zip(have_rest.chars().rev()).take_while(|(a, b)| a == b).count();
                let want_mid: String = want_rest.chars().take(want_rest.chars().count() - suffix).collect();
                let have_mid =
                    have_rest.chars().take(have_rest.chars().count() - suffix).map(char::len_utf16).sum::<usize>();
                let at = prefix.encode_utf16().count();
                target.splice_text(to, at, isize::try_from(have_mid).unwrap_or(isize::MAX), &want_mid)?;
            }
        }
    }
    Ok(())
}
