//! A cheap check of a whole document received from the server, so it can be
//! stored as it came instead of loaded and saved again (a fresh device pulls
//! hundreds at once).
//!
//! A saved Automerge document is a run of chunks, each `magic (4 bytes),
//! checksum (4), type (1), length (LEB128), data`, where the checksum is the
//! first four bytes of the SHA-256 of type, length and data. This checks that
//! the bytes are such a run, starting with a document chunk, and that the
//! checksum of every document and change chunk matches: bytes damaged on the
//! way are refused here. Whether the chunks' contents decode is only known
//! when the document is loaded; one that does not is a damaged document the
//! next sync replaces with the server's copy (see `SyncRun::repair`).

use sha2::{Digest, Sha256};

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT_CHUNK: u8 = 0;
const CHANGE_CHUNK: u8 = 1;

/// Whether `bytes` look like a whole saved document; why not.
pub(super) fn check(bytes: &[u8]) -> Result<(), &'static str> {
    let mut rest = bytes;
    let mut first = true;
    while !rest.is_empty() {
        let Some((magic, after_magic)) = rest.split_first_chunk::<4>() else { return Err("cut short") };
        if *magic != MAGIC {
            return Err("not Automerge data");
        }
        let Some((checksum, typed)) = after_magic.split_first_chunk::<4>() else { return Err("cut short") };
        let Some((&kind, after_kind)) = typed.split_first() else { return Err("cut short") };
        let (len, len_bytes) = leb128(after_kind).ok_or("a malformed chunk length")?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| (1 + len_bytes).checked_add(len))
            .filter(|&end| end <= typed.len())
            .ok_or("cut short")?;
        if first && kind != DOCUMENT_CHUNK {
            return Err("not a whole document");
        }
        if kind == DOCUMENT_CHUNK || kind == CHANGE_CHUNK {
            let hash = Sha256::digest(&typed[..end]);
            if hash[..4] != checksum[..] {
                return Err("a checksum does not match");
            }
        }
        first = false;
        rest = &typed[end..];
    }
    if first { Err("empty") } else { Ok(()) }
}

/// An unsigned LEB128 number at the start of `bytes`, and how many bytes it took.
fn leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (n, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f).checked_shl(7 * n as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, n + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::ids::{DocHeader, UserId};
    use automerge::ActorId;

    #[test]
    fn a_saved_document_passes_and_damaged_ones_do_not() {
        let header = DocHeader::journal(UserId::new_random());
        let mut doc = crate::Document::create(header, ActorId::random()).unwrap();
        let bytes = doc.save();
        assert_eq!(check(&bytes), Ok(()));
        let mut with_changes = bytes.clone();
        with_changes.extend(doc.automerge().save_after(&[]));
        assert_eq!(check(&with_changes), Ok(()));
        for at in [0, 5, 9, bytes.len() / 2, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x40;
            assert!(check(&damaged).is_err(), "a flipped byte at {at} passed");
        }
        assert!(check(&bytes[..bytes.len() - 1]).is_err());
        assert!(check(&[]).is_err());
        // Changes alone are not a whole document.
        assert!(check(&doc.automerge().save_after(&[])).is_err());
    }
}
