//! The seed corpus: real sync bodies and device stores, made by running sessions
//! through sync-core's documents, client wire types and store as the phones do.
//!
//! Names carry what the checks must make of a seed for the `changes` target:
//! `seed-accepted-*` is kept by the write rules, `seed-refused-*` is not.

use std::path::Path;

use sync_core::automerge::sync::{self, SyncDoc};
use sync_core::automerge::transaction::Transactable;
use sync_core::automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use sync_core::protocol::{self, DocOffer, DocReply, SyncRequest, SyncResponse, WireRejection};
use sync_core::{
    DocHeader, Document, DocumentId, GoalCategory, GoalStatus, MentorshipId, Mode, Pair, ReflectionInput,
    SessionDetails, SessionKind, Store, StoredRejection, UserId,
};

/// One seed: the target it feeds, its file name, its bytes.
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub bytes: Vec<u8>,
}

fn seed(target: &'static str, name: &str, bytes: Vec<u8>) -> Seed {
    Seed { target, name: format!("seed-{name}"), bytes }
}

fn pair() -> Pair {
    Pair { mentorship_id: MentorshipId::new_random(), mentor_id: UserId::new_random(), mentee_id: UserId::new_random() }
}

/// What a phone sends on its first sync of `doc`: every change since genesis.
fn first_offer(doc: &mut Document) -> DocOffer {
    let changes = doc.automerge().get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec().into()).collect();
    DocOffer { header: *doc.header(), heads: protocol::heads_to_wire(&doc.heads()), changes, sync_message: None }
}

fn request(offers: Vec<DocOffer>) -> Vec<u8> {
    protocol::encode(&SyncRequest {
        protocol: protocol::PROTOCOL_VERSION,
        complete_inventory: true,
        documents: offers,
        oldest_unsynced_secs: Some(93),
        offered_before: Vec::new(),
        cursor: None,
    })
    .expect("a request encodes")
}

fn mentor_session(pair: Pair) -> Document {
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut doc = Document::create(header, ActorId::random()).expect("genesis");
    let me = pair.mentor_id;
    doc.set_session_basics(me, SessionKind::Shadowing, "2026-03-14").expect("basics");
    let details = SessionDetails {
        start_time: Some("07:30".into()),
        duration_minutes: Some(480),
        mode: Some(Mode::FaceToFace),
        location: Some("Willow unit".into()),
    };
    doc.set_session_details(me, &details).expect("details");
    doc.edit_notes(me, 0, 0, "Hoist transfer, room 4. ").expect("notes");
    doc.edit_notes(me, 6, 8, "ing").expect("notes");
    doc.set_my_account(me, "Calm handover; Mrs Patel's family visited 🌷").expect("account");
    doc.set_feedback(me, "Kind, unhurried", "Ask before moving things").expect("feedback");
    doc.add_skill(me, "moving_and_handling").expect("skill");
    let action = doc.add_action(me, "Read the falls policy", pair.mentee_id, Some("2026-03-21")).expect("action");
    doc.set_action_done(me, &action, true).expect("done");
    doc.set_shared_summary(me, "Good first shift").expect("summary");
    doc.sign_off(me).expect("sign-off");
    doc
}

fn mentee_session(pair: Pair, header: DocHeader) -> Document {
    let mut doc = Document::create(header, ActorId::random()).expect("genesis");
    let me = pair.mentee_id;
    doc.edit_notes(me, 0, 0, "Nervous at first ").expect("notes");
    doc.set_my_account(me, "Learnt the hoist").expect("account");
    doc.set_mentee_feedback(me, "Patient", "More time on paperwork").expect("mentee feedback");
    doc.sign_off(me).expect("sign-off");
    doc
}

fn goal_plan(pair: Pair) -> Document {
    let mut doc = Document::create(DocHeader::goal_plan(pair), ActorId::random()).expect("genesis");
    let goal =
        doc.add_goal(pair.mentee_id, "Use the hoist alone", GoalCategory::Skill, Some("2026-06-01")).expect("goal");
    doc.set_goal_status(pair.mentor_id, &goal, GoalStatus::InProgress).expect("status");
    doc.set_goal_description(pair.mentee_id, &goal, "With a colleague watching").expect("description");
    doc.add_goal_progress(pair.mentor_id, &goal, "2026-03-14", "Did two transfers").expect("progress");
    doc
}

fn journal(owner: UserId) -> Document {
    let mut doc = Document::create(DocHeader::journal(owner), ActorId::random()).expect("genesis");
    let input = ReflectionInput {
        what_happened: "A resident fell".into(),
        feelings: "Shaken".into(),
        went_well: "I called for help".into(),
        to_improve: "Know where the alarm is".into(),
        next_time: "Check the room first".into(),
    };
    doc.add_reflection(owner, &input).expect("reflection");
    doc
}

