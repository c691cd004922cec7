//! The scheme a pair and a group take part in: the pair's mentoring agreement
//! (with the organisation's confidentiality statement beside it) and group
//! sessions. Edits work offline like every other; the list of groups and the
//! statement are cached from the server at sign-in and whenever the pairings or
//! groups are fetched, so they read offline too.

use serde::{Deserialize, Serialize};

use super::error::invalid;
use super::{Client, ClientError, SignedIn};
use crate::agreement::AgreementInput;
use crate::api::GroupItem;
use crate::group_session::GroupSessionView;
use crate::ids::{DocHeader, DocKind, DocRole, DocumentId, GroupId, UserId};
use crate::replica::ReplicaError;

const GROUPS: &str = "groups";
const CONFIDENTIALITY: &str = "confidentiality_statement";

/// A pair's mentoring agreement as the apps show it, with the organisation's
/// confidentiality statement (read-only; empty until a coordinator sets one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// How often the pair meets.
    pub meeting_frequency: String,
    /// How they meet (`face_to_face`, `phone`, `online`).
    pub preferred_modes: Vec<String>,
    /// The boundaries agreed.
    pub boundaries: String,
    /// What the mentee hopes to achieve.
    pub hopes_mentee: String,
    /// What the mentor hopes to achieve.
    pub hopes_mentor: String,
    /// When the pair will review it (`YYYY-MM-DD`).
    pub review_on: Option<String>,
    /// The organisation's statement, including when confidentiality must be broken.
    pub confidentiality_statement: String,
    /// Whether the mentor signed.
    pub mentor_signed: bool,
    /// Whether the mentee signed.
    pub mentee_signed: bool,
    /// When the mentor signed (RFC 3339).
    pub mentor_signed_at: Option<String>,
    /// When the mentee signed (RFC 3339).
    pub mentee_signed_at: Option<String>,
    /// Whether anything but the signatures changed after a signature.
    pub amended_after_signing: bool,
    /// What changed after a signature (`terms`, `hopes`).
    pub amended_parts: Vec<String>,
}

/// A group the signed-in person belongs to (as member or facilitator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The group.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The programme it belongs to, if any.
    pub programme_id: Option<String>,
    /// Who runs it.
    pub facilitator_id: String,
    /// The members (the facilitator not repeated).
    pub member_ids: Vec<String>,
}

impl From<GroupItem> for Group {
    fn from(item: GroupItem) -> Self {
        Self {
            id: item.id,
            name: item.name,
            programme_id: item.programme_id,
            facilitator_id: item.facilitator_id,
            member_ids: item.member_ids,
        }
    }
}

impl Group {
    fn includes(&self, person: &str) -> bool {
        self.facilitator_id == person || self.member_ids.iter().any(|m| m == person)
    }
}

impl Client {
    /// Cache the groups and the confidentiality statement, best effort: the
    /// caller goes on with what is cached when the server cannot be reached.
    pub(super) fn refresh_scheme(&self, serial: u64) {
        if let Err(error) = self.fetch_groups(serial) {
            tracing::warn!(%error, "could not fetch groups");
        }
        if let Err(error) = self.fetch_programme_surveys(serial) {
            tracing::warn!(%error, "could not fetch the programmes' surveys");
        }
        let statement = self.authed(serial, |token| self.transport.confidentiality(token));
        let stored = statement.and_then(|body| {
            self.with_sign_in(serial, |s| {
                Ok(s.replica.store_mut().set_setting(CONFIDENTIALITY, Some(&body.statement))?)
            })
        });
        if let Err(error) = stored {
            tracing::warn!(%error, "could not fetch the confidentiality statement");
        }
    }

    fn fetch_groups(&self, serial: u64) -> Result<Vec<Group>, ClientError> {
        let items = self.authed(serial, |token| self.transport.groups(token))?;
        let list: Vec<Group> = items.into_iter().map(Group::from).collect();
        let json = serde_json::to_string(&list).map_err(|e| invalid(e.to_string()))?;
        self.with_sign_in(serial, |s| Ok(s.replica.store_mut().set_setting(GROUPS, Some(&json))?))?;
        Ok(list)
    }

