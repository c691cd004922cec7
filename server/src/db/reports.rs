//! Organisation-wide reads for reports: projection columns only (dates,
//! statuses, the reason given for a session that did not happen), never a
//! shared summary, a note or a goal's words.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{MentorshipId, OrgId, PersonId};
use crate::schema::{concern_projections, goal_projections, session_projections, survey_answers, survey_responses};

/// A session as a report counts it.
#[derive(Debug, Clone, Queryable)]
pub struct SessionFact {
    pub mentorship_id: MentorshipId,
    pub session_date: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
}

pub fn find_session_facts(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<SessionFact>> {
    session_projections::table
        .filter(session_projections::org_id.eq(org_id))
        .order((session_projections::session_date, session_projections::document_id))
        .select((
            session_projections::mentorship_id,
            session_projections::session_date,
            session_projections::status,
            session_projections::status_reason,
        ))
        .load(conn)
}

/// Every goal's pairing and status.
pub fn find_goal_statuses(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<(MentorshipId, String)>> {
    goal_projections::table
        .filter(goal_projections::org_id.eq(org_id))
        .order((goal_projections::document_id, goal_projections::goal_id))
        .select((goal_projections::mentorship_id, goal_projections::status))
        .load(conn)
}

/// A scored survey answer: pairing, respondent, question and score.
pub type SurveyScore = (MentorshipId, PersonId, String, Option<i32>);

/// Every scored survey answer.
pub fn find_survey_scores(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<SurveyScore>> {
    survey_answers::table
        .inner_join(survey_responses::table)
        .filter(survey_responses::org_id.eq(org_id))
        .filter(survey_answers::score.is_not_null())
        .order((survey_answers::document_id, survey_answers::question_id))
        .select((
            survey_responses::mentorship_id,
            survey_responses::respondent_id,
            survey_answers::question_id,
            survey_answers::score,
        ))
        .load(conn)
}

/// Every concern's pairing, author and status (no text: the projection has none).
pub fn find_concerns(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<(MentorshipId, PersonId, String)>> {
    concern_projections::table
        .filter(concern_projections::org_id.eq(org_id))
        .order(concern_projections::document_id)
        .select((concern_projections::mentorship_id, concern_projections::author_id, concern_projections::status))
        .load(conn)
}
