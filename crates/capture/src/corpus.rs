//! The QR test corpus (zxing-cpp's sample pictures, kept beside the repository, never in it):
//! each `NAME.{webp,png,jpg}` with its expected text in `NAME.txt`.

use std::path::{Path, PathBuf};

/// One picture with the text it must read as.
#[derive(Debug, Clone)]
pub struct Case {
    pub image: PathBuf,
    pub expected: String,
}

/// Where the corpus is: `RESET_QR_CORPUS`, else `../shared/corpus/qrcode` from the workspace
/// root (CI clones the repository beside `shared/`).
pub fn locate(workspace_root: &Path) -> Option<PathBuf> {
    let dir = std::env::var_os("RESET_QR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root.join("../shared/corpus/qrcode"));
    dir.is_dir().then_some(dir)
}

/// Every picture in the corpus's folders that has an expected text, sorted by path.
pub fn load(dir: &Path) -> std::io::Result<Vec<Case>> {
    let mut cases = Vec::new();
    let mut folders = vec![dir.to_owned()];
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            folders.push(p);
        }
    }
    for folder in folders {
        for entry in std::fs::read_dir(&folder)? {
            let image = entry?.path();
            let ext = image.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "webp" | "png" | "jpg" | "jpeg") {
                continue;
            }
            let txt = image.with_extension("txt");
            if let Ok(bytes) = std::fs::read(&txt) {
                cases.push(Case {
                    image,
                    expected: String::from_utf8_lossy(&bytes).into_owned(),
                });
            }
        }
    }
    cases.sort_by(|a, b| a.image.cmp(&b.image));
    Ok(cases)
}
