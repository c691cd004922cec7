//! Fuzz target `store_open`: bytes written as the device store file, then opened
//! and read as the phone does at start-up. The body is in sync-core's shared
//! target file.

#[allow(dead_code)] // each binary uses one of the shared targets
#[path = "../../../sync-core/tests/fuzz_replay/targets.rs"]
mod targets;

use std::path::PathBuf;

fn main() {
    // One scratch file per fuzzer (scripts/fuzz removes them): parallel fuzzers
    // must not share one.
    let scratch = std::env::var_os("ALONGSIDE_FUZZ_SCRATCH").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = scratch.join(format!("alongside-fuzz-store-{}", std::process::id()));
    let path = dir.join("store.sqlite3");
    afl::fuzz(false, |data| {
        targets::store_open(&path, data);
    });
}
