//! The manager console: server-rendered HTML under `/console` for programme
//! coordinators and administrators.
//!
//! What a coordinator sees is built only from the projections that sync writes
//! (`session_projections`, `goal_projections`, `action_projections`,
//! `device_sync`) and from the organisation's own records (people, pairings,
//! programmes, devices). Pair documents and journals are never loaded here, so
//! notes, accounts of the shift, feedback, action text, goal titles and
//! reflections cannot reach a page: the only free text from a pair is a summary
//! it put under `shared` on purpose.
//!
//! - [`session`]: sign-in with the argon2 verification and login throttling of
//!   [`crate::auth`], a server-side session named by a random cookie (stored as its
//!   SHA-256), a per-session CSRF token checked on every form, and the
//!   [`session::ConsoleUser`] extractor that re-reads roles on every request.
//! - [`queries`]: a handful of organisation-wide, set-based reads (never one query
//!   per pairing) and [`programme`], the pure computation of weeks, touchpoints,
//!   sync health and "needs attention" from them.
//! - [`charts`]: SVG charts drawn with plotters.
//! - [`pages`]: the HTML (maud), [`handlers`]: the routes, [`events`]: the
//!   server-sent events that make the dashboard live.
//!
//! These routes answer HTML (errors too), not the JSON API's shape, and are not
//! part of `/openapi.json`.

pub mod charts;
pub mod error;
pub mod events;
pub mod handlers;
pub mod pages;
pub mod programme;
pub mod queries;
pub mod session;
mod store;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::web;

pub use error::ConsoleError;

/// Largest form body the console accepts.
const FORM_LIMIT: usize = 16 * 1024;

/// Registers every console route under `/console`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .app_data(
                web::FormConfig::default()
                    .limit(FORM_LIMIT)
                    .error_handler(|error, _req| ConsoleError::bad_form(&error).into()),
            )
            .app_data(web::QueryConfig::default().error_handler(|error, _req| ConsoleError::bad_query(&error).into()))
            .wrap(security_headers())
            .configure(handlers::config),
    );
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
