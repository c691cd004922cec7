//! The oversight report: is the scheme working? For the people who started in
//! post in a period, by start-month cohort and site: how many were mentored,
//! how many were still in post 90 days, 6 months and 12 months later (mentored
//! or not), and how their pairings went (touchpoints met on time, days to
//! first contact, sessions a month, sessions cancelled or missed and why,
//! goals achieved, agreements signed, mentors' training current).
//!
//! Built from organisation records (people, their start dates and
//! departures, pairings, programmes, training) and projections (session
//! dates, statuses and reasons, goal statuses, agreement signatures) only:
//! nothing a pair wrote in notes, accounts, feedback, summaries or goals is
//! read. The one text from a pair that can appear is the reason given for a
//! cancelled or missed session, and only as a category: normalised, and shown
//! only when at least [`THRESHOLD`] pairings gave it.
//!
//! Every cell describing fewer than [`THRESHOLD`] people is suppressed
//! (`suppressed: true`, every figure `null`; "fewer than 5" in CSV, PDF and
//! console). The mentored / not mentored counts are suppressed together when
//! either is small, since each is the starters minus the other.
//!
//! Adding a metric is one function (`fn(&Group, &Sources) -> Cell`) and one
//! row in [`METRICS`]; a metric that needs rows not yet read adds a field to
//! [`Sources`] and its query to `Sources::load`.

pub mod pdf;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use time::{Date, Duration, Month};
use utoipa::ToSchema;

use super::programme::{self, TouchpointRules, TouchpointState};
use super::{Actor, DomainError, permissions};
use crate::db::departures::Departure;
use crate::db::mentorships::{Mentorship, Scope};
use crate::db::people::Person;
use crate::db::programmes::Programme;
use crate::db::reports::{self, SessionFact};
use crate::db::scheme_projections::{self, AgreementProjection};
use crate::db::sites::Site;
use crate::db::training::TrainingRecord;
use crate::db::{self, DbConnection};
use crate::model::{Day, MentorshipId, MentorshipStatus, OrgId, PersonId, ProgrammeId, SiteId};

/// Cells describing fewer people than this are suppressed.
pub const THRESHOLD: usize = 5;

/// At most this many reasons are listed for sessions that did not happen.
const TOP_REASONS: usize = 3;

/// What a report covers: people who started in post from `from` to `to`
/// (inclusive), optionally at one site, and pairings of one programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportFilter {
    pub from: Day,
    pub to: Day,
    pub site_id: Option<SiteId>,
    pub programme_id: Option<ProgrammeId>,
}

impl ReportFilter {
    /// Reads the query string's values: dates `YYYY-MM-DD` (default: `to`
    /// today, `from` the first of the month 23 months before `to`'s, i.e. 24
    /// cohorts), ids as uuids. Bad input is 400 with a code naming the field.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        site_id: Option<&str>,
        programme_id: Option<&str>,
        today: Day,
    ) -> Result<Self, DomainError> {
        let given = |v: Option<&str>| v.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        let date = |field: &str, v: Option<&str>| given(v).map(|t| super::parse_input_date(field, &t)).transpose();
        let to = date("to", to)?.unwrap_or(today);
        let from = match date("from", from)? {
            Some(from) => from,
            None => Day::from(first_of_month(add_months(to.date(), -23))),
        };
        if from > to {
            return Err(DomainError::invalid("invalid_range", "`from` must not be after `to`"));
        }
        if to.date() - from.date() > Duration::days(366 * 10) {
            return Err(DomainError::invalid("invalid_range", "a report covers at most ten years"));
        }
        let site_id = given(site_id)
            .map(|t| {
                t.parse::<SiteId>().map_err(|_| {
                    DomainError::invalid("invalid_site_id", format!("`site_id` must be a site id, got `{t}`"))
                })
            })
            .transpose()?;
        let programme_id = given(programme_id)
            .map(|t| {
                t.parse::<ProgrammeId>().map_err(|_| {
                    DomainError::invalid(
                        "invalid_programme_id",
                        format!("`programme_id` must be a programme id, got `{t}`"),
                    )
                })
            })
            .transpose()?;
        Ok(Self { from, to, site_id, programme_id })
    }
}

/// What a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A number of people.
    People,
    /// A proportion from 0 to 1 (`count` of `of`).
    Share,
    /// A number of days.
    Days,
    /// Sessions per pairing per month.
    PerMonth,
    /// A mean survey score, from 1 to 5.
    Score,
    /// A number of things (concerns), not people.
    Count,
}

