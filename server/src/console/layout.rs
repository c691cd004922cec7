//! What every console page shares: the HTTP answers (HTML, SVG, redirects,
//! rendering off the async threads), the page shell (head, navigation, sign-out
//! form), the error page, the static assets, and the formatting of dates, spans,
//! hours and labels.
//!
//! Pages are written with maud: every interpolated value is escaped unless
//! wrapped in `PreEscaped`, which only the server-drawn SVG charts are. They are
//! semantic HTML (landmarks, headings, tables with header cells, labelled form
//! controls) and work without script; the one script only makes the live parts
//! refresh. At phone width the CSS turns table rows into cards using each
//! cell's `data-label`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use maud::{DOCTYPE, Markup, html};
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use super::error::ConsoleError;
use super::login::ConsoleUser;
use super::progress::{DeviceHealth, PairingSummary, plural};
use crate::domain::programme::TouchpointState;
use crate::error::ApiError;
use crate::model::{Day, MentorshipStatus};

const STYLESHEET: &str = include_str!("assets/console.css");
const SCRIPT: &str = include_str!("assets/console.js");

/// What a console route answers.
pub type Page = Result<HttpResponse, ConsoleError>;

pub fn html(markup: Markup) -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::html()).body(markup.into_string())
}

pub fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("image/svg+xml").body(body)
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Renders on a blocking thread, after the database work has returned its rows
/// (and its pooled connection): drawing charts and writing the HTML of a large
/// programme takes milliseconds that must hold neither a connection nor an
/// async worker.
pub async fn render<T, F>(f: F) -> Result<T, ConsoleError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    Ok(web::block(f).await.map_err(ApiError::internal)??)
}

/// An id from the address. One that is not a uuid names nothing, like an id of
/// another organisation: 404, on the console's own error page.
pub fn path_id<T: std::str::FromStr>(what: &'static str, text: &str) -> Result<T, ConsoleError> {
    text.parse().map_err(|_| ConsoleError::not_found(what))
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}

/// Which part of the console a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Programme,
    People,
    Audit,
    Programmes,
    Training,
    Groups,
    Surveys,
    Concerns,
    Reports,
}

pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="same-origin";
            title { (title) " · Alongside console" }
            link rel="stylesheet" href="/console/assets/console.css";
            script src="/console/assets/console.js" defer {}
        }
    }
}

/// The frame of every signed-in page.
pub fn layout(user: &ConsoleUser, section: Section, title: &str, main: Markup) -> Markup {
    let current = |s: Section| if s == section { Some("page") } else { None };
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    p.brand { a href="/console" { "Alongside" } span { " console" } }
                    nav aria-label="Console" {
                        ul {
                            li { a href="/console" aria-current=[current(Section::Programme)] { "Programme" } }
                            li { a href="/console/people" aria-current=[current(Section::People)] { "People and pairings" } }
                            @if crate::domain::permissions::govern(user.roles).is_ok() {
                                li { a href="/console/audit" aria-current=[current(Section::Audit)] { "Audit trail" } }
                            }
                            li { a href="/console/programmes" aria-current=[current(Section::Programmes)] { "Programmes" } }
                            li { a href="/console/training" aria-current=[current(Section::Training)] { "Training" } }
                            li { a href="/console/groups" aria-current=[current(Section::Groups)] { "Groups" } }
                            li { a href="/console/surveys" aria-current=[current(Section::Surveys)] { "Surveys" } }
                            @if crate::domain::concerns::read_concerns(&user.actor()).is_ok() {
                                li { a href="/console/concerns" aria-current=[current(Section::Concerns)] { "Concerns" } }
                            }
                            li { a href="/console/reports/oversight" aria-current=[current(Section::Reports)] { "Reports" } }
                        }
                    }
                    form.sign-out method="post" action="/console/sign-out" {
                        (csrf_field(&user.csrf_token))
                        span.who { (user.display_name) }
                        a href="/console/password" { "Change password" }
                        button type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" { (main) }
            }
        }
    }
}

pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A page explaining a failure.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            (head(title))
            body.narrow {
                main #main {
                    h1 { (title) }
                    p { (message) }
                    p { a href="/console" { "Back to the programme" } }
                }
            }
        }
    }
}

