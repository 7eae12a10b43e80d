//! The bank side of the reset: HTTP API, storage, SMS outbox, review cases and the staff console.