/// One metric: its key (JSON and CSV), its label and how it is computed.
pub struct Metric {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub compute: fn(&Group, &Sources) -> Cell,
}

/// Every metric of the report, in the order shown. Survey means and concerns
/// raised and closed belong here once those records exist.
pub const METRICS: &[Metric] = &[
    Metric { key: "starters", label: "Starters", unit: Unit::People, compute: starters },
    Metric { key: "mentored", label: "Mentored", unit: Unit::People, compute: mentored },
    Metric { key: "not_mentored", label: "Not mentored", unit: Unit::People, compute: not_mentored },
    Metric {
        key: "in_post_90_days.mentored",
        label: "Still in post at 90 days, mentored",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Days(90), Some(true)),
    },
    Metric {
        key: "in_post_90_days.not_mentored",
        label: "Still in post at 90 days, not mentored",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Days(90), Some(false)),
    },
    Metric {
        key: "in_post_90_days.all",
        label: "Still in post at 90 days, all starters",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Days(90), None),
    },
    Metric {
        key: "in_post_6_months.mentored",
        label: "Still in post at 6 months, mentored",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Months(6), Some(true)),
    },
    Metric {
        key: "in_post_6_months.not_mentored",
        label: "Still in post at 6 months, not mentored",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Months(6), Some(false)),
    },
    Metric {
        key: "in_post_6_months.all",
        label: "Still in post at 6 months, all starters",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Months(6), None),
    },
    Metric {
        key: "in_post_12_months.mentored",
        label: "Still in post at 12 months, mentored",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Months(12), Some(true)),
    },
    Metric {
        key: "in_post_12_months.not_mentored",
        label: "Still in post at 12 months, not mentored",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Months(12), Some(false)),
    },
    Metric {
        key: "in_post_12_months.all",
        label: "Still in post at 12 months, all starters",
        unit: Unit::Share,
        compute: |g, s| retention(g, s, Horizon::Months(12), None),
    },
    Metric {
        key: "touchpoints_met_on_time",
        label: "Touchpoints met on time",
        unit: Unit::Share,
        compute: touchpoints_met_on_time,
    },
    Metric {
        key: "median_days_to_first_contact",
        label: "Median days to first contact",
        unit: Unit::Days,
        compute: median_days_to_first_contact,
    },
    Metric {
        key: "sessions_per_pairing_per_month",
        label: "Sessions per pairing per month",
        unit: Unit::PerMonth,
        compute: sessions_per_pairing_per_month,
    },
    Metric {
        key: "cancelled_or_missed",
        label: "Sessions cancelled or missed",
        unit: Unit::Share,
        compute: cancelled_or_missed,
    },
    Metric { key: "goals_achieved", label: "Goals achieved", unit: Unit::Share, compute: goals_achieved },
    Metric {
        key: "agreements_signed",
        label: "Agreements signed by both",
        unit: Unit::Share,
        compute: agreements_signed,
    },
    Metric {
        key: "mentor_training_current",
        label: "Mentors with training current",
        unit: Unit::Share,
        compute: mentor_training_current,
    },
    Metric {
        key: "survey_mean.confidence",
        label: "Survey: confidence in the role (mean, 1-5)",
        unit: Unit::Score,
        compute: |g, s| survey_mean(g, s, Some("confidence")),
    },
    Metric {
        key: "survey_mean.support",
        label: "Survey: support received (mean, 1-5)",
        unit: Unit::Score,
        compute: |g, s| survey_mean(g, s, Some("support")),
    },
    Metric {
        key: "survey_mean.stay",
        label: "Survey: intention to stay 12 months (mean, 1-5)",
        unit: Unit::Score,
        compute: |g, s| survey_mean(g, s, Some("stay")),
    },
    Metric {
        key: "survey_mean.all",
        label: "Survey: every scale question (mean, 1-5)",
        unit: Unit::Score,
        compute: |g, s| survey_mean(g, s, None),
    },
    Metric {
        key: "concerns_raised",
        label: "Concerns raised",
        unit: Unit::Count,
        compute: |g, s| concerns(g, s, false),
    },
    Metric {
        key: "concerns_closed",
        label: "Concerns closed (of those raised)",
        unit: Unit::Share,
        compute: |g, s| concerns(g, s, true),
    },
];

