//! A statement as data: its SQL and its values. Kept as data, a step's statements can go to
//! SQLite's one writing connection together, in one round trip (see `writer.rs`), or one by
//! one to PostgreSQL; each is also run on its own where nothing else goes with it.

use std::borrow::Cow;

use futures_util::TryStreamExt;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Either, Executor};

/// A value bound to a placeholder.
#[derive(Clone)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// One SQL statement with numbered placeholders (`$1`, `$2`, …) and their values.
#[derive(Clone)]
pub struct Statement {
    sql: Cow<'static, str>,
    values: Vec<Value>,
}

/// The values may be personal data (ID numbers, names, phones): only the SQL is printed.
impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("sql", &self.sql)
            .field("values", &self.values.len())
            .finish()
    }
}

/// What a statement did: the rows it changed and the rows it answered (`RETURNING`, `SELECT`).
/// `rows_affected` is SQLite's count of the connection's last change: meaningful for an
/// `INSERT`, `UPDATE` or `DELETE` only (after a `SELECT` it repeats the one before).
pub struct Outcome {
    pub rows_affected: u64,
    pub rows: Vec<AnyRow>,
}

impl Statement {
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Statement {
        Statement {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Binds the next placeholder to a number (or NULL).
    pub fn int(mut self, value: impl Into<Option<i64>>) -> Statement {
        self.values.push(Value::Int(value.into()));
        self
    }

    /// Binds the next placeholder to a text.
    pub fn text(mut self, value: impl Into<String>) -> Statement {
        self.values.push(Value::Text(Some(value.into())));
        self
    }

    /// Binds the next placeholder to a text or NULL.
    pub fn maybe_text(mut self, value: Option<impl Into<String>>) -> Statement {
        self.values.push(Value::Text(value.map(Into::into)));
        self
    }

    /// Runs this statement alone on `conn`.
    pub async fn run(self, conn: &mut AnyConnection) -> Result<Outcome, sqlx::Error> {
        check_placeholders(&self.sql, self.values.len())?;
        run_query(conn, query(&self.sql, &self.values))
            .await?
            .pop()
            .ok_or_else(|| sqlx::Error::Protocol("a statement answered no outcome".into()))
    }
}

/// The next of a batch's outcomes, which come in the order the statements were sent.
pub fn next_outcome<'a>(
    outcomes: &mut std::slice::Iter<'a, Outcome>,
) -> Result<&'a Outcome, sqlx::Error> {
    outcomes
        .next()
        .ok_or_else(|| sqlx::Error::Protocol("fewer outcomes than statements".into()))
}

/// `sql` with `values` bound in order.
fn query<'q>(sql: &'q str, values: &'q [Value]) -> Query<'q, Any, AnyArguments<'q>> {
    values
        .iter()
        .fold(sqlx::query(sql), |q, value| match value {
            Value::Int(v) => q.bind(*v),
            Value::Text(v) => q.bind(v.as_deref()),
        })
}

/// Runs a query of one or more statements: one outcome per statement, in order.
async fn run_query<'q>(
    conn: &mut AnyConnection,
    query: Query<'q, Any, AnyArguments<'q>>,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut outcomes = Vec::new();
    let mut rows = Vec::new();
    let mut stream = conn.fetch_many(query);
    while let Some(step) = stream.try_next().await? {
        match step {
            Either::Right(row) => rows.push(row),
            // Each statement ends with its count, after its rows.
            Either::Left(done) => outcomes.push(Outcome {
                rows_affected: done.rows_affected(),
                rows: std::mem::take(&mut rows),
            }),
        }
    }
    Ok(outcomes)
}

/// Runs `statements` one by one on `conn`.
pub async fn run_each(
    conn: &mut AnyConnection,
    statements: Vec<Statement>,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut outcomes = Vec::with_capacity(statements.len());
    for statement in statements {
        outcomes.push(statement.run(&mut *conn).await?);
    }
    Ok(outcomes)
}

/// Runs `before`, `statements` and `after` as one query on SQLite, a single round trip to the
/// thread that owns the connection; the outcomes of `statements` only. SQLite prepares and
/// steps a query's statements in turn (sqlx's SQLite driver keeps this for its migrations,
/// though its documentation discourages it for new code: were it dropped, this is the one
/// place to change). A statement that fails ends the query there; what ran before it stays
/// in the transaction, for the caller to roll back.
pub async fn run_together(
    conn: &mut AnyConnection,
    before: Option<&str>,
    statements: Vec<Statement>,
    after: Option<&str>,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let count = statements.len();
    for statement in &statements {
        check_placeholders(&statement.sql, statement.values.len())?;
    }
    let (sql, values) = joined(before, &statements, after);
    let mut outcomes = run_query(conn, query(&sql, &values)).await?;
    if outcomes.len() != count + usize::from(before.is_some()) + usize::from(after.is_some()) {
        return Err(sqlx::Error::Protocol(format!(
            "{} statements answered {} outcomes",
            count,
            outcomes.len()
        )));
    }
    if before.is_some() {
        outcomes.remove(0);
    }
    outcomes.truncate(count);
    Ok(outcomes)
}

