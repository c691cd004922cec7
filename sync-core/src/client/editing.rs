//! The local editing API: sessions, goals and reflections, read and written on
//! the device under the write rules. Works offline; every edit is durable when it
//! returns and waits for no network.

use serde::{Deserialize, Serialize};

use super::{Client, ClientError, SignedIn};
use crate::document::{Document, DocumentError};
use crate::goal_plan::{Goal, GoalCategory, GoalStatus};
use crate::ids::{DocHeader, DocKind, DocRole, DocumentId, MentorshipId, UserId};
use crate::journal::{Reflection, ReflectionInput};
use crate::replica::ReplicaError;
use crate::session::{Action, SessionDetails, SessionKind, SessionStatus, SessionView};
use crate::store::StoredRejection;

/// A change the server refused, with the text the user had written, kept for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The document.
    pub document_id: String,
    /// Where the write was.
    pub path: String,
    /// Why it was refused.
    pub reason: String,
    /// What the user had written there.
    pub kept_text: String,
}

/// An agreed action not done yet, with the session it was agreed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAction {
    /// The session's document id.
    pub session_id: String,
    /// The session's day (`YYYY-MM-DD`), if set.
    pub session_date: Option<String>,
    /// The action.
    pub action: Action,
}

impl From<StoredRejection> for Rejection {
    fn from(r: StoredRejection) -> Self {
        Self { document_id: r.document_id, path: r.path, reason: r.reason, kept_text: r.kept_text }
    }
}

/// A fresh id certified for the pairing (see [`DocumentId::certified`]), so no
/// other pairing can claim it.
fn new_session_id(mentorship_id: &str) -> Result<DocumentId, ClientError> {
    let mentorship: MentorshipId = mentorship_id.parse()?;
    Ok(DocumentId::certified(DocKind::Session, mentorship.0))
}

impl Client {
    /// Start a new session of a pairing; returns its id (for the QR code).
    pub fn create_session(&self, mentorship_id: &str, kind: SessionKind, date: &str) -> Result<String, ClientError> {
        let id = new_session_id(mentorship_id)?;
        self.join_session(&id.to_string(), mentorship_id, kind, date)?;
        Ok(id.to_string())
    }

    /// Open the same session on a second phone (the id scanned from the first
    /// phone's QR code). Works offline; the two phones' notes merge on sync.
    pub fn join_session(
        &self,
        session_id: &str,
        mentorship_id: &str,
        kind: SessionKind,
        date: &str,
    ) -> Result<(), ClientError> {
        let id = parse_doc_id(session_id)?;
        self.with_signed_in(|signed_in| {
            let pair = Self::pair_of(signed_in, mentorship_id)?;
            let header = DocHeader::session(id, pair);
            if signed_in.replica.store().load(id)?.is_none() {
                // Check the rules before creating anything: an outsider gets nothing.
                crate::rules::check_path(
                    &header,
                    signed_in.replica.user(),
                    &crate::rules::Path::keys(["meta", "date"]),
                )
                .map_err(DocumentError::from)?;
            }
            signed_in.replica.ensure(header)?;
            signed_in.replica.edit(id, |doc, me| doc.set_session_basics(me, kind, date))?;
            Ok(())
        })
    }

    /// Plan a session for a day to come (status `planned`); returns its id. The
    /// other phone sees it after a sync; `join_session` works on it as on any.
    pub fn plan_session(
        &self,
        mentorship_id: &str,
        kind: SessionKind,
        date: &str,
        start_time: Option<&str>,
    ) -> Result<String, ClientError> {
        let id = new_session_id(mentorship_id)?;
        self.join_session(&id.to_string(), mentorship_id, kind, date)?;
        self.edit_doc(id, |doc, me| {
            if let Some(start) = start_time {
                doc.set_start_time(me, start)?;
            }
            doc.set_session_status(me, SessionStatus::Planned, None)
        })?;
        Ok(id.to_string())
    }

    /// One session.
    pub fn session(&self, session_id: &str) -> Result<SessionView, ClientError> {
        let id = parse_doc_id(session_id)?;
        self.with_signed_in(|signed_in| Ok(signed_in.replica.read(id, |doc| doc.session_view())?))
    }

    /// Every session of a pairing on this device, by date.
    pub fn sessions(&self, mentorship_id: &str) -> Result<Vec<SessionView>, ClientError> {
        let mentorship: MentorshipId = mentorship_id.parse()?;
        self.with_signed_in(|signed_in| {
            let headers = signed_in.replica.store().headers()?;
            let mut views = Vec::new();
            for header in headers {
                if header.kind == DocKind::Session && header.mentorship_id() == Some(mentorship) {
                    views.push(signed_in.replica.read(header.id, |doc| doc.session_view())?);
                }
            }
            views.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
            Ok(views)
        })
    }