/// One figure. Suppressed cells carry no figure at all.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Cell {
    /// The figure: a count, a share (0 to 1), days or a rate; `null` when
    /// suppressed or when there is nothing to measure yet.
    pub value: Option<f64>,
    /// What was counted (people in post, touchpoints met, ...).
    pub count: Option<u64>,
    /// Out of how many.
    pub of: Option<u64>,
    /// Fewer than 5 people behind this cell: no figure is shown.
    pub suppressed: bool,
    /// For sessions cancelled or missed: the commonest reasons given by at
    /// least 5 pairings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ReasonCount>,
}

/// A reason given for sessions that did not happen, as a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    pub sessions: u64,
    pub pairings: u64,
}

impl Cell {
    /// A figure about `people` people: suppressed when they are fewer than
    /// [`THRESHOLD`].
    fn about(people: usize, value: Option<f64>, count: Option<u64>, of: Option<u64>) -> Self {
        if people < THRESHOLD {
            return Self::suppressed();
        }
        Self { value, count, of, suppressed: false, reasons: Vec::new() }
    }

    fn suppressed() -> Self {
        Self { value: None, count: None, of: None, suppressed: true, reasons: Vec::new() }
    }

    fn share(people: usize, count: usize, of: usize) -> Self {
        let value = (of > 0).then(|| count as f64 / of as f64);
        Self::about(people, value, Some(count as u64), Some(of as u64))
    }
}

/// A starter as the report sees them.
#[derive(Debug, Clone)]
pub struct Starter {
    pub person_id: PersonId,
    pub site_id: Option<SiteId>,
    pub started: Day,
    pub left_on: Option<Day>,
    /// Their pairings as mentee that have started (in the filtered programme).
    pub pairings: Vec<Mentorship>,
}

impl Starter {
    fn mentored(&self) -> bool {
        !self.pairings.is_empty()
    }
}

/// The starters one row describes.
pub struct Group<'a> {
    pub starters: Vec<&'a Starter>,
}

impl Group<'_> {
    fn pairings(&self) -> impl Iterator<Item = &Mentorship> {
        self.starters.iter().flat_map(|s| s.pairings.iter())
    }
}

/// Everything the metrics read, loaded once per report.
pub struct Sources {
    pub today: Day,
    pub sessions: HashMap<MentorshipId, Vec<SessionFact>>,
    pub goals: HashMap<MentorshipId, Vec<String>>,
    pub agreements: HashMap<MentorshipId, AgreementProjection>,
    pub training: HashMap<PersonId, Vec<TrainingRecord>>,
    pub programmes: HashMap<ProgrammeId, Programme>,
    /// Scored survey answers per pairing: respondent, question, score.
    pub survey_scores: HashMap<MentorshipId, Vec<(PersonId, String, i32)>>,
    /// Concerns per pairing: author and status.
    pub concerns: HashMap<MentorshipId, Vec<(PersonId, String)>>,
}

impl Sources {
    fn load(conn: &mut DbConnection, org_id: OrgId, today: Day) -> Result<Self, DomainError> {
        let mut sessions: HashMap<MentorshipId, Vec<SessionFact>> = HashMap::new();
        for fact in reports::find_session_facts(conn, org_id)? {
            sessions.entry(fact.mentorship_id).or_default().push(fact);
        }
        let mut goals: HashMap<MentorshipId, Vec<String>> = HashMap::new();
        for (mentorship_id, status) in reports::find_goal_statuses(conn, org_id)? {
            goals.entry(mentorship_id).or_default().push(status);
        }
        let agreements = scheme_projections::find_agreements_by_org(conn, org_id)?.into_iter().collect();
        let mut training: HashMap<PersonId, Vec<TrainingRecord>> = HashMap::new();
        for record in db::training::find_by_org(conn, org_id)? {
            training.entry(record.person_id).or_default().push(record);
        }
        let programmes = db::programmes::find_by_org(conn, org_id)?.into_iter().map(|p| (p.id, p)).collect();
        let mut survey_scores: HashMap<MentorshipId, Vec<(PersonId, String, i32)>> = HashMap::new();
        for (mentorship_id, respondent, question, score) in reports::find_survey_scores(conn, org_id)? {
            if let Some(score) = score {
                survey_scores.entry(mentorship_id).or_default().push((respondent, question, score));
            }
        }
        let mut concerns: HashMap<MentorshipId, Vec<(PersonId, String)>> = HashMap::new();
        for (mentorship_id, author, status) in reports::find_concerns(conn, org_id)? {
            concerns.entry(mentorship_id).or_default().push((author, status));
        }
        Ok(Self { today, sessions, goals, agreements, training, programmes, survey_scores, concerns })
    }

    fn rules(&self, pairing: &Mentorship) -> TouchpointRules {
        self.programmes.get(&pairing.programme_id).map(TouchpointRules::from).unwrap_or_default()
    }

