//! `/v1/mentorships`: pairings.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::mentorships::{self as ops, MentorshipView, NewMentorship, Transition, Warning};
use crate::domain::{parse_input_date, permissions};
use crate::error::{ApiError, ErrorBody};
use crate::model::{EndOutcome, MentorshipId, PersonId, ProgrammeId, SiteId};
use crate::state::AppState;

/// A pairing as the JSON API sends it, shared with the phone client.
pub use sync_core::api::MentorshipItem;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_mentorships)
        .service(create_mentorship)
        .service(pause_mentorship)
        .service(resume_mentorship)
        .service(end_mentorship);
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateMentorshipRequest {
    #[schema(value_type = Uuid)]
    pub mentor_id: PersonId,
    #[schema(value_type = Uuid)]
    pub mentee_id: PersonId,
    /// `YYYY-MM-DD`; today when absent. A future date makes the pairing `proposed`.
    pub started_on: Option<String>,
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<SiteId>,
    /// Defaults to the organisation's first programme (created if none).
    #[schema(value_type = Option<Uuid>)]
    pub programme_id: Option<ProgrammeId>,
    /// Pairs a mentor who is not approved for the programme anyway; recorded
    /// in the audit trail. Without it such a pairing is refused (409
    /// `mentor_not_approved`).
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// A pairing as the JSON shape sync-core defines for both sides.
fn item(view: MentorshipView) -> MentorshipItem {
    MentorshipItem {
        id: view.id.to_string(),
        programme_id: view.programme_id.to_string(),
        site_id: view.site_id.map(|id| id.to_string()),
        mentor_id: view.mentor_id.to_string(),
        mentor_name: view.mentor_name,
        mentee_id: view.mentee_id.to_string(),
        mentee_name: view.mentee_name,
        status: view.status.to_string(),
        started_on: view.started_on.map(|day| day.to_string()),
        ended_on: view.ended_on.map(|day| day.to_string()),
        end_reason: view.end_reason,
        pause_reason: view.pause_reason,
        created_at: view.created_at.to_string(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedMentorship {
    #[serde(flatten)]
    pub mentorship: MentorshipItem,
    /// Allowed but worth a second look: `mentor_is_line_manager`,
    /// `mentor_at_capacity`, `mentor_not_approved` (paired with an override).
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndMentorshipRequest {
    pub reason: String,
    /// `ended` (default) or `completed`.
    #[serde(default)]
    pub outcome: EndOutcome,
}

/// Optional body of a pause.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PauseMentorshipRequest {
    /// Why, shown beside the status until the pairing resumes (sickness, leave...).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The caller's pairings; coordinators and admins see the organisation's. Why a
/// pairing was paused or ended is for coordinators and admins only: mentors and
/// mentees get those fields empty.
#[utoipa::path(
    tag = "mentorships",
    security(("bearer" = [])),
    responses(
        (status = 200, body = [MentorshipItem]),
        (status = 401, body = ErrorBody),
    )
)]
#[get("/v1/mentorships")]
pub async fn list_mentorships(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let list = state.db.run(move |conn| ops::list_visible(conn, user.org_id, &user.actor())).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(item).collect::<Vec<_>>()))
}

/// Pair a mentor with a mentee (coordinators).
#[utoipa::path(
    tag = "mentorships",
    security(("bearer" = [])),
    request_body = CreateMentorshipRequest,
    responses(
        (status = 201, body = CreatedMentorship),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Mentor, mentee, site or programme not in the organisation", body = ErrorBody),
        (status = 409, description = "The two already have an open pairing (`already_paired`), or the mentor is not approved for the programme and no `override_reason` was given (`mentor_not_approved`)", body = ErrorBody),
    )
)]
#[post("/v1/mentorships")]
pub async fn create_mentorship(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreateMentorshipRequest>,
) -> Result<HttpResponse, ApiError> {
    permissions::change_pairings(user.roles)?;
    let body = body.into_inner();
    let new = NewMentorship {
        mentor_id: body.mentor_id,
        mentee_id: body.mentee_id,
        started_on: body.started_on.as_deref().map(|text| parse_input_date("started_on", text)).transpose()?,
        site_id: body.site_id,
        programme_id: body.programme_id,
    };
    let override_reason = body.override_reason;
    let (mentorship, warnings) = state
        .db
        .run(move |conn| ops::create_with_override(conn, user.org_id, &user.actor(), &new, override_reason.as_deref()))
        .await?;
    Ok(HttpResponse::Created().json(CreatedMentorship { mentorship: item(mentorship), warnings }))
}

async fn apply(
    state: web::Data<AppState>,
    user: AuthUser,
    id: MentorshipId,
    transition: Transition,
) -> Result<HttpResponse, ApiError> {
    let view = state.db.run(move |conn| ops::transition(conn, user.org_id, &user.actor(), id, &transition)).await?;
    Ok(HttpResponse::Ok().json(item(view)))
}

/// Pause an active pairing (coordinators), optionally saying why. The body may
/// be empty.
#[utoipa::path(
    tag = "mentorships",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mentorship id")),
    request_body(content = Option<PauseMentorshipRequest>),
    responses(
        (status = 200, body = MentorshipItem),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not active", body = ErrorBody),
    )
)]
#[post("/v1/mentorships/{id}/pause")]
pub async fn pause_mentorship(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<MentorshipId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    permissions::change_pairings(user.roles)?;
    let request: PauseMentorshipRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PauseMentorshipRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request("invalid_json", format!("the request body is not a valid pause request: {e}"))
        })?
    };
    let reason = ops::optional_reason(request.reason.as_deref())?;
    apply(state, user, id.into_inner(), Transition::Pause { reason }).await
}

/// Resume a paused pairing (coordinators).
#[utoipa::path(
    tag = "mentorships",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mentorship id")),
    responses(
        (status = 200, body = MentorshipItem),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not paused", body = ErrorBody),
    )
)]
#[post("/v1/mentorships/{id}/resume")]
pub async fn resume_mentorship(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<MentorshipId>,
) -> Result<HttpResponse, ApiError> {
    permissions::change_pairings(user.roles)?;
    apply(state, user, id.into_inner(), Transition::Resume).await
}

/// End a pairing, with a reason (coordinators).
#[utoipa::path(
    tag = "mentorships",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Mentorship id")),
    request_body = EndMentorshipRequest,
    responses(
        (status = 200, body = MentorshipItem),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already ended or completed", body = ErrorBody),
    )
)]
#[post("/v1/mentorships/{id}/end")]
pub async fn end_mentorship(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<MentorshipId>,
    body: web::Json<EndMentorshipRequest>,
) -> Result<HttpResponse, ApiError> {
    permissions::change_pairings(user.roles)?;
    let body = body.into_inner();
    let transition = Transition::End { reason: ops::reason(&body.reason)?, outcome: body.outcome };
    apply(state, user, id.into_inner(), transition).await
}
