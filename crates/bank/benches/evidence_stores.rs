//! Benchmark of the evidence stores (not a timed test): one sealed picture of 400 KB (the size
//! the app uploads at most) written and read back, median and 90th percentile per picture, for
//! the folder, the database on SQLite and on PostgreSQL (`TEST_DATABASE_URL`), and an
//! S3-compatible server (`s3s-fs` on PATH, over a temporary folder).
//!
//! `cargo bench --workspace --bench evidence_stores --profile dev [-- --runs N]` (the workspace's
//! features, so the tests' build is reused): the time is the stores' I/O, not our code's, so the
//! dev profile measures the same.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reset_bank::clock::SystemClock;
use reset_bank::evidence::{DatabaseStore, DiskStore, EvidenceStore, S3Store};
use reset_bank::rng::{os_rng, random_bytes};
use reset_bank::store::Db;
use reset_testkit::{FreshDb, S3Server, TestDb};

fn runs() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(100)
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn measure(name: &str, store: &dyn EvidenceStore, runs: usize) {
    let rng = os_rng();
    let sealed = random_bytes(&rng, 400 * 1024);
    let (mut puts, mut gets) = (Vec::new(), Vec::new());
    let mut ids = Vec::new();
    for _ in 0..runs {
        let id = hex::encode(random_bytes(&rng, 16));
        let t = Instant::now();
        store.put(&id, sealed.clone()).await.expect("put");
        puts.push(t.elapsed());
        let t = Instant::now();
        let back = store.get(&id).await.expect("get");
        gets.push(t.elapsed());
        assert_eq!(back.len(), sealed.len());
        ids.push(id);
    }
    for id in &ids {
        store.delete(id).await.expect("delete");
    }
    println!(
        "{name:<20} write median {} p90 {}   read median {} p90 {}",
        ms(percentile(&mut puts, 0.5)),
        ms(percentile(&mut puts, 0.9)),
        ms(percentile(&mut gets, 0.5)),
        ms(percentile(&mut gets, 0.9)),
    );
}

async fn database(kind: TestDb) -> Option<(FreshDb, DatabaseStore)> {
    let fresh = FreshDb::new(kind).await?;
    let db = Db::connect(&fresh.url, 5).await.expect("connect");
    db.migrate().await.expect("migrate");
    let store = DatabaseStore::new(db, Arc::new(SystemClock));
    Some((fresh, store))
}

#[tokio::main]
async fn main() {
    let runs = runs();
    println!("one sealed picture of 400 KB, {runs} writes and reads each");
    let dir = std::env::temp_dir().join(format!("reset-disk-bench-{}", std::process::id()));
    measure("disk", &DiskStore::open(&dir).unwrap(), runs).await;
    let _ = std::fs::remove_dir_all(&dir);
    match database(TestDb::Sqlite).await {
        Some((_db, store)) => measure("database (SQLite)", &store, runs).await,
        None => println!("database (SQLite): not available"),
    }
    match database(TestDb::Postgres).await {
        Some((_db, store)) => measure("database (PostgreSQL)", &store, runs).await,
        None => println!("database (PostgreSQL): skipped, TEST_DATABASE_URL not set"),
    }
    match S3Server::start("evidence").await {
        Some(server) => {
            let store = S3Store::open(&server.settings("")).expect("s3 store");
            measure("s3 (s3s-fs)", &store, runs).await;
        }
        None => println!("s3: skipped, no s3s-fs on PATH"),
    }
}
