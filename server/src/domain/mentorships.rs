//! Pairing mentors with mentees and moving pairings through their life:
//! proposed -> active <-> paused -> ended | completed. Only coordinators change
//! pairings ([`permissions::change_pairings`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Actor, AuditObject, DomainError, permissions, record_audit, required_text};
use crate::db::mentorships::{self, Mentorship, NamedMentorship, Scope, StatusChange};
use crate::db::programmes::{self, Programme};
use crate::db::{self, DbConnection, people, sites};
use crate::model::{Day, EndOutcome, MentorshipId, MentorshipStatus, OrgId, PersonId, ProgrammeId, SiteId, Timestamp};

/// A pairing with its people's names, as the domain hands it out. The JSON API
/// sends it as `sync_core::api::MentorshipItem` (the shape shared with phones).
#[derive(Debug, Clone)]
pub struct MentorshipView {
    pub id: MentorshipId,
    pub programme_id: ProgrammeId,
    pub site_id: Option<SiteId>,
    pub mentor_id: PersonId,
    pub mentor_name: String,
    pub mentee_id: PersonId,
    pub mentee_name: String,
    pub status: MentorshipStatus,
    /// `YYYY-MM-DD`.
    pub started_on: Option<Day>,
    pub ended_on: Option<Day>,
    pub end_reason: Option<String>,
    /// Why it is paused; absent unless paused.
    pub pause_reason: Option<String>,
    pub created_at: Timestamp,
}

impl From<NamedMentorship> for MentorshipView {
    fn from(named: NamedMentorship) -> Self {
        let m = named.mentorship;
        Self {
            id: m.id,
            programme_id: m.programme_id,
            site_id: m.site_id,
            mentor_id: m.mentor_id,
            mentor_name: named.mentor_name,
            mentee_id: m.mentee_id,
            mentee_name: named.mentee_name,
            status: m.status,
            started_on: m.started_on,
            ended_on: m.ended_on,
            end_reason: m.end_reason,
            pause_reason: m.pause_reason,
            created_at: m.created_at,
        }
    }
}

/// Something a coordinator should know about a pairing that is still allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Warning {
    /// `mentor_is_line_manager` or `mentor_at_capacity`.
    pub code: String,
    pub message: String,
}

/// What a new pairing needs; people are given by id.
#[derive(Debug, Clone)]
pub struct NewMentorship {
    pub mentor_id: PersonId,
    pub mentee_id: PersonId,
    /// Defaults to today. A start in the future makes the pairing `proposed`.
    pub started_on: Option<Day>,
    pub site_id: Option<SiteId>,
    pub programme_id: Option<ProgrammeId>,
}

/// A change of status.
#[derive(Debug, Clone)]
pub enum Transition {
    Pause { reason: Option<String> },
    Resume,
    End { reason: String, outcome: EndOutcome },
}

impl Transition {
    /// The statuses it applies to.
    fn from(&self) -> &'static [MentorshipStatus] {
        match self {
            Self::Pause { .. } => &[MentorshipStatus::Active],
            Self::Resume => &[MentorshipStatus::Paused],
            Self::End { .. } => &MentorshipStatus::OPEN,
        }
    }

    /// As in "a completed pairing cannot be {verb}".
    fn verb(&self) -> &'static str {
        match self {
            Self::Pause { .. } => "paused",
            Self::Resume => "resumed",
            Self::End { .. } => "ended",
        }
    }

    fn audit_action(&self) -> &'static str {
        match self {
            Self::Pause { .. } => "mentorship.paused",
            Self::Resume => "mentorship.resumed",
            Self::End { .. } => "mentorship.ended",
        }
    }
}

/// The organisation's first programme, creating the default one if it has none.
pub fn default_programme(conn: &mut DbConnection, org_id: OrgId) -> Result<Programme, DomainError> {
    if let Some(programme) = programmes::find_first_by_org(conn, org_id)? {
        return Ok(programme);
    }
    let programme = super::programmes::induction(org_id);
    programmes::insert(conn, &programme)?;
    Ok(programme)
}

/// Creates a pairing after checking both people, and returns it with any
/// warnings (the mentor manages the mentee, or already has a full load).
/// A mentor not approved for the programme is refused
/// (`mentor_not_approved`); see [`create_with_override`].
pub fn create(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    new: &NewMentorship,
) -> Result<(MentorshipView, Vec<Warning>), DomainError> {
    create_with_override(conn, org_id, actor, new, None)
}

