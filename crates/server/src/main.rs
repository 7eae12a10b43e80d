//! `reset-server`: serve the API, migrate the database, seed or import customers, add staff.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use reset_bank::clock::{Clock, SystemClock};
use reset_bank::evidence::{load_vault, migrate, open_store, rotate, StoreKind, Vault};
use reset_bank::hashing::Hasher;
use reset_bank::rng::os_rng;
use reset_bank::staff::totp;
use reset_bank::store::Db;
use reset_bank::{operators, BoxError, Services, Settings};
use reset_server::server::{serve_until, Listeners};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "reset-server",
    version,
    about = "The forgot-login-password reset server"
)]
struct Cli {
    /// TOML config file; `RESET_*` variables and flags override it.
    #[arg(long, global = true, env = "RESET_CONFIG")]
    config: Option<PathBuf>,
    /// `sqlite://reset.db` (default) or `postgres://…`.
    #[arg(long, global = true, env = "RESET_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// The customers' API.
        #[arg(long, env = "RESET_LISTEN")]
        listen: Option<String>,
        /// The staff review console (default 127.0.0.1:8081; `off` for none).
        #[arg(long, env = "RESET_STAFF_LISTEN")]
        staff_listen: Option<String>,
        /// The operators' endpoints, `/metrics` (default 127.0.0.1:9090; `off` for none).
        #[arg(long, env = "RESET_ADMIN_LISTEN")]
        admin_listen: Option<String>,
        /// Development SMS inbox and demo customers; loopback and SQLite only.
        #[arg(long)]
        dev: bool,
        /// Allow --dev on other addresses or on PostgreSQL (a shared test environment).
        #[arg(long, requires = "dev")]
        dev_anywhere: bool,
    },
    /// Apply the database migrations.
    Migrate,
    /// Add the demo customers.
    SeedDemo,
    /// Customers.
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// Staff logins for the review console.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The evidence vault's master keys.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// The sealed pictures.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Copy every picture from the configured store (`evidence.store`) to another, reading each
    /// back; run again after a stop, it goes on. Then set `evidence.store` to the new one.
    Migrate {
        /// The new store: `disk` (with `--dir`), `database` or `s3` (`[evidence.s3]` settings).
        #[arg(long, value_parser = ["disk", "database", "s3"])]
        to: String,
        /// The folder, for `--to disk`.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Delete each picture from the old store once its copy is read back.
        #[arg(long)]
        remove_old: bool,
    },
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Import `id_type,id_number,name,reserved_phone,password` rows (with a header).
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Print a new `id:hex` master-key line, to append to the key file.
    NewKey {
        #[arg(long)]
        id: String,
    },
    /// Re-wrap every case's data key with the current (last) master key.
    Rotate,
}

#[derive(Subcommand)]
enum StaffCommand {
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, env = "RESET_STAFF_PASSWORD")]
        password: String,
        #[arg(long, value_parser = ["reviewer", "supervisor"])]
        role: String,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_env("RESET_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("reset-server: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), BoxError> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = cli.database_url {
        settings.database_url = url;
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rng = os_rng();
    match cli.command {
        Command::Serve {
            listen,
            staff_listen,
            admin_listen,
            dev,
            dev_anywhere,
        } => {
            for (flag, setting) in [
                (listen, &mut settings.listen),
                (staff_listen, &mut settings.staff_listen),
                (admin_listen, &mut settings.admin_listen),
            ] {
                if let Some(addr) = flag {
                    *setting = addr;
                }
            }
            settings.dev |= dev;
            settings.refuse_unsafe(dev_anywhere)?;
            let listeners = Listeners::bind(&settings).await?;
            let services = Services::open(settings, clock, rng).await?;
            serve_until(services, listeners, shutdown_signal()).await?;
        }
        Command::Vault {
            command: VaultCommand::NewKey { id },
        } => println!("{}", Vault::new_key_line(&id, &rng)?),
        Command::Vault {
            command: VaultCommand::Rotate,
        } => {
            let db = Db::connect(&settings.database_url, 2).await?;
            db.migrate().await?;
            let folder = settings.evidence.folder(&settings.database_url);
            let vault = load_vault(&settings.evidence, &folder, false, &rng)?;
            let done = rotate::rotate(&db, &vault, &rng).await?;
            println!(
                "re-wrapped {} case keys with master key {:?}",
                done.rewrapped,
                vault.current_id()
            );
            for (key_id, n) in rotate::remaining(&db, &vault).await? {
                println!("still wrapped by {key_id:?}: {n} (that key is not configured)");
            }
        }
        Command::Evidence {
            command:
                EvidenceCommand::Migrate {
                    to,
                    dir,
                    remove_old,
                },
        } => {
            let db = Db::connect(&settings.database_url, 2).await?;
            db.migrate().await?;
            let ev = &settings.evidence;
            let folder = ev.folder(&settings.database_url);
            let from = open_store(ev.store, ev, &folder, &db, clock.clone())?;
            let kind = match to.as_str() {
                "disk" => StoreKind::Disk,
                "database" => StoreKind::Database,
                _ => StoreKind::S3,
            };
            let to_folder = dir.unwrap_or_else(|| folder.clone());
            let to_store = open_store(kind, ev, &to_folder, &db, clock.clone())?;
            if from.name() == to_store.name() && (kind != StoreKind::Disk || to_folder == folder) {
                return Err(
                    format!("the pictures are in the {} store already", from.name()).into(),
                );
            }
            let moved =
                migrate::move_pictures(&db, from.as_ref(), to_store.as_ref(), remove_old).await?;
            println!(
                "{} -> {}: {} copied and read back, {} there already, {} missing, {} removed from the old store",
                from.name(),
                to_store.name(),
                moved.copied,
                moved.already,
                moved.missing,
                moved.removed
            );
        }
        command => {
            let db = Db::connect(&settings.database_url, 2).await?;
            db.migrate().await?;
            let hasher = Hasher::new(&settings.hashing, rng.clone()).map_err(Box::new)?;
            let now = clock.now();
            match command {
                Command::Migrate => println!("migrated"),
                Command::SeedDemo => operators::seed_demo(&db, &hasher, now).await?,
                Command::Customer {
                    command: CustomerCommand::Import { file },
                } => {
                    let n = operators::import_csv(&db, &hasher, now, &file).await?;
                    println!("imported {n} customers");
                }
                Command::Staff {
                    command:
                        StaffCommand::Add {
                            username,
                            password,
                            role,
                        },
                } => {
                    let secret = totp::new_secret(&rng);
                    operators::add_staff(&db, &hasher, now, &username, &password, &role, &secret)
                        .await?;
                    // Shown once: the server keeps the secret, nobody can read it back.
                    let url = totp::enrolment_url(&settings.staff.totp_issuer, &username, &secret);
                    println!("staff login {username:?} added as {role}.");
                    println!("Scan this with the authenticator app (shown only now); approving");
                    println!("a case needs its 6-digit code at sign-in:");
                    if let Some(qr) = totp::enrolment_qr(&url) {
                        println!("{qr}");
                    }
                    println!("{url}");
                }
                Command::Serve { .. } | Command::Vault { .. } | Command::Evidence { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, before the server answers
/// anyone: a signal sent as soon as it is up is a clean stop, not the default kill.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = wait(term) => {}
                () = wait(int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
