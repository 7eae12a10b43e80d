//! The rules and the steps of the forgot-login-password reset, with no I/O: ID numbers, names,
//! phones, SMS codes, the password rule, the step machine of both paths, the API's wire types
//! and the one error-code enum. Time and randomness come in as arguments.

mod bank;
mod error;
mod id_number;
mod id_type;
mod lockout;
mod machine;
mod name;
mod password;
mod phone;
mod policy;
pub mod resident_id;
mod sms_code;
pub mod text;
pub mod wire;

pub use bank::Bank;
pub use error::ErrorCode;
pub use id_number::IdNumber;
pub use id_type::IdType;
pub use lockout::{AfterFailure, LockoutRule, Tally, UNTIL_LIFTED};
pub use machine::{Event, Flow, ResetPath, Step};
pub use name::{is_han, CustomerName, MIDDLE_DOT};
pub use password::{check_password, PasswordContext, PasswordRule, PASSWORD_MAX, PASSWORD_MIN};
pub use phone::MobileNumber;
pub use policy::{bank_day, review_due_by, Policy, BEIJING};
pub use sms_code::{SmsCode, SMS_CODE_LEN};
