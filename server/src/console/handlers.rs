//! The console's routes. Every page and form except sign-in and the static
//! assets takes a [`ConsoleUser`]; every POST checks the session's CSRF token
//! before doing anything else. Ids of other organisations answer 404, as in the
//! JSON API. Database work, chart drawing and HTML rendering run together on a
//! blocking thread.

use std::collections::HashMap;

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use serde::Deserialize;
use time::OffsetDateTime;

use super::error::{ConsoleError, sentence};
use super::pages::{self, Notice, PairFormValues, PairingDetail, PeopleData, PersonFormValues};
use super::programme::{self, Rows};
use super::queries::{self, ActionCount, Filter, GoalCount};
use super::session::{self, ConsoleUser, SignIn};
use super::{charts, events};
use crate::db::{DbConnection, devices};
use crate::domain::devices as device_ops;
use crate::domain::mentorships::{self as mentorship_ops, NewMentorship, Outcome, Transition};
use crate::domain::people::{self as people_ops, NewPerson, PersonUpdate};
use crate::domain::{Email, Role, parse_id, parse_input_date};
use crate::error::ApiError;
use crate::state::AppState;

const STYLESHEET: &str = include_str!("assets/console.css");
const SCRIPT: &str = include_str!("assets/console.js");

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(dashboard))
        .route("/", web::get().to(to_dashboard))
        .route("/sign-in", web::get().to(sign_in_form))
        .route("/sign-in", web::post().to(sign_in))
        .route("/sign-out", web::post().to(sign_out))
        .route("/events", web::get().to(events::stream))
        .route("/fragments/dashboard", web::get().to(dashboard_fragment))
        .route("/fragments/pairings/{id}", web::get().to(pairing_fragment))
        .route("/charts/sessions-per-week.svg", web::get().to(weekly_chart))
        .route("/pairings", web::post().to(create_pairing))
        .route("/pairings/{id}", web::get().to(pairing))
        .route("/pairings/{id}/timeline.svg", web::get().to(timeline_chart))
        .route("/pairings/{id}/pause", web::post().to(pause_pairing))
        .route("/pairings/{id}/resume", web::post().to(resume_pairing))
        .route("/pairings/{id}/end", web::post().to(end_pairing))
        .route("/people", web::get().to(people))
        .route("/people", web::post().to(add_person))
        .route("/people/{id}/access", web::post().to(set_person_access))
        .route("/devices/{id}/revoke", web::post().to(revoke_device))
        .route("/assets/console.css", web::get().to(stylesheet))
        .route("/assets/console.js", web::get().to(script));
}

type Page = Result<HttpResponse, ConsoleError>;

fn html(markup: Markup) -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::html()).body(markup.into_string())
}

fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("image/svg+xml").body(body)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}

async fn to_dashboard() -> HttpResponse {
    see_other("/console")
}

// ---- Signing in and out -------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The sign-in form, with a fresh double-submit token.
fn sign_in_response(
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    email: &str,
    message: Option<&str>,
) -> HttpResponse {
    let token = session::new_token();
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .cookie(session::sign_in_cookie(&token, session::is_secure(req)))
        .body(pages::sign_in_page(&token, email, message).into_string())
}

async fn sign_in_form(req: HttpRequest) -> HttpResponse {
    sign_in_response(&req, actix_web::http::StatusCode::OK, "", None)
}