    fn cached_groups(signed_in: &SignedIn) -> Result<Vec<Group>, ClientError> {
        match signed_in.replica.store().setting(GROUPS)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| ClientError::Storage { message: e.to_string() }),
            None => Ok(Vec::new()),
        }
    }

    fn group_of(signed_in: &SignedIn, group_id: &str) -> Result<Group, ClientError> {
        Self::cached_groups(signed_in)?
            .into_iter()
            .find(|g| g.id == group_id)
            .ok_or_else(|| ClientError::NotFound { message: format!("group {group_id} (sync while online first)") })
    }

    /// The signed-in person's groups: fresh from the server when online, else as
    /// last seen.
    pub fn groups(&self) -> Result<Vec<Group>, ClientError> {
        let serial = self.current_serial()?;
        match self.fetch_groups(serial) {
            Err(ClientError::Offline { .. } | ClientError::Server { .. }) => {
                self.with_sign_in(serial, |s| Self::cached_groups(s))
            }
            other => other,
        }
    }

    fn ensure_agreement(signed_in: &mut SignedIn, mentorship_id: &str) -> Result<DocumentId, ClientError> {
        let header = DocHeader::agreement(Self::pair_of(signed_in, mentorship_id)?);
        if header.role_of(signed_in.replica.user()) == DocRole::Outsider {
            return Err(ClientError::Forbidden { message: "only the pair can hold its agreement".into() });
        }
        signed_in.replica.ensure(header)?;
        Ok(header.id)
    }

    /// A pairing's agreement (empty and unsigned until one phone writes it).
    pub fn agreement(&self, mentorship_id: &str) -> Result<Agreement, ClientError> {
        self.with_signed_in(|signed_in| {
            let pair = Self::pair_of(signed_in, mentorship_id)?;
            let statement = signed_in.replica.store().setting(CONFIDENTIALITY)?.unwrap_or_default();
            let id = DocumentId::agreement_of(pair.mentorship_id);
            let view = match signed_in.replica.read(id, |doc| doc.agreement_view()) {
                Err(ReplicaError::NotFound(_)) => None,
                other => Some(other?),
            };
            let Some(view) = view else {
                return Ok(Agreement { confidentiality_statement: statement, ..Agreement::default() });
            };
            let terms = view.terms;
            Ok(Agreement {
                meeting_frequency: terms.meeting_frequency,
                preferred_modes: terms.preferred_modes.iter().map(|m| m.as_str().to_owned()).collect(),
                boundaries: terms.boundaries,
                hopes_mentee: terms.hopes_mentee,
                hopes_mentor: terms.hopes_mentor,
                review_on: terms.review_on,
                confidentiality_statement: statement,
                mentor_signed: view.mentor_signed_at.is_some(),
                mentee_signed: view.mentee_signed_at.is_some(),
                mentor_signed_at: view.mentor_signed_at,
                mentee_signed_at: view.mentee_signed_at,
                amended_after_signing: view.amended_after_signing,
                amended_parts: view.amended_parts,
            })
        })
    }

    /// Write a pairing's agreement: the terms, and the caller's own hopes (the
    /// other member's hopes must come back unchanged).
    pub fn set_agreement(&self, mentorship_id: &str, input: &AgreementInput) -> Result<(), ClientError> {
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_agreement(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.set_agreement(me, input))?)
        })
    }

    /// Sign a pairing's agreement as it is now.
    pub fn sign_agreement(&self, mentorship_id: &str) -> Result<(), ClientError> {
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_agreement(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.sign_agreement(me))?)
        })
    }

    /// Start a session of a group; returns its id (for a QR code).
    pub fn create_group_session(&self, group_id: &str, date: &str) -> Result<String, ClientError> {
        let group: GroupId = group_id.parse()?;
        let id = DocumentId::certified(DocKind::GroupSession, group.0);
        self.join_group_session(&id.to_string(), group_id, date)?;
        Ok(id.to_string())
    }

    /// Open a group session another member started (offline too: the same
    /// genesis, so the notes merge on sync).
    pub fn join_group_session(&self, session_id: &str, group_id: &str, date: &str) -> Result<(), ClientError> {
        let id: DocumentId = session_id.parse()?;
        self.with_signed_in(|signed_in| {
            let group = Self::group_of(signed_in, group_id)?;
            let group_id: GroupId = group.id.parse()?;
            signed_in.replica.ensure(DocHeader::group_session(id, group_id))?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.set_group_session_date(me, date))?)
        })
    }

    /// Move a group session this phone holds to another day (`YYYY-MM-DD`);
    /// any member of the group, and the facilitator.
    pub fn reschedule_group_session(&self, session_id: &str, date: &str) -> Result<(), ClientError> {
        let id: DocumentId = session_id.parse()?;
        self.with_signed_in(|signed_in| {
            Ok(signed_in.replica.edit(id, |doc, me| doc.set_group_session_date(me, date))?)
        })
    }

    /// One group session.
    pub fn group_session(&self, session_id: &str) -> Result<GroupSessionView, ClientError> {
        let id: DocumentId = session_id.parse()?;
        self.with_signed_in(|signed_in| Ok(signed_in.replica.read(id, |doc| doc.group_session_view())?))
    }

    /// Every session of a group on this device, by date.
    pub fn group_sessions(&self, group_id: &str) -> Result<Vec<GroupSessionView>, ClientError> {
        let group: GroupId = group_id.parse()?;
        self.with_signed_in(|signed_in| {
            let mut views = Vec::new();
            for header in signed_in.replica.store().headers()? {
                if header.kind == DocKind::GroupSession && header.group_id() == Some(group) {
                    views.push(signed_in.replica.read(header.id, |doc| doc.group_session_view())?);
                }
            }
            views.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
            Ok(views)
        })
    }

    /// Splice a group session's shared notes (indexes in UTF-16 code units).
    pub fn edit_group_notes(
        &self,
        session_id: &str,
        index: u32,
        delete_count: u32,
        insert: &str,
    ) -> Result<(), ClientError> {
        let id: DocumentId = session_id.parse()?;
        self.edit_doc(id, |doc, me| doc.edit_group_notes(me, index as usize, delete_count as usize, insert))
    }

    /// Record whether a member of the group attended.
    pub fn set_attendance(&self, session_id: &str, person_id: &str, attended: bool) -> Result<(), ClientError> {
        let id: DocumentId = session_id.parse()?;
        let person: UserId = person_id.parse()?;
        self.with_signed_in(|signed_in| {
            let header = signed_in.replica.store().load(id)?.ok_or(ReplicaError::NotFound(id))?.header;
            if let Some(group) = header.group_id() {
                let known = Self::cached_groups(signed_in)?.into_iter().find(|g| g.id == group.to_string());
                if known.is_some_and(|g| !g.includes(person_id)) {
                    return Err(invalid(format!("{person_id} is not a member of the group")));
                }
            }
            Ok(signed_in.replica.edit(id, |doc, me| doc.set_attendance(me, person, attended))?)
        })
    }

    /// Replace the signed-in member's own account of a group session.
    pub fn set_my_group_account(&self, session_id: &str, text: &str) -> Result<(), ClientError> {
        let id: DocumentId = session_id.parse()?;
        self.edit_doc(id, |doc, me| doc.set_my_group_account(me, text))
    }
}