    /// Dates of a pairing's logged sessions, on or after its start and not
    /// after today, sorted.
    fn contacts(&self, pairing: &Mentorship, start: Day) -> Vec<Date> {
        let mut dates: Vec<Date> = self
            .sessions
            .get(&pairing.id)
            .into_iter()
            .flatten()
            .filter(|s| programme::is_contact(&s.status))
            .filter_map(|s| s.session_date.as_deref()?.parse::<Day>().ok())
            .filter(|d| *d >= start && *d <= self.today)
            .map(Day::date)
            .collect();
        dates.sort_unstable();
        dates
    }
}

/// Which sites a row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteScope {
    /// One site (`site_id`).
    One,
    /// People with no site recorded.
    None,
    /// Every site.
    All,
}

/// One row: a cohort (or every cohort) at a site (or every site).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Row {
    /// `YYYY-MM`, the month the row's people started in post; `null`: every cohort.
    pub cohort: Option<String>,
    pub site_scope: SiteScope,
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<SiteId>,
    /// The site's name, "No site" or "All sites".
    pub site: String,
    /// By metric key, see `metrics`.
    pub cells: BTreeMap<String, Cell>,
}

/// A metric as the report lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricInfo {
    #[schema(value_type = String)]
    pub key: &'static str,
    #[schema(value_type = String)]
    pub label: &'static str,
    pub unit: Unit,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    #[schema(value_type = String)]
    pub from: Day,
    #[schema(value_type = String)]
    pub to: Day,
    /// Retention and touchpoints are judged on this day (today).
    #[schema(value_type = String)]
    pub as_of: Day,
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<SiteId>,
    #[schema(value_type = Option<Uuid>)]
    pub programme_id: Option<ProgrammeId>,
    /// Cells describing fewer people than this are suppressed.
    pub threshold: usize,
    pub metrics: Vec<MetricInfo>,
    /// Each cohort at each site, each cohort at all sites (unless filtered to
    /// a site), then every cohort at all sites.
    pub rows: Vec<Row>,
}

/// The report for the organisation (coordinators and admins). A `site_id` or
/// `programme_id` of another organisation is not found (404).
pub fn build(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    filter: &ReportFilter,
    today: Day,
) -> Result<Report, DomainError> {
    permissions::manage_organisation(actor.roles)?;
    let sites = db::sites::find_by_org(conn, org_id)?;
    if let Some(site_id) = filter.site_id
        && !sites.iter().any(|s| s.id == site_id)
    {
        return Err(DomainError::not_found("site"));
    }
    if let Some(programme_id) = filter.programme_id
        && db::programmes::find_by_id(conn, org_id, programme_id)?.is_none()
    {
        return Err(DomainError::not_found("programme"));
    }
    let people = db::people::find_by_org(conn, org_id)?;
    let departures = super::people::departures(conn, org_id)?;
    let pairings: Vec<Mentorship> = db::mentorships::find_by_org_with_names(conn, org_id, Scope::All)?
        .into_iter()
        .map(|named| named.mentorship)
        .collect();
    let sources = Sources::load(conn, org_id, today)?;
    let starters = starters_of(&people, &departures, &pairings, filter, today);
    Ok(assemble(filter, today, &sites, &starters, &sources))
}

/// [`build`], for a download in `format` (`csv`, `pdf`): recorded in the
/// audit log as `report.exported` with the filter it was built with, the same
/// from the API and from the console.
pub fn export(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    filter: &ReportFilter,
    today: Day,
    format: &'static str,
) -> Result<Report, DomainError> {
    let report = build(conn, org_id, actor, filter, today)?;
    super::record_audit(
        conn,
        org_id,
        actor,
        "report.exported",
        super::AuditObject::new("organisation", org_id),
        serde_json::json!({
            "report": "oversight",
            "format": format,
            "from": filter.from.to_string(),
            "to": filter.to.to_string(),
            "site_id": filter.site_id.map(|id| id.to_string()),
            "programme_id": filter.programme_id.map(|id| id.to_string()),
        }),
    )?;
    Ok(report)
}

