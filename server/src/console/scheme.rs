//! The scheme around the pairings: the state of each pairing's agreement (on the
//! dashboard and the pairing page) and the groups page (`/console/groups`),
//! which shows per group its sessions and attendance counts. Both read
//! projections only: never an agreement's terms or a group session's notes.

use std::collections::{BTreeMap, HashMap};

use actix_web::web;
use maud::{Markup, html};

use super::error::ConsoleError;
use super::layout::{Page, Section, date_str_cell, html, layout, render};
use super::login::ConsoleUser;
use crate::db::groups as groups_db;
use crate::db::scheme_projections::{self as scheme_db, AgreementProjection};
use crate::db::{DbConnection, DbError, people};
use crate::model::{Day, GroupId, MentorshipId, OrgId, PersonId};
use crate::state::AppState;

/// Where a pairing's agreement stands, as the console may know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementStatus {
    /// Neither phone has synced an agreement.
    NotStarted,
    /// Written, not yet signed by both.
    Draft,
    /// Signed by both, on this day (when known), nothing changed since.
    Signed(Option<Day>),
    /// Changed after a signature.
    Amended,
    /// Signed by both and its review date has come.
    ReviewDue,
}

impl AgreementStatus {
    /// What an agreement's projection means `today`.
    pub fn of(projection: Option<&AgreementProjection>, today: Day) -> Self {
        let Some(p) = projection else { return Self::NotStarted };
        if p.amended_after_signing {
            return Self::Amended;
        }
        if !(p.mentor_signed && p.mentee_signed) {
            return Self::Draft;
        }
        let review = p.review_on.as_deref().and_then(|d| d.parse::<Day>().ok());
        if review.is_some_and(|r| r <= today) {
            return Self::ReviewDue;
        }
        Self::Signed(p.signed_on.as_deref().and_then(|d| d.parse().ok()))
    }

    /// A stable name (tests and styles use it).
    pub fn code(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Draft => "draft",
            Self::Signed(_) => "signed",
            Self::Amended => "amended",
            Self::ReviewDue => "review_due",
        }
    }

    /// The cell shown for it.
    pub fn cell(self) -> Markup {
        html! {
            span.agreement data-agreement=(self.code()) {
                @match self {
                    Self::NotStarted => { "not started" }
                    Self::Draft => { "draft" }
                    Self::Signed(Some(day)) => { "signed by both on " (date_str_cell(Some(&day.to_string()))) }
                    Self::Signed(None) => { "signed by both" }
                    Self::Amended => { "amended after signing" }
                    Self::ReviewDue => { "review due" }
                }
            }
        }
    }
}

/// The agreements of an organisation's pairings (one query).
#[derive(Debug, Clone, Default)]
pub struct Agreements(HashMap<MentorshipId, AgreementProjection>);

impl Agreements {
    pub fn load(conn: &mut DbConnection, org_id: OrgId) -> Result<Self, DbError> {
        Ok(Self(scheme_db::find_agreements_by_org(conn, org_id)?.into_iter().collect()))
    }

    pub fn status(&self, id: MentorshipId, today: Day) -> AgreementStatus {
        AgreementStatus::of(self.0.get(&id), today)
    }
}

/// One group as the groups page shows it.
#[derive(Debug, Clone)]
struct GroupRow {
    id: GroupId,
    name: String,
    facilitator: String,
    members: usize,
    /// Day and attendance count of each session, oldest first.
    sessions: Vec<(Option<String>, i32)>,
}

fn load_groups(conn: &mut DbConnection, org_id: OrgId) -> Result<Vec<GroupRow>, DbError> {
    let groups = groups_db::find_by_org(conn, org_id)?;
    let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
    let mut members: HashMap<GroupId, usize> = HashMap::new();
    for (group, _) in groups_db::find_members(conn, &ids)? {
        *members.entry(group).or_default() += 1;
    }
    let mut sessions: BTreeMap<GroupId, Vec<(Option<String>, i32)>> = BTreeMap::new();
    for (group, day, attended) in scheme_db::find_group_sessions_by_org(conn, org_id)? {
        sessions.entry(group).or_default().push((day, attended));
    }
    let names: HashMap<PersonId, String> =
        people::find_by_org(conn, org_id)?.into_iter().map(|p| (p.id, p.display_name)).collect();
    Ok(groups
        .into_iter()
        .map(|g| GroupRow {
            id: g.id,
            name: g.name,
            facilitator: names.get(&g.facilitator_id).cloned().unwrap_or_default(),
            members: members.get(&g.id).copied().unwrap_or(0),
            sessions: sessions.remove(&g.id).unwrap_or_default(),
        })
        .collect())
}

/// `/console/groups`.
pub async fn groups_page(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    let org_id = user.org_id;
    let rows = state.db.run(move |conn| Ok::<_, ConsoleError>(load_groups(conn, org_id)?)).await?;
    Ok(html(render(move || Ok(groups_markup(&user, &rows))).await?))
}

fn groups_markup(user: &ConsoleUser, rows: &[GroupRow]) -> Markup {
    let main = html! {
        h1 { "Groups" }
        p.hint { "Sessions held and how many attended. Notes and members' own accounts stay with the group." }
        @if rows.is_empty() {
            p { "No groups yet. Coordinators create them through the API (POST /v1/groups)." }
        }
        @for g in rows {
            section data-group=(g.id) aria-label=(g.name) {
                h2 { (g.name) }
                p { "Facilitated by " (g.facilitator) ", " (g.members) " members, "
                    span data-sessions-held=(g.sessions.len()) { (g.sessions.len()) " sessions held" } "." }
                @if !g.sessions.is_empty() {
                    table {
                        thead { tr { th scope="col" { "Date" } th scope="col" { "Attended" } } }
                        tbody {
                            @for (day, attended) in &g.sessions {
                                tr {
                                    th scope="row" data-label="Date" { (date_str_cell(day.as_deref())) }
                                    td data-label="Attended" data-attended=(attended) { (attended) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(user, Section::Groups, "Groups", main)
}