/// A change written straight into Automerge, past the editing API's rule checks,
/// as a modified app could.
fn raw_write(pair: Pair, write: impl FnOnce(&mut AutoCommit)) -> DocOffer {
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut doc = Document::create(header, ActorId::random()).expect("genesis");
    write(doc.automerge());
    doc.automerge().commit();
    first_offer(&mut doc)
}

fn root_obj(doc: &AutoCommit, key: &str) -> sync_core::automerge::ObjId {
    match doc.get(ROOT, key).expect("get") {
        Some((_, id)) => id,
        None => panic!("no root key {key}"),
    }
}

/// The second message of Automerge's sync protocol from `phone` to a server
/// holding only the genesis: it carries the phone's changes.
fn fallback_offer(phone: &mut Document) -> DocOffer {
    let mut server = Document::create(*phone.header(), ActorId::random()).expect("genesis");
    let (mut phone_state, mut server_state) = (sync::State::new(), sync::State::new());
    let first = phone.automerge().sync().generate_sync_message(&mut phone_state).expect("first message");
    server.automerge().sync().receive_sync_message(&mut server_state, first).expect("receive");
    let answer = server.automerge().sync().generate_sync_message(&mut server_state).expect("answer");
    phone.automerge().sync().receive_sync_message(&mut phone_state, answer).expect("receive");
    let second = phone.automerge().sync().generate_sync_message(&mut phone_state).expect("second message");
    DocOffer {
        header: *phone.header(),
        heads: protocol::heads_to_wire(&phone.heads()),
        changes: Vec::new(),
        sync_message: Some(second.encode().into()),
    }
}

/// Requests: the seeds of the `changes` target, and of `sync_body` too.
pub fn requests() -> Vec<Seed> {
    let pair = pair();
    let mut seeds = Vec::new();
    let mut mentor = mentor_session(pair);
    let mut mentee = mentee_session(pair, *mentor.header());
    let mut plan = goal_plan(pair);
    let mut diary = journal(pair.mentor_id);
    seeds.push(seed("changes", "accepted-session-mentor", request(vec![first_offer(&mut mentor)])));
    seeds.push(seed("changes", "accepted-session-mentee", request(vec![first_offer(&mut mentee)])));
    seeds.push(seed("changes", "accepted-goal-plan", request(vec![first_offer(&mut plan)])));
    seeds.push(seed("changes", "accepted-journal", request(vec![first_offer(&mut diary)])));

    // Both phones wrote the notes apart; one offers the merged history.
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut a = Document::create(header, ActorId::random()).expect("genesis");
    let mut b = Document::create(header, ActorId::random()).expect("genesis");
    a.edit_notes(pair.mentor_id, 0, 0, "Morning: washes. ").expect("notes");
    b.edit_notes(pair.mentee_id, 0, 0, "Afternoon: lunch 🍲 ").expect("notes");
    b.add_skill(pair.mentee_id, "communication").expect("skill");
    a.merge(&mut b).expect("merge");
    a.edit_notes(pair.mentor_id, 3, 4, "").expect("delete across both");
    seeds.push(seed("changes", "accepted-session-merged", request(vec![first_offer(&mut a)])));

    let mut later = mentor_session(pair);
    seeds.push(seed(
        "changes",
        "accepted-complete-inventory",
        request(vec![first_offer(&mut later), first_offer(&mut plan), first_offer(&mut diary)]),
    ));
    seeds.push(seed("changes", "accepted-fallback-sync-message", request(vec![fallback_offer(&mut later)])));

    let root_write = raw_write(pair, |doc| {
        doc.put(ROOT, "kind", "journal").expect("put");
    });
    seeds.push(seed("changes", "refused-root-field", request(vec![root_write])));
    let table = raw_write(pair, |doc| {
        let meta = root_obj(doc, "meta");
        doc.put_object(&meta, "extra", ObjType::Table).expect("table");
    });
    seeds.push(seed("changes", "refused-table", request(vec![table])));
    let deep = raw_write(pair, |doc| {
        let mut obj = root_obj(doc, "actions");
        for depth in 0..20 {
            obj = doc.put_object(&obj, format!("level{depth}"), ObjType::Map).expect("nest");
        }
        doc.put(&obj, "x", 1).expect("leaf");
    });
    seeds.push(seed("changes", "refused-deep-nesting", request(vec![deep])));
    let sign_off_slot = raw_write(pair, |doc| {
        let sign_offs = root_obj(doc, "sign_offs");
        let forged = doc.put_object(&sign_offs, "coordinator", ObjType::Map).expect("slot");
        doc.put(&forged, "by", "someone").expect("by");
    });
    seeds.push(seed("changes", "refused-sign-off-slot", request(vec![sign_off_slot])));
    let someone_elses_account = raw_write(pair, |doc| {
        let accounts = root_obj(doc, "accounts");
        doc.put(&accounts, UserId::new_random().to_string(), "not mine").expect("account");
    });
    seeds.push(seed("changes", "refused-others-account", request(vec![someone_elses_account])));
    seeds
}

