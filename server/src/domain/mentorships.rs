//! Pairing mentors with mentees and moving pairings through their life:
//! proposed -> active <-> paused -> ended | completed.

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::db::mentorships::{self, Mentorship, NamedMentorship, Scope, StatusChange};
use crate::db::programmes::{self, Programme};
use crate::db::{self, DbConnection, people, sites};
use crate::domain::{Actor, AuditObject, MentorshipStatus, record_audit, required_text};
use crate::error::ApiError;

/// A pairing as the API shows it (the mobile contract's `Mentorship` record plus
/// context).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MentorshipView {
    pub id: String,
    pub programme_id: String,
    pub site_id: Option<String>,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    pub status: MentorshipStatus,
    /// `YYYY-MM-DD`.
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub end_reason: Option<String>,
    /// Why it is paused; absent unless paused.
    pub pause_reason: Option<String>,
    pub created_at: String,
}

impl From<NamedMentorship> for MentorshipView {
    fn from(named: NamedMentorship) -> Self {
        let m = named.mentorship;
        Self {
            status: MentorshipStatus::parse(&m.status).unwrap_or(MentorshipStatus::Ended),
            id: m.id,
            programme_id: m.programme_id,
            site_id: m.site_id,
            mentor_id: m.mentor_id,
            mentor_name: named.mentor_name,
            mentee_id: m.mentee_id,
            mentee_name: named.mentee_name,
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
    pub mentor_id: String,
    pub mentee_id: String,
    /// Defaults to today. A start in the future makes the pairing `proposed`.
    pub started_on: Option<Date>,
    pub site_id: Option<String>,
    pub programme_id: Option<String>,
}

/// How a pairing ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Ended early (moved on, mismatch, left the organisation).
    #[default]
    Ended,
    /// Ran its course.
    Completed,
}

/// A change of status.
#[derive(Debug, Clone)]
pub enum Transition {
    Pause { reason: Option<String> },
    Resume,
    End { reason: String, outcome: Outcome },
}

/// The organisation's first programme, creating the default one if it has none.
pub fn default_programme(conn: &mut DbConnection, org_id: &str) -> Result<Programme, ApiError> {
    if let Some(programme) = programmes::find_first_by_org(conn, org_id)? {
        return Ok(programme);
    }
    let programme = Programme {
        id: db::new_id(),
        org_id: org_id.to_owned(),
        name: "Induction peer mentoring".to_owned(),
        induction_weeks: 12,
        contact_every_days: 7,
        first_contact_days: 7,
        checkin_days: "30,60,90".to_owned(),
        max_mentees_per_mentor: 3,
        created_at: db::now(),
    };
    programmes::insert(conn, &programme)?;
    Ok(programme)
}

/// Creates a pairing after checking both people, and returns it with any
/// warnings (the mentor manages the mentee, or already has a full load).
pub fn create(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &Actor,
    new: &NewMentorship,
) -> Result<(MentorshipView, Vec<Warning>), ApiError> {
    crate::db::write_transaction(conn, |conn| {
        let mentor = people::find_by_id(conn, org_id, &new.mentor_id)?.ok_or_else(|| ApiError::not_found("mentor"))?;
        let mentee = people::find_by_id(conn, org_id, &new.mentee_id)?.ok_or_else(|| ApiError::not_found("mentee"))?;
        if mentor.id == mentee.id {
            return Err(ApiError::bad_request("same_person", "a person cannot mentor themselves"));
        }
        if !mentor.is_active() || !mentee.is_active() {
            return Err(ApiError::bad_request("person_deactivated", "both people must have active accounts"));
        }
        if !mentor.is_mentor {
            return Err(ApiError::bad_request(
                "not_a_mentor",
                format!("{} does not have the mentor role", mentor.display_name),
            ));
        }
        if !mentee.is_mentee {
            return Err(ApiError::bad_request(
                "not_a_mentee",
                format!("{} does not have the mentee role", mentee.display_name),
            ));
        }
        if let Some(site_id) = &new.site_id
            && sites::find_by_id(conn, org_id, site_id)?.is_none()
        {
            return Err(ApiError::not_found("site"));
        }
        let programme = match &new.programme_id {
            Some(id) => programmes::find_by_id(conn, org_id, id)?.ok_or_else(|| ApiError::not_found("programme"))?,
            None => default_programme(conn, org_id)?,
        };
        if mentorships::find_open_between(conn, org_id, &mentor.id, &mentee.id)?.is_some() {
            return Err(ApiError::conflict("already_paired", "these two people already have an open pairing"));
        }

        let mut warnings = Vec::new();
        if mentee.line_manager_id.as_deref() == Some(mentor.id.as_str()) {
            warnings.push(Warning {
                code: "mentor_is_line_manager".to_owned(),
                message: format!(
                    "{} is {}'s line manager; a peer mentor is usually not the line manager",
                    mentor.display_name, mentee.display_name
                ),
            });
        }
        let load = mentorships::count_active_for_mentor(conn, org_id, &mentor.id)?;
        if load >= i64::from(programme.max_mentees_per_mentor) {
            warnings.push(Warning {
                code: "mentor_at_capacity".to_owned(),
                message: format!(
                    "{} already mentors {load} people (the programme suggests at most {})",
                    mentor.display_name, programme.max_mentees_per_mentor
                ),
            });
        }

        let today = db::today();
        let started_on = new.started_on.unwrap_or(today);
        let status = if started_on > today { MentorshipStatus::Proposed } else { MentorshipStatus::Active };
        let mentorship = Mentorship {
            id: db::new_id(),
            org_id: org_id.to_owned(),
            programme_id: programme.id.clone(),
            site_id: new.site_id.clone().or_else(|| mentee.site_id.clone()),
            mentor_id: mentor.id.clone(),
            mentee_id: mentee.id.clone(),
            status: status.as_str().to_owned(),
            started_on: Some(db::date_text(started_on)),
            ended_on: None,
            end_reason: None,
            created_at: db::now(),
            pause_reason: None,
        };
        mentorships::insert(conn, &mentorship)?;
        record_audit(
            conn,
            org_id,
            actor,
            "mentorship.created",
            AuditObject { kind: "mentorship", id: &mentorship.id },
            serde_json::json!({
                "mentor_id": mentor.id,
                "mentee_id": mentee.id,
                "status": status,
                "warnings": warnings.iter().map(|w| &w.code).collect::<Vec<_>>(),
            }),
        )?;
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
    org_id: &str,
    actor: &Actor,
    id: &str,
    transition: &Transition,
) -> Result<MentorshipView, ApiError> {
    crate::db::write_transaction(conn, |conn| {
        let current = mentorships::find_by_id(conn, org_id, id)?.ok_or_else(|| ApiError::not_found("mentorship"))?;
        let today = db::date_text(db::today());
        let (from, change, action): (&[&str], StatusChange<'_>, &str) = match transition {
            Transition::Pause { reason } => (
                &["active"],
                StatusChange { status: "paused", ended_on: None, end_reason: None, pause_reason: reason.as_deref() },
                "mentorship.paused",
            ),
            Transition::Resume => (
                &["paused"],
                StatusChange { status: "active", ended_on: None, end_reason: None, pause_reason: None },
                "mentorship.resumed",
            ),
            Transition::End { reason, outcome } => (
                &["proposed", "active", "paused"],
                StatusChange {
                    status: match outcome {
                        Outcome::Ended => "ended",
                        Outcome::Completed => "completed",
                    },
                    ended_on: Some(&today),
                    end_reason: Some(reason),
                    pause_reason: None,
                },
                "mentorship.ended",
            ),
        };
        if mentorships::update_status(conn, org_id, id, from, &change)? == 0 {
            return Err(ApiError::conflict(
                "invalid_transition",
                format!(
                    "a {} pairing cannot be {}",
                    current.status,
                    match transition {
                        Transition::Pause { .. } => "paused",
                        Transition::Resume => "resumed",
                        Transition::End { .. } => "ended",
                    }
                ),
            ));
        }
        record_audit(
            conn,
            org_id,
            actor,
            action,
            AuditObject { kind: "mentorship", id },
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
pub fn reason(reason: &str) -> Result<String, ApiError> {
    required_text("reason", reason, 1000)
}

/// Validates an optional pause reason; empty means none given.
pub fn optional_reason(text: Option<&str>) -> Result<Option<String>, ApiError> {
    text.filter(|t| !t.trim().is_empty()).map(reason).transpose()
}

/// One pairing with names.
pub fn find_view(conn: &mut DbConnection, org_id: &str, id: &str) -> Result<MentorshipView, ApiError> {
    mentorships::find_by_org_with_names(conn, org_id, Scope::One(id))?
        .into_iter()
        .next()
        .map(MentorshipView::from)
        .ok_or_else(|| ApiError::not_found("mentorship"))
}

/// The pairings a viewer may see.
pub fn list(conn: &mut DbConnection, org_id: &str, scope: Scope<'_>) -> Result<Vec<MentorshipView>, ApiError> {
    Ok(mentorships::find_by_org_with_names(conn, org_id, scope)?.into_iter().map(MentorshipView::from).collect())
}
