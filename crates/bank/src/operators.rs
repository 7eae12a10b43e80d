//! Operator commands: importing customers from CSV, the demo customers, staff logins.

use std::path::Path;

use reset_flow::{
    bank_day, check_password, CustomerName, IdNumber, IdType, MobileNumber, PasswordContext,
    PasswordRule,
};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::BoxError;
use crate::hashing::Hasher;
use crate::store::{customers, ms, staff, Db};

/// The demo customers of the design (valid check digits), password Kunlun2024.
pub const DEMO_CUSTOMERS: &[(&str, &str, &str)] = &[
    ("张三", "11010519491231002X", "13800000001"),
    ("李四", "44030419900307123X", "13800000002"),
    ("王五", "650102198511204562", "13800000003"),
];
pub const DEMO_PASSWORD: &str = "Kunlun2024";

/// One CSV row: `id_type,id_number,name,reserved_phone,password`.
#[derive(Deserialize)]
struct CsvCustomer {
    id_type: String,
    id_number: String,
    name: String,
    reserved_phone: String,
    password: String,
}

/// A customer as an operator supplies it, before checking.
pub struct NewCustomer<'a> {
    pub id_type: IdType,
    pub id_number: &'a str,
    pub name: &'a str,
    pub reserved_phone: &'a str,
    pub password: &'a str,
}

/// Checks and stores one customer with the flow crate's rules.
pub async fn add_customer(
    db: &Db,
    hasher: &Hasher,
    now: OffsetDateTime,
    c: NewCustomer<'_>,
) -> Result<(), BoxError> {
    let id = IdNumber::parse(c.id_type, c.id_number, bank_day(now)).map_err(Box::new)?;
    let name = CustomerName::parse(c.name).map_err(Box::new)?;
    let phone = MobileNumber::parse(c.reserved_phone).map_err(Box::new)?;
    let hash = hasher.hash(c.password.to_owned()).await.map_err(Box::new)?;
    customers::upsert(
        db,
        c.id_type,
        id.as_str(),
        name.as_str(),
        phone.as_str(),
        &hash,
        ms(now),
    )
    .await?;
    Ok(())
}

/// Seeds the demo customers unless they are there already (their passwords are kept).
pub async fn seed_demo(db: &Db, hasher: &Hasher, now: OffsetDateTime) -> Result<(), BoxError> {
    for (name, id, phone) in DEMO_CUSTOMERS {
        if customers::find(db, IdType::IdCard, id).await?.is_none() {
            let demo = NewCustomer {
                id_type: IdType::IdCard,
                id_number: id,
                name,
                reserved_phone: phone,
                password: DEMO_PASSWORD,
            };
            add_customer(db, hasher, now, demo).await?;
        }
    }
    Ok(())
}

/// Imports customers from a CSV file with a header row; the count imported.
pub async fn import_csv(
    db: &Db,
    hasher: &Hasher,
    now: OffsetDateTime,
    path: &Path,
) -> Result<usize, BoxError> {
    let mut reader = csv::Reader::from_path(path)?;
    let mut n = 0;
    for (line, row) in reader.deserialize::<CsvCustomer>().enumerate() {
        let row = row?;
        let id_type: IdType = row.id_type.parse().map_err(Box::new)?;
        let customer = NewCustomer {
            id_type,
            id_number: &row.id_number,
            name: &row.name,
            reserved_phone: &row.reserved_phone,
            password: &row.password,
        };
        add_customer(db, hasher, now, customer)
            .await
            .map_err(|e| format!("row {}: {e}", line + 2))?;
        n += 1;
    }
    Ok(n)
}

/// Adds a staff login for the review console (role `reviewer` or `supervisor`).
/// Staff passwords open every customer's case: at least 12 characters (at most 64), the
/// customers' password rule apart from its 19-character cap, and not the username.
pub fn staff_password_ok(username: &str, password: &str) -> Result<(), BoxError> {
    let n = password.chars().count();
    if !(STAFF_PASSWORD_MIN..=STAFF_PASSWORD_MAX).contains(&n) {
        return Err(format!(
            "the staff password must be {STAFF_PASSWORD_MIN} to {STAFF_PASSWORD_MAX} characters"
        )
        .into());
    }
    let broken: Vec<_> = check_password(password, None, &PasswordContext::default())
        .into_iter()
        .filter(|r| *r != PasswordRule::TooLong)
        .collect();
    if !broken.is_empty() {
        let rules: Vec<&str> = broken.iter().map(|r| r.message_en()).collect();
        return Err(format!("the staff password is refused: {}", rules.join("; ")).into());
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("the staff password must not contain the username".into());
    }
    Ok(())
}

const STAFF_PASSWORD_MIN: usize = 12;
const STAFF_PASSWORD_MAX: usize = 64;

/// Adds (or replaces) a staff login with its password and the TOTP secret of its second
/// factor (a new one for every `staff add`: re-adding someone enrols them again).
pub async fn add_staff(
    db: &Db,
    hasher: &Hasher,
    now: OffsetDateTime,
    username: &str,
    password: &str,
    role: &str,
    totp_secret: &[u8],
) -> Result<(), BoxError> {
    if !matches!(role, "reviewer" | "supervisor") {
        return Err("role must be reviewer or supervisor".into());
    }
    if username.trim().is_empty() || username.len() > 64 {
        return Err("username must be 1 to 64 characters".into());
    }
    staff_password_ok(username.trim(), password)?;
    let hash = hasher.hash(password.to_owned()).await.map_err(Box::new)?;
    staff::upsert(
        db,
        username.trim(),
        &hash,
        role,
        &hex::encode(totp_secret),
        ms(now),
    )
    .await?;
    Ok(())
}
