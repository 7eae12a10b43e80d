//! A system camera through nokhwa exists on desktops only: on a phone the camera belongs to the
//! webview, and the `camera` feature then leaves nothing behind.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(desktop_camera)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if std::env::var_os("CARGO_FEATURE_CAMERA").is_some() && os != "android" && os != "ios" {
        println!("cargo:rustc-cfg=desktop_camera");
    }
}
