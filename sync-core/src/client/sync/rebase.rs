//! A phone restored from an older copy of its store (an OS backup, a torn
//! write-ahead log) reuses its actor's sequence numbers, which the server already
//! holds with other content. The server refuses such changes (`actor_rolled_back`)
//! and issues the device a fresh actor; the phone then writes again, under the new
//! actor, on top of the server's version, everything it wrote since the heads it
//! last shared with the server, so nothing the user typed is lost.

use automerge::{ChangeHash, ObjType, ROOT, ReadDoc, Value};

use super::rehome::copy_key;
use crate::document::{Document, DocumentError};

/// The rejection code of changes whose actor and sequence numbers the server
/// already holds with other content.
pub(super) const ACTOR_ROLLED_BACK: &str = "actor_rolled_back";

/// Write into `server` (whose actor is the device's fresh one) what `local`
/// holds at every path it wrote since `since`. The writes are made on a fork of
/// the server's version at `since`, the state both sides shared, and merged in, so
/// what the server holds beyond it (words the restored copy lost) stays: the CRDT
/// places both. Returns whether anything changed.
pub(super) fn rebase(local: &mut Document, server: &mut Document, since: &[ChangeHash]) -> Result<bool, DocumentError> {
    let since: Vec<ChangeHash> =
        since.iter().copied().filter(|h| local.has_change(h) && server.has_change(h)).collect();
    let paths = super::written_since(local, &since);
    let before = server.heads();
    let actor = server.automerge_ref().get_actor().clone();
    let mut target = server.automerge().fork_at(&since)?.with_actor(actor);
    let source = local.automerge_ref();
    for path in &paths {
        let keys: Vec<&str> = path.split('/').filter(|k| !k.is_empty()).collect();
        let Some((last, parents)) = keys.split_last() else { continue };
        let (mut from, mut to) = (ROOT, ROOT);
        let mut found = true;
        for key in parents {
            match (source.get(&from, *key)?, target.get(&to, *key)?) {
                (Some((Value::Object(ObjType::Map), a)), Some((Value::Object(ObjType::Map), b))) => {
                    (from, to) = (a, b);
                }
                _ => {
                    found = false;
                    break;
                }
            }
        }
        if found {
            copy_key(source, &from, last, &mut target, &to, parents.len())?;
        }
    }
    target.commit_with(automerge::transaction::CommitOptions::default().with_time(crate::document::now_unix()));
    server.automerge().merge(&mut target)?;
    Ok(server.heads() != before)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use automerge::ActorId;

    use super::*;
    use crate::ids::{DocHeader, DocumentId, MentorshipId, Pair, UserId};

    #[test]
    fn words_written_under_a_rolled_back_actor_are_written_again_under_the_new_one() {
        let pair = Pair {
            mentorship_id: MentorshipId::new_random(),
            mentor_id: UserId::new_random(),
            mentee_id: UserId::new_random(),
        };
        let header = DocHeader::session(DocumentId::new_random(), pair);
        let old_actor = ActorId::random();
        let mut shared = Document::create(header, old_actor.clone()).unwrap();
        shared.edit_notes(pair.mentor_id, 0, 0, "Synced. ").unwrap();
        let shared_heads = shared.heads();
        let saved = shared.save();

        // The server holds words the restored copy lost, under the same actor.
        let mut server = Document::load(header, &saved, old_actor.clone()).unwrap();
        server.edit_notes(pair.mentor_id, 8, 0, "Lost on the phone. ").unwrap();
        // The restored phone writes again, reusing those sequence numbers.
        let mut local = Document::load(header, &saved, old_actor.clone()).unwrap();
        local.edit_notes(pair.mentor_id, 8, 0, "Typed after the restore.").unwrap();
        local.set_my_account(pair.mentor_id, "My account.").unwrap();

        let new_actor = ActorId::random();
        let mut rebased = Document::load(header, &server.save(), new_actor.clone()).unwrap();
        assert!(rebase(&mut local, &mut rebased, &shared_heads).unwrap());
        let view = rebased.session_view().unwrap();
        // Both inserts at one place: the CRDT orders them by actor, either way round.
        let notes = &view.notes;
        assert!(notes.starts_with("Synced. "), "{notes}");
        assert!(notes.contains("Lost on the phone. "), "the server's later words stay: {notes}");
        assert!(notes.contains("Typed after the restore."), "the new words are written again: {notes}");
        assert_eq!(notes.len(), "Synced. Lost on the phone. Typed after the restore.".len(), "{notes}");
        assert_eq!(view.accounts.get(&pair.mentor_id.to_string()).map(String::as_str), Some("My account."));
        let server_heads = server.heads();
        let new_changes = rebased.automerge().get_changes(&server_heads);
        assert!(!new_changes.is_empty());
        assert!(new_changes.iter().all(|c| c.actor_id() == &new_actor), "only the new actor writes");
    }
}
