//! Evidence of path B (face frames, ID pictures): the settings, the picture checks, the
//! challenge check, the vault that encrypts pictures at rest, the store they lie in, and the
//! purge that deletes them after the retention time.

pub mod challenge;
pub mod database_store;
pub mod id_reader;
pub mod id_reading;
pub mod migrate;
pub mod picture;
pub mod picture_store;
pub mod purge;
pub mod rotate;
pub mod s3_store;
pub mod vault;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reset_flow::wire::Sensitive;
use serde::{Deserialize, Serialize};

pub use database_store::DatabaseStore;
pub use picture::{PictureRules, PictureWorkers};
pub use picture_store::{DiskStore, EvidenceStore};
pub use s3_store::{S3Settings, S3Store};
pub use vault::{DataKey, Vault, VaultError, WrappedKey};

use crate::clock::Clock;
use crate::rng::SharedRng;
use crate::store::{Backend, Db};

/// Where the sealed pictures lie.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// The database on PostgreSQL (every instance reads every picture), the folder on SQLite.
    #[default]
    Auto,
    /// Files in `dir`: one machine.
    Disk,
    /// Rows of the database, written with the case rows.
    Database,
    /// An S3-compatible object store (`[evidence.s3]`).
    S3,
}

/// `[evidence]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Where the sealed pictures lie: `auto` (the database on PostgreSQL, the folder on
    /// SQLite), `disk`, `database` or `s3`.
    pub store: StoreKind,
    /// The object store, when `store = "s3"`.
    pub s3: S3Settings,
    /// Folder of the sealed pictures. Unset: `evidence` beside the SQLite file, or in the
    /// working folder for PostgreSQL.
    pub dir: Option<PathBuf>,
    /// Master keys as `id:64-hex-digits`, separated by commas or newlines; the last wraps new
    /// cases. Prefer `master_key_file`; this suits a secret injected as `RESET_EVIDENCE__MASTER_KEYS`.
    pub master_keys: Sensitive,
    /// A file of master keys, one `id:hex` a line, the last one current.
    pub master_key_file: Option<PathBuf>,
    /// Days after the decision before a case's pictures are deleted.
    pub retention_days: u32,
    /// How often the purge runs.
    pub purge_every_s: u64,
    /// One uploaded picture, in bytes.
    pub max_part_bytes: usize,
    /// One whole upload request (8 face frames, or the three ID pictures), in bytes.
    pub max_request_bytes: usize,
    /// Width × height a picture's header may state.
    pub max_pixels: u64,
    /// Long edge of a stored picture.
    pub max_edge: u32,
    pub jpeg_quality: u8,
    /// Pictures decoded at once; 0 means one per CPU.
    pub max_concurrent: usize,
    /// The face check's time limits: one prompt, and the whole challenge.
    pub prompt_timeout_ms: u64,
    pub challenge_timeout_ms: u64,
    /// Quicker than this from prompt to pass is not a person reacting.
    pub min_reaction_ms: u64,
    /// Prompts the server asks for in one face challenge (1 to 3), drawn at random.
    pub challenge_prompts: usize,
    /// How long an issued face challenge may be answered: positioning the face, then the
    /// prompts.
    pub challenge_ttl_s: u64,
    /// Face challenges one flow may ask for (each attempt of the face check takes one).
    pub challenges_per_flow: u32,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        EvidenceSettings {
            store: StoreKind::Auto,
            s3: S3Settings::default(),
            dir: None,
            master_keys: Sensitive::default(),
            master_key_file: None,
            retention_days: 30,
            purge_every_s: 3600,
            max_part_bytes: 4 * 1024 * 1024,
            max_request_bytes: 20 * 1024 * 1024,
            // The app uploads pictures at most 1600 px on the long edge: 1600 × 1600 covers
            // every shape of those, and bounds what one upload can make the server decode.
            max_pixels: 2_560_000,
            max_edge: 1600,
            jpeg_quality: 85,
            max_concurrent: 0,
            prompt_timeout_ms: 6_000,
            challenge_timeout_ms: 30_000,
            min_reaction_ms: 100,
            challenge_prompts: 2,
            challenge_ttl_s: 120,
            challenges_per_flow: 10,
        }
    }
}

impl EvidenceSettings {
    pub fn picture_rules(&self) -> PictureRules {
        PictureRules {
            max_pixels: self.max_pixels,
            max_edge: self.max_edge,
            quality: self.jpeg_quality,
        }
    }

    /// The evidence folder for a server on `database_url`.
    pub fn folder(&self, database_url: &str) -> PathBuf {
        if let Some(dir) = &self.dir {
            return dir.clone();
        }
        let sqlite_file = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|f| !f.is_empty() && *f != ":memory:");
        match sqlite_file.and_then(|f| Path::new(f).parent()) {
            Some(parent) => parent.join("evidence"),
            None => PathBuf::from("evidence"),
        }
    }
}

/// The file a development server keeps its generated master key in.
pub const DEV_KEY_FILE: &str = "dev-master.key";