async fn sign_in(state: web::Data<AppState>, req: HttpRequest, form: web::Form<SignInForm>) -> Page {
    use actix_web::http::StatusCode;
    let SignInForm { csrf, email, password } = form.into_inner();
    if !session::sign_in_csrf_matches(&req, &csrf) {
        return Err(ConsoleError::Csrf);
    }
    let parsed = match Email::parse(&email) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Ok(sign_in_response(&req, StatusCode::BAD_REQUEST, &email, Some(&sentence(&error.to_string()))));
        }
    };
    let address = req.peer_addr().map(|addr| addr.ip());
    if let Err(retry_after) = state.limiter.check(parsed.as_str(), address) {
        state.metrics.record_login_throttled();
        return Err(ApiError::TooManyRequests { retry_after }.into());
    }
    let outcome = session::sign_in(&state.db, &parsed, password).await?;
    match outcome {
        SignIn::Signed { token, person_id } => {
            state.limiter.record_success(parsed.as_str());
            state.metrics.record_login();
            tracing::info!(%person_id, "console sign-in");
            let secure = session::is_secure(&req);
            let mut clear = session::sign_in_cookie("", secure);
            clear.make_removal();
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console"))
                .cookie(session::session_cookie(&token, secure))
                .cookie(clear)
                .finish())
        }
        SignIn::WrongCredentials => {
            state.limiter.record_failure(parsed.as_str(), address);
            state.metrics.record_login_failure();
            Ok(sign_in_response(&req, StatusCode::UNAUTHORIZED, &email, Some("The email or password is not correct.")))
        }
        SignIn::NotAllowed => {
            // The password was right: not a guessing attempt, so not a failure to count.
            state.limiter.record_success(parsed.as_str());
            Err(session::not_allowed())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(state: web::Data<AppState>, req: HttpRequest, user: ConsoleUser, form: web::Form<CsrfForm>) -> Page {
    user.check_csrf(&form.csrf)?;
    state.db.run(move |conn| session::sign_out(conn, &user)).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in"))
        .cookie(session::expired_session_cookie(session::is_secure(&req)))
        .finish())
}

// ---- The dashboard --------------------------------------------------------------

/// Everything the dashboard needs, in eight queries whatever the programme's size.
pub fn load_rows(conn: &mut DbConnection, org_id: &str, today: &str) -> Result<Rows, ApiError> {
    let filter = Filter::org(org_id);
    Ok(Rows {
        pairings: queries::pairings(conn, filter)?,
        programmes: queries::programmes(conn, org_id)?,
        sessions: queries::sessions(conn, filter)?,
        goal_counts: queries::goal_counts(conn, org_id)?,
        action_counts: queries::action_counts(conn, org_id, today)?,
        devices: queries::devices(conn, org_id, None)?,
        device_sync: queries::device_sync(conn, org_id, None)?,
    })
}

/// The dashboard fragment's HTML for `org_id` at `now` (also used by the benchmark).
pub fn render_dashboard_fragment(
    conn: &mut DbConnection,
    org_id: &str,
    now: OffsetDateTime,
) -> Result<Markup, ApiError> {
    let rows = load_rows(conn, org_id, &crate::db::date_text(now.date()))?;
    let dashboard = programme::dashboard(&rows, now);
    let chart = charts::sessions_per_week(&dashboard.weeks)?;
    Ok(pages::dashboard_fragment(&dashboard, &chart, now))
}

async fn dashboard(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    let page = state
        .db
        .run(move |conn| {
            let fragment = render_dashboard_fragment(conn, &user.org_id, OffsetDateTime::now_utc())?;
            Ok(pages::dashboard_page(&user, fragment))
        })
        .await?;
    Ok(html(page))
}

async fn dashboard_fragment(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    let fragment =
        state.db.run(move |conn| render_dashboard_fragment(conn, &user.org_id, OffsetDateTime::now_utc())).await?;
    Ok(html(fragment))
}

async fn weekly_chart(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    let chart = state
        .db
        .run(move |conn| {
            let today = OffsetDateTime::now_utc().date();
            let sessions = queries::sessions(conn, Filter::org(&user.org_id))?;
            charts::sessions_per_week(&programme::sessions_per_week(&sessions, today, programme::WEEKS_CHARTED))
        })
        .await?;
    Ok(svg(chart))
}

// ---- One pairing ------------------------------------------------------------------

