//! The console's reads. Each function is one query over a whole organisation (or
//! one pairing of it), so a page costs the same handful of queries whether the
//! programme has ten pairings or a thousand. Only projection columns are read:
//! there is no query here that could return a pair's words.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::devices::Device;
use crate::db::mentorships::{self, NamedMentorship, Scope};
use crate::db::programmes::Programme;
use crate::db::sites::Site;
use crate::domain::programme;
use crate::model::{Day, DeviceId, DocumentId, MentorshipId, OrgId, PersonId, Timestamp};
use crate::schema::{
    action_projections, device_sync, devices, goal_projections, programmes, session_projections, sites,
    skill_projections,
};

/// Which rows to read: an organisation's, optionally only one pairing's.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub org_id: OrgId,
    pub mentorship_id: Option<MentorshipId>,
}

impl Filter {
    pub fn org(org_id: OrgId) -> Self {
        Self { org_id, mentorship_id: None }
    }

    pub fn pairing(org_id: OrgId, mentorship_id: MentorshipId) -> Self {
        Self { org_id, mentorship_id: Some(mentorship_id) }
    }
}

/// What the console knows of one session: metadata only (no shared summary
/// either; see [`shared_summaries`]).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = session_projections)]
pub struct SessionRow {
    pub document_id: DocumentId,
    pub mentorship_id: MentorshipId,
    pub kind: Option<String>,
    pub session_date: Option<String>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<i32>,
    pub mode: Option<String>,
    pub status: String,
    /// Why it was cancelled or missed, as the pair gave it for the coordinator.
    pub status_reason: Option<String>,
    pub mentor_signed: bool,
    pub mentee_signed: bool,
    pub amended_after_sign_off: bool,
    pub amended_parts: String,
}

/// One goal: category, status and target date; never its title or description.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = goal_projections)]
pub struct GoalRow {
    pub goal_id: String,
    pub mentorship_id: MentorshipId,
    pub category: String,
    pub status: String,
    pub target_date: Option<String>,
}

/// One agreed action: due date and whether it is done; never its text.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = action_projections)]
pub struct ActionRow {
    pub document_id: DocumentId,
    pub action_id: String,
    pub mentorship_id: MentorshipId,
    pub due_on: Option<String>,
    pub done: bool,
}

/// When a device last synced and how old its oldest unsent change was then.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = device_sync)]
pub struct DeviceSyncRow {
    pub device_id: DeviceId,
    pub last_sync_at: Timestamp,
    pub oldest_unsynced_secs: Option<i64>,
}

/// Goals per (pairing, status).
#[derive(Debug, Clone)]
pub struct GoalCount {
    pub mentorship_id: MentorshipId,
    pub status: String,
    pub count: i64,
}

/// Actions per pairing: open, and open past their due date.
#[derive(Debug, Clone, Default)]
pub struct ActionCount {
    pub open: i64,
    pub overdue: i64,
    pub done: i64,
}

impl ActionCount {
    /// Counts `count` actions with this state and due date, judged overdue or
    /// not by [`programme::action_is_overdue`].
    pub fn add(&mut self, done: bool, due_on: Option<&str>, today: Day, count: i64) {
        if done {
            self.done += count;
        } else {
            self.open += count;
        }
        if programme::action_is_overdue(done, due_on, today) {
            self.overdue += count;
        }
    }
}

pub fn pairings(conn: &mut DbConnection, filter: Filter) -> QueryResult<Vec<NamedMentorship>> {
    let scope = match filter.mentorship_id {
        Some(id) => Scope::One(id),
        None => Scope::All,
    };
    mentorships::find_by_org_with_names(conn, filter.org_id, scope)
}