/// Reads the master keys: the inline ones, or the key file. In development (`dev`) with
/// neither, a key file is made in the evidence folder (and a warning logged); otherwise no key
/// is a startup error.
pub fn load_vault(
    settings: &EvidenceSettings,
    folder: &Path,
    dev: bool,
    rng: &SharedRng,
) -> Result<Vault, VaultError> {
    let inline = !settings.master_keys.expose().trim().is_empty();
    let text = match (&settings.master_key_file, inline) {
        (Some(_), true) => {
            return Err(VaultError::BadKeyText(
                "set master_keys or master_key_file, not both".into(),
            ))
        }
        (Some(file), false) => std::fs::read_to_string(file)
            .map_err(|e| VaultError::BadKeyText(format!("{}: {e}", file.display())))?,
        (None, true) => settings.master_keys.expose().to_owned(),
        (None, false) if dev => dev_key(folder, rng)?,
        (None, false) => return Err(VaultError::NoKey),
    };
    Vault::from_text(&text)
}

fn dev_key(folder: &Path, rng: &SharedRng) -> Result<String, VaultError> {
    let io = |e: std::io::Error| VaultError::BadKeyText(format!("{}: {e}", folder.display()));
    let file = folder.join(DEV_KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&file) {
        return Ok(text);
    }
    std::fs::create_dir_all(folder).map_err(io)?;
    let line = Vault::new_key_line("dev", rng)?;
    write_private(&file, &format!("{line}\n")).map_err(io)?;
    tracing::warn!(
        file = %file.display(),
        "development mode: generated an evidence master key; configure evidence.master_key_file for real use"
    );
    Ok(line)
}

/// Writes a file only its owner can read (on Unix).
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options.open(path)?.write_all(text.as_bytes())
}

/// What the services need for evidence; cheap to clone.
#[derive(Clone)]
pub struct Evidence {
    pub settings: Arc<EvidenceSettings>,
    pub vault: Arc<Vault>,
    pub store: Arc<dyn EvidenceStore>,
    pub workers: PictureWorkers,
}

impl Evidence {
    /// The vault and the store for a server with `settings` on `db`.
    pub fn open(
        settings: &EvidenceSettings,
        database_url: &str,
        dev: bool,
        rng: &SharedRng,
        db: &Db,
        clock: Arc<dyn Clock>,
    ) -> Result<Evidence, Box<dyn std::error::Error + Send + Sync>> {
        let folder = settings.folder(database_url);
        let vault = load_vault(settings, &folder, dev, rng)?;
        let store = open_store(settings.store, settings, &folder, db, clock)?;
        Ok(Evidence {
            settings: Arc::new(settings.clone()),
            vault: Arc::new(vault),
            store,
            workers: PictureWorkers::new(settings.max_concurrent),
        })
    }
}

/// The store of `kind` (`auto` resolved by the database's backend).
pub fn open_store(
    kind: StoreKind,
    settings: &EvidenceSettings,
    folder: &Path,
    db: &Db,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn EvidenceStore>, String> {
    let kind = match (kind, db.backend) {
        (StoreKind::Auto, Backend::Postgres) => StoreKind::Database,
        (StoreKind::Auto, Backend::Sqlite) => StoreKind::Disk,
        (kind, _) => kind,
    };
    Ok(match kind {
        StoreKind::Disk | StoreKind::Auto => Arc::new(
            DiskStore::open(folder)
                .map_err(|e| format!("evidence folder {}: {e}", folder.display()))?,
        ),
        StoreKind::Database => Arc::new(DatabaseStore::new(db.clone(), clock)),
        StoreKind::S3 => Arc::new(S3Store::open(&settings.s3)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_never_print_their_secrets() {
        let s = EvidenceSettings {
            master_keys: "k1:6d6173746572".into(),
            s3: S3Settings {
                secret_access_key: "s3-secret-value".into(),
                ..S3Settings::default()
            },
            ..EvidenceSettings::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("6d6173746572"), "{shown}");
        assert!(!shown.contains("s3-secret-value"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn folder_defaults_beside_the_sqlite_file() {
        let s = EvidenceSettings::default();
        assert_eq!(
            s.folder("sqlite:///srv/reset/reset.db?mode=rwc"),
            PathBuf::from("/srv/reset/evidence")
        );
        assert_eq!(s.folder("sqlite://reset.db"), PathBuf::from("evidence"));
        assert_eq!(s.folder("postgres://db/reset"), PathBuf::from("evidence"));
        let set = EvidenceSettings {
            dir: Some("/data/ev".into()),
            ..s
        };
        assert_eq!(set.folder("sqlite://x.db"), PathBuf::from("/data/ev"));
    }

    #[test]
    fn a_missing_key_is_an_error_except_in_development() {
        let rng = crate::rng::os_rng();
        let dir = std::env::temp_dir().join(format!(
            "reset-vault-{}",
            hex::encode(crate::rng::random_bytes(&rng, 8))
        ));
        let s = EvidenceSettings::default();
        assert_eq!(
            load_vault(&s, &dir, false, &rng).unwrap_err(),
            VaultError::NoKey
        );
        let dev = load_vault(&s, &dir, true, &rng).unwrap();
        assert_eq!(dev.current_id(), "dev");
        // The same key next time: pictures stored before a restart stay readable.
        let again = load_vault(&s, &dir, true, &rng).unwrap();
        let (key, wrapped) = dev.new_data_key("c", &rng).unwrap();
        let sealed = key.seal("c", "o", b"x", &rng).unwrap();
        assert_eq!(
            again
                .unwrap("c", &wrapped)
                .unwrap()
                .open("c", "o", &sealed)
                .unwrap(),
            b"x"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
