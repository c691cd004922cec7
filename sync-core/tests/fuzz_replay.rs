//! Replays every kept fuzz input through its target, and checks the seed corpus
//! that the fuzzers start from (`scripts/fuzz`, the crate in `fuzz/`).
//!
//! Inputs live in `tests/fuzz-corpus/<target>/`: `seed-*` made by
//! [`seeds`] from real sessions, `crash-*` inputs that once panicked (fixed since),
//! `contained-*` inputs on which Automerge panics and sync-core turns that into an
//! error, and `queue-*` inputs the fuzzer found that reach new code. Regenerate
//! the seeds with
//! `cargo test -p sync-core --test fuzz_replay -- --ignored write_seed_corpus`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

#[path = "fuzz_replay/seeds.rs"]
mod seeds;
#[path = "fuzz_replay/targets.rs"]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use targets::Outcome;

const TARGETS: [&str; 3] = ["sync_body", "changes", "store_open"];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus").join(target)
}

fn run(target: &str, scratch: &Path, data: &[u8]) -> Outcome {
    match target {
        "sync_body" => targets::sync_body(data),
        "changes" => targets::changes(data),
        "store_open" => targets::store_open(&scratch.join("store.sqlite3"), data),
        other => panic!("no fuzz target {other}"),
    }
}

/// What a file's name promises about its outcome; `None` when all is well.
fn broken_promise(name: &str, target: &str, outcome: &Outcome) -> Option<String> {
    let changes = target == "changes";
    if changes && name.starts_with("seed-accepted-") && (outcome.accepted == 0 || outcome.contained_a_panic()) {
        return Some(format!("should be accepted: {:?}", outcome.refused));
    }
    if changes && name.starts_with("seed-refused-") && outcome.accepted > 0 {
        return Some("should be refused by the write rules".into());
    }
    if name.starts_with("contained-") && !outcome.contained_a_panic() {
        return Some(format!("should make Automerge panic, contained: {:?}", outcome.refused));
    }
    None
}

/// Run every input of `target`; report each that panicked or broke its promise.
fn replay(target: &str, inputs: &[(String, Vec<u8>)]) -> Vec<String> {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let mut failures = Vec::new();
    for (name, data) in inputs {
        match catch_unwind(AssertUnwindSafe(|| run(target, scratch.path(), data))) {
            Ok(outcome) => {
                if let Some(problem) = broken_promise(name, target, &outcome) {
                    failures.push(format!("{target}/{name}: {problem}"));
                }
            }
            Err(_) => failures.push(format!("{target}/{name}: panicked")),
        }
    }
    failures
}

fn kept_inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            (path.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read(&path).expect("read"))
        })
        .collect();
    inputs.sort();
    inputs
}

fn replay_kept(target: &str) {
    let inputs = kept_inputs(target);
    assert!(inputs.iter().any(|(name, _)| name.starts_with("seed-")), "{target} has no seeds");
    let failures = replay(target, &inputs);
    assert!(failures.is_empty(), "{} of {} kept inputs failed:\n{}", failures.len(), inputs.len(), failures.join("\n"));
}

#[test]
fn every_kept_sync_body_is_decoded_or_refused_without_panicking() {
    replay_kept("sync_body");
}

#[test]
fn every_kept_offer_of_changes_is_checked_without_panicking() {
    replay_kept("changes");
}

#[test]
fn every_kept_store_file_opens_or_is_refused_without_panicking() {
    replay_kept("store_open");
}

fn generated(scratch: &Path) -> Vec<seeds::Seed> {
    let mut all = seeds::requests();
    let as_bodies: Vec<_> = all
        .iter()
        .map(|s| seeds::Seed {
            target: "sync_body",
            name: s.name.replace("seed-", "seed-request-"),
            bytes: s.bytes.clone(),
        })
        .collect();
    all.extend(as_bodies);
    all.extend(seeds::replies());
    all.extend(seeds::stores(scratch));
    all
}

