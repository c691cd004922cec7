//! Queries on `mentorships`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{Day, MentorshipId, MentorshipStatus, OrgId, PersonId, ProgrammeId, SiteId, Timestamp};
use crate::schema::{mentorships, people};

/// A pairing of a mentor and a mentee inside a programme.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentorships)]
pub struct Mentorship {
    pub id: MentorshipId,
    pub org_id: OrgId,
    pub programme_id: ProgrammeId,
    pub site_id: Option<SiteId>,
    pub mentor_id: PersonId,
    pub mentee_id: PersonId,
    /// A stored status that is not one of these is an error when read.
    pub status: MentorshipStatus,
    pub started_on: Option<Day>,
    pub ended_on: Option<Day>,
    pub end_reason: Option<String>,
    pub created_at: Timestamp,
    /// Why it is paused; `None` unless paused.
    pub pause_reason: Option<String>,
}

/// A pairing with both people's display names.
#[derive(Debug, Clone)]
pub struct NamedMentorship {
    pub mentorship: Mentorship,
    pub mentor_name: String,
    pub mentee_name: String,
}

/// Which of an organisation's pairings to load.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    /// Those where this person is mentor or mentee.
    Involving(PersonId),
    One(MentorshipId),
}

/// New status and, for endings, when and why; for pauses, why.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub status: MentorshipStatus,
    pub ended_on: Option<Day>,
    pub end_reason: Option<&'a str>,
    pub pause_reason: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, mentorship: &Mentorship) -> QueryResult<()> {
    diesel::insert_into(mentorships::table).values(mentorship).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, org_id: OrgId, id: MentorshipId) -> QueryResult<Option<Mentorship>> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::id.eq(id))
        .select(Mentorship::as_select())
        .first(conn)
        .optional()
}

/// The organisation's pairings in `scope`, newest start first, with names.
pub fn find_by_org_with_names(
    conn: &mut DbConnection,
    org_id: OrgId,
    scope: Scope,
) -> QueryResult<Vec<NamedMentorship>> {
    let (mentor, mentee) = diesel::alias!(people as mentor, people as mentee);
    let mut query = mentorships::table
        .inner_join(mentor.on(mentor.field(people::id).eq(mentorships::mentor_id)))
        .inner_join(mentee.on(mentee.field(people::id).eq(mentorships::mentee_id)))
        .select((Mentorship::as_select(), mentor.field(people::display_name), mentee.field(people::display_name)))
        .order((mentorships::started_on.desc(), mentorships::id))
        .into_boxed();
    match scope {
        Scope::All => query = query.filter(mentorships::org_id.eq(org_id)),
        // One person's pairings, found by the mentor and mentee indexes; the
        // organisation is checked on the rows (an `org_id` filter in the SQL
        // makes SQLite walk the whole organisation's pairings by that index).
        Scope::Involving(person_id) => {
            query = query.filter(mentorships::mentor_id.eq(person_id).or(mentorships::mentee_id.eq(person_id)));
        }
        Scope::One(id) => query = query.filter(mentorships::org_id.eq(org_id)).filter(mentorships::id.eq(id)),
    }
    let rows: Vec<(Mentorship, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(mentorship, _, _)| mentorship.org_id == org_id)
        .map(|(mentorship, mentor_name, mentee_name)| NamedMentorship { mentorship, mentor_name, mentee_name })
        .collect())
}

/// How many pairings a mentor has with status `active`.
pub fn count_active_for_mentor(conn: &mut DbConnection, org_id: OrgId, mentor_id: PersonId) -> QueryResult<i64> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::mentor_id.eq(mentor_id))
        .filter(mentorships::status.eq(MentorshipStatus::Active))
        .count()
        .get_result(conn)
}

/// A pairing of these two people that is still open (proposed, active, paused).
pub fn find_open_between(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentor_id: PersonId,
    mentee_id: PersonId,
) -> QueryResult<Option<Mentorship>> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::mentor_id.eq(mentor_id))
        .filter(mentorships::mentee_id.eq(mentee_id))
        .filter(mentorships::status.eq_any(MentorshipStatus::OPEN))
        .select(Mentorship::as_select())
        .first(conn)
        .optional()
}

/// Changes the status only if it is currently one of `from` (so two concurrent
/// changes cannot both apply). Returns the number of rows changed (0 or 1).
pub fn update_status(
    conn: &mut DbConnection,
    org_id: OrgId,
    id: MentorshipId,
    from: &[MentorshipStatus],
    change: &StatusChange<'_>,
) -> QueryResult<usize> {
    diesel::update(
        mentorships::table
            .filter(mentorships::org_id.eq(org_id))
            .filter(mentorships::id.eq(id))
            .filter(mentorships::status.eq_any(from)),
    )
    .set((
        mentorships::status.eq(change.status),
        mentorships::ended_on.eq(change.ended_on),
        mentorships::end_reason.eq(change.end_reason),
        mentorships::pause_reason.eq(change.pause_reason),
    ))
    .execute(conn)
}

/// One pairing's people, for the access test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct AccessPair {
    pub id: MentorshipId,
    pub mentor_id: PersonId,
    pub mentee_id: PersonId,
    pub status: MentorshipStatus,
}

/// The pairings involving `person_id`, with their status: all but `ended` grant
/// access to their documents; an ended one still lets its members keep the
/// concerns they raised about it. Runs on every sync, so it reads only what the
/// access test needs.
pub fn find_access_pairs(conn: &mut DbConnection, org_id: OrgId, person_id: PersonId) -> QueryResult<Vec<AccessPair>> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::mentor_id.eq(person_id).or(mentorships::mentee_id.eq(person_id)))
        .select((mentorships::id, mentorships::mentor_id, mentorships::mentee_id, mentorships::status))
        .load(conn)
}
