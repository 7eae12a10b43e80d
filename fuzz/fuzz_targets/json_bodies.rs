//! Every JSON body of the API: the requests the server reads (each then checked as its service
//! checks it), the answers the app reads, and the flow state the server stores. The first byte
//! picks the type, the rest is the body. A body that is read must write back to JSON that
//! reads as the same value (the app and the server share these types), and the checks after
//! reading must answer with a refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reset_bank::evidence::challenge::check_record;
use reset_bank::evidence::EvidenceSettings;
use reset_flow::wire::{
    ChallengeRecord, CodeRequest, CodeSentResponse, DevSmsList, ErrorBody, FaceChallenge,
    FlowStatus, LoginRequest, LoginResponse, PasswordRequest, PasswordResponse, PhoneRequest,
    StartResetRequest, StartResetResponse, StepResponse,
};
use reset_flow::{
    check_password, CustomerName, Flow, IdNumber, MobileNumber, PasswordContext, SmsCode,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use time::macros::date;

/// The bank day the server checks the typed ID numbers against.
const TODAY: time::Date = date!(2026 - 11 - 27);

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    match pick % 16 {
        // Requests, checked after reading as the bank's services check them.
        0 => {
            if let Some(r) = read::<LoginRequest>(body) {
                let _ = IdNumber::parse(r.id_type, r.id_number.expose(), TODAY);
            }
        }
        1 => {
            if let Some(r) = read::<StartResetRequest>(body) {
                let _ = IdNumber::parse(r.id_type, r.id_number.expose(), TODAY);
                let _ = CustomerName::parse(r.name.expose());
            }
        }
        2 => {
            if let Some(r) = read::<PhoneRequest>(body) {
                let _ = MobileNumber::parse(r.phone.expose());
            }
        }
        3 => {
            if let Some(r) = read::<CodeRequest>(body) {
                let _ = SmsCode::parse(r.code.expose());
            }
        }
        4 => {
            if let Some(r) = read::<PasswordRequest>(body) {
                // Judged against a demo customer's data, as `new_password` judges it.
                let id = IdNumber::parse(reset_flow::IdType::IdCard, "11010519491231002X", TODAY)
                    .expect("the demo customer's number");
                let ctx = PasswordContext {
                    id_number: Some(id.as_str()),
                    birth_date: id.birth_date(),
                    phones: vec!["13800000001"],
                };
                let _ = check_password(r.password.expose(), None, &ctx);
            }
        }
        5 => {
            if let Some(r) = read::<ChallengeRecord>(body) {
                for frames in [1, 3, 9] {
                    let _ = check_record(&r, frames, &EvidenceSettings::default());
                }
            }
        }
        // Answers, as the app reads them.
        6 => drop(read::<LoginResponse>(body)),
        7 => drop(read::<StartResetResponse>(body)),
        8 => drop(read::<CodeSentResponse>(body)),
        9 => drop(read::<StepResponse>(body)),
        10 => drop(read::<PasswordResponse>(body)),
        11 => drop(read::<FlowStatus>(body)),
        12 => drop(read::<ErrorBody>(body)),
        13 => drop(read::<DevSmsList>(body)),
        14 => drop(read::<FaceChallenge>(body)),
        // The flow as the server keeps it in its database.
        _ => drop(read::<Flow>(body)),
    }
});

/// The body read as `T`; a body that reads must write back to JSON that reads the same.
fn read<T: DeserializeOwned + Serialize>(body: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(body).ok()?;
    let written = serde_json::to_vec(&value).expect("a value read writes back");
    let again: T = serde_json::from_slice(&written).expect("what was written reads back");
    assert_eq!(
        serde_json::to_value(&again).expect("to a JSON value"),
        serde_json::to_value(&value).expect("to a JSON value"),
        "round trip changed the value"
    );
    Some(value)
}
