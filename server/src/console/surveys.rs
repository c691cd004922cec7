//! Survey results (`/console/surveys`): mean scores per question by programme,
//! by site and by start-month cohort, from the survey projections. A group of
//! fewer than five respondents shows "fewer than 5 responses" and no figure.
//! Free text appears only where the respondent shared it, listed per programme
//! and survey (never by site or cohort, never with a name or a date) and only
//! when that survey has five or more respondents in the programme.

use actix_web::web;
use maud::{Markup, html};

use super::error::ConsoleError;
use super::layout::{Page, Section, html, layout, render};
use super::login::ConsoleUser;
use crate::domain::surveys::{self, Grouping, ResultsFilter, SurveyMean, SurveyResults};
use crate::state::AppState;

/// The three views of the results, each also by programme.
struct Results {
    by_programme: SurveyResults,
    by_site: SurveyResults,
    by_cohort: SurveyResults,
}

pub async fn page(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    let org_id = user.org_id;
    let actor = user.actor();
    let results = state
        .db
        .run(move |conn| {
            let all = ResultsFilter::default();
            let by = |site, cohort| Grouping { programme: true, site, cohort };
            Ok::<_, ConsoleError>(Results {
                by_programme: surveys::results(conn, org_id, &actor, &all, by(false, false))?,
                by_site: surveys::results(conn, org_id, &actor, &all, by(true, false))?,
                by_cohort: surveys::results(conn, org_id, &actor, &all, by(false, true))?,
            })
        })
        .await?;
    Ok(html(render(move || Ok(markup(&user, &results))).await?))
}

fn table(means: &[SurveyMean], first: &str, label: impl Fn(&SurveyMean) -> String) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { (first) } th scope="col" { "Survey" } th scope="col" { "Question" }
                th scope="col" { "Responses" } th scope="col" { "Mean (1 to 5)" }
            } }
            tbody {
                @for m in means {
                    tr data-survey=(m.survey_key) data-question=(m.question_id) data-suppressed=(if m.suppressed() { "true" } else { "false" }) {
                        th scope="row" data-label=(first) { (label(m)) }
                        td data-label="Survey" { (m.survey_title) }
                        td data-label="Question" { (m.question_text) }
                        @match m.mean {
                            Some(mean) => {
                                td data-label="Responses" { (m.respondents) }
                                td data-label="Mean" data-mean=(format!("{mean:.2}")) { (format!("{mean:.1}")) }
                            }
                            None => {
                                td data-label="Responses" colspan="2" { "fewer than 5 responses" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn markup(user: &ConsoleUser, results: &Results) -> Markup {
    let programme = |m: &SurveyMean| m.group.programme_name.clone().unwrap_or_default();
    let main = html! {
        h1 { "Survey results" }
        p.hint {
            "What mentees and mentors answered in their programme's surveys, as mean scores from 1 (not at all) to 5 (very much). "
            "Any group of fewer than 5 people shows no figures. Comments appear only where the person chose to share them, without names."
        }
        @if results.by_programme.means.is_empty() {
            p { "No survey responses yet." }
        } @else {
            section aria-label="By programme" data-results="programme" {
                h2 { "By programme" }
                (table(&results.by_programme.means, "Programme", programme))
            }
            section aria-label="By site" data-results="site" {
                h2 { "By site" }
                (table(&results.by_site.means, "Programme and site", |m| format!("{} · {}", programme(m), m.group.site_name.clone().unwrap_or_default())))
            }
            section aria-label="By start-month cohort" data-results="cohort" {
                h2 { "By start-month cohort" }
                (table(&results.by_cohort.means, "Programme and cohort", |m| format!("{} · started {}", programme(m), m.group.cohort.clone().unwrap_or_default())))
            }
            section aria-label="Shared comments" data-results="comments" {
                h2 { "Shared comments" }
                @if results.by_programme.comments.is_empty() {
                    p { "None to show: comments appear once a survey has 5 or more responses in the programme." }
                } @else {
                    ul {
                        @for c in &results.by_programme.comments {
                            li data-comment=(c.survey_key) {
                                span.hint { (c.group.programme_name.clone().unwrap_or_default()) ", " (c.survey_key) ": " }
                                (c.text)
                            }
                        }
                    }
                }
            }
        }
    };
    layout(user, Section::Surveys, "Survey results", main)
}
