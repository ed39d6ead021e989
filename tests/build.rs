//! Fingerprints the migrations and reference data, so the PostgreSQL template database
//! the tests clone is rebuilt whenever they change.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

fn hash_dir(dir: &Path, hasher: &mut DefaultHasher) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            hash_dir(&path, hasher);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.file_name().hash(hasher);
            bytes.hash(hasher);
        }
    }
}

fn main() {
    let migration = Path::new("../migration");
    println!("cargo:rerun-if-changed=../migration/src");
    println!("cargo:rerun-if-changed=../migration/data");
    let mut hasher = DefaultHasher::new();
    hash_dir(&migration.join("src"), &mut hasher);
    hash_dir(&migration.join("data"), &mut hasher);
    println!(
        "cargo:rustc-env=MIGRATIONS_FINGERPRINT={:016x}",
        hasher.finish()
    );
}
