//! Queries on the projection tables the console reads (`session_projections`,
//! `action_projections`, `skill_projections`, `goal_projections`) and on
//! `device_sync`.

use diesel::prelude::*;

use super::DbConnection;
use super::keep_prepared::run_kept;
use crate::model::{DeviceId, DocumentId, MentorshipId, OrgId, Timestamp};
use crate::schema::{
    action_projections, device_sync, goal_projections, projection_versions, session_projections, skill_projections,
};

/// The version of the session projection code. Rows written by older code lack
/// fields added since (2: the status reason and the skills), so when
/// `projection_versions` records an older one every session is projected again
/// from its document at start-up.
pub const SESSION_PROJECTION_VERSION: i32 = 2;
/// The name of the session projection in `projection_versions`.
const SESSION_PROJECTION: &str = "session";

/// What the console may know of a session: no notes, accounts, feedback or
/// action text. Dates and statuses are the pair's own values, kept as written
/// (the write rules police who writes where, not value shapes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionProjection {
    pub kind: Option<String>,
    pub session_date: Option<String>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<i32>,
    pub mode: Option<String>,
    pub status: String,
    /// Why it was cancelled or missed: an operational reason the pair gives for
    /// the coordinator.
    pub status_reason: Option<String>,
    pub mentor_signed: bool,
    pub mentee_signed: bool,
    pub amended_after_sign_off: bool,
    pub amended_parts: String,
    pub shared_summary: Option<String>,
    pub actions: Vec<ActionProjection>,
    /// Names of the skills practised (catalogue titles or the pair's free text).
    pub skills: Vec<String>,
}

/// What the console may know of an action: no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionProjection {
    pub action_id: String,
    pub due_on: Option<String>,
    pub done: bool,
}

/// What the console may know of a goal: no title or description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalProjection {
    pub goal_id: String,
    pub category: String,
    pub status: String,
    pub target_date: Option<String>,
}

/// Where a pair document belongs.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub document_id: DocumentId,
    pub org_id: OrgId,
    pub mentorship_id: MentorshipId,
}

