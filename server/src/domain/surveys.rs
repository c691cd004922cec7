//! Surveys: the projection of survey-response documents, the surveys due for a
//! person, and survey results for coordinators, admins and the oversight report.
//!
//! - A programme lists its surveys ([`Survey`], checked in `domain::programmes`).
//!   A survey falls due on the day [`survey_due_on`] says (sync-core's rule, the
//!   same on the phone).
//! - A response is an owner-only document: the server projects it when it is
//!   consistent (the pairing is in the organisation and the respondent is its
//!   mentor or mentee as the survey asks, the document id is the one derived
//!   from respondent, pairing and survey, the answers fit the survey). Scores
//!   always; text only when the respondent shared it. An inconsistent one is
//!   kept, as every change is, and not projected.
//! - Results are means per question, by programme, site or start-month cohort;
//!   a group of fewer than [`MIN_GROUP`] distinct respondents has no mean and no
//!   text ("fewer than 5 responses"). Text is never shown with a name.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use sync_core::api::{QuestionKind, Survey, SurveyQuestion};
use sync_core::{PairingDates, SurveyResponseView, check_answers, survey_due_on};
use utoipa::ToSchema;

use super::programmes::programme_surveys;
use super::{Actor, DomainError, permissions};
use crate::db::mentorships::{self as mentorships_db, Scope};
use crate::db::survey_responses::{self as survey_db, NewAnswer, NewResponse, ResponseFilter};
use crate::db::{DbConnection, programmes as programmes_db, sites as sites_db};
use crate::model::{Day, DocumentId, MentorshipId, OrgId, PersonId, ProgrammeId, SiteId, Timestamp};

/// Groups with fewer distinct respondents than this show no figures and no text.
pub const MIN_GROUP: usize = 5;

/// Project one survey-response document of `respondent` (inside the sync
/// transaction). `None`: not submitted yet, nothing projected.
pub fn project_response(
    conn: &mut DbConnection,
    document_id: DocumentId,
    org_id: OrgId,
    respondent: PersonId,
    response: Option<&SurveyResponseView>,
    now: Timestamp,
) -> diesel::QueryResult<()> {
    survey_db::delete(conn, document_id)?;
    let Some(response) = response else { return Ok(()) };
    match consistent(conn, document_id, org_id, respondent, response)? {
        Ok((row, answers)) => survey_db::replace(conn, &NewResponse { updated_at: now, ..row }, &answers),
        Err(problem) => {
            // Only what is wrong, never the answers (they are the respondent's words).
            tracing::warn!(document = %document_id, problem, "survey response not projected");
            Ok(())
        }
    }
}

type Projected = (NewResponse, Vec<NewAnswer>);

fn consistent(
    conn: &mut DbConnection,
    document_id: DocumentId,
    org_id: OrgId,
    respondent: PersonId,
    response: &SurveyResponseView,
) -> diesel::QueryResult<Result<Projected, &'static str>> {
    let Ok(mentorship_id) = response.mentorship_id.parse::<MentorshipId>() else {
        return Ok(Err("the pairing id is not an id"));
    };
    if DocumentId::survey_response_of(respondent, mentorship_id, &response.survey_key) != document_id {
        return Ok(Err("the document id does not match its respondent, pairing and survey"));
    }
    let Some(mentorship) = mentorships_db::find_by_id(conn, org_id, mentorship_id)? else {
        return Ok(Err("the pairing is not in the organisation"));
    };
    let role = if mentorship.mentee_id == respondent {
        "mentee"
    } else if mentorship.mentor_id == respondent {
        "mentor"
    } else {
        return Ok(Err("the respondent is not in the pairing"));
    };
    let Some(programme) = programmes_db::find_by_id(conn, org_id, mentorship.programme_id)? else {
        return Ok(Err("the pairing's programme is gone"));
    };
    let Some(survey) = programme_surveys(&programme).into_iter().find(|s| s.key == response.survey_key) else {
        return Ok(Err("the programme has no such survey"));
    };
    if !survey.respondent.includes(role) {
        return Ok(Err("the survey does not ask this member of the pair"));
    }
    let Ok(answers) = check_answers(&survey, &response.answers) else {
        return Ok(Err("the answers do not fit the survey"));
    };
    let submitted_on =
        response.submitted_at.get(..10).and_then(|day| day.parse::<Day>().ok()).unwrap_or_else(Day::today).to_string();
    let row = NewResponse {
        document_id,
        org_id,
        mentorship_id,
        programme_id: programme.id,
        site_id: mentorship.site_id,
        respondent_id: respondent,
        respondent_role: role.to_owned(),
        survey_key: survey.key.clone(),
        submitted_on,
        cohort_month: mentorship.started_on.map(|d| d.to_string().chars().take(7).collect()),
        updated_at: Timestamp::now(),
    };
    let answers = answers
        .into_iter()
        .filter_map(|a| {
            let shared_text = a.text.filter(|_| response.share_text);
            let score = a.score.and_then(|s| i32::try_from(s).ok());
            (score.is_some() || shared_text.is_some()).then_some(NewAnswer {
                document_id,
                question_id: a.question_id,
                score,
                shared_text,
            })
        })
        .collect();
    Ok(Ok((row, answers)))
}

