//! Customers: the ID they registered with, name, reserved phone and login password hash.

use reset_flow::IdType;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Db;

#[derive(Clone)]
pub struct Customer {
    pub id: i64,
    pub id_type: String,
    pub id_number: String,
    pub name: String,
    pub reserved_phone: String,
    pub password_hash: String,
}

/// Personal data inside: only the row id is printed.
impl std::fmt::Debug for Customer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Customer({})", self.id)
    }
}

const COLUMNS: &str = "id, id_type, id_number, name, reserved_phone, password_hash";

fn from_row(r: &AnyRow) -> Result<Customer, sqlx::Error> {
    Ok(Customer {
        id: r.try_get("id")?,
        id_type: r.try_get("id_type")?,
        id_number: r.try_get("id_number")?,
        name: r.try_get("name")?,
        reserved_phone: r.try_get("reserved_phone")?,
        password_hash: r.try_get("password_hash")?,
    })
}

/// The customer registered with this (canonical) ID.
pub async fn find(
    db: &Db,
    id_type: IdType,
    id_number: &str,
) -> Result<Option<Customer>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM customers WHERE id_type = $1 AND id_number = $2"
    ))
    .bind(id_type.as_str())
    .bind(id_number)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Customer>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM customers WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Adds a customer, or updates name, phone and password of an existing ID.
pub async fn upsert(
    db: &Db,
    id_type: IdType,
    id_number: &str,
    name: &str,
    reserved_phone: &str,
    password_hash: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO customers (id_type, id_number, name, reserved_phone, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id_type, id_number) DO UPDATE SET \
         name = excluded.name, reserved_phone = excluded.reserved_phone, password_hash = excluded.password_hash",
    )
    .bind(id_type.as_str())
    .bind(id_number)
    .bind(name)
    .bind(reserved_phone)
    .bind(password_hash)
    .bind(now_ms)
    .execute(&mut *db.writer.acquire().await?)
    .await
    .map(|_| ())
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    customer_id: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE customers SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(customer_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Replaces a customer's hash with `new` only if it is still `old` (an upgrade of the hash's
/// parameters must not undo a reset that landed meanwhile).
pub async fn upgrade_password_hash(
    db: &Db,
    customer_id: i64,
    old: &str,
    new: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE customers SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new)
        .bind(customer_id)
        .bind(old)
        .execute(&mut *db.writer.acquire().await?)
        .await
        .map(|_| ())
}
