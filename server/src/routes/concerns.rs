//! `/v1/concerns`: the concerns people raised with the organisation's
//! coordinators, and their answers (coordinators only; see `domain::concerns`).

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use sync_core::ConcernStatus;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::domain::concerns::{self, Answer, ConcernError, ConcernItem};
use crate::error::{ApiError, ErrorBody};
use crate::model::DocumentId;
use crate::state::AppState;
use crate::sync::engine::ChangedDoc;
use crate::sync::live::{LiveEvent, Notifier};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_concerns).service(acknowledge_concern).service(close_concern);
}

impl From<ConcernError> for ApiError {
    fn from(error: ConcernError) -> Self {
        match error {
            ConcernError::Domain(error) => error.into(),
            ConcernError::Sync(error) => error.into(),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConcernsQuery {
    /// Only concerns with this status: `open`, `acknowledged` or `closed`.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcernAnswer {
    /// What the author reads on their phone.
    pub response: String,
}

/// Tell the author's phone (and nobody else: the event names the author as the
/// document's owner and no pairing) that their concern changed.
pub(crate) fn announce(notifier: &Notifier, conn: &mut DbConnection, changed: &ChangedDoc) {
    let event = LiveEvent {
        org_id: changed.org_id.to_string(),
        document_id: changed.id.to_string(),
        mentorship_id: changed.mentorship_id.map(|m| m.to_string()),
        owner_id: changed.owner_id.map(|o| o.to_string()),
        group_id: changed.group_id.map(|g| g.to_string()),
    };
    notifier.publish(conn, &[event]);
}

/// The organisation's concerns with the authors' words, newest first
/// (coordinators only: the one place they read what a pair member wrote,
/// because the author chose to send it).
#[utoipa::path(
    tag = "concerns",
    security(("bearer" = [])),
    params(ConcernsQuery),
    responses(
        (status = 200, body = [ConcernItem]),
        (status = 400, description = "`status` is not open, acknowledged or closed", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a coordinator", body = ErrorBody),
    )
)]
#[get("/v1/concerns")]
pub async fn list_concerns(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ConcernsQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = match query.into_inner().status.as_deref() {
        None | Some("") => None,
        Some(text) => {
            Some(text.parse::<ConcernStatus>().map_err(|e| ApiError::bad_request("invalid_status", e.to_string()))?)
        }
    };
    let sync = state.sync.clone();
    let list = state
        .db
        .run(move |conn| Ok::<_, ApiError>(concerns::list(conn, &sync.cache, user.org_id, &user.actor(), status)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn answer(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<ConcernAnswer>,
    how: Answer,
) -> Result<HttpResponse, ApiError> {
    concerns::read_concerns(&user.actor())?;
    let id: DocumentId = path.parse().map_err(|_| ApiError::not_found("concern"))?;
    let response = body.into_inner().response;
    let sync = state.sync.clone();
    let item = state
        .db
        .run(move |conn| {
            let (item, changed) = concerns::answer(conn, &sync.cache, user.org_id, &user.actor(), id, how, &response)?;
            announce(&sync.notifier, conn, &changed);
            Ok::<_, ApiError>(item)
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Acknowledge a concern with a response the author reads on their phone
/// (coordinators of its organisation; any other concern id is 404).
#[utoipa::path(
    tag = "concerns",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The concern")),
    request_body = ConcernAnswer,
    responses(
        (status = 200, body = ConcernItem),
        (status = 400, description = "An empty or too long response", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a coordinator", body = ErrorBody),
        (status = 404, description = "No such concern in the caller's organisation", body = ErrorBody),
        (status = 409, description = "The concern is closed (`concern_closed`)", body = ErrorBody),
    )
)]
#[post("/v1/concerns/{id}/acknowledge")]
pub async fn acknowledge_concern(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<ConcernAnswer>,
) -> Result<HttpResponse, ApiError> {
    answer(state, user, path, body, Answer::Acknowledge).await
}

/// Close a concern with a response the author reads on their phone
/// (coordinators of its organisation; any other concern id is 404).
#[utoipa::path(
    tag = "concerns",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The concern")),
    request_body = ConcernAnswer,
    responses(
        (status = 200, body = ConcernItem),
        (status = 400, description = "An empty or too long response", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a coordinator", body = ErrorBody),
        (status = 404, description = "No such concern in the caller's organisation", body = ErrorBody),
        (status = 409, description = "The concern is closed already (`concern_closed`)", body = ErrorBody),
    )
)]
#[post("/v1/concerns/{id}/close")]
pub async fn close_concern(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<ConcernAnswer>,
) -> Result<HttpResponse, ApiError> {
    answer(state, user, path, body, Answer::Close).await
}
