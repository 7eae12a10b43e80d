//! The open flow's id on disk, so an app restarted mid-flow resumes it from the server. Only the
//! opaque id is kept: nothing personal is written to the device.

use std::path::Path;

pub fn save(file: Option<&Path>, flow_id: Option<&str>) {
    let Some(file) = file else { return };
    // A lost resume file only costs the customer a restart of the flow: not worth failing for.
    let _ = match flow_id {
        Some(id) => file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(file, id)),
        None => std::fs::remove_file(file).or(Ok(())),
    };
}

pub fn load(file: Option<&Path>) -> Option<String> {
    let id = std::fs::read_to_string(file?).ok()?;
    let id = id.trim();
    // Flow ids are URL-safe tokens; anything else in the file is not ours.
    (!id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_loads_and_forgets() {
        let dir = std::env::temp_dir().join(format!("reset-resume-{}", std::process::id()));
        let file = dir.join("flow");
        save(Some(&file), Some("abcDEF123_-"));
        assert_eq!(load(Some(&file)).as_deref(), Some("abcDEF123_-"));
        save(Some(&file), None);
        assert_eq!(load(Some(&file)), None);
        std::fs::write(&file, "../../etc/passwd").unwrap();
        assert_eq!(load(Some(&file)), None, "only a token is accepted");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
