//! End-to-end tests across processes: app and server, and the real app window.
