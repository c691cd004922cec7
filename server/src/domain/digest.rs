//! The coordinators' weekly digest: per organisation, the counts and names of
//! the active pairings needing attention, as plain text for an email. Built
//! from the same facts as reminders ([`super::reminders`]), so from
//! projections and organisation records only: dates, statuses, names,
//! touchpoint and course names, never anything a pair wrote.
//!
//! A pairing needs attention when it has an overdue touchpoint, no contact
//! within its programme's rhythm (`contact_every_days` since the last contact,
//! or since the start when there was none; informal programmes have no
//! rhythm), an agreement not signed by both
//! [`super::reminders::AGREEMENT_WITHIN_DAYS`] days after
//! the start, actions past due, logged sessions unsigned for a week, a
//! mentor whose training expires within [`TRAINING_LEAD_DAYS`] days, or a
//! concern raised about it that is not closed. Concerns appear by kind and
//! count only: their words stay in the concerns inbox, and an open
//! safeguarding concern heads the digest.
//!
//! Sending is the edge's (`digest_mail`); recording when it was sent is
//! `db::reminders`.

use std::fmt::Write as _;

use time::Date;

use super::DomainError;
use super::reminders::{Facts, PairingFacts, Reminder, ReminderKind, TRAINING_LEAD_DAYS, View, format_day};
use crate::db::concerns::{self, ConcernRow};
use crate::db::{DbConnection, governance, organisations, people};
use crate::model::{MentorshipId, OrgId};

/// One recipient: an active coordinator of the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// What needs attention in one pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingAttention {
    pub mentorship_id: MentorshipId,
    /// "Mo Mentor and Mia Mentee".
    pub names: String,
    pub programme: String,
    pub overdue_touchpoints: Vec<String>,
    /// Days since the last contact (or the start), when past the rhythm.
    pub days_without_contact: Option<i64>,
    pub contact_every_days: i64,
    pub agreement_unsigned: bool,
    pub overdue_actions: usize,
    pub unsigned_sessions: usize,
    /// Courses of the mentor expiring or expired, with the day.
    pub expiring_training: Vec<(String, Date)>,
    /// The kinds of the concerns about this pairing that are not closed
    /// (`safeguarding`, `pairing_not_working`, `other`), one entry each.
    pub open_concerns: Vec<String>,
}

/// The headline counts: pairings with each problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub active_pairings: usize,
    pub needing_attention: usize,
    pub overdue_touchpoints: usize,
    pub no_recent_contact: usize,
    pub unsigned_agreements: usize,
    pub overdue_actions: usize,
    pub unsigned_sessions: usize,
    pub expiring_training: usize,
    /// Concerns not closed, across the organisation (ended pairings too).
    pub open_concerns: usize,
    /// Of those, safeguarding concerns.
    pub open_safeguarding: usize,
}

/// One organisation's digest.
#[derive(Debug, Clone)]
pub struct Digest {
    pub org_id: OrgId,
    pub org_name: String,
    pub today: Date,
    pub recipients: Vec<Recipient>,
    pub counts: Counts,
    pub pairings: Vec<PairingAttention>,
}

impl Digest {
    pub fn subject(&self) -> String {
        format!(
            "Alongside weekly digest for {}: {} of {} pairings need attention",
            self.org_name, self.counts.needing_attention, self.counts.active_pairings
        )
    }