#[test]
fn seeds_from_real_sessions_meet_their_promises() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let seeds = generated(scratch.path());
    for target in TARGETS {
        let inputs: Vec<_> =
            seeds.iter().filter(|s| s.target == target).map(|s| (s.name.clone(), s.bytes.clone())).collect();
        assert!(!inputs.is_empty(), "no seeds for {target}");
        let failures = replay(target, &inputs);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
    let signed_in = seeds.iter().find(|s| s.name == "seed-store-signed-in").expect("store seed");
    let outcome = targets::store_open(&scratch.path().join("check.sqlite3"), &signed_in.bytes);
    assert_eq!((outcome.accepted, outcome.refused), (1, Vec::<String>::new()), "a healthy store reads cleanly");
}

/// Not a check: rewrites the `seed-*` files of the corpus from fresh sessions.
#[test]
#[ignore = "writes into the source tree; run by hand to refresh the seeds"]
fn write_seed_corpus() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    for target in TARGETS {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("corpus dir");
        for (name, _) in kept_inputs(target).into_iter().filter(|(name, _)| name.starts_with("seed-")) {
            std::fs::remove_file(dir.join(name)).expect("remove old seed");
        }
    }
    for seed in generated(scratch.path()) {
        std::fs::write(corpus_dir(seed.target).join(&seed.name), &seed.bytes).expect("write seed");
    }
}

#[test]
fn a_change_whose_checksum_is_wrong_is_refused_as_malformed() {
    use sync_core::automerge::{ActorId, Change};
    use sync_core::rules::{self, ObjectIndex, Rule};
    use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, UserId};

    // What the crash-* fixtures of `changes` came down to: Automerge parses such
    // a change, and a document holding it may then save into bytes it cannot load.
    let pair = Pair {
        mentorship_id: MentorshipId::new_random(),
        mentor_id: UserId::new_random(),
        mentee_id: UserId::new_random(),
    };
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut phone = Document::create(header, ActorId::random()).expect("genesis");
    phone.edit_notes(pair.mentor_id, 0, 0, "Hoist transfer").expect("notes");
    let genesis = Document::genesis_hash(&header).expect("genesis hash");
    let good = phone.automerge().get_changes(&[genesis]).into_iter().next().expect("one change");
    let mut bytes = good.raw_bytes().to_vec();
    bytes[4] ^= 0xff;
    let bad = Change::from_bytes(bytes).expect("Automerge does not check the checksum");

    let mut server = Document::create(header, ActorId::random()).expect("genesis");
    let index = ObjectIndex::build(server.automerge()).expect("index");
    assert_eq!(rules::verify_change(&good), Ok(()));
    assert_eq!(rules::check_changes(&index, &header, pair.mentor_id, std::slice::from_ref(&good)), Ok(()));
    assert_eq!(rules::verify_change(&bad).map_err(|v| v.rule), Err(Rule::Malformed));
    let refused = rules::check_changes(&index, &header, pair.mentor_id, &[bad]).map_err(|v| v.rule);
    assert_eq!(refused, Err(Rule::Malformed));
}

#[test]
fn a_change_that_does_not_fit_its_history_is_refused_before_automerge_sees_it() {
    // crash-69e89c17f2ee: a change whose first operation does not follow its
    // dependencies, or whose predecessors name operations under another key, made
    // Automerge assert inside `apply_changes`. The rules refuse it now, so
    // nothing is left for `catch_unwind` to contain.
    let data = std::fs::read(corpus_dir("changes").join("crash-69e89c17f2ee")).expect("the kept crasher");
    let outcome = targets::changes(&data);
    assert!(!outcome.contained_a_panic(), "{:?}", outcome.refused);
    assert!(outcome.refused.iter().any(|r| r.contains("checksum or encoding")), "{:?}", outcome.refused);
}

