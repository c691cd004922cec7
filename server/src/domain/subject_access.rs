//! Subject access (UK GDPR article 15): everything the organisation holds about
//! one person, as a ZIP (`alongside sar export`, `POST
//! /v1/people/{id}/subject-access`, admins).
//!
//! The ZIP holds `data.json` (machine-readable), `index.html` (the same for a
//! person to read) and `review.txt`, which lists every place where other people
//! appear, so the organisation can decide what to redact before release. Other
//! people are never named by id in documents: their ids become their role from
//! the person's side ("your mentor", "your mentee"), so their words are labelled
//! as theirs. Every export is audited.
//!
//! Documents are read from storage (snapshot plus stored changes), not through
//! the sync cache: an export is rare and must show exactly what is stored.

use std::collections::HashMap;
use std::io::Write;

use maud::{DOCTYPE, Markup, html};
use serde_json::{Value, json};
use sync_core::automerge::{ActorId, Change};
use sync_core::{DocHeader, DocKind, Document};

use super::{Actor, AuditObject, DomainError, permissions, record_audit};
use crate::db::mentorships::Scope;
use crate::db::{
    DbConnection, audit_events, devices, documents as documents_db, governance, groups as groups_db, mentorships,
    people,
};
use crate::model::{OrgId, PersonId, Timestamp};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum SubjectAccessError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("stored document {id} cannot be read: {reason}")]
    Document { id: String, reason: String },
    #[error("cannot write the zip file")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the zip file")]
    Io(#[from] std::io::Error),
}

impl From<crate::db::DbError> for SubjectAccessError {
    fn from(error: crate::db::DbError) -> Self {
        Self::Domain(error.into())
    }
}

impl From<diesel::result::Error> for SubjectAccessError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Domain(error.into())
    }
}

/// A finished export.
#[derive(Debug)]
pub struct Export {
    pub person_id: PersonId,
    /// The ZIP file's bytes.
    pub zip: Vec<u8>,
}

/// Builds the export of `person_id` and audits it.
pub fn export(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    person_id: PersonId,
) -> Result<Export, SubjectAccessError> {
    permissions::govern(actor.roles)?;
    let person = people::find_by_id(conn, org_id, person_id)?.ok_or_else(|| DomainError::not_found("person"))?;
    let data = collect(conn, &person)?;
    let review = review_text(&data);
    let page = index_html(&data).into_string();
    let json = serde_json::to_vec_pretty(&data.json).map_err(|e| std::io::Error::other(e.to_string()))?;
    let zip = write_zip(&[("data.json", &json), ("index.html", page.as_bytes()), ("review.txt", review.as_bytes())])?;
    record_audit(
        conn,
        org_id,
        actor,
        "subject_access.exported",
        AuditObject::new("person", person_id),
        json!({ "documents": data.documents.len(), "audit_events": data.audit_count, "bytes": zip.len() }),
    )?;
    Ok(Export { person_id, zip })
}

