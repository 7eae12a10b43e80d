//! The customer app: Tauri commands, the step state held in Rust, the API client.