/// A survey due for a person about one of their pairings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DueSurveyItem {
    #[schema(value_type = String)]
    pub mentorship_id: MentorshipId,
    pub survey_key: String,
    pub title: String,
    #[schema(value_type = String)]
    pub due_on: Day,
    pub questions: Vec<SurveyQuestion>,
}

/// The surveys due for `person` on or before `today` that the server has no
/// answer to, earliest first (for `GET /v1/reminders`). An answer still on an
/// offline phone is not known here: the phone's own `due_surveys()` knows it.
pub fn due_for_person(
    conn: &mut DbConnection,
    org_id: OrgId,
    person: PersonId,
    today: Day,
) -> Result<Vec<DueSurveyItem>, DomainError> {
    let answered: BTreeSet<(MentorshipId, String)> =
        survey_db::find_answered(conn, org_id, person)?.into_iter().collect();
    let mut programmes: HashMap<ProgrammeId, Vec<Survey>> = HashMap::new();
    let mut due = Vec::new();
    for named in mentorships_db::find_by_org_with_names(conn, org_id, Scope::Involving(person))? {
        let pairing = named.mentorship;
        let role = if pairing.mentee_id == person { "mentee" } else { "mentor" };
        if let std::collections::hash_map::Entry::Vacant(slot) = programmes.entry(pairing.programme_id) {
            let surveys = programmes_db::find_by_id(conn, org_id, pairing.programme_id)?
                .map(|p| programme_surveys(&p))
                .unwrap_or_default();
            slot.insert(surveys);
        }
        let started_on = pairing.started_on.map(|d| d.to_string());
        let ended_on = pairing.ended_on.map(|d| d.to_string());
        let dates = PairingDates {
            status: pairing.status.as_str(),
            started_on: started_on.as_deref(),
            ended_on: ended_on.as_deref(),
        };
        for survey in programmes.get(&pairing.programme_id).into_iter().flatten() {
            if !survey.respondent.includes(role) || answered.contains(&(pairing.id, survey.key.clone())) {
                continue;
            }
            let Some(due_on) = survey_due_on(survey, dates).and_then(|d| d.parse::<Day>().ok()) else { continue };
            if due_on <= today {
                due.push(DueSurveyItem {
                    mentorship_id: pairing.id,
                    survey_key: survey.key.clone(),
                    title: survey.title.clone(),
                    due_on,
                    questions: survey.questions.clone(),
                });
            }
        }
    }
    due.sort_by(|a, b| (a.due_on, a.mentorship_id, &a.survey_key).cmp(&(b.due_on, b.mentorship_id, &b.survey_key)));
    Ok(due)
}

/// What results are grouped by, besides survey and question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grouping {
    pub programme: bool,
    pub site: bool,
    /// The month the pairing started.
    pub cohort: bool,
}

/// Which responses results cover.
#[derive(Debug, Clone, Default)]
pub struct ResultsFilter {
    pub programme_id: Option<ProgrammeId>,
    pub site_id: Option<SiteId>,
    /// Pairings started on or after this day's month.
    pub from: Option<Day>,
    /// Pairings started on or before this day's month.
    pub to: Option<Day>,
}

/// One group of a result: the programme, site and cohort it is about (those
/// not grouped by are `None`; grouped by site, `site_id` `None` is "no site").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
pub struct ResultGroup {
    #[schema(value_type = Option<String>)]
    pub programme_id: Option<ProgrammeId>,
    pub programme_name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub site_id: Option<SiteId>,
    pub site_name: Option<String>,
    /// `YYYY-MM`.
    pub cohort: Option<String>,
}

/// The mean score of one scale question in one group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SurveyMean {
    #[serde(flatten)]
    pub group: ResultGroup,
    pub survey_key: String,
    pub survey_title: String,
    pub question_id: String,
    pub question_text: String,
    /// Distinct people who answered it in this group.
    pub respondents: usize,
    /// `None` (suppressed) when fewer than 5 people answered.
    pub mean: Option<f64>,
}

impl SurveyMean {
    /// Whether the figures are withheld ("fewer than 5 responses").
    pub fn suppressed(&self) -> bool {
        self.mean.is_none()
    }
}

/// Text a respondent shared, in a group of 5 or more respondents, without a name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub struct SharedComment {
    #[serde(flatten)]
    pub group: ResultGroup,
    pub survey_key: String,
    pub question_id: String,
    pub text: String,
}

/// Survey results: means and shared comments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct SurveyResults {
    pub means: Vec<SurveyMean>,
    pub comments: Vec<SharedComment>,
}

struct Labels {
    programmes: HashMap<ProgrammeId, (String, Vec<Survey>)>,
    sites: HashMap<SiteId, String>,
}