/// One pairing's detail, or 404 when it is not in the organisation.
fn load_pairing(
    conn: &mut DbConnection,
    org_id: &str,
    id: &str,
    now: OffsetDateTime,
) -> Result<PairingDetail, ApiError> {
    let filter = Filter::pairing(org_id, id);
    let pairings = queries::pairings(conn, filter)?;
    let named = pairings.first().ok_or_else(|| ApiError::not_found("pairing"))?;
    let people = [named.mentorship.mentor_id.clone(), named.mentorship.mentee_id.clone()];
    let devices = queries::devices(conn, org_id, Some(&people))?;
    let device_ids: Vec<String> = devices.iter().map(|d| d.id.clone()).collect();
    let goals = queries::goals(conn, org_id, id)?;
    let actions = queries::actions(conn, org_id, id)?;
    let today = crate::db::date_text(now.date());
    let mut goal_counts: HashMap<&str, i64> = HashMap::new();
    for goal in &goals {
        *goal_counts.entry(goal.status.as_str()).or_default() += 1;
    }
    let mut action_count = ActionCount::default();
    for action in &actions {
        if action.done {
            action_count.done += 1;
        } else {
            action_count.open += 1;
            if action.due_on.as_deref().is_some_and(|due| due < today.as_str()) {
                action_count.overdue += 1;
            }
        }
    }
    let rows = Rows {
        goal_counts: goal_counts
            .into_iter()
            .map(|(status, count)| GoalCount { mentorship_id: id.to_owned(), status: status.to_owned(), count })
            .collect(),
        action_counts: HashMap::from([(id.to_owned(), action_count)]),
        programmes: queries::programmes(conn, org_id)?,
        sessions: queries::sessions(conn, filter)?,
        device_sync: queries::device_sync(conn, org_id, Some(&device_ids))?,
        devices,
        pairings,
    };
    let summary = programme::summarise(&rows, now).into_iter().next().ok_or_else(|| ApiError::not_found("pairing"))?;
    Ok(PairingDetail {
        summary,
        sessions: rows.sessions,
        goals,
        actions,
        shared: queries::shared_summaries(conn, org_id, id)?,
    })
}

fn render_pairing_fragment(
    conn: &mut DbConnection,
    user: &ConsoleUser,
    id: &str,
) -> Result<(PairingDetail, Markup), ApiError> {
    let now = OffsetDateTime::now_utc();
    let detail = load_pairing(conn, &user.org_id, id, now)?;
    let chart = charts::timeline(&detail.summary, &detail.sessions, now.date())?;
    let fragment = pages::pairing_fragment(user, &detail, &chart, now);
    Ok((detail, fragment))
}

async fn pairing(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let id = parse_id("pairing", &id)?;
    let page = state
        .db
        .run(move |conn| {
            let (detail, fragment) = render_pairing_fragment(conn, &user, &id)?;
            Ok(pages::pairing_page(&user, &detail, fragment))
        })
        .await?;
    Ok(html(page))
}

async fn pairing_fragment(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let id = parse_id("pairing", &id)?;
    let fragment = state.db.run(move |conn| render_pairing_fragment(conn, &user, &id).map(|(_, f)| f)).await?;
    Ok(html(fragment))
}

async fn timeline_chart(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let id = parse_id("pairing", &id)?;
    let chart = state
        .db
        .run(move |conn| {
            let now = OffsetDateTime::now_utc();
            let detail = load_pairing(conn, &user.org_id, &id, now)?;
            charts::timeline(&detail.summary, &detail.sessions, now.date())
        })
        .await?;
    Ok(svg(chart))
}

async fn transition(state: web::Data<AppState>, user: ConsoleUser, id: String, transition: Transition) -> Page {
    let id = parse_id("pairing", &id)?;
    // The same rule as the JSON API: pairing changes are the coordinator's.
    if !user.roles.coordinator {
        return Err(ApiError::forbidden("only coordinators pause, resume or end pairings").into());
    }
    let location = format!("/console/pairings/{id}");
    state.db.run(move |conn| mentorship_ops::transition(conn, &user.org_id, &user.actor(), &id, &transition)).await?;
    Ok(see_other(&location))
}

#[derive(Debug, Deserialize)]
pub struct PauseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn pause_pairing(
    state: web::Data<AppState>,
    user: ConsoleUser,
    id: web::Path<String>,
    form: web::Form<PauseForm>,
) -> Page {
    user.check_csrf(&form.csrf)?;
    // The console asks for a reason (the API leaves it optional).
    let reason = mentorship_ops::reason(&form.reason)?;
    transition(state, user, id.into_inner(), Transition::Pause { reason: Some(reason) }).await
}

async fn resume_pairing(
    state: web::Data<AppState>,
    user: ConsoleUser,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Page {
    user.check_csrf(&form.csrf)?;
    transition(state, user, id.into_inner(), Transition::Resume).await
}

#[derive(Debug, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    outcome: String,
}

