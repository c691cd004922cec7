//! The concerns inbox (`/console/concerns`): what mentees and mentors raised
//! privately with the coordinators, with their words, and the forms that
//! acknowledge and close a concern with a response the author reads on their
//! phone. The one console page that shows a pair member's own text, because
//! the author chose to send it to the coordinators; coordinators only (an admin
//! who is not one sees the counts on the dashboard, not this page).

use actix_web::web;
use maud::{Markup, html};
use serde::Deserialize;
use sync_core::ConcernStatus;

use super::csrf::CsrfForm;
use super::error::ConsoleError;
use super::layout::{Page, Section, csrf_field, html, layout, path_id, render, see_other};
use super::login::ConsoleUser;
use crate::domain::concerns::{self, Answer, ConcernItem};
use crate::error::ApiError;
use crate::model::DocumentId;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    /// `open` (the default: open and acknowledged), `closed` or `all`.
    #[serde(default)]
    show: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    response: String,
}

/// `/console/concerns`.
pub async fn inbox(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<InboxQuery>) -> Page {
    let show = query.into_inner().show.unwrap_or_else(|| "open".to_owned());
    let filter: fn(&ConcernItem) -> bool = match show.as_str() {
        "open" => |c| c.status != ConcernStatus::Closed.as_str(),
        "closed" => |c| c.status == ConcernStatus::Closed.as_str(),
        "all" => |_| true,
        _ => return Err(ApiError::bad_request("invalid_query", "show is open, closed or all").into()),
    };
    let (org_id, actor) = (user.org_id, user.actor());
    let sync = state.sync.clone();
    let items = state
        .db
        .run(move |conn| {
            Ok::<_, ConsoleError>(concerns::list(conn, &sync.cache, org_id, &actor, None).map_err(ApiError::from)?)
        })
        .await?;
    let items: Vec<ConcernItem> = items.into_iter().filter(filter).collect();
    Ok(html(render(move || Ok(inbox_markup(&user, &show, &items))).await?))
}

pub async fn acknowledge(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<AnswerForm>) -> Page {
    answer(state, &id, form, Answer::Acknowledge).await
}

pub async fn close(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<AnswerForm>) -> Page {
    answer(state, &id, form, Answer::Close).await
}

async fn answer(state: web::Data<AppState>, id: &str, form: CsrfForm<AnswerForm>, how: Answer) -> Page {
    let CsrfForm { user, form } = form;
    let id: DocumentId = path_id("concern", id)?;
    let sync = state.sync.clone();
    state
        .db
        .run(move |conn| {
            let (_, changed) = concerns::answer(conn, &sync.cache, user.org_id, &user.actor(), id, how, &form.response)
                .map_err(ApiError::from)?;
            crate::routes::concerns::announce(&sync.notifier, conn, &changed);
            Ok::<_, ConsoleError>(())
        })
        .await?;
    Ok(see_other(&format!("/console/concerns#concern-{id}")))
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "pairing_not_working" => "The pairing is not working",
        "safeguarding" => "Safeguarding",
        _ => "Other",
    }
}

fn inbox_markup(user: &ConsoleUser, show: &str, items: &[ConcernItem]) -> Markup {
    let tab = |name: &str, label: &str| {
        html! {
            li { a href={ "/console/concerns?show=" (name) } aria-current=[(show == name).then_some("page")] { (label) } }
        }
    };
    let main = html! {
        h1 { "Concerns" }
        p.hint {
            "Raised privately by mentees and mentors, for the coordinators only: never shown to the other member of the pairing. "
            "Your response is what the person reads on their phone."
        }
        nav aria-label="Which concerns" { ul.tabs { (tab("open", "Open")) (tab("closed", "Closed")) (tab("all", "All")) } }
        @if items.is_empty() {
            p data-concerns="0" { "No concerns here." }
        }
        @for c in items {
            section.concern id={ "concern-" (c.id) } data-concern=(c.id) data-kind=(c.kind) data-status=(c.status)
                aria-label={ (kind_label(&c.kind)) " from " (c.author_name) } {
                h2 {
                    @if c.kind == "safeguarding" { strong.flag { "Safeguarding" } " " } @else { (kind_label(&c.kind)) " " }
                    "from " (c.author_name)
                }
                p.meta {
                    "Received " (c.raised_at.to_string()) ". "
                    a href={ "/console/pairings/" (c.mentorship_id) } { "The pairing" } ". "
                    "Status: " span data-status-label=(c.status) { (c.status) }
                    @if let Some(at) = c.closed_at { " (closed " (at.to_string()) ")" }
                    @else if let Some(at) = c.acknowledged_at { " (acknowledged " (at.to_string()) ")" }
                }
                blockquote.concern-text { @for line in c.text.lines() { p { (line) } } }
                @if !c.response.is_empty() {
                    p { "Response: " span.response { (c.response) } }
                }
                @if c.status != ConcernStatus::Closed.as_str() {
                    @for (action, label) in [("acknowledge", "Acknowledge"), ("close", "Close")] {
                        form method="post" action={ "/console/concerns/" (c.id) "/" (action) } {
                            (csrf_field(&user.csrf_token))
                            label { (label) " with a response the person will read"
                                textarea name="response" required maxlength=(concerns::MAX_RESPONSE_CHARS) rows="3" {} }
                            button type="submit" { (label) }
                        }
                    }
                }
            }
        }
    };
    layout(user, Section::Concerns, "Concerns", main)
}
