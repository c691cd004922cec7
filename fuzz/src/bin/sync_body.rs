//! Fuzz target `sync_body`: sync requests as the server decodes them and replies
//! as the phone takes them in. The body is in sync-core's shared target file.

#[allow(dead_code)] // each binary uses one of the shared targets
#[path = "../../../sync-core/tests/fuzz_replay/targets.rs"]
mod targets;

fn main() {
    // No abort-on-panic hook: sync-core contains some Automerge panics on purpose;
    // a panic that escapes still aborts, and AFL++ records the input.
    afl::fuzz(false, |data| {
        targets::sync_body(data);
    });
}
