//! Queries on `concern_projections`: who raised a concern about which pairing,
//! its kind and where it stands, with the server's times. Never its text, which
//! stays in the document.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{Day, DocumentId, MentorshipId, OrgId, PersonId, ProgrammeId, SiteId, Timestamp};
use crate::schema::{concern_projections, mentorships};

/// What a concern document says of itself, for its projection row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcernProjection {
    pub kind: String,
    pub status: String,
}

/// One projection row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = concern_projections)]
pub struct ConcernRow {
    pub document_id: DocumentId,
    pub org_id: OrgId,
    pub mentorship_id: MentorshipId,
    pub author_id: PersonId,
    pub kind: String,
    pub status: String,
    pub raised_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

/// Who and what a concern is about, for [`replace`].
#[derive(Debug, Clone, Copy)]
pub struct ConcernOwner {
    pub document_id: DocumentId,
    pub org_id: OrgId,
    pub mentorship_id: MentorshipId,
    pub author_id: PersonId,
}

/// Replace the projection of a concern. The first write sets `raised_at` (the
/// server's time of receipt); a status reached for the first time stamps its
/// time, which later writes keep.
pub fn replace(
    conn: &mut DbConnection,
    owner: ConcernOwner,
    projection: &ConcernProjection,
    now: Timestamp,
) -> QueryResult<()> {
    let current = find_row(conn, owner.document_id)?;
    let raised_at = current.as_ref().map_or(now, |row| row.raised_at);
    let stamped = |old: Option<Timestamp>, reached: bool| old.or(reached.then_some(now));
    let acknowledged_at = stamped(current.as_ref().and_then(|r| r.acknowledged_at), projection.status != "open");
    let closed_at = stamped(current.as_ref().and_then(|r| r.closed_at), projection.status == "closed");
    diesel::delete(concern_projections::table.filter(concern_projections::document_id.eq(owner.document_id)))
        .execute(conn)?;
    diesel::insert_into(concern_projections::table)
        .values((
            concern_projections::document_id.eq(owner.document_id),
            concern_projections::org_id.eq(owner.org_id),
            concern_projections::mentorship_id.eq(owner.mentorship_id),
            concern_projections::author_id.eq(owner.author_id),
            concern_projections::kind.eq(&projection.kind),
            concern_projections::status.eq(&projection.status),
            concern_projections::raised_at.eq(raised_at),
            concern_projections::acknowledged_at.eq(acknowledged_at),
            concern_projections::closed_at.eq(closed_at),
            concern_projections::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

fn find_row(conn: &mut DbConnection, id: DocumentId) -> QueryResult<Option<ConcernRow>> {
    concern_projections::table
        .filter(concern_projections::document_id.eq(id))
        .select(ConcernRow::as_select())
        .first(conn)
        .optional()
}

/// One concern of the organisation.
pub fn find_by_id(conn: &mut DbConnection, org_id: OrgId, id: DocumentId) -> QueryResult<Option<ConcernRow>> {
    concern_projections::table
        .filter(concern_projections::org_id.eq(org_id))
        .filter(concern_projections::document_id.eq(id))
        .select(ConcernRow::as_select())
        .first(conn)
        .optional()
}

/// The organisation's concerns, newest first (id breaks ties: times are to the
/// second), optionally of one status.
pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId, status: Option<&str>) -> QueryResult<Vec<ConcernRow>> {
    let mut query = concern_projections::table.filter(concern_projections::org_id.eq(org_id)).into_boxed();
    if let Some(status) = status {
        query = query.filter(concern_projections::status.eq(status.to_owned()));
    }
    query
        .order((concern_projections::raised_at.desc(), concern_projections::document_id.desc()))
        .select(ConcernRow::as_select())
        .load(conn)
}

/// The organisation's open safeguarding concerns (the dashboard's flag): how
/// many, and the pairings they are about.
pub fn find_open_safeguarding(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<MentorshipId>> {
    concern_projections::table
        .filter(concern_projections::org_id.eq(org_id))
        .filter(concern_projections::kind.eq("safeguarding"))
        .filter(concern_projections::status.ne("closed"))
        .order(concern_projections::raised_at.asc())
        .select(concern_projections::mentorship_id)
        .load(conn)
}

/// A concern with its pairing's programme, site and start day.
pub type ConcernWithPairing = (ConcernRow, ProgrammeId, Option<SiteId>, Option<Day>);

/// Each concern of the organisation with its pairing's programme, site and
/// start day, for the oversight report's counts.
pub fn find_with_pairings(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<ConcernWithPairing>> {
    concern_projections::table
        .inner_join(mentorships::table.on(mentorships::id.eq(concern_projections::mentorship_id)))
        .filter(concern_projections::org_id.eq(org_id))
        .filter(mentorships::org_id.eq(org_id))
        .select((ConcernRow::as_select(), mentorships::programme_id, mentorships::site_id, mentorships::started_on))
        .load(conn)
}

/// The documents of the concerns about these pairings (retention erases them
/// with the pairing's own documents).
pub fn find_ids_about(conn: &mut DbConnection, pairings: &[MentorshipId]) -> QueryResult<Vec<DocumentId>> {
    if pairings.is_empty() {
        return Ok(Vec::new());
    }
    concern_projections::table
        .filter(concern_projections::mentorship_id.eq_any(pairings))
        .order(concern_projections::document_id)
        .select(concern_projections::document_id)
        .load(conn)
}

/// Delete a concern's projection (its document is being erased).
pub fn delete(conn: &mut DbConnection, id: DocumentId) -> QueryResult<()> {
    diesel::delete(concern_projections::table.filter(concern_projections::document_id.eq(id))).execute(conn).map(drop)
}
