//! `--camera webview` on desktop: the screen opens the camera itself (`getUserMedia`) and sends
//! its frames to the core, the way the app works on Android and iOS, where the camera belongs to
//! the webview. Testers use it to run the phones' camera path on a desktop. WebKitGTK keeps
//! media capture off unless asked, and refuses any permission request nobody answers.

use tauri::{Runtime, WebviewWindow};

/// Lets the window's page open a camera (video only). `mock`: WebKit's own generated camera
/// instead of a real one, for machines without a camera (the end-to-end tests).
#[cfg(target_os = "linux")]
pub fn enable<R: Runtime>(window: &WebviewWindow<R>, mock: bool) -> tauri::Result<()> {
    window.with_webview(move |webview| {
        use webkit2gtk::glib::prelude::Cast;
        use webkit2gtk::{
            PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
            UserMediaPermissionRequestExt, WebViewExt,
        };
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock);
        }
        // The page is the app's own (no remote content is ever loaded): it gets the camera it
        // asks for, and never the microphone or the screen.
        view.connect_permission_request(|_, request| {
            let camera_only = request
                .downcast_ref::<UserMediaPermissionRequest>()
                .is_some_and(|m| m.is_for_video_device() && !m.is_for_audio_device());
            if camera_only {
                request.allow();
            } else {
                request.deny();
            }
            true
        });
    })
}

/// Other desktops' webviews ask the customer themselves.
#[cfg(not(target_os = "linux"))]
pub fn enable<R: Runtime>(_window: &WebviewWindow<R>, _mock: bool) -> tauri::Result<()> {
    Ok(())
}