    /// The email's body.
    pub fn text(&self) -> String {
        let c = &self.counts;
        let mut out = String::new();
        let _ = writeln!(out, "Weekly digest for {}, {}.", self.org_name, format_day(self.today));
        let _ = writeln!(out);
        if c.open_safeguarding > 0 {
            // Kept under 76 characters: mail clients see it as one line.
            let _ = writeln!(
                out,
                "SAFEGUARDING: {}. See the concerns inbox today.",
                plural(c.open_safeguarding, "open safeguarding concern", "open safeguarding concerns")
            );
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "Active pairings: {}", c.active_pairings);
        let _ = writeln!(out, "Needing attention: {}", c.needing_attention);
        let _ = writeln!(out, "  with an overdue touchpoint: {}", c.overdue_touchpoints);
        let _ = writeln!(out, "  with no contact within the programme's rhythm: {}", c.no_recent_contact);
        let _ = writeln!(out, "  with the agreement unsigned: {}", c.unsigned_agreements);
        let _ = writeln!(out, "  with actions past due: {}", c.overdue_actions);
        let _ = writeln!(out, "  with sessions unsigned for a week: {}", c.unsigned_sessions);
        let _ = writeln!(
            out,
            "  whose mentor's training expires within {TRAINING_LEAD_DAYS} days: {}",
            c.expiring_training
        );
        let _ = writeln!(out, "Concerns not yet closed: {}", c.open_concerns);
        let _ = writeln!(out);
        if self.pairings.is_empty() {
            let _ = writeln!(out, "Every active pairing is on track.");
        }
        for p in &self.pairings {
            let _ = writeln!(out, "{} ({})", p.names, p.programme);
            for name in &p.overdue_touchpoints {
                let _ = writeln!(out, "  - {name} overdue");
            }
            if let Some(days) = p.days_without_contact {
                let _ = writeln!(out, "  - no contact for {days} days (expected every {} days)", p.contact_every_days);
            }
            if p.agreement_unsigned {
                let _ = writeln!(out, "  - agreement not signed by both");
            }
            if p.overdue_actions > 0 {
                let _ = writeln!(out, "  - {} past due", plural(p.overdue_actions, "action", "actions"));
            }
            if p.unsigned_sessions > 0 {
                let _ = writeln!(
                    out,
                    "  - {} logged over a week ago not signed by both",
                    plural(p.unsigned_sessions, "session", "sessions")
                );
            }
            for (course, on) in &p.expiring_training {
                let verb = if *on < self.today { "expired" } else { "expires" };
                let _ = writeln!(out, "  - mentor's {course} training {verb} on {}", format_day(*on));
            }
            for kind in &p.open_concerns {
                let _ = writeln!(out, "  - open concern: {}", concern_label(kind));
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Open the console for the details. This digest never contains what pairs wrote.");
        out
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 { format!("1 {one}") } else { format!("{count} {many}") }
}

/// How the digest names a concern's kind.
fn concern_label(kind: &str) -> &'static str {
    match kind {
        "safeguarding" => "safeguarding",
        "pairing_not_working" => "the pairing is not working",
        _ => "other",
    }
}

/// The organisation's digest as of `today`, or `None` when it has no active
/// coordinator to send it to.
pub fn compose(conn: &mut DbConnection, org_id: OrgId, today: Date) -> Result<Option<Digest>, DomainError> {
    let org = organisations::find_by_id(conn, org_id)?.ok_or_else(|| DomainError::not_found("organisation"))?;
    let recipients: Vec<Recipient> = people::find_by_org(conn, org_id)?
        .into_iter()
        .filter(|p| p.is_coordinator && p.is_active())
        .map(|p| Recipient { name: p.display_name, email: p.email })
        .collect();
    if recipients.is_empty() {
        return Ok(None);
    }
    let facts = Facts::load(conn, org_id, View::Organisation, today)?;
    let reminders = facts.reminders();
    let open: Vec<ConcernRow> =
        concerns::find_by_org(conn, org_id, None)?.into_iter().filter(|c| c.status != "closed").collect();
    let pairings: Vec<PairingAttention> = facts
        .pairings
        .iter()
        .map(|p| attention(p, &reminders, &open, today))
        .filter(PairingAttention::needs_attention)
        .collect();
    let counts = Counts {
        active_pairings: facts.pairings.len(),
        needing_attention: pairings.len(),
        overdue_touchpoints: pairings.iter().filter(|p| !p.overdue_touchpoints.is_empty()).count(),
        no_recent_contact: pairings.iter().filter(|p| p.days_without_contact.is_some()).count(),
        unsigned_agreements: pairings.iter().filter(|p| p.agreement_unsigned).count(),
        overdue_actions: pairings.iter().filter(|p| p.overdue_actions > 0).count(),
        unsigned_sessions: pairings.iter().filter(|p| p.unsigned_sessions > 0).count(),
        expiring_training: pairings.iter().filter(|p| !p.expiring_training.is_empty()).count(),
        open_concerns: open.len(),
        open_safeguarding: open.iter().filter(|c| c.kind == "safeguarding").count(),
    };
    Ok(Some(Digest { org_id, org_name: org.name, today, recipients, counts, pairings }))
}

/// Every organisation's digest (those with a coordinator).
pub fn compose_all(conn: &mut DbConnection, today: Date) -> Result<Vec<Digest>, DomainError> {
    let mut out = Vec::new();
    for org_id in governance::find_org_ids(conn)? {
        if let Some(digest) = compose(conn, org_id, today)? {
            out.push(digest);
        }
    }
    Ok(out)
}

impl PairingAttention {
    fn needs_attention(&self) -> bool {
        !self.overdue_touchpoints.is_empty()
            || self.days_without_contact.is_some()
            || self.agreement_unsigned
            || self.overdue_actions > 0
            || self.unsigned_sessions > 0
            || !self.expiring_training.is_empty()
            || !self.open_concerns.is_empty()
    }
}

fn attention(p: &PairingFacts, reminders: &[Reminder], open: &[ConcernRow], today: Date) -> PairingAttention {
    let id = p.id();
    let mine = |kind: ReminderKind| reminders.iter().filter(move |r| r.kind == kind && r.mentorship_id == Some(id));
    let mentor = p.pairing.mentorship.mentor_id;
    let days_without_contact = match (p.rules.informal, p.started_on()) {
        (false, Some(start)) if start <= today => {
            let since = p.contacts(today).last().copied().unwrap_or(start);
            let days = (today - since).whole_days();
            (days > p.rules.contact_every_days).then_some(days)
        }
        _ => None,
    };
    // Reminders show the agreement a few days early; the digest counts it
    // once the day has come.
    let agreement_unsigned = mine(ReminderKind::Agreement).any(|r| r.due_on <= today);
    PairingAttention {
        mentorship_id: id,
        names: format!("{} and {}", p.pairing.mentor_name, p.pairing.mentee_name),
        programme: p.rules.name.clone(),
        overdue_touchpoints: mine(ReminderKind::Touchpoint)
            .filter(|r| r.is_overdue(today))
            .map(|r| r.about.clone())
            .collect(),
        days_without_contact,
        contact_every_days: p.rules.contact_every_days,
        agreement_unsigned,
        overdue_actions: mine(ReminderKind::Action).count(),
        unsigned_sessions: mine(ReminderKind::SessionSignOff).count(),
        expiring_training: reminders
            .iter()
            .filter(|r| r.kind == ReminderKind::Training && r.person_id == Some(mentor))
            .map(|r| (r.about.clone(), r.due_on))
            .collect(),
        open_concerns: open.iter().filter(|c| c.mentorship_id == id).map(|c| c.kind.clone()).collect(),
    }
}