/// Replace the projection of a session and its actions.
pub fn replace_session(
    conn: &mut DbConnection,
    owner: Owner,
    projection: &SessionProjection,
    now: Timestamp,
) -> QueryResult<()> {
    diesel::delete(session_projections::table.filter(session_projections::document_id.eq(owner.document_id)))
        .execute(conn)?;
    diesel::insert_into(session_projections::table)
        .values((
            session_projections::document_id.eq(owner.document_id),
            session_projections::org_id.eq(owner.org_id),
            session_projections::mentorship_id.eq(owner.mentorship_id),
            session_projections::kind.eq(&projection.kind),
            session_projections::session_date.eq(&projection.session_date),
            session_projections::start_time.eq(&projection.start_time),
            session_projections::duration_minutes.eq(projection.duration_minutes),
            session_projections::mode.eq(&projection.mode),
            session_projections::status.eq(&projection.status),
            session_projections::mentor_signed.eq(projection.mentor_signed),
            session_projections::mentee_signed.eq(projection.mentee_signed),
            session_projections::amended_after_sign_off.eq(projection.amended_after_sign_off),
            session_projections::amended_parts.eq(&projection.amended_parts),
            session_projections::shared_summary.eq(&projection.shared_summary),
            session_projections::updated_at.eq(now),
            session_projections::status_reason.eq(&projection.status_reason),
        ))
        .execute(conn)?;
    replace_skills(conn, owner, &projection.skills)?;
    diesel::delete(action_projections::table.filter(action_projections::document_id.eq(owner.document_id)))
        .execute(conn)?;
    for action in &projection.actions {
        diesel::insert_into(action_projections::table)
            .values((
                action_projections::document_id.eq(owner.document_id),
                action_projections::action_id.eq(&action.action_id),
                action_projections::org_id.eq(owner.org_id),
                action_projections::mentorship_id.eq(owner.mentorship_id),
                action_projections::due_on.eq(&action.due_on),
                action_projections::done.eq(action.done),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn replace_skills(conn: &mut DbConnection, owner: Owner, skills: &[String]) -> QueryResult<()> {
    diesel::delete(skill_projections::table.filter(skill_projections::document_id.eq(owner.document_id)))
        .execute(conn)?;
    let mut names: Vec<&String> = skills.iter().collect();
    names.sort_unstable();
    names.dedup();
    for skill in names {
        diesel::insert_into(skill_projections::table)
            .values((
                skill_projections::document_id.eq(owner.document_id),
                skill_projections::skill.eq(skill),
                skill_projections::org_id.eq(owner.org_id),
                skill_projections::mentorship_id.eq(owner.mentorship_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The version of the code that last projected every session (1 when none
/// is recorded: rows from before versions were kept).
pub fn session_version(conn: &mut DbConnection) -> QueryResult<i32> {
    Ok(projection_versions::table
        .filter(projection_versions::projection.eq(SESSION_PROJECTION))
        .select(projection_versions::version)
        .first(conn)
        .optional()?
        .unwrap_or(1))
}

/// Record that every session has been projected by this code.
pub fn record_session_version(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::delete(projection_versions::table.filter(projection_versions::projection.eq(SESSION_PROJECTION)))
        .execute(conn)?;
    diesel::insert_into(projection_versions::table)
        .values((
            projection_versions::projection.eq(SESSION_PROJECTION),
            projection_versions::version.eq(SESSION_PROJECTION_VERSION),
        ))
        .execute(conn)
        .map(drop)
}

/// Every projected session with its owner.
pub fn find_session_owners(conn: &mut DbConnection) -> QueryResult<Vec<Owner>> {
    let rows: Vec<(DocumentId, OrgId, MentorshipId)> = session_projections::table
        .order(session_projections::document_id)
        .select((session_projections::document_id, session_projections::org_id, session_projections::mentorship_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(document_id, org_id, mentorship_id)| Owner { document_id, org_id, mentorship_id })
        .collect())
}

/// Replace the projection of a goal plan.
pub fn replace_goals(conn: &mut DbConnection, owner: Owner, goals: &[GoalProjection]) -> QueryResult<()> {
    diesel::delete(goal_projections::table.filter(goal_projections::document_id.eq(owner.document_id)))
        .execute(conn)?;
    for goal in goals {
        diesel::insert_into(goal_projections::table)
            .values((
                goal_projections::document_id.eq(owner.document_id),
                goal_projections::goal_id.eq(&goal.goal_id),
                goal_projections::org_id.eq(owner.org_id),
                goal_projections::mentorship_id.eq(owner.mentorship_id),
                goal_projections::category.eq(&goal.category),
                goal_projections::status.eq(&goal.status),
                goal_projections::target_date.eq(&goal.target_date),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Record that a device synced, and how old its oldest unsynced change was.
pub fn record_device_sync(
    conn: &mut DbConnection,
    device_id: DeviceId,
    org_id: OrgId,
    now: Timestamp,
    oldest_unsynced_secs: Option<i64>,
) -> QueryResult<()> {
    let row = (
        device_sync::device_id.eq(device_id),
        device_sync::org_id.eq(org_id),
        device_sync::last_sync_at.eq(now),
        device_sync::oldest_unsynced_secs.eq(oldest_unsynced_secs),
    );
    let update = (device_sync::last_sync_at.eq(now), device_sync::oldest_unsynced_secs.eq(oldest_unsynced_secs));
    // One upsert statement; the multi-backend connection cannot express ON CONFLICT.
    run_kept!(
        conn,
        diesel::insert_into(device_sync::table)
            .values(row)
            .on_conflict(device_sync::device_id)
            .do_update()
            .set(update)
            .returning(device_sync::last_sync_at),
        String
    )
    .map(drop)
}
