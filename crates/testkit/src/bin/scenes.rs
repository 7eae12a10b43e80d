//! `scenes DIR`: writes a generated scenes folder, the tester's stand-in camera for the app
//! (`RESET_CAMERA=scenes:DIR`): a face check and the three document captures pass with it.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: scenes DIR");
        return ExitCode::from(2);
    };
    match reset_testkit::scenes::write_generated_scenes(Path::new(dir)) {
        Ok(Some(())) => {
            println!("{dir}");
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("scenes: rustface's test picture is not where the build found it");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("scenes: {e}");
            ExitCode::FAILURE
        }
    }
}
