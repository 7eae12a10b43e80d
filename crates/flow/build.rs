//! The bank's identity is configuration (`bank/bank.toml` at the workspace root), read here when
//! the crate is built: a missing or wrong key fails the build, and no TOML reader ships in the
//! app or the server for it.

use std::path::PathBuf;

const KEYS: [&str; 6] = [
    "name",
    "short_name",
    "name_en",
    "sms_signature",
    "hotline",
    "wechat_account",
];

fn main() {
    let dir = std::env::var_os("RESET_BANK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bank"));
    let file = dir.join("bank.toml");
    println!("cargo:rerun-if-changed={}", file.display());
    println!("cargo:rerun-if-env-changed=RESET_BANK_DIR");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("the bank's identity {}: {e}", file.display()));
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("the bank's identity {}: {e}", file.display()));
    if let Some(extra) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
        panic!(
            "the bank's identity {}: unknown key {extra}",
            file.display()
        );
    }
    let mut fields = String::new();
    for key in KEYS {
        let value = table
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| panic!("the bank's identity {}: {key} is missing", file.display()));
        fields.push_str(&format!("        {key}: {value:?}.into(),\n"));
    }
    let code = format!(
        "impl Default for Bank {{\n    fn default() -> Bank {{\n        Bank {{\n{fields}        }}\n    }}\n}}\n"
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("bank_default.rs");
    std::fs::write(out, code).expect("bank_default.rs written");
}
