//! Queries on `survey_responses` and `survey_answers`: the projection of survey
//! response documents. Scores per question; free text only where the respondent
//! shared it. Reports read them through `domain::surveys`, which suppresses
//! groups of fewer than five respondents.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{DocumentId, MentorshipId, OrgId, PersonId, ProgrammeId, SiteId, Timestamp};
use crate::schema::{survey_answers, survey_responses};

/// One projected response.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = survey_responses)]
pub struct NewResponse {
    pub document_id: DocumentId,
    pub org_id: OrgId,
    pub mentorship_id: MentorshipId,
    pub programme_id: ProgrammeId,
    pub site_id: Option<SiteId>,
    pub respondent_id: PersonId,
    /// `mentor` or `mentee`.
    pub respondent_role: String,
    pub survey_key: String,
    /// `YYYY-MM-DD`.
    pub submitted_on: String,
    /// `YYYY-MM` of the pairing's start.
    pub cohort_month: Option<String>,
    pub updated_at: Timestamp,
}

/// One projected answer: a score, or text the respondent shared.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = survey_answers)]
pub struct NewAnswer {
    pub document_id: DocumentId,
    pub question_id: String,
    pub score: Option<i32>,
    pub shared_text: Option<String>,
}

/// An answer with what reports group it by.
#[derive(Debug, Clone, Queryable)]
pub struct AnswerRow {
    pub programme_id: ProgrammeId,
    pub site_id: Option<SiteId>,
    pub cohort_month: Option<String>,
    pub survey_key: String,
    pub respondent_id: PersonId,
    pub question_id: String,
    pub score: Option<i32>,
    pub shared_text: Option<String>,
}

/// Which responses a report reads (pairings' start months, inclusive).
#[derive(Debug, Clone, Default)]
pub struct ResponseFilter {
    pub programme_id: Option<ProgrammeId>,
    pub site_id: Option<SiteId>,
    /// `YYYY-MM`.
    pub from_month: Option<String>,
    /// `YYYY-MM`.
    pub to_month: Option<String>,
}

/// Remove a document's projection.
pub fn delete(conn: &mut DbConnection, document_id: DocumentId) -> QueryResult<()> {
    diesel::delete(survey_answers::table.filter(survey_answers::document_id.eq(document_id))).execute(conn)?;
    diesel::delete(survey_responses::table.filter(survey_responses::document_id.eq(document_id))).execute(conn)?;
    Ok(())
}

/// Replace a document's projection.
pub fn replace(conn: &mut DbConnection, response: &NewResponse, answers: &[NewAnswer]) -> QueryResult<()> {
    delete(conn, response.document_id)?;
    diesel::insert_into(survey_responses::table).values(response).execute(conn)?;
    for answer in answers {
        diesel::insert_into(survey_answers::table).values(answer).execute(conn)?;
    }
    Ok(())
}

/// The (pairing, survey) pairs a person has answered, as projected.
pub fn find_answered(
    conn: &mut DbConnection,
    org_id: OrgId,
    respondent: PersonId,
) -> QueryResult<Vec<(MentorshipId, String)>> {
    survey_responses::table
        .filter(survey_responses::org_id.eq(org_id))
        .filter(survey_responses::respondent_id.eq(respondent))
        .select((survey_responses::mentorship_id, survey_responses::survey_key))
        .load(conn)
}

/// Every projected answer of the organisation that `filter` selects.
pub fn find_answers(conn: &mut DbConnection, org_id: OrgId, filter: &ResponseFilter) -> QueryResult<Vec<AnswerRow>> {
    let mut query = survey_responses::table
        .inner_join(survey_answers::table)
        .filter(survey_responses::org_id.eq(org_id))
        .select((
            survey_responses::programme_id,
            survey_responses::site_id,
            survey_responses::cohort_month,
            survey_responses::survey_key,
            survey_responses::respondent_id,
            survey_answers::question_id,
            survey_answers::score,
            survey_answers::shared_text,
        ))
        .order((survey_responses::document_id, survey_answers::question_id))
        .into_boxed();
    if let Some(programme) = filter.programme_id {
        query = query.filter(survey_responses::programme_id.eq(programme));
    }
    if let Some(site) = filter.site_id {
        query = query.filter(survey_responses::site_id.eq(site));
    }
    if let Some(from) = &filter.from_month {
        query = query.filter(survey_responses::cohort_month.ge(from.clone()));
    }
    if let Some(to) = &filter.to_month {
        query = query.filter(survey_responses::cohort_month.le(to.clone()));
    }
    query.load(conn)
}
