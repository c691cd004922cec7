//! Queries on the projections of agreements and group sessions: what the
//! console may know of them (signatures and dates; attendance counts), never
//! their content.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{DocumentId, GroupId, MentorshipId, OrgId, Timestamp};
use crate::schema::{agreement_projections, group_session_projections};

/// What the console may know of an agreement: who signed, when both had, whether
/// it changed after a signature and when it is to be reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AgreementProjection {
    pub mentor_signed: bool,
    pub mentee_signed: bool,
    /// The day the second signature was given (`YYYY-MM-DD`).
    pub signed_on: Option<String>,
    pub amended_after_signing: bool,
    /// As the pair wrote it.
    pub review_on: Option<String>,
}

/// What the console may know of a group session: its day and how many attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSessionProjection {
    pub session_date: Option<String>,
    pub attended: i32,
}

/// Replace the projection of an agreement.
pub fn replace_agreement(
    conn: &mut DbConnection,
    document_id: DocumentId,
    org_id: OrgId,
    mentorship_id: MentorshipId,
    projection: &AgreementProjection,
    now: Timestamp,
) -> QueryResult<()> {
    diesel::delete(agreement_projections::table.filter(agreement_projections::document_id.eq(document_id)))
        .execute(conn)?;
    diesel::insert_into(agreement_projections::table)
        .values((
            agreement_projections::document_id.eq(document_id),
            agreement_projections::org_id.eq(org_id),
            agreement_projections::mentorship_id.eq(mentorship_id),
            agreement_projections::mentor_signed.eq(projection.mentor_signed),
            agreement_projections::mentee_signed.eq(projection.mentee_signed),
            agreement_projections::signed_on.eq(&projection.signed_on),
            agreement_projections::amended_after_signing.eq(projection.amended_after_signing),
            agreement_projections::review_on.eq(&projection.review_on),
            agreement_projections::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Replace the projection of a group session.
pub fn replace_group_session(
    conn: &mut DbConnection,
    document_id: DocumentId,
    org_id: OrgId,
    group_id: GroupId,
    projection: &GroupSessionProjection,
    now: Timestamp,
) -> QueryResult<()> {
    diesel::delete(group_session_projections::table.filter(group_session_projections::document_id.eq(document_id)))
        .execute(conn)?;
    diesel::insert_into(group_session_projections::table)
        .values((
            group_session_projections::document_id.eq(document_id),
            group_session_projections::org_id.eq(org_id),
            group_session_projections::group_id.eq(group_id),
            group_session_projections::session_date.eq(&projection.session_date),
            group_session_projections::attended.eq(projection.attended),
            group_session_projections::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// The agreements of an organisation's pairings, by mentorship.
pub fn find_agreements_by_org(
    conn: &mut DbConnection,
    org_id: OrgId,
) -> QueryResult<Vec<(MentorshipId, AgreementProjection)>> {
    agreement_projections::table
        .filter(agreement_projections::org_id.eq(org_id))
        .select((
            agreement_projections::mentorship_id,
            (
                agreement_projections::mentor_signed,
                agreement_projections::mentee_signed,
                agreement_projections::signed_on,
                agreement_projections::amended_after_signing,
                agreement_projections::review_on,
            ),
        ))
        .load(conn)
}

/// The agreements of these pairings of the organisation, by mentorship (for
/// one person's reminders: their pairings, not the organisation's).
pub fn find_agreements_of(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentorship_ids: &[MentorshipId],
) -> QueryResult<Vec<(MentorshipId, AgreementProjection)>> {
    let mut found = Vec::new();
    for id in mentorship_ids {
        if let Some(agreement) = find_agreement(conn, org_id, *id)? {
            found.push((*id, agreement));
        }
    }
    Ok(found)
}

/// The agreement of one pairing, if either phone has synced one.
pub fn find_agreement(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentorship_id: MentorshipId,
) -> QueryResult<Option<AgreementProjection>> {
    agreement_projections::table
        .filter(agreement_projections::org_id.eq(org_id))
        .filter(agreement_projections::mentorship_id.eq(mentorship_id))
        .select((
            agreement_projections::mentor_signed,
            agreement_projections::mentee_signed,
            agreement_projections::signed_on,
            agreement_projections::amended_after_signing,
            agreement_projections::review_on,
        ))
        .first(conn)
        .optional()
}

/// The sessions of an organisation's groups: group, day, how many attended.
pub fn find_group_sessions_by_org(
    conn: &mut DbConnection,
    org_id: OrgId,
) -> QueryResult<Vec<(GroupId, Option<String>, i32)>> {
    group_session_projections::table
        .filter(group_session_projections::org_id.eq(org_id))
        .order((group_session_projections::group_id, group_session_projections::session_date))
        .select((
            group_session_projections::group_id,
            group_session_projections::session_date,
            group_session_projections::attended,
        ))
        .load(conn)
}