impl Labels {
    fn load(conn: &mut DbConnection, org_id: OrgId) -> Result<Self, DomainError> {
        let programmes = programmes_db::find_by_org(conn, org_id)?
            .into_iter()
            .map(|p| (p.id, (p.name.clone(), programme_surveys(&p))))
            .collect();
        let sites = sites_db::find_by_org(conn, org_id)?.into_iter().map(|s| (s.id, s.name)).collect();
        Ok(Self { programmes, sites })
    }

    fn group(&self, by: Grouping, programme: ProgrammeId, site: Option<SiteId>, cohort: Option<&str>) -> ResultGroup {
        let programme_name = self.programmes.get(&programme).map(|p| p.0.clone());
        let site_name = site.and_then(|s| self.sites.get(&s).cloned()).unwrap_or_else(|| "No site".to_owned());
        ResultGroup {
            programme_id: by.programme.then_some(programme),
            programme_name: if by.programme { programme_name } else { None },
            site_id: site.filter(|_| by.site),
            site_name: by.site.then_some(site_name),
            cohort: by.cohort.then(|| cohort.unwrap_or("no start date").to_owned()),
        }
    }

    /// A survey's title and a question's text, from the programme (or, grouped
    /// across programmes, the first that has the survey).
    fn texts(&self, programme: ProgrammeId, survey_key: &str, question_id: &str) -> (String, String, bool) {
        let survey = self.programmes.get(&programme).and_then(|p| p.1.iter().find(|s| s.key == survey_key));
        let question = survey.and_then(|s| s.questions.iter().find(|q| q.id == question_id));
        (
            survey.map(|s| s.title.clone()).unwrap_or_else(|| survey_key.to_owned()),
            question.map(|q| q.text.clone()).unwrap_or_else(|| question_id.to_owned()),
            question.is_none_or(|q| q.kind == QuestionKind::Scale),
        )
    }
}

#[derive(Default)]
struct Tally {
    respondents: BTreeSet<PersonId>,
    sum: i64,
    count: i64,
    programme: Option<ProgrammeId>,
}

/// Survey results for coordinators and admins (see the module doc).
pub fn results(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    filter: &ResultsFilter,
    by: Grouping,
) -> Result<SurveyResults, DomainError> {
    permissions::read_survey_results(actor.roles)?;
    survey_results(conn, org_id, filter, by)
}

/// [`results`] without the role check, for callers that checked it (the
/// oversight report).
pub fn survey_results(
    conn: &mut DbConnection,
    org_id: OrgId,
    filter: &ResultsFilter,
    by: Grouping,
) -> Result<SurveyResults, DomainError> {
    let month = |day: &Day| day.to_string().chars().take(7).collect::<String>();
    let rows = survey_db::find_answers(
        conn,
        org_id,
        &ResponseFilter {
            programme_id: filter.programme_id,
            site_id: filter.site_id,
            from_month: filter.from.as_ref().map(month),
            to_month: filter.to.as_ref().map(month),
        },
    )?;
    let labels = Labels::load(conn, org_id)?;
    // Per question, and per survey (who answered it at all, for the comments).
    let mut questions: BTreeMap<(ResultGroup, String, String), Tally> = BTreeMap::new();
    let mut surveys: BTreeMap<(ResultGroup, String), BTreeSet<PersonId>> = BTreeMap::new();
    let mut texts: Vec<SharedComment> = Vec::new();
    for row in rows {
        let group = labels.group(by, row.programme_id, row.site_id, row.cohort_month.as_deref());
        surveys.entry((group.clone(), row.survey_key.clone())).or_default().insert(row.respondent_id);
        if let Some(text) = row.shared_text {
            texts.push(SharedComment {
                group: group.clone(),
                survey_key: row.survey_key.clone(),
                question_id: row.question_id.clone(),
                text,
            });
        }
        if let Some(score) = row.score {
            let tally = questions.entry((group, row.survey_key, row.question_id)).or_default();
            tally.respondents.insert(row.respondent_id);
            tally.sum += i64::from(score);
            tally.count += 1;
            tally.programme.get_or_insert(row.programme_id);
        }
    }
    let means = questions
        .into_iter()
        .map(|((group, survey_key, question_id), tally)| {
            let (survey_title, question_text, _) = match tally.programme {
                Some(programme) => labels.texts(programme, &survey_key, &question_id),
                None => (survey_key.clone(), question_id.clone(), true),
            };
            let respondents = tally.respondents.len();
            let mean = (respondents >= MIN_GROUP && tally.count > 0)
                .then(|| (tally.sum as f64 / tally.count as f64 * 100.0).round() / 100.0);
            SurveyMean { group, survey_key, survey_title, question_id, question_text, respondents, mean }
        })
        .collect();
    let mut comments: Vec<SharedComment> = texts
        .into_iter()
        .filter(|c| surveys.get(&(c.group.clone(), c.survey_key.clone())).is_some_and(|r| r.len() >= MIN_GROUP))
        .collect();
    // Sorted by content, so the order says nothing of who wrote when.
    comments.sort();
    Ok(SurveyResults { means, comments })
}
