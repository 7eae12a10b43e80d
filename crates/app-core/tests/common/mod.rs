//! What the app's core tests share: a generated scenes folder, the tester's stand-in camera.

pub struct Scenes(pub std::path::PathBuf);

impl Scenes {
    pub fn new(tag: &str) -> Scenes {
        let dir = std::env::temp_dir().join(format!("app-scenes-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        reset_testkit::scenes::write_generated_scenes(&dir)
            .unwrap()
            .expect("rustface's test picture is in its package");
        Scenes(dir)
    }
}

impl Drop for Scenes {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
