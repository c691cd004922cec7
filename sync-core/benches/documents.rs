//! Costs of one session document with 2,000 edits, in a release build:
//! `cargo bench -p sync-core`. Prints JSON with medians in microseconds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: fail loudly

use std::time::Instant;

use serde_json::json;
use sync_core::automerge::ActorId;
use sync_core::rules::{ObjectIndex, check_changes};
use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, SessionKind, UserId};

const EDITS: usize = 2_000;

fn median_us(iterations: usize, mut work: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let pair = Pair {
        mentorship_id: MentorshipId::new_random(),
        mentor_id: UserId::new_random(),
        mentee_id: UserId::new_random(),
    };
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut mentor = Document::create(header, ActorId::random()).unwrap();
    let mut mentee = Document::create(header, ActorId::random()).unwrap();
    mentor.set_session_basics(pair.mentor_id, SessionKind::Shadowing, "2026-03-14").unwrap();

    // 2,000 edits as two phones make them: mostly short typing bursts into the shared
    // notes at varying places, some accounts, actions and merges between the phones.
    let started = Instant::now();
    for i in 0..EDITS {
        let (doc, me) = if i % 2 == 0 { (&mut mentor, pair.mentor_id) } else { (&mut mentee, pair.mentee_id) };
        match i % 20 {
            0 => doc.set_my_account(me, &format!("My account, revision {i}: calm shift, Zoë helped 👍")).unwrap(),
            1 => {
                doc.add_action(me, &format!("Action {i}"), pair.mentee_id, Some("2026-04-01")).unwrap();
            }
            _ => {
                let len = doc.session_view().unwrap().notes.encode_utf16().count();
                let at = (i * 7919) % (len + 1);
                let at = if doc.edit_notes(me, at, 0, "word ").is_ok() { at } else { len };
                let _ = at;
            }
        }
        if i % 50 == 49 {
            mentor.automerge().merge(mentee.automerge()).unwrap();
            mentee.automerge().merge(mentor.automerge()).unwrap();
        }
    }
    mentor.automerge().merge(mentee.automerge()).unwrap();
    let build_ms = started.elapsed().as_secs_f64() * 1e3;

    let bytes = mentor.save();
    let changes = mentor.automerge().get_changes(&[]).len();
    let load_us = median_us(50, || {
        std::hint::black_box(Document::load(header, &bytes, ActorId::random()).unwrap());
    });
    let save_us = median_us(50, || {
        std::hint::black_box(mentor.save());
    });
    let view_us = median_us(50, || {
        std::hint::black_box(mentor.session_view().unwrap());
    });
    let index_us = median_us(20, || {
        std::hint::black_box(ObjectIndex::build(mentor.automerge()).unwrap());
    });
    let index = ObjectIndex::build(mentor.automerge()).unwrap();
    let base = mentor.heads();
    let mut probe = Document::load(header, &bytes, ActorId::random()).unwrap();
    probe.edit_notes(pair.mentee_id, 0, 0, "one more line").unwrap();
    let incoming = probe.automerge().get_changes(&base);
    let check_us = median_us(200, || {
        check_changes(&index, &header, pair.mentee_id, &incoming).unwrap();
    });
    let apply_us = median_us(50, || {
        let mut fork = mentor.automerge().fork();
        fork.apply_changes(incoming.clone()).unwrap();
    });
    let fork_us = median_us(50, || {
        std::hint::black_box(mentor.automerge().fork());
    });
    let report = json!({
        "edits": EDITS,
        "changes": changes,
        "notes_utf16_len": mentor.session_view().unwrap().notes.encode_utf16().count(),
        "saved_bytes": bytes.len(),
        "build_all_edits_ms": build_ms,
        "load_us_p50": load_us,
        "save_us_p50": save_us,
        "typed_view_us_p50": view_us,
        "object_index_build_us_p50": index_us,
        "rules_check_one_change_us_p50": check_us,
        "fork_us_p50": fork_us,
        "fork_and_apply_one_change_us_p50": apply_us,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