/// Replies as the server sends them: the rest of the `sync_body` seeds.
pub fn replies() -> Vec<Seed> {
    let pair = pair();
    let mut server = mentor_session(pair);
    let header = *server.header();
    let genesis = Document::genesis_hash(&header).expect("genesis hash");
    let since_genesis =
        server.automerge().get_changes(&[genesis]).iter().map(|c| c.raw_bytes().to_vec().into()).collect();
    let heads = protocol::heads_to_wire(&server.heads());
    let reply = |changes, snapshot, rejection, sync_message| DocReply {
        header,
        heads: heads.clone(),
        changes,
        snapshot,
        accepted: 3,
        rejection,
        sync_message,
    };
    let response = |documents: Vec<DocReply>, purge| {
        protocol::encode(&SyncResponse {
            protocol: protocol::PROTOCOL_VERSION,
            documents,
            purge,
            actor_id: None,
            ..SyncResponse::default()
        })
        .expect("a reply encodes")
    };
    let snapshot = Some(server.save().into());
    let mut state = sync::State::new();
    let message = server.automerge().sync().generate_sync_message(&mut state).map(|m| m.encode().into());
    let refusal = WireRejection {
        path: "/feedback/strengths".into(),
        code: "mentor_only".into(),
        reason: "only the mentor may write here".into(),
    };
    let mut plan = goal_plan(pair);
    let plan_reply = DocReply {
        header: *plan.header(),
        heads: protocol::heads_to_wire(&plan.heads()),
        changes: Vec::new(),
        snapshot: Some(plan.save().into()),
        accepted: 0,
        rejection: None,
        sync_message: None,
    };
    vec![
        seed("sync_body", "reply-changes", response(vec![reply(since_genesis, None, None, None)], vec![])),
        seed(
            "sync_body",
            "reply-snapshot",
            response(vec![reply(vec![], snapshot.clone(), None, None), plan_reply], vec![]),
        ),
        seed("sync_body", "reply-rejection", response(vec![reply(vec![], snapshot, Some(refusal), None)], vec![])),
        seed("sync_body", "reply-sync-message", response(vec![reply(vec![], None, None, message)], vec![])),
        seed("sync_body", "reply-purge", response(vec![], vec![DocumentId::new_random(), DocumentId::new_random()])),
    ]
}

/// Store files: a signed-in phone's store and the damaged kinds support sees.
pub fn stores(dir: &Path) -> Vec<Seed> {
    let pair = pair();
    let file = |name: &str| dir.join(format!("{name}.store"));
    let read = |path: &Path| std::fs::read(path).expect("read store file");
    let mut seeds = Vec::new();

    let path = file("signed-in");
    {
        let mut store = Store::open(&path).expect("open");
        store.set_setting("account", Some(&format!("{{\"user_id\":\"{}\"}}", pair.mentor_id))).expect("setting");
        let mut session = mentor_session(pair);
        let bytes = session.save();
        store.save_local(session.header(), &bytes).expect("save");
        let mut plan = goal_plan(pair);
        let bytes = plan.save();
        store.save_remote(plan.header(), &bytes).expect("save");
        let heads: Vec<String> = plan.heads().iter().map(ToString::to_string).collect();
        store.mark_synced(plan.header().id, &heads, 0).expect("mark");
        let mut diary = journal(pair.mentor_id);
        let bytes = diary.save();
        store.save_local(diary.header(), &bytes).expect("save");
        store
            .add_rejection(&StoredRejection {
                document_id: session.header().id.to_string(),
                path: "/feedback/strengths".into(),
                reason: "only the mentor may write here".into(),
                kept_text: "Kind".into(),
                created_at: "2026-03-14T18:00:00Z".into(),
            })
            .expect("rejection");
    }
    seeds.push(seed("store_open", "store-signed-in", read(&path)));

    let path = file("new");
    drop(Store::open(&path).expect("open"));
    seeds.push(seed("store_open", "store-new", read(&path)));

    let raw = |name: &str, sql: &str| {
        let path = file(name);
        std::fs::copy(file("signed-in"), &path).expect("copy");
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch(sql).expect("sql");
        drop(conn);
        seed("store_open", &format!("store-{name}"), read(&path))
    };
    seeds.push(raw("newer-format", "PRAGMA user_version = 2;"));
    seeds.push(raw("bad-header", "UPDATE documents SET header = '{\"id\": 3'"));
    seeds.push(raw("bad-document-bytes", "UPDATE documents SET bytes = x'856f4a83deadbeef'"));
    seeds.push(raw("foreign-tables", "PRAGMA user_version = 0; DROP TABLE rejections;"));
    seeds.push(seed("store_open", "store-zero-length", Vec::new()));
    seeds.push(seed("store_open", "store-not-sqlite", b"these are not the notes you are looking for\n".to_vec()));
    seeds
}