/// The statements' SQL as one query, each one's placeholders moved past the values of those
/// before it, and all their values in order.
fn joined(
    before: Option<&str>,
    statements: &[Statement],
    after: Option<&str>,
) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    if let Some(before) = before {
        sql.push_str(before);
        sql.push_str(";\n");
    }
    for statement in statements {
        renumbered(&statement.sql, values.len(), &mut sql);
        sql.push_str(";\n");
        values.extend(statement.values.iter().cloned());
    }
    if let Some(after) = after {
        sql.push_str(after);
    }
    (sql, values)
}

/// Appends `sql` to `out` with every placeholder `$n` written as `$(n + offset)`.
fn renumbered(sql: &str, offset: usize, out: &mut String) {
    for piece in pieces(sql) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(n) => {
                out.push('$');
                out.push_str(&(n + offset).to_string());
            }
        }
    }
}

/// A statement whose placeholders reach past its values would, sent with others to SQLite,
/// quietly take the next statement's values: refused instead, as PostgreSQL would.
fn check_placeholders(sql: &str, values: usize) -> Result<(), sqlx::Error> {
    let highest = pieces(sql)
        .filter_map(|piece| match piece {
            Piece::Placeholder(n) => Some(n),
            Piece::Text(_) => None,
        })
        .max()
        .unwrap_or(0);
    if highest > values {
        return Err(sqlx::Error::Protocol(format!(
            "a statement names ${highest} but has {values} values"
        )));
    }
    Ok(())
}

/// A part of a statement's SQL: text as it is (quoted literals and names included), or a
/// placeholder's number.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(usize),
}

/// `sql` cut into text and placeholders; a `$` inside quotes ('…' or "…") is text.
fn pieces(sql: &str) -> impl Iterator<Item = Piece<'_>> {
    let bytes = sql.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        let digits = |from: usize| {
            bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        if bytes[at] == b'$' && digits(at + 1) > 0 {
            let n = digits(at + 1);
            at += 1 + n;
            return Some(match sql[start + 1..at].parse() {
                Ok(n) => Piece::Placeholder(n),
                // More digits than any count of values: never one of ours, kept as text.
                Err(_) => Piece::Text(&sql[start..at]),
            });
        }
        let mut quote = None;
        while at < bytes.len() {
            match (quote, bytes[at]) {
                (None, b'\'' | b'"') => quote = Some(bytes[at]),
                (Some(q), b) if b == q => quote = None,
                (None, b'$') if at > start && digits(at + 1) > 0 => break,
                _ => {}
            }
            at += 1;
        }
        Some(Piece::Text(&sql[start..at]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_joined_keep_each_ones_values_in_place() {
        let statements = [
            Statement::new("INSERT INTO t (a, b) VALUES ($1, $2)")
                .int(1)
                .text("x"),
            Statement::new("UPDATE t SET b = $2 WHERE a = $1 AND b <> $2")
                .int(2)
                .text("y"),
            Statement::new("DELETE FROM t WHERE a = $10").int(3),
        ];
        let (sql, values) = joined(Some("BEGIN"), &statements, Some("COMMIT"));
        assert_eq!(
            sql,
            "BEGIN;\nINSERT INTO t (a, b) VALUES ($1, $2);\n\
             UPDATE t SET b = $4 WHERE a = $3 AND b <> $4;\n\
             DELETE FROM t WHERE a = $14;\nCOMMIT"
        );
        assert_eq!(values.len(), 5);
        assert!(matches!(values[2], Value::Int(Some(2))));
        assert!(matches!(&values[3], Value::Text(Some(t)) if t == "y"));
    }

    #[test]
    fn a_dollar_in_quotes_or_without_a_number_is_left_as_it_is() {
        let mut out = String::new();
        renumbered(
            "SELECT '$1 and $' || $1, \"$2\", json_extract(x, '$.step'), $",
            4,
            &mut out,
        );
        assert_eq!(
            out,
            "SELECT '$1 and $' || $5, \"$2\", json_extract(x, '$.step'), $"
        );
    }

    #[test]
    fn placeholders_past_the_values_are_refused() {
        assert!(check_placeholders("UPDATE t SET a = $1 WHERE b = $3", 2).is_err());
        assert!(check_placeholders("UPDATE t SET a = $1 WHERE b = $2", 2).is_ok());
        assert!(check_placeholders("SELECT '$9'", 0).is_ok());
        let mut out = String::new();
        renumbered("SELECT $99999999999999999999999, $1", 1, &mut out);
        assert_eq!(out, "SELECT $99999999999999999999999, $2");
    }
}
