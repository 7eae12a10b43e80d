//! Benchmark of the staff console's queue page (not a timed test): `GET /staff`, logged in, with
//! 10,000 pending cases in the database, on SQLite or PostgreSQL. Prints the query plan of the
//! queue's page query, then median, p99 and mean over the timed requests.
//!
//! `cargo bench -p reset-server --bench staff_console -- [sqlite|postgres] [--cases N] [--requests N]`
//! PostgreSQL needs `TEST_DATABASE_URL`.

use std::time::{Duration, Instant};

use reset_bank::store::Backend;
use reset_testkit::StaffClient;
use reset_testkit::{TestDb, TestServer};
use sqlx::Row;

struct Args {
    db: TestDb,
    cases: usize,
    requests: usize,
}

fn args() -> Args {
    let mut a = Args {
        db: TestDb::Sqlite,
        cases: 10_000,
        requests: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "sqlite" => a.db = TestDb::Sqlite,
            "postgres" => a.db = TestDb::Postgres,
            "--cases" => a.cases = it.next().and_then(|n| n.parse().ok()).unwrap_or(a.cases),
            "--requests" => {
                a.requests = it.next().and_then(|n| n.parse().ok()).unwrap_or(a.requests)
            }
            _ => {} // cargo passes --bench
        }
    }
    a
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// How the database runs the queue's page query.
async fn plan(server: &TestServer) -> String {
    let query = "SELECT * FROM review_cases WHERE state = 'pending' \
                 ORDER BY due_at, submitted_at, id LIMIT 20 OFFSET 0";
    let explain = match server.state.db.backend {
        Backend::Sqlite => format!("EXPLAIN QUERY PLAN {query}"),
        Backend::Postgres => format!("EXPLAIN {query}"),
    };
    let rows = sqlx::query(&explain)
        .fetch_all(&server.state.db.pool)
        .await
        .expect("explain");
    rows.iter()
        .map(|r| {
            let col = if server.state.db.backend == Backend::Sqlite {
                3
            } else {
                0
            };
            r.try_get::<String, _>(col).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::main]
async fn main() {
    let a = args();
    let Some(server) = TestServer::start(a.db).await else {
        return;
    };
    let now = server.state.clock.now();
    reset_bank::operators::add_staff(
        &server.state.db,
        &server.state.hasher,
        now,
        "bench",
        "Bench#2026ab",
        "reviewer",
        b"12345678901234567890",
    )
    .await
    .expect("staff");
    let t = Instant::now();
    server.insert_pending_cases(a.cases).await;
    if server.state.db.backend == Backend::Postgres {
        sqlx::query("ANALYZE review_cases")
            .execute(&server.state.db.pool)
            .await
            .expect("analyze");
    }
    println!(
        "{:?}: {} pending cases inserted in {:.1} s",
        a.db,
        a.cases,
        t.elapsed().as_secs_f64()
    );
    println!("queue query plan: {}", plan(&server).await);

    let mut client = StaffClient::new(&server.staff_base);
    let login = client.login("bench", "Bench#2026ab").await;
    assert_eq!(login.status, 303, "login");
    for _ in 0..10 {
        assert_eq!(client.get("/staff").await.status, 200);
    }
    let mut times = Vec::with_capacity(a.requests);
    for _ in 0..a.requests {
        let t = Instant::now();
        let page = client.get("/staff").await;
        times.push(t.elapsed());
        assert_eq!(page.status, 200);
        assert!(page.body.contains(&format!("共 {} 件", a.cases)));
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "GET /staff ({} requests, 20 cases a page): median {:.2} ms, p99 {:.2} ms, mean {:.2} ms",
        a.requests,
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
    );
    server.stop().await;
}