async fn end_pairing(
    state: web::Data<AppState>,
    user: ConsoleUser,
    id: web::Path<String>,
    form: web::Form<EndForm>,
) -> Page {
    user.check_csrf(&form.csrf)?;
    let outcome = match form.outcome.as_str() {
        "completed" => Outcome::Completed,
        "ended" | "" => Outcome::Ended,
        other => {
            return Err(
                ApiError::bad_request("invalid_outcome", format!("`{other}` is not a way a pairing ends")).into()
            );
        }
    };
    let reason = mentorship_ops::reason(&form.reason)?;
    transition(state, user, id.into_inner(), Transition::End { reason, outcome }).await
}

// ---- People and pairings ------------------------------------------------------------

fn people_data(conn: &mut DbConnection, org_id: &str) -> Result<PeopleData, ApiError> {
    let people = crate::db::people::find_by_org(conn, org_id)?;
    let sites = queries::sites(conn, org_id)?;
    let mut open_pairings: HashMap<String, (usize, usize)> = HashMap::new();
    for named in queries::pairings(conn, Filter::org(org_id))? {
        let m = named.mentorship;
        if crate::domain::MentorshipStatus::parse(&m.status).is_some_and(|s| s.is_open()) {
            open_pairings.entry(m.mentor_id).or_default().0 += 1;
            open_pairings.entry(m.mentee_id).or_default().1 += 1;
        }
    }
    Ok(PeopleData { people, sites, open_pairings })
}

#[derive(Debug, Deserialize)]
pub struct PeopleQuery {
    added: Option<String>,
}

async fn people(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<PeopleQuery>) -> Page {
    let added = query.into_inner().added;
    let page = state
        .db
        .run(move |conn| {
            let data = people_data(conn, &user.org_id)?;
            let notice = added
                .and_then(|id| data.people.iter().find(|p| p.id == id).map(|p| p.display_name.clone()))
                .map(|name| Notice::Done(format!("Added {name}.")));
            Ok(pages::people_page(
                &user,
                &data,
                notice.as_ref(),
                &PersonFormValues::default(),
                &PairFormValues::default(),
            ))
        })
        .await?;
    Ok(html(page))
}

/// The people page again, showing why a form was refused, with its status.
async fn refused(
    state: &web::Data<AppState>,
    user: ConsoleUser,
    error: ApiError,
    person_form: PersonFormValues,
    pair_form: PairFormValues,
) -> Page {
    if let ApiError::Internal(_) | ApiError::Unavailable { .. } = error {
        return Err(error.into());
    }
    use actix_web::ResponseError;
    let status = error.status_code();
    let notice = Notice::Failed(sentence(&error.to_string()));
    let page = state
        .db
        .run(move |conn| {
            let data = people_data(conn, &user.org_id)?;
            Ok(pages::people_page(&user, &data, Some(&notice), &person_form, &pair_form))
        })
        .await?;
    Ok(HttpResponse::build(status).content_type(ContentType::html()).body(page.into_string()))
}

#[derive(Debug, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    mentee: Option<String>,
    mentor: Option<String>,
    coordinator: Option<String>,
    admin: Option<String>,
    #[serde(default)]
    line_manager_id: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    start_date: String,
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

