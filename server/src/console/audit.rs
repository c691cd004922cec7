//! The audit trail page (`/console/audit`, admins), and [`record_view`], which
//! every page showing a pairing or people calls, so that who looked at whom is
//! itself in the trail.

use actix_web::web;
use maud::html;
use serde::Deserialize;

use super::layout::{Page, Section, html, layout, render};
use super::login::ConsoleUser;
use crate::db::audit_events::EventFilter;
use crate::domain::audit::{self, AuditPage};
use crate::domain::{AuditObject, DomainError, record_audit};
use crate::state::AppState;

/// Records that `user` opened a page about `object` (`action` names the page).
pub async fn record_view(
    state: &AppState,
    user: &ConsoleUser,
    action: &'static str,
    object: AuditObject,
) -> Result<(), DomainError> {
    let (org_id, actor) = (user.org_id, user.actor());
    state.db.run(move |conn| record_audit(conn, org_id, &actor, action, object, serde_json::json!({}))).await
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    subject_id: Option<String>,
    cursor: Option<String>,
}

const PAGE: i64 = 100;

pub async fn page(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<AuditQuery>) -> Page {
    let query = query.into_inner();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let filter = EventFilter {
        action: text(&query.action),
        subject_id: text(&query.subject_id),
        after_seq: text(&query.cursor).and_then(|c| c.parse().ok()),
        ..EventFilter::default()
    };
    let (org_id, actor) = (user.org_id, user.actor());
    let shown = filter.clone();
    let (page, names): (AuditPage, std::collections::HashMap<String, String>) = state
        .db
        .run(move |conn| {
            let page = audit::list(conn, org_id, &actor, &filter, PAGE)?;
            let names = crate::db::people::find_by_org(conn, org_id)?
                .into_iter()
                .map(|p| (p.id.to_string(), p.display_name))
                .collect();
            Ok::<_, DomainError>((page, names))
        })
        .await?;
    let markup = render(move || {
        let next = page.next_cursor.as_ref().map(|cursor| {
            let mut link = format!("/console/audit?cursor={cursor}");
            if let Some(action) = &shown.action {
                link.push_str(&format!("&action={}", query_value(action)));
            }
            if let Some(subject) = &shown.subject_id {
                link.push_str(&format!("&subject_id={}", query_value(subject)));
            }
            link
        });
        let main = html! {
            h1 { "Audit trail" }
            p { "Every sign-in, page view, change, export, retention run and erasure, oldest first. "
                "Each event carries the hash of the one before; " code { "alongside audit verify" } " checks the chain. "
                a href="/v1/audit.csv" { "The API" } " serves the same as CSV." }
            form.filters method="get" action="/console/audit" {
                label { "Action " input type="text" name="action" value=[shown.action.as_deref()]; }
                label { "About (id) " input type="text" name="subject_id" value=[shown.subject_id.as_deref()]; }
                button type="submit" { "Filter" }
            }
            table {
                thead { tr { th { "#" } th { "Recorded" } th { "Action" } th { "By" } th { "Device" } th { "About" } th { "Detail" } } }
                tbody {
                    @for event in &page.events {
                        tr {
                            td { (event.seq) }
                            td { (event.server_time) }
                            td { (event.action) }
                            td {
                                @match event.actor_id.as_deref() {
                                    Some(id) => { (names.get(id).map_or(id, String::as_str)) }
                                    None => { "system" }
                                }
                            }
                            td { (event.device_id.as_deref().unwrap_or("")) }
                            td { (event.object_type) " " (event.object_id) }
                            td { code { (event.detail.to_string()) } }
                        }
                    }
                }
            }
            @if let Some(next) = next { p { a href=(next) { "Later events" } } }
        };
        Ok(layout(&user, Section::Audit, "Audit trail", main))
    })
    .await?;
    Ok(html(markup))
}

/// Percent-encodes a query string value.
fn query_value(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}