#[test]
fn a_change_whose_first_operation_skips_ahead_or_whose_seq_repeats_is_refused() {
    use sync_core::automerge::{ActorId, Change, ExpandedChange};
    use sync_core::rules::{self, ObjectIndex, Rule};
    use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, UserId};

    let pair = Pair {
        mentorship_id: MentorshipId::new_random(),
        mentor_id: UserId::new_random(),
        mentee_id: UserId::new_random(),
    };
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let actor = ActorId::random();
    let mut phone = Document::create(header, actor.clone()).expect("genesis");
    phone.edit_notes(pair.mentor_id, 0, 0, "Hoist").expect("notes");
    let genesis = Document::genesis_hash(&header).expect("genesis hash");
    let first = phone.automerge().get_changes(&[genesis]).into_iter().next().expect("one change");
    let mut server = Document::create(header, ActorId::random()).expect("genesis");
    let check = |server: &mut Document, change: Change| {
        let index = ObjectIndex::build(server.automerge()).expect("index");
        rules::check_changes(&index, &header, pair.mentor_id, &[change]).map_err(|v| v.rule)
    };
    assert_eq!(check(&mut server, first.clone()), Ok(()));

    let mut skipped: ExpandedChange = first.decode();
    skipped.start_op = std::num::NonZeroU64::new(skipped.start_op.get() + 7).expect("non-zero");
    assert_eq!(check(&mut server, Change::from(skipped)), Err(Rule::Malformed));

    let mut gap: ExpandedChange = first.decode();
    gap.seq += 1;
    assert_eq!(check(&mut server, Change::from(gap)), Err(Rule::Malformed));

    // The same actor and sequence number with other content: a restored store.
    server.apply_changes(vec![first.clone()]).expect("applied");
    let mut restored = Document::create(header, actor).expect("the restored copy");
    restored.edit_notes(pair.mentor_id, 0, 0, "Other words").expect("notes");
    let reused = restored.automerge().get_changes(&[genesis]).into_iter().next().expect("one change");
    assert_eq!(reused.seq(), first.seq());
    assert_eq!(check(&mut server, reused), Err(Rule::ActorRolledBack));
}

#[test]
fn a_predecessor_under_another_key_is_refused() {
    use sync_core::automerge::{ActorId, Change, ExpandedChange};
    use sync_core::rules::{self, ObjectIndex, Rule};
    use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, UserId};

    let pair = Pair {
        mentorship_id: MentorshipId::new_random(),
        mentor_id: UserId::new_random(),
        mentee_id: UserId::new_random(),
    };
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut phone = Document::create(header, ActorId::random()).expect("genesis");
    phone.set_feedback(pair.mentor_id, "Calm", "Pace").expect("feedback");
    let before = phone.heads();
    phone.set_feedback(pair.mentor_id, "Kind", "Notes").expect("feedback again");
    let second = phone.automerge().get_changes(&before).into_iter().next().expect("one change");
    let mut server = Document::from_automerge(header, phone.automerge().fork_at(&before).expect("fork")).expect("copy");
    let index = ObjectIndex::build(server.automerge()).expect("index");
    assert_eq!(rules::check_changes(&index, &header, pair.mentor_id, std::slice::from_ref(&second)), Ok(()));

    let mut crossed: ExpandedChange = second.decode();
    let preds: Vec<_> = crossed.operations.iter().map(|op| op.pred.clone()).collect();
    assert!(preds.len() >= 2 && preds.iter().all(|p| p.len() == 1), "{preds:?}");
    crossed.operations[0].pred = preds[1].clone();
    crossed.operations[1].pred = preds[0].clone();
    let crossed = Change::from(crossed);
    assert_eq!(rules::verify_change(&crossed), Ok(()), "well encoded, so only the history check can refuse it");
    let refused = rules::check_changes(&index, &header, pair.mentor_id, &[crossed]).map_err(|v| v.rule);
    assert_eq!(refused, Err(Rule::Malformed));
}
