//! `/v1/documents/{id}`: the server's copy of a document, as JSON.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::model::DocumentId;
use crate::routes::sync::caller;
use crate::state::AppState;
use crate::sync::read;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(get_document);
}

/// A document as the server holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentResponse {
    pub id: Uuid,
    /// `session`, `goal_plan` or `journal`.
    pub kind: String,
    /// The pairing of a session or goal plan.
    pub mentorship_id: Option<Uuid>,
    /// The owner of a journal.
    pub owner_id: Option<Uuid>,
    /// The server's heads (hex change hashes).
    pub heads: Vec<String>,
    /// A session view (notes, accounts, feedback, actions, sign-offs), `{"goals": [..]}`
    /// or `{"reflections": [..]}`.
    #[schema(value_type = Object)]
    pub view: serde_json::Value,
}

/// A document the caller may read: a session or goal plan of one of their
/// pairings (mentor and mentee only), or their own journal. Coordinators and
/// admins read no pair documents. Anything else, including another
/// organisation's document, is 404.
#[utoipa::path(
    tag = "sync",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, body = DocumentResponse),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The stored document cannot be read as its kind", body = ErrorBody),
    )
)]
#[get("/v1/documents/{id}")]
pub async fn get_document(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<DocumentId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let caller = caller(&user)?;
    let sync = state.sync.clone();
    let doc = state.db.run(move |conn| read::document_view(conn, &sync.cache, &caller, id)).await?;
    let header = doc.header;
    Ok(HttpResponse::Ok().json(DocumentResponse {
        id: header.id.0,
        kind: header.kind.as_str().to_owned(),
        mentorship_id: header.mentorship_id().map(|m| m.0),
        owner_id: header.owner_id().map(|o| o.0),
        heads: doc.heads,
        view: doc.view,
    }))
}
