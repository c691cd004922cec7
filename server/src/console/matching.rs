//! The new-pairing form with suggestions (`/console/pairings/new`): choose a
//! mentee and a programme, see mentors ranked with their reasons and warnings
//! ([`crate::domain::matching`]), and pair one. A mentor not approved for the
//! programme is paired only with an override reason.

use actix_web::web;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Page, Section, csrf_field, html, layout, render};
use super::login::ConsoleUser;
use crate::db::people::Person;
use crate::domain::matching::{self as ops, Suggestion};
use crate::domain::programmes::{self as programme_ops, ProgrammeView};
use crate::domain::{DomainError, people as people_ops, permissions};
use crate::error::sentence;
use crate::model::{PersonId, ProgrammeId};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct NewPairingQuery {
    #[serde(default)]
    mentee_id: Option<String>,
    #[serde(default)]
    programme_id: Option<String>,
}

struct Data {
    mentees: Vec<Person>,
    programmes: Vec<ProgrammeView>,
    mentee: Option<PersonId>,
    programme: Option<ProgrammeId>,
    suggestions: Result<Vec<Suggestion>, String>,
}

pub async fn new_pairing(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<NewPairingQuery>) -> Page {
    permissions::change_pairings(user.roles)?;
    let query = query.into_inner();
    let mentee: Option<PersonId> = query.mentee_id.and_then(|t| t.trim().parse().ok());
    let programme: Option<ProgrammeId> = query.programme_id.and_then(|t| t.trim().parse().ok());
    let loader = user.clone();
    let data = state
        .db
        .run(move |conn| {
            let actor = loader.actor();
            let mentees: Vec<Person> = people_ops::list(conn, loader.org_id, &actor)?
                .into_iter()
                .filter(|p| p.is_mentee && p.is_active())
                .collect();
            let programmes = programme_ops::list(conn, loader.org_id)?;
            // A mentee or programme that is not found is said on the page;
            // anything else fails the request.
            let suggestions = match mentee.map(|id| ops::suggestions(conn, loader.org_id, &actor, id, programme)) {
                Some(Ok(list)) => Ok(list),
                Some(Err(e @ DomainError::NotFound { .. })) => Err(sentence(&e.to_string())),
                Some(Err(other)) => return Err(other),
                None => Ok(Vec::new()),
            };
            Ok::<_, DomainError>(Data { mentees, programmes, mentee, programme, suggestions })
        })
        .await?;
    Ok(html(render(move || Ok(page_markup(&user, &data))).await?))
}

fn suggestion_row(user: &ConsoleUser, data: &Data, mentee: PersonId, s: &Suggestion) -> Markup {
    let programme = data.programme.or_else(|| data.programmes.iter().find(|p| p.is_default).map(|p| p.id));
    html! {
        tr data-suggestion=(s.mentor_id) {
            th scope="row" data-label="Mentor" { (s.mentor_name) span.sub { (s.active_mentees) " of " (s.capacity) " mentees" } }
            td data-label="Score" { (s.score) }
            td data-label="Why" {
                @if s.reasons.is_empty() { "—" } @else {
                    ul.reasons { @for r in &s.reasons { li data-reason=(r.code) { (sentence(&r.message)) } } }
                }
            }
            td data-label="Check" {
                @if s.warnings.is_empty() { "—" } @else {
                    ul.reasons { @for w in &s.warnings { li.warn data-warning=(w.code) { (sentence(&w.message)) } } }
                }
            }
            td data-label="Pair" {
                form.inline method="post" action="/console/pairings" {
                    (csrf_field(&user.csrf_token))
                    input type="hidden" name="mentor_id" value=(s.mentor_id);
                    input type="hidden" name="mentee_id" value=(mentee);
                    @if let Some(id) = programme { input type="hidden" name="programme_id" value=(id); }
                    @if !s.approved {
                        label for={ "override-" (s.mentor_id) } { "Override reason (not approved)" }
                        input id={ "override-" (s.mentor_id) } name="override_reason" required maxlength="1000";
                    }
                    button type="submit" aria-label={ "Pair with " (s.mentor_name) } { "Pair" }
                }
            }
        }
    }
}

fn page_markup(user: &ConsoleUser, data: &Data) -> Markup {
    let main = html! {
        p.crumbs { a href="/console/people" { "People and pairings" } }
        h1 { "New pairing" }
        section aria-labelledby="choose-heading" {
            h2 #choose-heading { "Who needs a mentor?" }
            form.stack method="get" action="/console/pairings/new" {
                label for="mentee_id" { "Mentee" }
                select #mentee_id name="mentee_id" required {
                    option value="" { "Choose a mentee" }
                    @for p in &data.mentees { option value=(p.id) selected[Some(p.id) == data.mentee] { (p.display_name) } }
                }
                label for="programme_id" { "Programme" }
                select #programme_id name="programme_id" {
                    @for p in &data.programmes {
                        option value=(p.id) selected[Some(p.id) == data.programme || (data.programme.is_none() && p.is_default)] { (p.name) }
                    }
                }
                button type="submit" { "Suggest mentors" }
            }
        }
        @if let Some(mentee) = data.mentee {
            section aria-labelledby="suggestions-heading" {
                h2 #suggestions-heading { "Suggested mentors" }
                @match &data.suggestions {
                    Err(message) => { div.notice.error role="alert" { p { (message) } } }
                    Ok(list) if list.is_empty() => { p { "No mentor is free to suggest." } }
                    Ok(list) => {
                        p.hint { "Best first. The mentee's line manager always comes last." }
                        table.suggestions {
                            thead { tr {
                                th scope="col" { "Mentor" } th scope="col" { "Score" } th scope="col" { "Why" }
                                th scope="col" { "Check" } th scope="col" { "Pair" }
                            } }
                            tbody { @for s in list { (suggestion_row(user, data, mentee, s)) } }
                        }
                    }
                }
            }
        }
    };
    layout(user, Section::People, "New pairing", main)
}
