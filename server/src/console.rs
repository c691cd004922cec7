//! The manager console: server-rendered HTML under `/console` for programme
//! coordinators and administrators.
//!
//! What a coordinator sees is built only from the projections that sync writes
//! (`session_projections`, `goal_projections`, `action_projections`,
//! `skill_projections`, `device_sync`) and from the organisation's own records (people, pairings,
//! programmes, devices). Pair documents and journals are never loaded here (the
//! one document kind read is a concern, in [`concerns`]' inbox: its author sent
//! it to the coordinators), so
//! notes, accounts of the shift, feedback, action text, goal titles and
//! reflections cannot reach a page: the only free text from a pair is a summary
//! it put under `shared` on purpose, the reason it gave for a cancelled or
//! missed session, and the names of skills it ticked.
//!
//! - [`login`]: sign-in with the argon2 verification and login throttling of
//!   [`crate::auth`], a server-side login named by a random cookie (stored as its
//!   SHA-256), a per-login CSRF token, and the [`login::ConsoleUser`] extractor
//!   that re-reads roles on every request.
//! - [`csrf`]: the only way a route reads a form ([`csrf::CsrfForm`],
//!   [`csrf::SignInForm`]), so no form skips its token check.
//! - [`queries`]: a handful of organisation-wide, set-based reads (never one query
//!   per pairing) and [`progress`], the pure computation of weeks, touchpoints,
//!   sync health and "needs attention" from them.
//! - [`layout`]: the page shell, shared widgets and formatting; [`charts`]: SVG
//!   charts drawn with plotters.
//! - [`skills`]: the dashboard's "skills practised across the programme";
//!   [`sessions`]: how a session's status, reason and plan are worded.
//! - One module per page, each with its routes, its reads and its HTML:
//!   [`sign_in`], [`dashboard`], [`pairing`], [`people`], [`devices`] (revoking),
//!   [`audit`] (the audit trail, admins; also records page views),
//!   [`programmes`], [`training`] (the matrix and a person's page), [`matching`]
//!   (the new-pairing form with suggestions), [`concerns`] (the inbox: the one
//!   page showing a pair member's words, those they sent the coordinators),
//!   [`reports`] (the oversight report),
//!   and [`events`], the server-sent events that make pages live.
//!
//! Every route reads its rows inside one `Db::run` and renders (HTML, SVG) only
//! after that returns, on a blocking thread ([`layout::render`]), so no pooled
//! connection waits on drawing.
//!
//! These routes answer HTML (errors too), not the JSON API's shape, and are not
//! part of `/openapi.json`.

pub mod audit;
pub mod charts;
pub mod concerns;
pub mod csrf;
pub mod dashboard;
pub mod devices;
pub mod error;
pub mod events;
pub mod layout;
pub mod login;
pub mod matching;
pub mod pairing;
pub mod passwords;
pub mod people;
pub mod programmes;
pub mod progress;
pub mod queries;
pub mod reports;
pub mod scheme;
pub mod sessions;
pub mod sign_in;
pub mod skills;
mod store;
pub mod surveys;
pub mod training;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};

use csrf::post;
pub use error::ConsoleError;

/// Registers every console route under `/console`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .app_data(csrf::forbid_plain_forms())
            .app_data(web::QueryConfig::default().error_handler(|error, _req| ConsoleError::bad_query(&error).into()))
            .wrap(security_headers())
            .configure(routes),
    );
}

/// Every route. POSTs go through [`post`], which only takes handlers that read
/// their form through a CSRF-checking extractor.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(dashboard::dashboard))
        .route("/", web::get().to(to_dashboard))
        .route("/sign-in", web::get().to(sign_in::sign_in_form))
        .route("/sign-in", post(sign_in::sign_in))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/reset-password", web::get().to(sign_in::reset_form))
        .route("/reset-password", post(sign_in::reset))
        .route("/events", web::get().to(events::stream))
        .route("/fragments/dashboard", web::get().to(dashboard::fragment))
        .route("/fragments/pairings/{id}", web::get().to(pairing::fragment))
        .route("/charts/sessions-per-week.svg", web::get().to(dashboard::weekly_chart))
        .route("/pairings", post(people::create_pairing))
        .route("/pairings/new", web::get().to(matching::new_pairing))
        .route("/pairings/{id}", web::get().to(pairing::page))
        .route("/pairings/{id}/timeline.svg", web::get().to(pairing::timeline_chart))
        .route("/pairings/{id}/pause", post(pairing::pause))
        .route("/pairings/{id}/resume", post(pairing::resume))
        .route("/pairings/{id}/end", post(pairing::end))
        .route("/groups", web::get().to(scheme::groups_page))
        .route("/concerns", web::get().to(concerns::inbox))
        .route("/concerns/{id}/acknowledge", post(concerns::acknowledge))
        .route("/concerns/{id}/close", post(concerns::close))
        .route("/people", web::get().to(people::page))
        .route("/people", post(people::add_person))
        .route("/people/{id}/access", post(people::set_access))
        .route("/people/{id}/start-date", post(people::set_start_date))
        .route("/people/{id}", web::get().to(training::person_page))
        .route("/people/{id}/profile", post(training::save_profile))
        .route("/people/{id}/training", post(training::record_training))
        .route("/programmes", web::get().to(programmes::page))
        .route("/programmes", post(programmes::create))
        .route("/programmes/{id}", web::get().to(programmes::edit_page))
        .route("/programmes/{id}", post(programmes::update))
        .route("/training", web::get().to(training::matrix))
        .route("/surveys", web::get().to(surveys::page))
        .route("/reports/oversight", web::get().to(reports::page))
        .route("/reports/oversight.csv", web::get().to(reports::csv))
        .route("/reports/oversight.pdf", web::get().to(reports::pdf))
        .route("/reports/oversight/retention.svg", web::get().to(reports::retention_chart))
        .route("/people/{id}/password-reset", post(passwords::reset))
        .route("/password", web::get().to(passwords::page))
        .route("/password", post(passwords::change))
        .route("/devices/{id}/revoke", post(devices::revoke))
        .route("/audit", web::get().to(audit::page))
        .route("/assets/console.css", web::get().to(layout::stylesheet))
        .route("/assets/console.js", web::get().to(layout::script));
}

async fn to_dashboard() -> HttpResponse {
    layout::see_other("/console")
}

/// Headers for every console response. Pages hold personal data: nothing is
/// cached or framed, and only the console's own script and styles run.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
}