pub fn programmes(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Programme>> {
    programmes::table
        .filter(programmes::org_id.eq(org_id))
        .order((programmes::created_at, programmes::id))
        .select(Programme::as_select())
        .load(conn)
}

pub fn sites(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Site>> {
    sites::table.filter(sites::org_id.eq(org_id)).order(sites::name).select(Site::as_select()).load(conn)
}

pub fn sessions(conn: &mut DbConnection, filter: Filter) -> QueryResult<Vec<SessionRow>> {
    let mut query = session_projections::table
        .filter(session_projections::org_id.eq(filter.org_id))
        .order((session_projections::session_date, session_projections::document_id))
        .select(SessionRow::as_select())
        .into_boxed();
    if let Some(id) = filter.mentorship_id {
        query = query.filter(session_projections::mentorship_id.eq(id));
    }
    query.load(conn)
}

/// Summaries the pair chose to share with the coordinator, by session.
pub fn shared_summaries(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentorship_id: MentorshipId,
) -> QueryResult<Vec<(DocumentId, String)>> {
    session_projections::table
        .filter(session_projections::org_id.eq(org_id))
        .filter(session_projections::mentorship_id.eq(mentorship_id))
        .filter(session_projections::shared_summary.is_not_null())
        .order((session_projections::session_date, session_projections::document_id))
        .select((session_projections::document_id, session_projections::shared_summary.assume_not_null()))
        .load(conn)
}

/// The skills recorded on each session of a pairing, as (session, skill name).
pub fn session_skills(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentorship_id: MentorshipId,
) -> QueryResult<Vec<(DocumentId, String)>> {
    skill_projections::table
        .filter(skill_projections::org_id.eq(org_id))
        .filter(skill_projections::mentorship_id.eq(mentorship_id))
        .order((skill_projections::document_id, skill_projections::skill))
        .select((skill_projections::document_id, skill_projections::skill))
        .load(conn)
}

/// How many sessions of one pairing practised one skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillCount {
    pub mentorship_id: MentorshipId,
    /// The name as stored: a catalogue title or the pair's free text.
    pub skill: String,
    pub sessions: i64,
}

/// Logged sessions per (pairing, skill) across the organisation, in one grouped
/// query: planned, cancelled and missed sessions practised nothing.
pub fn skill_counts(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<SkillCount>> {
    let rows: Vec<(MentorshipId, String, i64)> = skill_projections::table
        .inner_join(session_projections::table)
        .filter(skill_projections::org_id.eq(org_id))
        .filter(session_projections::status.eq(sync_core::SessionStatus::Logged.as_str()))
        .group_by((skill_projections::mentorship_id, skill_projections::skill))
        .select((skill_projections::mentorship_id, skill_projections::skill, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(mentorship_id, skill, sessions)| SkillCount { mentorship_id, skill, sessions }).collect())
}

pub fn goal_counts(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<GoalCount>> {
    let rows: Vec<(MentorshipId, String, i64)> = goal_projections::table
        .filter(goal_projections::org_id.eq(org_id))
        .group_by((goal_projections::mentorship_id, goal_projections::status))
        .select((goal_projections::mentorship_id, goal_projections::status, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(mentorship_id, status, count)| GoalCount { mentorship_id, status, count }).collect())
}

pub fn goals(conn: &mut DbConnection, org_id: OrgId, mentorship_id: MentorshipId) -> QueryResult<Vec<GoalRow>> {
    goal_projections::table
        .filter(goal_projections::org_id.eq(org_id))
        .filter(goal_projections::mentorship_id.eq(mentorship_id))
        .order((goal_projections::target_date, goal_projections::goal_id))
        .select(GoalRow::as_select())
        .load(conn)
}

/// Action counts per pairing. One grouped query (a row per pairing, state and
/// due date, not per action); whether a group is overdue is the domain's rule.
pub fn action_counts(
    conn: &mut DbConnection,
    org_id: OrgId,
    today: Day,
) -> QueryResult<std::collections::HashMap<MentorshipId, ActionCount>> {
    let groups: Vec<(MentorshipId, bool, Option<String>, i64)> = action_projections::table
        .filter(action_projections::org_id.eq(org_id))
        .group_by((action_projections::mentorship_id, action_projections::done, action_projections::due_on))
        .select((action_projections::mentorship_id, action_projections::done, action_projections::due_on, count_star()))
        .load(conn)?;
    let mut counts = std::collections::HashMap::<MentorshipId, ActionCount>::new();
    for (mentorship_id, done, due_on, count) in groups {
        counts.entry(mentorship_id).or_default().add(done, due_on.as_deref(), today, count);
    }
    Ok(counts)
}

pub fn actions(conn: &mut DbConnection, org_id: OrgId, mentorship_id: MentorshipId) -> QueryResult<Vec<ActionRow>> {
    action_projections::table
        .filter(action_projections::org_id.eq(org_id))
        .filter(action_projections::mentorship_id.eq(mentorship_id))
        .order((action_projections::done, action_projections::due_on, action_projections::action_id))
        .select(ActionRow::as_select())
        .load(conn)
}

/// The organisation's devices, revoked ones included only when asked.
pub fn devices(conn: &mut DbConnection, org_id: OrgId, person_ids: Option<&[PersonId]>) -> QueryResult<Vec<Device>> {
    let mut query = devices::table
        .filter(devices::org_id.eq(org_id))
        .order((devices::person_id, devices::created_at, devices::id))
        .select(Device::as_select())
        .into_boxed();
    match person_ids {
        Some(ids) => query = query.filter(devices::person_id.eq_any(ids.to_vec())),
        None => query = query.filter(devices::revoked_at.is_null()),
    }
    query.load(conn)
}

/// Sync records of the organisation's devices, or only of `device_ids`.
pub fn device_sync(
    conn: &mut DbConnection,
    org_id: OrgId,
    device_ids: Option<&[DeviceId]>,
) -> QueryResult<Vec<DeviceSyncRow>> {
    let mut query =
        device_sync::table.filter(device_sync::org_id.eq(org_id)).select(DeviceSyncRow::as_select()).into_boxed();
    if let Some(ids) = device_ids {
        query = query.filter(device_sync::device_id.eq_any(ids.to_vec()));
    }
    query.load(conn)
}