fn write_zip(files: &[(&str, &[u8])]) -> Result<Vec<u8>, SubjectAccessError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(*name, options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// One document in the export, with where other people's words are.
struct ExportedDoc {
    id: String,
    kind: DocKind,
    /// Parts holding someone else's words, described from the person's side.
    third_parties: Vec<String>,
    content: Value,
}

struct Collected {
    json: Value,
    documents: Vec<ExportedDoc>,
    /// `(what, who)` for pairings and audit events naming someone else.
    mentions: Vec<String>,
    audit_count: usize,
    name: String,
}

fn collect(conn: &mut DbConnection, person: &people::Person) -> Result<Collected, SubjectAccessError> {
    let org_id = person.org_id;
    let me = person.id;
    let pairings = mentorships::find_by_org_with_names(conn, org_id, Scope::Involving(me))?;
    // Other people by id, as the person knows them.
    let mut labels: HashMap<String, String> = HashMap::new();
    labels.insert(me.to_string(), "you".into());
    let mut mentions = Vec::new();
    let mut pairing_json = Vec::new();
    for named in &pairings {
        let m = &named.mentorship;
        let (role, partner_label, partner_id, partner_name) = if m.mentee_id == me {
            ("mentee", "your mentor", m.mentor_id, &named.mentor_name)
        } else {
            ("mentor", "your mentee", m.mentee_id, &named.mentee_name)
        };
        labels.entry(partner_id.to_string()).or_insert_with(|| partner_label.to_owned());
        mentions.push(format!("pairing {}: names {partner_label} ({partner_name})", m.id));
        pairing_json.push(json!({
            "id": m.id.to_string(),
            "your_role": role,
            "partner": { "role": partner_label, "name": partner_name },
            "status": m.status.to_string(),
            "started_on": m.started_on.map(|d| d.to_string()),
            "ended_on": m.ended_on.map(|d| d.to_string()),
            "end_reason": m.end_reason,
        }));
    }

    let device_json: Vec<Value> = devices::find_by_person(conn, org_id, me)?
        .iter()
        .map(|d| {
            json!({
                "id": d.id.to_string(),
                "name": d.name,
                "signed_in_at": d.created_at.to_string(),
                "last_seen_at": d.last_seen_at.map(|t| t.to_string()),
                "revoked_at": d.revoked_at.map(|t| t.to_string()),
            })
        })
        .collect();

    let events = audit_events::find_about_person(conn, org_id, me)?;
    let audit_count = events.len();
    let audit_json: Vec<Value> = events
        .iter()
        .map(|e| {
            let actor = match e.actor_person_id {
                Some(id) if id == me => "you".to_owned(),
                Some(id) => {
                    let label = labels.get(&id.to_string()).cloned().unwrap_or_else(|| "a member of staff".into());
                    mentions.push(format!("audit event {} ({}): done by {label}", e.seq, e.action));
                    label
                }
                None => "the system".to_owned(),
            };
            json!({
                "seq": e.seq,
                "action": e.action,
                "about": { "kind": e.object_type, "id": e.object_id },
                "by": actor,
                "device_id": e.device_id.map(|d| d.to_string()),
                "event_time": e.event_time.to_string(),
                "server_time": e.server_time.to_string(),
                "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
            })
        })
        .collect();

    let pairing_ids: Vec<_> = pairings.iter().map(|p| p.mentorship.id).collect();
    let mut stored = governance::find_docs_of_pairings(conn, &pairing_ids)?;
    let group_ids: Vec<_> = groups_db::find_by_person(conn, org_id, me)?.into_iter().map(|g| g.id).collect();
    stored.extend(governance::find_docs_of_groups(conn, org_id, &group_ids)?);
    stored.extend(governance::find_owned_docs(conn, org_id, &[me])?);
    let mut documents = Vec::new();
    let mut journal = Value::Array(Vec::new());
    let mut survey_responses = Vec::new();
    let mut concerns = Vec::new();
    for doc in &stored {
        let (header, mut loaded) = load_document(conn, doc.id)?;
        let exported = export_document(&header, &mut loaded, me, &labels)?;
        if header.kind == DocKind::Journal {
            journal = exported.content.get("reflections").cloned().unwrap_or(Value::Array(Vec::new()));
        }
        if header.kind == DocKind::SurveyResponse
            && let Some(response) = exported.content.get("response").filter(|r| !r.is_null())
        {
            survey_responses.push(response.clone());
        }
        if header.kind == DocKind::Concern {
            concerns.push(exported.content.clone());
        }
        documents.push(exported);
    }

    let json = json!({
        "generated_at": Timestamp::now().to_string(),
        "person": {
            "id": me.to_string(),
            "email": person.email,
            "display_name": person.display_name,
            "roles": person.roles().to_list(),
            "site_id": person.site_id.map(|s| s.to_string()),
            "start_date": person.start_date.map(|d| d.to_string()),
            "created_at": person.created_at.to_string(),
            "deactivated_at": person.deactivated_at.map(|t| t.to_string()),
        },
        "pairings": pairing_json,
        "devices": device_json,
        "journal": journal,
        "survey_responses": survey_responses,
        "concerns": concerns,
        "documents": documents.iter().map(|d| json!({
            "id": d.id,
            "kind": d.kind.as_str(),
            "other_peoples_words": d.third_parties,
            "content": d.content,
        })).collect::<Vec<_>>(),
        "audit_events": audit_json,
    });
    Ok(Collected { json, documents, mentions, audit_count, name: person.display_name.clone() })
}

/// A stored document, loaded from its snapshot and the changes stored after it.
fn load_document(
    conn: &mut DbConnection,
    id: sync_core::DocumentId,
) -> Result<(DocHeader, Document), SubjectAccessError> {
    let bad = |reason: String| SubjectAccessError::Document { id: id.to_string(), reason };
    let stored_ref =
        documents_db::find_refs_by_ids(conn, &[id])?.into_iter().next().ok_or_else(|| bad("it is gone".into()))?;
    let header: DocHeader = serde_json::from_str(&stored_ref.header).map_err(|e| bad(e.to_string()))?;
    let state = documents_db::find_stored(conn, id)?.ok_or_else(|| bad("it is gone".into()))?;
    let actor = ActorId::from(*b"alongside-export");
    let mut doc = match &state.snapshot {
        Some(bytes) => Document::load(header, bytes, actor),
        None => Document::create(header, actor),
    }
    .map_err(|e| bad(e.to_string()))?;
    let changes = documents_db::find_changes_after(conn, id, state.snapshot_upto)?
        .into_iter()
        .map(|(_, bytes)| Change::from_bytes(bytes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    doc.apply_changes(changes).map_err(|e| bad(e.to_string()))?;
    Ok((header, doc))
}

fn export_document(
    header: &DocHeader,
    doc: &mut Document,
    me: PersonId,
    labels: &HashMap<String, String>,
) -> Result<ExportedDoc, SubjectAccessError> {
    let bad = |reason: String| SubjectAccessError::Document { id: header.id.to_string(), reason };
    let to_value = |v: Result<Value, serde_json::Error>| v.map_err(|e| bad(e.to_string()));
    let partner = match header.role_of(me) {
        sync_core::DocRole::Mentee => Some("your mentor"),
        sync_core::DocRole::Mentor => Some("your mentee"),
        _ => None,
    };
    let mut third_parties = Vec::new();
    let content = match header.kind {
        DocKind::Session => {
            let view = doc.session_view().map_err(|e| bad(e.to_string()))?;
            if let Some(partner) = partner {
                if !view.notes.is_empty() {
                    third_parties.push(format!("notes: written together with {partner}"));
                }
                let partner_id = labels.iter().find(|(_, l)| l.as_str() == partner).map(|(id, _)| id.clone());
                if partner_id.as_ref().is_some_and(|id| view.accounts.contains_key(id)) {
                    third_parties.push(format!("accounts: {partner}'s own account of the shift"));
                }
                let (their_feedback, label) = if partner == "your mentor" {
                    ("feedback", "feedback")
                } else {
                    ("mentee_feedback", "mentee_feedback")
                };
                third_parties.push(format!("{label}: {partner}'s words ({their_feedback})"));
                if !view.actions.is_empty() {
                    third_parties.push(format!("actions: may be written or owned by {partner}"));
                }
            }
            to_value(serde_json::to_value(view))?
        }
        DocKind::GoalPlan => {
            let goals = doc.goals().map_err(|e| bad(e.to_string()))?;
            if let Some(partner) = partner
                && !goals.is_empty()
            {
                third_parties.push(format!("goals: written together with {partner}; progress notes name their author"));
            }
            to_value(serde_json::to_value(json!({ "goals": goals })))?
        }
        DocKind::Agreement => {
            let agreement = doc.agreement_view().map_err(|e| bad(e.to_string()))?;
            if let Some(partner) = partner {
                third_parties.push(format!("terms: agreed together with {partner}; hopes: {partner}'s own words"));
            }
            to_value(serde_json::to_value(agreement))?
        }
        DocKind::GroupSession => {
            let session = doc.group_session_view().map_err(|e| bad(e.to_string()))?;
            third_parties.push(
                "notes, attendance and accounts: written by the group's members (other members' accounts are theirs)"
                    .to_owned(),
            );
            to_value(serde_json::to_value(session))?
        }
        DocKind::Journal => {
            let reflections = doc.reflections().map_err(|e| bad(e.to_string()))?;
            to_value(serde_json::to_value(json!({ "reflections": reflections })))?
        }
        DocKind::SurveyResponse => {
            let response = doc.survey_response().map_err(|e| bad(e.to_string()))?;
            to_value(serde_json::to_value(json!({ "response": response })))?
        }
        // The person's own concerns. Concerns their partner raised about their
        // pairing are the partner's, confidential to the coordinators, and not
        // exported here (see ARCHITECTURE.md, "Concerns").
        DocKind::Concern => {
            let mut view = doc.concern_view().map_err(|e| bad(e.to_string()))?;
            if view.responded_by.is_some() {
                view.responded_by = Some("a coordinator".to_owned());
                third_parties.push("response: a coordinator's words".to_owned());
            }
            to_value(serde_json::to_value(view))?
        }
    };
    Ok(ExportedDoc { id: header.id.to_string(), kind: header.kind, third_parties, content: relabel(content, labels) })
}

/// Replaces people's ids (as keys or values) by their label.
fn relabel(value: Value, labels: &HashMap<String, String>) -> Value {
    match value {
        Value::String(text) => Value::String(labels.get(&text).cloned().unwrap_or(text)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| relabel(v, labels)).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter().map(|(k, v)| (labels.get(&k).cloned().unwrap_or(k), relabel(v, labels))).collect(),
        ),
        other => other,
    }
}

fn review_text(data: &Collected) -> String {
    let mut out = String::new();
    out.push_str(&format!("Subject access export for {}: places where other people appear.\n", data.name));
    out.push_str("Review each before release and redact what the law allows or requires.\n\n");
    for mention in &data.mentions {
        out.push_str(&format!("- {mention}\n"));
    }
    for doc in &data.documents {
        for part in &doc.third_parties {
            out.push_str(&format!("- document {} ({}): {part}\n", doc.id, doc.kind.as_str()));
        }
    }
    if data.mentions.is_empty() && data.documents.iter().all(|d| d.third_parties.is_empty()) {
        out.push_str("- nothing: no other person appears in this export.\n");
    }
    out
}

fn index_html(data: &Collected) -> Markup {
    let json = &data.json;
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Your data: " (data.name) } }
            body {
                h1 { "The data we hold about " (data.name) }
                p { "Generated " (json["generated_at"].as_str().unwrap_or_default()) ". The same data is in data.json." }
                h2 { "Your account" }
                pre { (pretty(&json["person"])) }
                h2 { "Your pairings" }
                pre { (pretty(&json["pairings"])) }
                h2 { "Your devices" }
                pre { (pretty(&json["devices"])) }
                h2 { "Your reflection journal" }
                @if let Some(entries) = json["journal"].as_array() {
                    @for entry in entries {
                        section {
                            h3 { (entry["created_at"].as_str().unwrap_or_default()) }
                            dl {
                                @for (key, label) in [("what_happened", "What happened"), ("feelings", "How it felt"), ("went_well", "What went well"), ("to_improve", "What could be better"), ("next_time", "Next time")] {
                                    dt { (label) } dd { (entry["input"][key].as_str().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
                h2 { "Documents you are a member of" }
                p { "Other people appear by their role from your side (for example \"your mentor\")." }
                @for doc in &data.documents {
                    section {
                        h3 { (doc.kind.as_str()) " " (doc.id) }
                        @if !doc.third_parties.is_empty() {
                            p { "Other people's words here: " (doc.third_parties.join("; ")) }
                        }
                        pre { (pretty(&doc.content)) }
                    }
                }
                h2 { "Your survey responses" }
                @if let Some(responses) = json["survey_responses"].as_array().filter(|r| !r.is_empty()) {
                    p { "Scores reach the organisation's reports; free text only where you chose to share it." }
                    @for response in responses {
                        section {
                            h3 { (response["survey_key"].as_str().unwrap_or_default()) ", " (response["submitted_at"].as_str().unwrap_or_default()) }
                            p { "Free text shared with the coordinator: " (if response["share_text"].as_bool() == Some(true) { "yes" } else { "no" }) }
                            pre { (pretty(&response["answers"])) }
                        }
                    }
                } @else {
                    p { "None are held." }
                }
                h2 { "Concerns you raised" }
                @if let Some(concerns) = json["concerns"].as_array().filter(|c| !c.is_empty()) {
                    @for concern in concerns {
                        section {
                            h3 { (concern["kind"].as_str().unwrap_or_default()) ", " (concern["raised_at"].as_str().unwrap_or_default()) }
                            p { (concern["text"].as_str().unwrap_or_default()) }
                            p { "Status: " (concern["status"].as_str().unwrap_or_default()) }
                            @if let Some(response) = concern["response"].as_str().filter(|r| !r.is_empty()) {
                                p { "Response from a coordinator: " (response) }
                            }
                        }
                    }
                } @else {
                    p { "None are held." }
                }
                h2 { "Audit events about you" }
                pre { (pretty(&json["audit_events"])) }
            }
        }
    }
}

/// The person to export, by email, in `org_id` when the email has accounts in
/// several organisations (the command line).
pub fn find_by_email(
    conn: &mut DbConnection,
    email: &str,
    org_id: Option<crate::model::OrgId>,
) -> Result<people::Person, DomainError> {
    let email = super::Email::parse(email)?;
    super::people::find_one_by_email(conn, &email, org_id)
}