/// [`create`], where `override_reason` lets a coordinator pair a mentor who
/// is not approved for the programme (missing or expired training): the
/// pairing is made with a `mentor_not_approved` warning and the reason and
/// the missing courses go to the audit trail.
pub fn create_with_override(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    new: &NewMentorship,
    override_reason: Option<&str>,
) -> Result<(MentorshipView, Vec<Warning>), DomainError> {
    permissions::change_pairings(actor.roles)?;
    let override_reason = optional_reason(override_reason)?;
    db::write_transaction(conn, |conn| {
        let mentor =
            people::find_by_id(conn, org_id, new.mentor_id)?.ok_or_else(|| DomainError::not_found("mentor"))?;
        let mentee =
            people::find_by_id(conn, org_id, new.mentee_id)?.ok_or_else(|| DomainError::not_found("mentee"))?;
        if mentor.id == mentee.id {
            return Err(DomainError::invalid("same_person", "a person cannot mentor themselves"));
        }
        if !mentor.is_active() || !mentee.is_active() {
            return Err(DomainError::invalid("person_deactivated", "both people must have active accounts"));
        }
        if !mentor.is_mentor {
            return Err(DomainError::invalid(
                "not_a_mentor",
                format!("{} does not have the mentor role", mentor.display_name),
            ));
        }
        if !mentee.is_mentee {
            return Err(DomainError::invalid(
                "not_a_mentee",
                format!("{} does not have the mentee role", mentee.display_name),
            ));
        }
        if let Some(site_id) = new.site_id
            && sites::find_by_id(conn, org_id, site_id)?.is_none()
        {
            return Err(DomainError::not_found("site"));
        }
        let programme = match new.programme_id {
            Some(id) => programmes::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("programme"))?,
            None => default_programme(conn, org_id)?,
        };
        if mentorships::find_open_between(conn, org_id, mentor.id, mentee.id)?.is_some() {
            return Err(DomainError::conflict("already_paired", "these two people already have an open pairing"));
        }

        let today = Day::today();
        let started_on = new.started_on.unwrap_or(today);
        let held = crate::db::training::find_by_person(conn, org_id, mentor.id)?;
        // Approved on the day the pairing starts (or today, if it started earlier).
        let missing = super::training::missing_training(
            &super::programmes::required_training(&programme),
            &held,
            started_on.max(today),
        );
        let missing_text: Vec<String> = missing.iter().map(super::training::MissingCourse::describe).collect();
        let mut warnings = Vec::new();
        if !missing.is_empty() {
            let message = format!(
                "{} is not approved for {}: missing {}",
                mentor.display_name,
                programme.name,
                missing_text.join(", ")
            );
            if override_reason.is_none() {
                return Err(DomainError::conflict(
                    "mentor_not_approved",
                    format!("{message}; give an override reason to pair anyway"),
                ));
            }
            warnings.push(Warning { code: "mentor_not_approved".to_owned(), message });
        }
        if mentee.line_manager_id == Some(mentor.id) {
            warnings.push(Warning {
                code: "mentor_is_line_manager".to_owned(),
                message: format!(
                    "{} is {}'s line manager; a peer mentor is usually not the line manager",
                    mentor.display_name, mentee.display_name
                ),
            });
        }
        let load = mentorships::count_active_for_mentor(conn, org_id, mentor.id)?;
        let own_capacity = crate::db::training::find_profile(conn, org_id, mentor.id)?.and_then(|p| p.capacity);
        let capacity = own_capacity.unwrap_or(programme.max_mentees_per_mentor);
        if load >= i64::from(capacity) {
            let whose = if own_capacity.is_some() { "their profile allows" } else { "the programme suggests" };
            warnings.push(Warning {
                code: "mentor_at_capacity".to_owned(),
                message: format!("{} already mentors {load} people ({whose} at most {capacity})", mentor.display_name),
            });
        }

        let status = if started_on > today { MentorshipStatus::Proposed } else { MentorshipStatus::Active };
        let mentorship = Mentorship {
            id: MentorshipId::new_random(),
            org_id,
            programme_id: programme.id,
            site_id: new.site_id.or(mentee.site_id),
            mentor_id: mentor.id,
            mentee_id: mentee.id,
            status,
            started_on: Some(started_on),
            ended_on: None,
            end_reason: None,
            created_at: Timestamp::now(),
            pause_reason: None,
        };
        mentorships::insert(conn, &mentorship)?;
        record_audit(
            conn,
            org_id,
            actor,
            "mentorship.created",
            AuditObject::new("mentorship", mentorship.id),
            serde_json::json!({
                "mentor_id": mentor.id,
                "mentee_id": mentee.id,
                "status": status,
                "warnings": warnings.iter().map(|w| &w.code).collect::<Vec<_>>(),
                "programme_id": programme.id,
            }),
        )?;
        if let Some(reason) = &override_reason
            && !missing.is_empty()
        {
            record_audit(
                conn,
                org_id,
                actor,
                "mentorship.approval_overridden",
                AuditObject::new("mentorship", mentorship.id),
                serde_json::json!({ "reason": reason, "missing": missing_text, "mentor_id": mentor.id }),
            )?;
        }
        let view = MentorshipView::from(NamedMentorship {
            mentorship,
            mentor_name: mentor.display_name,
            mentee_name: mentee.display_name,
        });
        Ok((view, warnings))
    })
}

