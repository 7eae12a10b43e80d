//! `synth DIR`: writes generated test pictures to DIR: a card's back, plain, blurred and under
//! glare, and, where rustface's test picture is found, a card's front and a face frame.

use std::path::PathBuf;
use std::process::ExitCode;

use reset_testkit::synth::write_samples;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: synth DIR");
        return ExitCode::from(2);
    };
    match write_samples(&PathBuf::from(dir)) {
        Ok(written) => {
            for file in written {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("synth: {e}");
            ExitCode::FAILURE
        }
    }
}
