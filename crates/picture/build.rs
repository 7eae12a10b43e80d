//! Finds the face model that ships inside the published `rustface` package, so the detector is
//! compiled into the crate without keeping a copy of the model in this repository.

use std::path::{Path, PathBuf};

const MODEL: &str = "model/seeta_fd_frontal_v1.0.bin";

fn main() {
    println!("cargo:rerun-if-env-changed=RUSTFACE_DIR");
    println!("cargo:rerun-if-env-changed=CARGO_HOME");
    let dir = find_rustface().unwrap_or_else(|| {
        panic!(
            "the rustface package (with {MODEL}) was not found under $CARGO_HOME/registry/src \
             or a vendor folder; set RUSTFACE_DIR to its unpacked folder"
        )
    });
    let model = dir.join(MODEL);
    println!("cargo:rerun-if-changed={}", model.display());
    // The model is included from here; the package's own test picture is used by the tests.
    println!("cargo:rustc-env=RUSTFACE_MODEL={}", model.display());
    println!("cargo:rustc-env=RUSTFACE_DIR={}", dir.display());
}

fn find_rustface() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RUSTFACE_DIR") {
        return Some(PathBuf::from(dir)).filter(|d| d.join(MODEL).is_file());
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    if let Some(home) = cargo_home {
        if let Ok(indexes) = std::fs::read_dir(home.join("registry/src")) {
            roots.extend(indexes.flatten().map(|e| e.path()));
        }
    }
    // `cargo vendor` layouts: <workspace>/vendor/rustface.
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    roots.extend(manifest.ancestors().map(|a| a.join("vendor")));

    let mut found: Vec<PathBuf> = Vec::new();
    for root in roots {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if (name == "rustface" || name.starts_with("rustface-"))
                && entry.path().join(MODEL).is_file()
            {
                found.push(entry.path());
            }
        }
    }
    // Prefer the version this crate depends on, then the newest.
    found.sort();
    found
        .iter()
        .find(|p| p.ends_with("rustface-0.1.7"))
        .cloned()
        .or_else(|| found.pop())
}