/// Applies a transition; 404 if the pairing is not in this organisation, 409 if
/// its current status does not allow the transition.
pub fn transition(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    id: MentorshipId,
    transition: &Transition,
) -> Result<MentorshipView, DomainError> {
    permissions::change_pairings(actor.roles)?;
    db::write_transaction(conn, |conn| {
        let current = mentorships::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("mentorship"))?;
        let change = match transition {
            Transition::Pause { reason } => StatusChange {
                status: MentorshipStatus::Paused,
                ended_on: None,
                end_reason: None,
                pause_reason: reason.as_deref(),
            },
            Transition::Resume => {
                StatusChange { status: MentorshipStatus::Active, ended_on: None, end_reason: None, pause_reason: None }
            }
            Transition::End { reason, outcome } => StatusChange {
                status: outcome.status(),
                ended_on: Some(Day::today()),
                end_reason: Some(reason),
                pause_reason: None,
            },
        };
        if mentorships::update_status(conn, org_id, id, transition.from(), &change)? == 0 {
            return Err(DomainError::conflict(
                "invalid_transition",
                format!("a {} pairing cannot be {}", current.status, transition.verb()),
            ));
        }
        record_audit(
            conn,
            org_id,
            actor,
            transition.audit_action(),
            AuditObject::new("mentorship", id),
            serde_json::json!({
                "from": current.status,
                "to": change.status,
                "reason": change.end_reason.or(change.pause_reason),
            }),
        )?;
        find_view(conn, org_id, id)
    })
}

/// Validates why a pairing is paused or ended.
pub fn reason(reason: &str) -> Result<String, DomainError> {
    required_text("reason", reason, 1000)
}

/// Validates an optional pause reason; empty means none given.
pub fn optional_reason(text: Option<&str>) -> Result<Option<String>, DomainError> {
    text.filter(|t| !t.trim().is_empty()).map(reason).transpose()
}

/// One pairing with names.
pub fn find_view(conn: &mut DbConnection, org_id: OrgId, id: MentorshipId) -> Result<MentorshipView, DomainError> {
    mentorships::find_by_org_with_names(conn, org_id, Scope::One(id))?
        .into_iter()
        .next()
        .map(MentorshipView::from)
        .ok_or_else(|| DomainError::not_found("mentorship"))
}

/// The pairings in `scope`, as stored.
pub fn list(conn: &mut DbConnection, org_id: OrgId, scope: Scope) -> Result<Vec<MentorshipView>, DomainError> {
    Ok(mentorships::find_by_org_with_names(conn, org_id, scope)?.into_iter().map(MentorshipView::from).collect())
}

/// The pairings `actor` may see: managers the organisation's, everyone else
/// their own, without the reasons for pauses and endings
/// ([`permissions::sees_pairing_reasons`]).
pub fn list_visible(conn: &mut DbConnection, org_id: OrgId, actor: &Actor) -> Result<Vec<MentorshipView>, DomainError> {
    if permissions::sees_all_pairings(actor.roles) {
        return list(conn, org_id, Scope::All);
    }
    let Some(person_id) = actor.person_id else { return Ok(Vec::new()) };
    let mut list = list(conn, org_id, Scope::Involving(person_id))?;
    if !permissions::sees_pairing_reasons(actor.roles) {
        for view in &mut list {
            view.end_reason = None;
            view.pause_reason = None;
        }
    }
    Ok(list)
}