async fn add_person(state: web::Data<AppState>, user: ConsoleUser, form: web::Form<PersonForm>) -> Page {
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    let values = PersonFormValues {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        mentee: form.mentee.is_some(),
        mentor: form.mentor.is_some(),
        coordinator: form.coordinator.is_some(),
        admin: form.admin.is_some(),
        line_manager_id: form.line_manager_id.clone(),
        site_id: form.site_id.clone(),
        start_date: form.start_date.clone(),
    };
    let mut roles = Vec::new();
    for (wanted, role) in [
        (values.mentee, Role::Mentee),
        (values.mentor, Role::Mentor),
        (values.coordinator, Role::Coordinator),
        (values.admin, Role::Admin),
    ] {
        if wanted {
            roles.push(role);
        }
    }
    // The same rule as the JSON API: only an admin makes another admin.
    if values.admin && !user.roles.admin {
        let error = ApiError::forbidden("only an administrator can give someone the administrator role");
        return refused(&state, user, error, values, PairFormValues::default()).await;
    }
    let new = NewPerson {
        email: form.email,
        display_name: form.display_name,
        roles,
        password: form.password,
        line_manager_id: optional(&form.line_manager_id),
        site_id: optional(&form.site_id),
        start_date: optional(&form.start_date),
    };
    let (org_id, actor) = (user.org_id.clone(), user.actor());
    match state.db.run(move |conn| people_ops::create(conn, &org_id, &actor, &new)).await {
        Ok(person) => Ok(see_other(&format!("/console/people?added={}", person.id))),
        Err(error) => refused(&state, user, error, values, PairFormValues::default()).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct PairForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mentor_id: String,
    #[serde(default)]
    mentee_id: String,
    #[serde(default)]
    started_on: String,
}

async fn create_pairing(state: web::Data<AppState>, user: ConsoleUser, form: web::Form<PairForm>) -> Page {
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    let values = PairFormValues {
        mentor_id: form.mentor_id.clone(),
        mentee_id: form.mentee_id.clone(),
        started_on: form.started_on.clone(),
    };
    let new = (|| -> Result<NewMentorship, ApiError> {
        if !user.roles.coordinator {
            return Err(ApiError::forbidden("only coordinators pair mentors and mentees"));
        }
        Ok(NewMentorship {
            mentor_id: parse_id("mentor", form.mentor_id.trim())?,
            mentee_id: parse_id("mentee", form.mentee_id.trim())?,
            started_on: optional(&form.started_on).map(|text| parse_input_date("started_on", &text)).transpose()?,
            site_id: None,
            programme_id: None,
        })
    })();
    let new = match new {
        Ok(new) => new,
        Err(error) => return refused(&state, user, error, PersonFormValues::default(), values).await,
    };
    let (org_id, actor) = (user.org_id.clone(), user.actor());
    match state.db.run(move |conn| mentorship_ops::create(conn, &org_id, &actor, &new)).await {
        Ok((view, warnings)) => Ok(html(pages::pairing_created_page(&user, &view, &warnings))),
        Err(error) => refused(&state, user, error, PersonFormValues::default(), values).await,
    }
}

// ---- Devices ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    return_to: String,
}

#[derive(Debug, Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    csrf: String,
    /// `deactivate` or `reactivate`.
    #[serde(default)]
    action: String,
}

/// Deactivates a leaver (revoking their devices, so their phones wipe) or
/// reactivates someone, with the same rules as `PATCH /v1/people/{id}`.
async fn set_person_access(
    state: web::Data<AppState>,
    user: ConsoleUser,
    id: web::Path<String>,
    form: web::Form<AccessForm>,
) -> Page {
    user.check_csrf(&form.csrf)?;
    let id = parse_id("person", &id)?;
    let active = match form.action.as_str() {
        "deactivate" => Some(false),
        "reactivate" => Some(true),
        _ => None,
    };
    state
        .db
        .run(move |conn| {
            // Someone else's id is not found, whatever the form says.
            crate::db::people::find_by_id(conn, &user.org_id, &id)?.ok_or_else(|| ApiError::not_found("person"))?;
            let active =
                active.ok_or_else(|| ApiError::bad_request("invalid_action", "choose deactivate or reactivate"))?;
            let update = PersonUpdate { active: Some(active), ..PersonUpdate::default() };
            people_ops::update(conn, &user.org_id, &user.actor(), user.roles, &id, &update)
        })
        .await?;
    Ok(see_other("/console/people"))
}

async fn revoke_device(
    state: web::Data<AppState>,
    user: ConsoleUser,
    id: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> Page {
    user.check_csrf(&form.csrf)?;
    let id = parse_id("device", &id)?;
    // Only back into the console: never an address a form could point elsewhere.
    let back = form.return_to.clone();
    let location = if back.starts_with("/console/") && !back.contains("//") && !back.contains('\\') {
        back
    } else {
        "/console".to_owned()
    };
    state
        .db
        .run(move |conn| {
            let device =
                devices::find_by_id_in_org(conn, &user.org_id, &id)?.ok_or_else(|| ApiError::not_found("device"))?;
            device_ops::revoke(conn, &device, &user.actor())
        })
        .await?;
    Ok(see_other(&location))
}
