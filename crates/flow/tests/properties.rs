//! Property tests: the check digit catches every single-character change, and no sequence of
//! events, at any pace, reaches an end state without the proofs that end state needs.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reset_flow::{resident_id, ErrorCode, Event, Flow, IdNumber, IdType, Policy, ResetPath, Step};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

const CASES: u32 = 2_000;
const TODAY: Date = date!(2026 - 11 - 27);
const T0: OffsetDateTime = datetime!(2026-11-27 09:00 +8);
const PROVINCES: [&str; 6] = ["11", "31", "44", "65", "81", "83"];
const CHARS: &[u8] = b"0123456789X";

/// A valid 身份证 number: province, 4 digits of city and county, a real birth date, a sequence.
fn valid_resident_id() -> impl Strategy<Value = String> {
    (
        0..PROVINCES.len(),
        0u32..10_000,
        0i64..(365 * 126),
        0u32..1_000,
    )
        .prop_map(|(p, area, days, seq)| {
            let birth = TODAY - Duration::days(days);
            let mut n = format!(
                "{}{:04}{:04}{:02}{:02}{:03}",
                PROVINCES[p],
                area,
                birth.year(),
                u8::from(birth.month()),
                birth.day(),
                seq
            );
            n.push(resident_id::check_char(n.as_bytes()).expect("17 digits"));
            n
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn any_single_character_change_breaks_a_valid_number(
        n in valid_resident_id(), pos in 0usize..18, replacement in 0usize..CHARS.len()
    ) {
        prop_assert!(IdNumber::parse(IdType::IdCard, &n, TODAY).is_ok(), "generator made {}", n);
        let mut changed = n.clone().into_bytes();
        let new = CHARS[replacement];
        prop_assume!(changed[pos] != new);
        changed[pos] = new;
        let changed = String::from_utf8(changed).unwrap();
        prop_assert!(IdNumber::parse(IdType::IdCard, &changed, TODAY).is_err(), "{} accepted", changed);
    }
}

const EVENTS: [Event; 11] = [
    Event::ReservedCodeRequested,
    Event::ReservedPhoneVerified,
    Event::PhoneUnavailable,
    Event::FacePassed,
    Event::DocumentsAccepted,
    Event::ContactCodeRequested,
    Event::ContactPhoneVerified,
    Event::PasswordSet,
    Event::ReviewApproved,
    Event::ReviewRejected,
    Event::Withdrawn,
];

/// A move of the test driver: any event at all, or the event a customer on the happy path of
/// the current step would send (so histories reach the end states often, not by luck).
#[derive(Debug, Clone, Copy)]
enum Move {
    Any(Event),
    Likely(usize),
}

fn likely_events(step: Step) -> &'static [Event] {
    match step {
        Step::ReservedPhone => &[
            Event::ReservedCodeRequested,
            Event::ReservedPhoneVerified,
            Event::PhoneUnavailable,
        ],
        Step::Face => &[Event::FacePassed],
        Step::Documents => &[Event::DocumentsAccepted],
        Step::ContactPhone => &[Event::ContactCodeRequested, Event::ContactPhoneVerified],
        Step::NewPassword => &[Event::PasswordSet],
        Step::UnderReview => &[Event::ReviewApproved, Event::ReviewRejected],
        _ => &[Event::Withdrawn],
    }
}

/// Moves with the time since the previous one: mostly seconds, sometimes past the idle limits.
fn history() -> impl Strategy<Value = Vec<(Move, i64)>> {
    let gap = prop_oneof![12 => 0i64..120, 1 => 800i64..1_000, 1 => 3_500i64..4_000];
    let mv = prop_oneof![
        1 => prop::sample::select(EVENTS.to_vec()).prop_map(Move::Any),
        2 => (0usize..3).prop_map(Move::Likely),
    ];
    prop::collection::vec((mv, gap), 0..40)
}

/// Drive the machine as the server does: a refusal keeps the stored flow, except that an idle
/// flow is stored as expired. Returns the final flow, the events accepted and every step seen.
fn drive(history: &[(Move, i64)]) -> (Flow, Vec<Event>, Vec<Step>) {
    let policy = Policy::default();
    let mut flow = Flow::start(T0);
    let mut now = T0;
    let mut accepted = Vec::new();
    let mut steps = vec![flow.step];
    for (mv, gap) in history {
        now += Duration::seconds(*gap);
        let event = match *mv {
            Move::Any(e) => e,
            Move::Likely(k) => {
                let options = likely_events(flow.step);
                options[k % options.len()]
            }
        };
        match flow.advance(event, now, &policy) {
            Ok(next) => {
                accepted.push(event);
                flow = next;
            }
            Err(ErrorCode::FlowExpired) => flow = flow.expired(),
            Err(_) => {}
        }
        steps.push(flow.step);
    }
    (flow, accepted, steps)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn done_needs_the_reserved_phone_code_or_an_approved_review(h in history()) {
        let (flow, accepted, _) = drive(&h);
        if flow.step == Step::Done {
            let path_a = flow.path == ResetPath::ReservedPhone
                && accepted.contains(&Event::ReservedPhoneVerified);
            let path_b = flow.path == ResetPath::PhoneUnavailable
                && accepted.contains(&Event::ReviewApproved);
            prop_assert!(path_a || path_b, "done via {:?}", accepted);
        }
        if flow.path == ResetPath::ReservedPhone {
            prop_assert!(!accepted.contains(&Event::ReviewApproved));
        }
    }

    #[test]
    fn review_needs_face_documents_and_contact_phone(h in history()) {
        let (flow, accepted, steps) = drive(&h);
        if steps.contains(&Step::UnderReview) {
            for needed in [Event::FacePassed, Event::DocumentsAccepted, Event::ContactPhoneVerified, Event::PasswordSet] {
                prop_assert!(accepted.contains(&needed), "under review without {:?}: {:?}", needed, accepted);
            }
            let order: Vec<_> = accepted.iter().filter(|e| matches!(e,
                Event::FacePassed | Event::DocumentsAccepted | Event::ContactPhoneVerified)).collect();
            prop_assert_eq!(order, vec![&Event::FacePassed, &Event::DocumentsAccepted, &Event::ContactPhoneVerified]);
        }
        if matches!(flow.step, Step::UnderReview | Step::Rejected) {
            prop_assert!(!accepted.contains(&Event::ReservedPhoneVerified), "path B never needs the reserved phone");
        }
    }

    #[test]
    fn expired_is_never_left(h in history()) {
        let (_, _, steps) = drive(&h);
        if let Some(first) = steps.iter().position(|s| *s == Step::Expired) {
            prop_assert!(steps[first..].iter().all(|s| *s == Step::Expired), "{:?}", steps);
        }
    }

    #[test]
    fn final_steps_accept_nothing(h in history(), e in prop::sample::select(EVENTS.to_vec())) {
        let (flow, _, _) = drive(&h);
        if flow.step.is_final() {
            prop_assert!(flow.advance(e, T0 + Duration::days(3), &Policy::default()).is_err());
        }
    }
}

/// The generator must actually reach the end states, or the properties above say nothing.
#[test]
fn histories_reach_every_end_state() {
    let mut runner = TestRunner::deterministic();
    let strategy = history();
    let mut seen = std::collections::HashMap::new();
    for _ in 0..CASES {
        let h = strategy.new_tree(&mut runner).unwrap().current();
        let (_, _, steps) = drive(&h);
        for s in steps {
            *seen.entry(s).or_insert(0u32) += 1;
        }
    }
    eprintln!("end states over {CASES} histories: {seen:?}");
    for s in [
        Step::Done,
        Step::UnderReview,
        Step::Rejected,
        Step::Expired,
        Step::Face,
        Step::ContactPhone,
    ] {
        assert!(
            seen.get(&s).copied().unwrap_or(0) > 0,
            "{s:?} never reached: {seen:?}"
        );
    }
}