pub fn date_text(date: Date) -> String {
    date.format(format_description!("[day padding:none] [month repr:short] [year]"))
        .unwrap_or_else(|_| date.to_string())
}

pub fn date_cell(date: Option<Date>) -> Markup {
    match date {
        Some(date) => html! { time datetime=(Day::from(date)) { (date_text(date)) } },
        None => html! { "—" },
    }
}

/// A date a pair wrote (projections keep their text as written): shown as a
/// date when it reads as one.
pub fn date_str_cell(text: Option<&str>) -> Markup {
    match text.and_then(|text| text.parse::<Day>().ok()).map(Day::date) {
        Some(date) => date_cell(Some(date)),
        None => html! { "not set" },
    }
}

/// "45 minutes", "3 hours", "2 days".
pub fn span_text(span: Duration) -> String {
    let minutes = span.whole_minutes().max(0);
    if minutes < 1 {
        "under a minute".to_owned()
    } else if minutes < 60 {
        plural(minutes, "minute", "minutes")
    } else if minutes < 48 * 60 {
        plural(minutes / 60, "hour", "hours")
    } else {
        plural(minutes / (24 * 60), "day", "days")
    }
}

pub fn days_ago(today: Date, date: Date) -> String {
    match (today - date).whole_days() {
        0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        n if n < 0 => "in the future".to_owned(),
        n => format!("{n} days ago"),
    }
}

pub fn hours(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    format!("{}.{} h", tenths / 10, tenths % 10)
}

pub fn status_label(status: MentorshipStatus) -> &'static str {
    match status {
        MentorshipStatus::Proposed => "Proposed",
        MentorshipStatus::Active => "Active",
        MentorshipStatus::Paused => "Paused",
        MentorshipStatus::Completed => "Completed",
        MentorshipStatus::Ended => "Ended",
    }
}

/// The CSS class of a touchpoint's badge.
pub fn touchpoint_class(state: TouchpointState) -> &'static str {
    match state {
        TouchpointState::Met => "met",
        TouchpointState::MetLate => "late",
        TouchpointState::Due => "due",
        TouchpointState::Overdue => "overdue",
        TouchpointState::Upcoming => "upcoming",
    }
}

pub fn kind_label(kind: Option<&str>) -> &'static str {
    match kind {
        Some("shadowing") => "Shadowing shift",
        Some("meeting") => "1:1 meeting",
        Some("check_in") => "Check-in",
        _ => "Not set",
    }
}

pub fn mode_label(mode: Option<&str>) -> &'static str {
    match mode {
        Some("face_to_face") => "Face to face",
        Some("phone") => "Phone",
        Some("online") => "Online",
        _ => "—",
    }
}

pub fn week_text(p: &PairingSummary, today: Date) -> String {
    match (p.week, p.started_on) {
        (Some(week), _) if week > p.rules.induction_weeks => {
            format!("week {week}, past the {}-week induction", p.rules.induction_weeks)
        }
        (Some(week), _) => format!("week {week} of {}", p.rules.induction_weeks),
        (None, Some(start)) if start > today => format!("starts {}", date_text(start)),
        _ => String::new(),
    }
}

pub fn device_line(device: &DeviceHealth, now: OffsetDateTime) -> Markup {
    html! {
        span.badge.(device.state.class()) { (device.state.label()) }
        " " (device.name) " (" (device.role) ")"
        @if let Some(at) = device.last_sync_at {
            ", synced " (span_text(now - at)) " ago"
        }
        @if let Some(age) = device.oldest_unsynced.filter(|a| a.is_positive()) {
            ", oldest unsynced change " (span_text(age)) " old"
        }
    }
}

pub fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "not yet" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span_text(Duration::seconds(20)), "under a minute");
        assert_eq!(span_text(Duration::minutes(1)), "1 minute");
        assert_eq!(span_text(Duration::hours(5)), "5 hours");
        assert_eq!(span_text(Duration::days(3)), "3 days");
        assert_eq!(hours(90), "1.5 h");
        assert_eq!(hours(0), "0.0 h");
    }

    #[test]
    fn error_pages_escape_what_they_show() {
        let page = error_page(StatusCode::BAD_REQUEST, "<script>alert(1)</script>").into_string();
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>alert"));
    }
}