    pub(super) fn edit_doc<R>(
        &self,
        id: DocumentId,
        edit: impl FnOnce(&mut Document, UserId) -> Result<R, DocumentError>,
    ) -> Result<R, ClientError> {
        self.with_signed_in(|signed_in| Ok(signed_in.replica.edit(id, edit)?))
    }

    /// Splice the shared notes (indexes in UTF-16 code units).
    pub fn edit_notes(&self, session_id: &str, index: u32, delete_count: u32, insert: &str) -> Result<(), ClientError> {
        let id = parse_doc_id(session_id)?;
        self.edit_doc(id, |doc, me| doc.edit_notes(me, index as usize, delete_count as usize, insert))
    }

    /// Replace this author's own account of the shift.
    pub fn set_my_account(&self, session_id: &str, text: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_my_account(me, text))
    }

    /// The mentor's feedback (mentor only).
    pub fn set_feedback(&self, session_id: &str, strengths: &str, development: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_feedback(me, strengths, development))
    }

    /// The mentee's feedback to the mentor (mentee only).
    pub fn set_mentee_feedback(&self, session_id: &str, working: &str, not_working: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_mentee_feedback(me, working, not_working))
    }

    /// Add an agreed action; returns its id.
    pub fn add_action(
        &self,
        session_id: &str,
        text: &str,
        owner_id: &str,
        due: Option<&str>,
    ) -> Result<String, ClientError> {
        let owner: UserId = owner_id.parse()?;
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.add_action(me, text, owner, due))
    }

    /// Sign the session as it is now.
    pub fn sign_off(&self, session_id: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.sign_off(me))
    }

    /// Set a session's start time (`HH:MM`), length, mode and place; each `None`
    /// clears that field.
    pub fn set_session_details(&self, session_id: &str, details: &SessionDetails) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_session_details(me, details))
    }

    /// Move a session to another day (`YYYY-MM-DD`) and start time (`HH:MM`;
    /// `None` clears it), as when a planned shift is moved.
    pub fn reschedule_session(
        &self,
        session_id: &str,
        date: &str,
        start_time: Option<&str>,
    ) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.reschedule(me, date, start_time))
    }

    /// Plan, log, cancel or miss a session; cancelled and missed need a reason.
    pub fn set_session_status(
        &self,
        session_id: &str,
        status: SessionStatus,
        reason: Option<&str>,
    ) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_session_status(me, status, reason))
    }

    /// Tick a skill as practised: a catalogue id (stored as its title) or free text.
    pub fn add_skill(&self, session_id: &str, skill: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.add_skill(me, skill))
    }

    /// Untick a skill.
    pub fn remove_skill(&self, session_id: &str, skill: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.remove_skill(me, skill))
    }

    /// Mark an action done or not done.
    pub fn set_action_done(&self, session_id: &str, action_id: &str, done: bool) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_action_done(me, action_id, done))
    }

    /// Rewrite an action's text, owner and due date (`None` clears the due date).
    pub fn edit_action(
        &self,
        session_id: &str,
        action_id: &str,
        text: &str,
        owner_id: &str,
        due: Option<&str>,
    ) -> Result<(), ClientError> {
        let owner: UserId = owner_id.parse()?;
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.edit_action(me, action_id, text, owner, due))
    }

    /// Every action of a pairing not done yet, across its sessions on this device:
    /// earliest due first, those without a due date last, ties by session date.
    pub fn open_actions(&self, mentorship_id: &str) -> Result<Vec<OpenAction>, ClientError> {
        let mut open = Vec::new();
        for session in self.sessions(mentorship_id)? {
            for action in session.actions.into_iter().filter(|a| !a.done) {
                open.push(OpenAction { session_id: session.id.clone(), session_date: session.date.clone(), action });
            }
        }
        sort_open_actions(&mut open);
        Ok(open)
    }

    /// The summary the pair shares with the coordinator; empty takes it back.
    pub fn set_shared_summary(&self, session_id: &str, text: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_shared_summary(me, text))
    }

    fn ensure_goal_plan(signed_in: &mut SignedIn, mentorship_id: &str) -> Result<DocumentId, ClientError> {
        let header = DocHeader::goal_plan(Self::pair_of(signed_in, mentorship_id)?);
        if header.role_of(signed_in.replica.user()) == DocRole::Outsider {
            return Err(ClientError::Forbidden { message: "only the pair can hold its goal plan".into() });
        }
        signed_in.replica.ensure(header)?;
        Ok(header.id)
    }

    /// Add a goal to a pairing's plan; returns its id.
    pub fn add_goal(
        &self,
        mentorship_id: &str,
        title: &str,
        category: GoalCategory,
        target_date: Option<&str>,
    ) -> Result<String, ClientError> {
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_goal_plan(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.add_goal(me, title, category, target_date))?)
        })
    }

    /// Move a goal to another status.
    pub fn set_goal_status(&self, mentorship_id: &str, goal_id: &str, status: GoalStatus) -> Result<(), ClientError> {
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_goal_plan(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.set_goal_status(me, goal_id, status))?)
        })
    }

    /// Describe a goal at more length.
    pub fn set_goal_description(&self, mentorship_id: &str, goal_id: &str, text: &str) -> Result<(), ClientError> {
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_goal_plan(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.set_goal_description(me, goal_id, text))?)
        })
    }

    /// Note progress on a goal, dated today; returns the note's id.
    pub fn add_goal_progress(&self, mentorship_id: &str, goal_id: &str, note: &str) -> Result<String, ClientError> {
        let today = crate::document::today();
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_goal_plan(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.add_goal_progress(me, goal_id, &today, note))?)
        })
    }

    /// The goals of a pairing (empty until one phone adds one).
    pub fn goals(&self, mentorship_id: &str) -> Result<Vec<Goal>, ClientError> {
        self.with_signed_in(|signed_in| {
            let id = DocumentId::goal_plan_of(Self::pair_of(signed_in, mentorship_id)?.mentorship_id);
            match signed_in.replica.read(id, |doc| doc.goals()) {
                Err(ReplicaError::NotFound(_)) => Ok(Vec::new()),
                other => Ok(other?),
            }
        })
    }

    /// Add a private reflection; returns its id.
    pub fn add_reflection(&self, input: &ReflectionInput) -> Result<String, ClientError> {
        self.with_signed_in(|signed_in| {
            let header = DocHeader::journal(signed_in.replica.user());
            signed_in.replica.ensure(header)?;
            Ok(signed_in.replica.edit(header.id, |doc, me| doc.add_reflection(me, input))?)
        })
    }

    /// The signed-in person's reflections.
    pub fn reflections(&self) -> Result<Vec<Reflection>, ClientError> {
        self.with_signed_in(|signed_in| {
            let id = DocumentId::journal_of(signed_in.replica.user());
            match signed_in.replica.read(id, |doc| doc.reflections()) {
                Err(ReplicaError::NotFound(_)) => Ok(Vec::new()),
                other => Ok(other?),
            }
        })
    }

    /// Documents with changes not yet on the server.
    pub fn pending(&self) -> Result<u64, ClientError> {
        self.with_signed_in(|signed_in| Ok(signed_in.replica.store().pending_count()?))
    }

    /// Changes the server refused, with the text kept for the user.
    pub fn rejections(&self) -> Result<Vec<Rejection>, ClientError> {
        self.with_signed_in(|signed_in| {
            Ok(signed_in.replica.store().rejections()?.into_iter().map(Rejection::from).collect())
        })
    }
}

