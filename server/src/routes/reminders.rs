//! `GET /v1/reminders`: the caller's own reminders (see `domain::reminders`).

use actix_web::{HttpResponse, get, web};
use sync_core::api::ReminderItem;

use crate::auth::AuthUser;
use crate::domain::reminders;
use crate::error::ApiError;
use crate::model::Day;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_reminders);
}

/// The caller's reminders, earliest due first: touchpoints due within three
/// days or overdue, actions past due, sessions unsigned a week after they were
/// logged, an agreement unsigned two weeks after the start, and (for mentors)
/// training expiring within 30 days. Whatever the caller's roles, only their
/// own pairings and training count: coordinators see the organisation in the
/// console and the weekly digest. Titles never carry text a pair wrote.
#[utoipa::path(
    tag = "reminders",
    security(("bearer" = [])),
    responses((status = 200, body = [ReminderItem]))
)]
#[get("/v1/reminders")]
pub async fn list_reminders(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let today = Day::today().date();
    let list = state.db.run(move |conn| reminders::for_person(conn, user.org_id, user.person_id, today)).await?;
    Ok(HttpResponse::Ok().json(list))
}
