//! The demo's scheme: the organisation's confidentiality statement, one
//! agreement signed by both (Daniel and Liam), and a peer circle of new starters
//! with one session held, written as real documents through the sync engine.

use sync_core::{AgreementInput, DocHeader, Document, GroupId, Mode, Pair};
use time::{Date, Duration};

use super::history::{Phones, sync};
use super::{DemoError, broken, person};
use crate::db::{DbConnection, mentorships};
use crate::domain::groups::{self, NewGroup};
use crate::domain::{Actor, DomainError};
use crate::model::{Day, OrgId};
use crate::sync::cache::DocCache;

const STATEMENT: &str = "What you talk about stays between the two of you. \
Confidentiality must be broken when someone is at risk of harm (safeguarding): \
your mentor will tell you first where they can, and speak to the safeguarding lead.";

const AGREEMENT_PAIR: (&str, &str) = ("daniel.kowalski@riverside-care.example", "liam.hughes@riverside-care.example");
const FACILITATOR: &str = "siobhan.reilly@riverside-care.example";
const CIRCLE: &[&str] =
    &["joe.turner@riverside-care.example", "fatima.begum@riverside-care.example", "liam.hughes@riverside-care.example"];

pub(super) fn write(
    conn: &mut DbConnection,
    cache: &DocCache,
    phones: &mut Phones,
    org_id: OrgId,
    today: Date,
) -> Result<(), DemoError> {
    let actor = Actor::system();
    groups::set_confidentiality(conn, org_id, &actor, STATEMENT)?;
    write_agreement(conn, cache, phones, org_id, today)?;

    let facilitator = person(conn, org_id, FACILITATOR)?;
    let mut members = Vec::new();
    for email in CIRCLE {
        members.push(person(conn, org_id, email)?);
    }
    let group = groups::create(
        conn,
        org_id,
        &actor,
        NewGroup {
            name: "New starters' circle".to_owned(),
            programme_id: None,
            facilitator_id: facilitator.id,
            member_ids: members.iter().map(|m| m.id).collect(),
        },
    )?;
    let group_id: GroupId = group.id.parse().map_err(broken)?;
    let header = DocHeader::new_group_session(group_id);
    let phone = phones.of(conn, &facilitator)?;
    let mut doc = Document::create(header, phone.caller.actor.clone()).map_err(broken)?;
    let genesis = doc.heads();
    let date = Day::from(today - Duration::days(6)).to_string();
    doc.set_group_session_date(phone.user, &date).map_err(broken)?;
    doc.edit_group_notes(phone.user, 0, 0, "First circle: what surprised us in week one, and who to ask for help. ")
        .map_err(broken)?;
    for (index, member) in members.iter().enumerate() {
        // One of the three was on shift.
        doc.set_attendance(phone.user, member.id, index != 1).map_err(broken)?;
    }
    doc.set_attendance(phone.user, facilitator.id, true).map_err(broken)?;
    sync(conn, cache, &phone, &mut doc, &genesis)
}

fn write_agreement(
    conn: &mut DbConnection,
    cache: &DocCache,
    phones: &mut Phones,
    org_id: OrgId,
    today: Date,
) -> Result<(), DemoError> {
    let mentor = person(conn, org_id, AGREEMENT_PAIR.0)?;
    let mentee = person(conn, org_id, AGREEMENT_PAIR.1)?;
    let pairing = mentorships::find_open_between(conn, org_id, mentor.id, mentee.id)?
        .ok_or(DomainError::not_found("mentorship"))?;
    let pair = Pair { mentorship_id: pairing.id, mentor_id: mentor.id, mentee_id: mentee.id };
    let header = DocHeader::agreement(pair);
    let mentor_phone = phones.of(conn, &mentor)?;
    let mentee_phone = phones.of(conn, &mentee)?;
    let mut doc = Document::create(header, mentor_phone.caller.actor.clone()).map_err(broken)?;
    let genesis = doc.heads();
    let mut terms = AgreementInput {
        meeting_frequency: "A shadowing shift every week for the first month, then every two weeks".to_owned(),
        preferred_modes: vec![Mode::FaceToFace, Mode::Phone],
        boundaries: "Messages between 8am and 8pm; nothing about residents by text.".to_owned(),
        hopes_mentee: String::new(),
        hopes_mentor: "Liam feels confident leading a handover by week ten.".to_owned(),
        review_on: Some(Day::from(today + Duration::days(42)).to_string()),
    };
    doc.set_agreement(mentor.id, &terms).map_err(broken)?;
    sync(conn, cache, &mentor_phone, &mut doc, &genesis)?;

    let mut mentee_doc = Document::load(header, &doc.save(), mentee_phone.caller.actor.clone()).map_err(broken)?;
    let before = mentee_doc.heads();
    terms.hopes_mentee = "Get my moving and handling sign-off and feel part of the team.".to_owned();
    mentee_doc.set_agreement(mentee.id, &terms).map_err(broken)?;
    mentee_doc.sign_agreement(mentee.id).map_err(broken)?;
    sync(conn, cache, &mentee_phone, &mut mentee_doc, &before)?;

    let before = doc.heads();
    doc.automerge().merge(mentee_doc.automerge()).map_err(broken)?;
    doc.sign_agreement(mentor.id).map_err(broken)?;
    sync(conn, cache, &mentor_phone, &mut doc, &before)
}