/// The people the report is about: anyone who is not only a coordinator or
/// admin (those run the scheme), started in post within the period, at the
/// site asked for; with a programme asked for, those mentored in it and those
/// mentored in none.
pub fn starters_of(
    people: &[Person],
    departures: &HashMap<PersonId, Departure>,
    pairings: &[Mentorship],
    filter: &ReportFilter,
    today: Day,
) -> Vec<Starter> {
    let mut out = Vec::new();
    for person in people {
        let roles = person.roles();
        if !(roles.mentee || roles.mentor) {
            continue;
        }
        let started = super::people::started_in_post(person);
        if started < filter.from || started > filter.to {
            continue;
        }
        if filter.site_id.is_some() && person.site_id != filter.site_id {
            continue;
        }
        let own: Vec<&Mentorship> = pairings
            .iter()
            .filter(|m| m.mentee_id == person.id)
            .filter(|m| m.status != MentorshipStatus::Proposed && m.started_on.is_some_and(|d| d <= today))
            .collect();
        let in_programme: Vec<Mentorship> =
            own.iter().copied().filter(|m| filter.programme_id.is_none_or(|p| m.programme_id == p)).cloned().collect();
        if in_programme.is_empty() && !own.is_empty() {
            // Mentored, but only in another programme.
            continue;
        }
        out.push(Starter {
            person_id: person.id,
            site_id: person.site_id,
            started,
            // A departure is only kept while the person is deactivated.
            left_on: if person.is_active() {
                None
            } else {
                Some(
                    departures
                        .get(&person.id)
                        .map(|d| d.left_on)
                        .unwrap_or_else(|| person.deactivated_at.map(|at| at.day()).unwrap_or(today)),
                )
            },
            pairings: in_programme,
        });
    }
    out
}

/// The rows for these starters.
pub fn assemble(filter: &ReportFilter, today: Day, sites: &[Site], starters: &[Starter], sources: &Sources) -> Report {
    let site_name = |id: Option<SiteId>| match id {
        Some(id) => sites.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_else(|| "Unknown site".into()),
        None => "No site".to_owned(),
    };
    let mut by_cohort: BTreeMap<String, Vec<&Starter>> = BTreeMap::new();
    for starter in starters {
        by_cohort.entry(cohort_of(starter.started)).or_default().push(starter);
    }
    let mut rows = Vec::new();
    for (cohort, members) in &by_cohort {
        let mut by_site: BTreeMap<(String, Option<SiteId>), Vec<&Starter>> = BTreeMap::new();
        for starter in members {
            by_site.entry((site_name(starter.site_id), starter.site_id)).or_default().push(starter);
        }
        for ((name, site_id), group) in by_site {
            let scope = if site_id.is_some() { SiteScope::One } else { SiteScope::None };
            rows.push(row(Some(cohort.clone()), scope, site_id, name, Group { starters: group }, sources));
        }
        if filter.site_id.is_none() {
            let group = Group { starters: members.clone() };
            rows.push(row(Some(cohort.clone()), SiteScope::All, None, "All sites".into(), group, sources));
        }
    }
    let everyone = Group { starters: starters.iter().collect() };
    let (scope, site, site_id) = match filter.site_id {
        Some(id) => (SiteScope::One, site_name(Some(id)), Some(id)),
        None => (SiteScope::All, "All sites".to_owned(), None),
    };
    rows.push(row(None, scope, site_id, site, everyone, sources));
    Report {
        from: filter.from,
        to: filter.to,
        as_of: today,
        site_id: filter.site_id,
        programme_id: filter.programme_id,
        threshold: THRESHOLD,
        metrics: METRICS.iter().map(|m| MetricInfo { key: m.key, label: m.label, unit: m.unit }).collect(),
        rows,
    }
}

fn row(
    cohort: Option<String>,
    site_scope: SiteScope,
    site_id: Option<SiteId>,
    site: String,
    group: Group,
    sources: &Sources,
) -> Row {
    let cells = METRICS.iter().map(|m| (m.key.to_owned(), (m.compute)(&group, sources))).collect();
    Row { cohort, site_scope, site_id, site, cells }
}

fn cohort_of(day: Day) -> String {
    let date = day.date();
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

fn first_of_month(date: Date) -> Date {
    date.replace_day(1).unwrap_or(date)
}

/// `date` moved by `months` calendar months, the day clamped to the month's
/// length (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: Date, months: i32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let month = u8::try_from(month).ok().and_then(|m| Month::try_from(m).ok()).unwrap_or(Month::January);
    (1..=date.day()).rev().find_map(|day| Date::from_calendar_date(year, month, day).ok()).unwrap_or(date)
}

// ---- the metrics ----

fn starters(group: &Group, _: &Sources) -> Cell {
    let n = group.starters.len();
    Cell::about(n, Some(n as f64), Some(n as u64), None)
}

