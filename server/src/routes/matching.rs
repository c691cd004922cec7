//! `GET /v1/mentorships/suggestions`: ranked mentors for a mentee
//! (coordinators).

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::matching::{self as ops, Suggestion};
use crate::domain::permissions;
use crate::error::{ApiError, ErrorBody};
use crate::model::{PersonId, ProgrammeId};
use crate::state::AppState;

/// Registered before `/v1/mentorships/{id}` routes so the literal path wins.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(suggest_mentors);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SuggestionsQuery {
    #[param(value_type = Uuid)]
    pub mentee_id: PersonId,
    /// The organisation's default programme when absent.
    #[param(value_type = Option<Uuid>)]
    pub programme_id: Option<ProgrammeId>,
}

/// Mentors for a mentee, best first, each with its score, reasons (same site,
/// overlapping shifts, capacity left, a shared language, approved for the
/// programme) and warnings (line manager of the mentee, at capacity, not
/// approved, an earlier pairing ended). The line manager always ranks after
/// everyone else; the mentee and anyone outside the organisation never appear.
#[utoipa::path(
    tag = "mentorships",
    security(("bearer" = [])),
    params(SuggestionsQuery),
    responses(
        (status = 200, body = [Suggestion]),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Mentee or programme not in the organisation", body = ErrorBody),
    )
)]
#[get("/v1/mentorships/suggestions")]
pub async fn suggest_mentors(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<SuggestionsQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::change_pairings(user.roles)?;
    let query = query.into_inner();
    let list = state
        .db
        .run(move |conn| ops::suggestions(conn, user.org_id, &user.actor(), query.mentee_id, query.programme_id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
