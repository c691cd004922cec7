//! HTTP routes. Each resource module registers its handlers in its own
//! `config`; [`config`] registers them all.

pub mod auth;
pub mod concerns;
pub mod devices;
pub mod documents;
pub mod governance;
pub mod groups;
pub mod health;
pub mod matching;
pub mod me;
pub mod mentorships;
pub mod openapi;
pub mod passwords;
pub mod people;
pub mod programmes;
pub mod reminders;
pub mod reports;
pub mod sites;
pub mod surveys;
pub mod sync;
pub mod training;

use actix_web::web::ServiceConfig;

/// Registers every route of the API, and the manager console under `/console`.
pub fn config(cfg: &mut ServiceConfig) {
    health::config(cfg);
    openapi::config(cfg);
    auth::config(cfg);
    passwords::config(cfg);
    me::config(cfg);
    matching::config(cfg);
    mentorships::config(cfg);
    people::config(cfg);
    programmes::config(cfg);
    training::config(cfg);
    sites::config(cfg);
    devices::config(cfg);
    sync::config(cfg);
    documents::config(cfg);
    governance::config(cfg);
    groups::config(cfg);
    surveys::config(cfg);
    concerns::config(cfg);
    reminders::config(cfg);
    reports::config(cfg);
    crate::console::config(cfg);
}