/// Mentored and not mentored, suppressed together when either is small.
fn split(group: &Group, mentored: bool) -> Cell {
    let yes = group.starters.iter().filter(|s| s.mentored()).count();
    let no = group.starters.len() - yes;
    if yes.min(no) < THRESHOLD {
        return Cell::suppressed();
    }
    let n = if mentored { yes } else { no };
    Cell::about(n, Some(n as f64), Some(n as u64), None)
}

fn mentored(group: &Group, _: &Sources) -> Cell {
    split(group, true)
}

fn not_mentored(group: &Group, _: &Sources) -> Cell {
    split(group, false)
}

/// How long after starting retention is judged.
#[derive(Debug, Clone, Copy)]
enum Horizon {
    Days(i64),
    Months(i32),
}

impl Horizon {
    fn after(self, start: Day) -> Day {
        match self {
            Self::Days(days) => start + Duration::days(days),
            Self::Months(months) => Day::from(add_months(start.date(), months)),
        }
    }
}

/// Of the starters (mentored, not, or all) whose horizon has passed, the
/// share still in post on that day: not left, or left on it or later.
fn retention(group: &Group, sources: &Sources, horizon: Horizon, mentored: Option<bool>) -> Cell {
    let mut eligible = 0;
    let mut retained = 0;
    for starter in &group.starters {
        if mentored.is_some_and(|m| m != starter.mentored()) {
            continue;
        }
        let on = horizon.after(starter.started);
        if on > sources.today {
            continue;
        }
        eligible += 1;
        if starter.left_on.is_none_or(|left| left >= on) {
            retained += 1;
        }
    }
    Cell::share(eligible, retained, eligible)
}

/// Of the touchpoints whose window has closed (or that were met), the share
/// met inside their window.
fn touchpoints_met_on_time(group: &Group, sources: &Sources) -> Cell {
    let (mut judged, mut met) = (0, 0);
    let mut people = BTreeSet::new();
    for pairing in group.pairings() {
        let Some(start) = pairing.started_on else { continue };
        let contacts = sources.contacts(pairing, start);
        let rules = sources.rules(pairing);
        let ended = pairing.ended_on.map(Day::date);
        for touchpoint in programme::touchpoints(&rules, start.date(), ended, sources.today.date(), &contacts) {
            match touchpoint.state {
                TouchpointState::Met => met += 1,
                TouchpointState::MetLate | TouchpointState::Overdue => {}
                TouchpointState::Due | TouchpointState::Upcoming => continue,
            }
            judged += 1;
            people.insert(pairing.mentee_id);
        }
    }
    Cell::share(people.len(), met, judged)
}

/// The median, over pairings with any contact, of the days from the start to
/// the first logged session.
fn median_days_to_first_contact(group: &Group, sources: &Sources) -> Cell {
    let mut days = Vec::new();
    let mut people = BTreeSet::new();
    for pairing in group.pairings() {
        let Some(start) = pairing.started_on else { continue };
        if let Some(first) = sources.contacts(pairing, start).first() {
            days.push((*first - start.date()).whole_days());
            people.insert(pairing.mentee_id);
        }
    }
    Cell::about(people.len(), median(&mut days), Some(days.len() as u64), None)
}

fn median(values: &mut [i64]) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    }
}

