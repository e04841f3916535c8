//! Writes the binary seeds that cannot be written by hand: valid session
//! snapshots (a busy one and an empty one) and near-valid variants of them
//! (truncated, future version, a flipped byte). The model seed comes from
//! `ep-model` (fuzz/make-seeds.sh). Run: `fuzz/make-seeds.sh`.

use std::fs;
use std::path::Path;

use ep_fuzz::{busy_engine, empty_engine, snapshot_with_fixed_checksum};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    if let Err(e) = fs::write(&path, bytes) {
        panic!("cannot write {}: {e}", path.display());
    }
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/snapshot_restore");
    if let Err(e) = fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    let busy = busy_engine().snapshot();
    write(&dir, "busy.snap", &busy);
    write(&dir, "empty.snap", &empty_engine().snapshot());
    write(&dir, "busy-truncated.snap", busy.get(..busy.len() / 2).unwrap_or(&busy));
    let mut future = busy.clone();
    if let Some(version) = future.get_mut(3) {
        *version = version.wrapping_add(1);
    }
    write(&dir, "busy-future-version.snap", &future);
    let mut flipped = busy.clone();
    if let Some(b) = flipped.get_mut(busy.len() / 3) {
        *b ^= 0x10;
    }
    write(&dir, "busy-bitflip.snap", &flipped);
    if let Some(refixed) = snapshot_with_fixed_checksum(&flipped) {
        write(&dir, "busy-bitflip-checksum-fixed.snap", &refixed);
    }
}