/// Earliest due first, no due date last; then by session date, then as agreed.
fn sort_open_actions(open: &mut [OpenAction]) {
    open.sort_by(|a, b| {
        let due = |o: &OpenAction| (o.action.due.is_none(), o.action.due.clone());
        (due(a), &a.session_date, &a.action.created_at, &a.action.id).cmp(&(
            due(b),
            &b.session_date,
            &b.action.created_at,
            &b.action.id,
        ))
    });
}

fn parse_doc_id(id: &str) -> Result<DocumentId, ClientError> {
    Ok(id.parse()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(session_date: &str, due: Option<&str>, id: &str) -> OpenAction {
        OpenAction {
            session_id: format!("session-{session_date}"),
            session_date: Some(session_date.to_owned()),
            action: Action {
                id: id.to_owned(),
                text: String::new(),
                owner_id: String::new(),
                due: due.map(str::to_owned),
                done: false,
                created_at: "2026-12-01T00:00:00Z".to_owned(),
            },
        }
    }

    #[test]
    fn open_actions_earliest_due_first_undated_last_ties_by_session_date() {
        let mut actions = vec![
            open("2026-12-05", None, "undated-late"),
            open("2026-12-09", Some("2026-12-20"), "due-20-late"),
            open("2026-12-01", None, "undated-early"),
            open("2026-12-03", Some("2026-12-20"), "due-20-early"),
            open("2026-12-10", Some("2026-12-11"), "due-11"),
        ];
        sort_open_actions(&mut actions);
        let order: Vec<_> = actions.iter().map(|o| o.action.id.as_str()).collect();
        assert_eq!(order, ["due-11", "due-20-early", "due-20-late", "undated-early", "undated-late"]);
    }
}