const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Logged sessions per month a pairing has run (from its start to its end or
/// today), over all the group's pairings that have run a day or more.
fn sessions_per_pairing_per_month(group: &Group, sources: &Sources) -> Cell {
    let (mut sessions, mut days) = (0usize, 0i64);
    let mut people = BTreeSet::new();
    for pairing in group.pairings() {
        let Some(start) = pairing.started_on else { continue };
        let end = pairing.ended_on.map_or(sources.today, |e| e.min(sources.today));
        let ran = (end.date() - start.date()).whole_days();
        if ran < 1 {
            continue;
        }
        days += ran;
        sessions += sources.contacts(pairing, start).iter().filter(|d| **d <= end.date()).count();
        people.insert(pairing.mentee_id);
    }
    let value = (days > 0).then(|| sessions as f64 / (days as f64 / DAYS_PER_MONTH));
    Cell::about(people.len(), value, Some(sessions as u64), None)
}

/// A reason as a category: trimmed, spaces collapsed, lower case.
fn reason_category(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    (!words.is_empty()).then(|| words.join(" ").to_lowercase())
}

/// Of the sessions held, cancelled or missed, the share cancelled or missed,
/// with the reasons at least [`THRESHOLD`] pairings gave.
fn cancelled_or_missed(group: &Group, sources: &Sources) -> Cell {
    let (mut total, mut not_held) = (0usize, 0usize);
    let mut people = BTreeSet::new();
    let mut reasons: BTreeMap<String, (u64, BTreeSet<MentorshipId>)> = BTreeMap::new();
    for pairing in group.pairings() {
        for session in sources.sessions.get(&pairing.id).into_iter().flatten() {
            let held = programme::is_contact(&session.status);
            let missed = programme::is_not_held(&session.status);
            if !(held || missed) {
                continue;
            }
            total += 1;
            people.insert(pairing.mentee_id);
            if missed {
                not_held += 1;
                if let Some(category) = session.status_reason.as_deref().and_then(reason_category) {
                    let entry = reasons.entry(category).or_default();
                    entry.0 += 1;
                    entry.1.insert(pairing.id);
                }
            }
        }
    }
    let mut cell = Cell::share(people.len(), not_held, total);
    if !cell.suppressed {
        let mut shown: Vec<ReasonCount> = reasons
            .into_iter()
            .filter(|(_, (_, pairings))| pairings.len() >= THRESHOLD)
            .map(|(reason, (sessions, pairings))| ReasonCount { reason, sessions, pairings: pairings.len() as u64 })
            .collect();
        shown.sort_by(|a, b| b.sessions.cmp(&a.sessions).then_with(|| a.reason.cmp(&b.reason)));
        shown.truncate(TOP_REASONS);
        cell.reasons = shown;
    }
    cell
}

/// Of the goals of the group's pairings, the share achieved.
fn goals_achieved(group: &Group, sources: &Sources) -> Cell {
    let (mut total, mut achieved) = (0, 0);
    let mut people = BTreeSet::new();
    for pairing in group.pairings() {
        for status in sources.goals.get(&pairing.id).into_iter().flatten() {
            total += 1;
            achieved += usize::from(programme::is_achieved(status));
            people.insert(pairing.mentee_id);
        }
    }
    Cell::share(people.len(), achieved, total)
}

/// The mean score (1 to 5) the group's pairings gave to survey question
/// `question` (`None`: every scale question), over the people who answered.
fn survey_mean(group: &Group, sources: &Sources, question: Option<&str>) -> Cell {
    let (mut total, mut answers) = (0_i64, 0_u64);
    let mut people = BTreeSet::new();
    for pairing in group.pairings() {
        for (respondent, asked, score) in sources.survey_scores.get(&pairing.id).into_iter().flatten() {
            if question.is_none_or(|q| q == asked) {
                total += i64::from(*score);
                answers += 1;
                people.insert(*respondent);
            }
        }
    }
    let value = (answers > 0).then(|| total as f64 / answers as f64);
    Cell::about(people.len(), value, Some(answers), None)
}

/// Concerns raised about the group's pairings (`closed`: of them, the share
/// closed). Suppressed when 1 to 4 people raised them: so few authors could be
/// recognised. None raised in a group of at least 5 starters shows as 0.
fn concerns(group: &Group, sources: &Sources, closed: bool) -> Cell {
    let (mut raised, mut done) = (0_usize, 0_usize);
    let mut authors = BTreeSet::new();
    for pairing in group.pairings() {
        for (author, status) in sources.concerns.get(&pairing.id).into_iter().flatten() {
            raised += 1;
            done += usize::from(status == "closed");
            authors.insert(*author);
        }
    }
    if raised == 0 {
        let value = if closed { None } else { Some(0.0) };
        return Cell::about(group.starters.len(), value, Some(0), None);
    }
    if closed {
        Cell::share(authors.len(), done, raised)
    } else {
        Cell::about(authors.len(), Some(raised as f64), Some(raised as u64), None)
    }
}

/// Of the group's pairings, the share whose agreement both have signed.
fn agreements_signed(group: &Group, sources: &Sources) -> Cell {
    let (mut total, mut signed) = (0, 0);
    let mut people = BTreeSet::new();
    for pairing in group.pairings() {
        total += 1;
        people.insert(pairing.mentee_id);
        if sources.agreements.get(&pairing.id).is_some_and(|a| a.mentor_signed && a.mentee_signed) {
            signed += 1;
        }
    }
    Cell::share(people.len(), signed, total)
}

/// Of the mentors of the group's pairings, the share holding today every
/// course their pairings' programmes require.
fn mentor_training_current(group: &Group, sources: &Sources) -> Cell {
    let mut mentors: BTreeMap<PersonId, bool> = BTreeMap::new();
    for pairing in group.pairings() {
        let required = sources.programmes.get(&pairing.programme_id).map(super::programmes::required_training);
        let records = sources.training.get(&pairing.mentor_id).map(Vec::as_slice).unwrap_or_default();
        let current =
            super::training::missing_training(&required.unwrap_or_default(), records, sources.today).is_empty();
        let entry = mentors.entry(pairing.mentor_id).or_insert(true);
        *entry = *entry && current;
    }
    let current = mentors.values().filter(|c| **c).count();
    Cell::share(mentors.len(), current, mentors.len())
}

// ---- CSV ----

/// The report as CSV: one line per row and metric (`cohort` `all` for every
/// cohort), suppressed figures as "fewer than 5".
pub fn csv(report: &Report) -> String {
    let mut out = String::from("cohort,site_id,site,metric,label,value,count,of,suppressed,reasons\r\n");
    for row in &report.rows {
        for metric in METRICS {
            let Some(cell) = row.cells.get(metric.key) else { continue };
            let reasons: Vec<String> = cell
                .reasons
                .iter()
                .map(|r| format!("{} ({} sessions, {} pairings)", r.reason, r.sessions, r.pairings))
                .collect();
            let fields = [
                row.cohort.clone().unwrap_or_else(|| "all".into()),
                row.site_id.map(|id| id.to_string()).unwrap_or_default(),
                row.site.clone(),
                metric.key.to_owned(),
                metric.label.to_owned(),
                if cell.suppressed { suppressed_text() } else { cell.value.map(format_value).unwrap_or_default() },
                cell.count.map(|c| c.to_string()).unwrap_or_default(),
                cell.of.map(|c| c.to_string()).unwrap_or_default(),
                cell.suppressed.to_string(),
                reasons.join("; "),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// What a suppressed cell says.
pub fn suppressed_text() -> String {
    format!("fewer than {THRESHOLD}")
}

/// A figure as CSV writes it: whole numbers as such, others to 4 places.
pub fn format_value(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{value:.0}") } else { format!("{value:.4}") }
}

/// A figure as people read it (console, PDF).
pub fn display(cell: &Cell, unit: Unit) -> String {
    if cell.suppressed {
        return suppressed_text();
    }
    let Some(value) = cell.value else { return "—".to_owned() };
    match unit {
        Unit::People => format_value(value),
        Unit::Share => match (cell.count, cell.of) {
            (Some(count), Some(of)) => format!("{:.0}% ({count} of {of})", value * 100.0),
            _ => format!("{:.0}%", value * 100.0),
        },
        Unit::Days => format!("{value:.1} days"),
        Unit::PerMonth | Unit::Score => format!("{value:.2}"),
        Unit::Count => format_value(value),
    }
}

fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if guarded.contains([',', '"', '\n', '\r']) { format!("\"{}\"", guarded.replace('"', "\"\"")) } else { guarded }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn months_are_calendar_months_clamped_to_the_month() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 03 - 15), 6), date!(2026 - 09 - 15));
        assert_eq!(add_months(date!(2026 - 03 - 15), -23), date!(2024 - 04 - 15));
        assert_eq!(add_months(date!(2025 - 12 - 01), 12), date!(2026 - 12 - 01));
    }

    #[test]
    fn small_cells_carry_no_figures() {
        assert_eq!(Cell::share(4, 3, 4), Cell::suppressed());
        let shown = Cell::share(5, 4, 5);
        assert_eq!((shown.value, shown.count, shown.of, shown.suppressed), (Some(0.8), Some(4), Some(5), false));
    }

    #[test]
    fn medians_and_reason_categories() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&mut []), None);
        assert_eq!(reason_category("  No cover   on the Unit "), Some("no cover on the unit".into()));
        assert_eq!(reason_category("   "), None);
    }

    #[test]
    fn bad_filters_are_refused_with_the_field_named() {
        let today: Day = "2026-12-01".parse().unwrap();
        let code = |r: Result<ReportFilter, DomainError>| match r {
            Err(DomainError::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(ReportFilter::parse(Some("2026-13-01"), None, None, None, today)), "invalid_date");
        assert_eq!(
            code(ReportFilter::parse(Some("2026-06-01"), Some("2026-01-01"), None, None, today)),
            "invalid_range"
        );
        assert_eq!(code(ReportFilter::parse(None, None, Some("oak"), None, today)), "invalid_site_id");
        assert_eq!(code(ReportFilter::parse(None, None, None, Some("1"), today)), "invalid_programme_id");
        let default = ReportFilter::parse(None, None, None, None, today).unwrap();
        assert_eq!((default.from.to_string(), default.to), ("2025-01-01".to_owned(), today));
    }
}
