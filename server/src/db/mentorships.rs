//! Queries on `mentorships`.

use diesel::prelude::*;

use super::DbConnection;
use crate::schema::{mentorships, people};

/// A pairing of a mentor and a mentee inside a programme.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentorships)]
pub struct Mentorship {
    pub id: String,
    pub org_id: String,
    pub programme_id: String,
    pub site_id: Option<String>,
    pub mentor_id: String,
    pub mentee_id: String,
    /// See `domain::MentorshipStatus`.
    pub status: String,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub end_reason: Option<String>,
    pub created_at: String,
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
pub enum Scope<'a> {
    All,
    /// Those where this person is mentor or mentee.
    Involving(&'a str),
    One(&'a str),
}

/// New status and, for endings, when and why; for pauses, why.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub status: &'a str,
    pub ended_on: Option<&'a str>,
    pub end_reason: Option<&'a str>,
    pub pause_reason: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, mentorship: &Mentorship) -> QueryResult<()> {
    diesel::insert_into(mentorships::table).values(mentorship).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, org_id: &str, id: &str) -> QueryResult<Option<Mentorship>> {
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
    org_id: &str,
    scope: Scope<'_>,
) -> QueryResult<Vec<NamedMentorship>> {
    let (mentor, mentee) = diesel::alias!(people as mentor, people as mentee);
    let mut query = mentorships::table
        .inner_join(mentor.on(mentor.field(people::id).eq(mentorships::mentor_id)))
        .inner_join(mentee.on(mentee.field(people::id).eq(mentorships::mentee_id)))
        .filter(mentorships::org_id.eq(org_id))
        .select((Mentorship::as_select(), mentor.field(people::display_name), mentee.field(people::display_name)))
        .order((mentorships::started_on.desc(), mentorships::id))
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Involving(person_id) => {
            query = query.filter(
                mentorships::mentor_id.eq(person_id.to_owned()).or(mentorships::mentee_id.eq(person_id.to_owned())),
            );
        }
        Scope::One(id) => query = query.filter(mentorships::id.eq(id.to_owned())),
    }
    let rows: Vec<(Mentorship, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(mentorship, mentor_name, mentee_name)| NamedMentorship { mentorship, mentor_name, mentee_name })
        .collect())
}

/// How many pairings a mentor has with status `active`.
pub fn count_active_for_mentor(conn: &mut DbConnection, org_id: &str, mentor_id: &str) -> QueryResult<i64> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::mentor_id.eq(mentor_id))
        .filter(mentorships::status.eq("active"))
        .count()
        .get_result(conn)
}

/// A pairing of these two people that is still open (proposed, active, paused).
pub fn find_open_between(
    conn: &mut DbConnection,
    org_id: &str,
    mentor_id: &str,
    mentee_id: &str,
) -> QueryResult<Option<Mentorship>> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::mentor_id.eq(mentor_id))
        .filter(mentorships::mentee_id.eq(mentee_id))
        .filter(mentorships::status.eq_any(["proposed", "active", "paused"]))
        .select(Mentorship::as_select())
        .first(conn)
        .optional()
}

/// Changes the status only if it is currently one of `from` (so two concurrent
/// changes cannot both apply). Returns the number of rows changed (0 or 1).
pub fn update_status(
    conn: &mut DbConnection,
    org_id: &str,
    id: &str,
    from: &[&str],
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

/// `(id, mentor_id, mentee_id)` of the pairings involving `person_id` that still
/// grant access to their documents (all but `ended`). Runs on every sync, so it
/// reads only what the access test needs.
pub fn find_access_pairs(
    conn: &mut DbConnection,
    org_id: &str,
    person_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::mentor_id.eq(person_id).or(mentorships::mentee_id.eq(person_id)))
        .filter(mentorships::status.ne("ended"))
        .select((mentorships::id, mentorships::mentor_id, mentorships::mentee_id))
        .load(conn)
}
