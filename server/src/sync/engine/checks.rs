//! The checks on offered changes, and who may hold a document at all.

use std::collections::{HashMap, HashSet};

use sync_core::automerge::{ActorId, Change, ChangeHash};
use sync_core::protocol::WireRejection;
use sync_core::rules::{self, Violation};
use sync_core::{DocHeader, DocRole, DocScope, DocumentError, GroupId, MentorshipId, Pair};

use super::Caller;
use crate::db::DbConnection;
use crate::db::groups as groups_db;
use crate::db::mentorships as mentorships_db;
use crate::model::MentorshipStatus;
use crate::sync::SyncError;
use crate::sync::cache::CachedDoc;

/// What `caller` may hold: the pairings (theirs, unless ended) and the groups
/// (theirs now, as member or facilitator) whose documents they read and write,
/// and their ended pairings (whose concerns they keep).
pub(crate) struct Access {
    pub(crate) pairs: HashMap<MentorshipId, Pair>,
    pub(crate) groups: HashSet<GroupId>,
    pub(crate) ended_pairs: HashSet<MentorshipId>,
}

/// Read from the database on every request, never from the request itself.
pub(crate) fn readable(conn: &mut DbConnection, caller: &Caller) -> Result<Access, SyncError> {
    let mut pairs = HashMap::new();
    let mut ended_pairs = HashSet::new();
    for pair in mentorships_db::find_access_pairs(conn, caller.org_id, caller.person)? {
        if pair.status == MentorshipStatus::Ended {
            ended_pairs.insert(pair.id);
        } else {
            pairs
                .insert(pair.id, Pair { mentorship_id: pair.id, mentor_id: pair.mentor_id, mentee_id: pair.mentee_id });
        }
    }
    let groups = groups_db::find_by_person(conn, caller.org_id, caller.person)?.into_iter().map(|g| g.id).collect();
    Ok(Access { pairs, groups, ended_pairs })
}

/// Whether `caller` may hold the document `header` names: a pair document of
/// one of their pairings (with that pairing's people), their own journal, or a
/// document of a group they belong to now, or a concern they raised about one
/// of their pairings (kept after the pairing ended: the response matters most
/// then). Coordinators' phones never hold concerns: the server answers for them.
/// The partner in the pairing is an outsider to it.
pub(crate) fn may_hold(header: &DocHeader, caller: &Caller, access: &Access) -> bool {
    if !header.is_consistent() || header.role_of(caller.person) == DocRole::Outsider {
        return false;
    }
    match header.scope {
        DocScope::Pair { mentorship_id, mentor_id, mentee_id } => access
            .pairs
            .get(&mentorship_id)
            .is_some_and(|pair| pair.mentor_id == mentor_id && pair.mentee_id == mentee_id),
        DocScope::Owner { owner_id } => owner_id == caller.person,
        DocScope::Group { group_id } => access.groups.contains(&group_id),
        DocScope::Concern { mentorship_id, author_id } => {
            author_id == caller.person
                && (access.pairs.contains_key(&mentorship_id) || access.ended_pairs.contains(&mentorship_id))
        }
    }
}

/// What the checks decided about offered changes.
pub(crate) enum Verdict {
    /// These new changes were applied to the cached document (possibly none).
    Accepted(Vec<Change>),
    /// Refused; nothing was applied.
    Rejected(WireRejection),
    /// Refused after Automerge took some of it in: the cached copy must be
    /// dropped and reloaded from storage.
    RejectedMidway(WireRejection),
    /// Some dependency is unknown: fall back to Automerge's sync protocol.
    MissingDependencies,
}

fn rejection(violation: &Violation) -> WireRejection {
    WireRejection {
        path: violation.path.to_string(),
        code: violation.rule.code().to_owned(),
        reason: violation.rule.to_string(),
    }
}

/// The rejection of a document whose input made Automerge panic: the input is
/// refused, the cached copy dropped (the caller's job), and the device gets the
/// server's version back.
pub(crate) fn refused_by_automerge(id: sync_core::DocumentId, error: &DocumentError) -> WireRejection {
    tracing::warn!(document = %id, %error, "automerge panicked on a device's input; refused for this document");
    WireRejection {
        path: "/".into(),
        code: "malformed".into(),
        reason: "the changes could not be applied: the server could not process them".into(),
    }
}

/// Check the changes the document does not have yet and, if they all pass, apply
/// them. `actors` are the caller's device's actors: its current one first, then
/// any it wrote under before the server issued it a fresh one.
pub(crate) fn check_and_apply(
    cached: &mut CachedDoc,
    caller: &Caller,
    actors: &[ActorId],
    offered: Vec<Change>,
) -> Verdict {
    let mut new = Vec::new();
    let mut batch = HashSet::new();
    for change in offered {
        let hash = change.hash();
        if !cached.doc.has_change(&hash) && batch.insert(hash) {
            new.push(change);
        }
    }
    if new.is_empty() {
        return Verdict::Accepted(new);
    }
    let mut available: HashSet<ChangeHash> = HashSet::new();
    for change in &new {
        if !actors.contains(change.actor_id()) {
            return Verdict::Rejected(WireRejection {
                path: "/".into(),
                code: "wrong_actor".into(),
                reason: "a change was written by another device's actor; each device may only send its own changes"
                    .into(),
            });
        }
        let deps_known = change.deps().iter().all(|dep| available.contains(dep) || cached.doc.has_change(dep));
        if !deps_known {
            return Verdict::MissingDependencies;
        }
        available.insert(change.hash());
    }
    let header = *cached.doc.header();
    if let Err(violation) = rules::check_changes(&cached.index, &header, caller.person, &new) {
        return Verdict::Rejected(rejection(&violation));
    }
    match cached.doc.apply_changes(new.clone()) {
        Ok(()) => {}
        Err(error @ DocumentError::AutomergePanic { .. }) => {
            return Verdict::RejectedMidway(refused_by_automerge(header.id, &error));
        }
        Err(error) => {
            return Verdict::RejectedMidway(WireRejection {
                path: "/".into(),
                code: "malformed".into(),
                reason: format!("the changes could not be applied: {error}"),
            });
        }
    }
    if let Err(violation) = cached.index.extend(&new) {
        return Verdict::RejectedMidway(rejection(&violation));
    }
    Verdict::Accepted(new)
}
