//! The installer's requirements grammar on hostile requirement lines and files: never a panic;
//! what it accepts it writes in a form it reads back the same, and never a local path, a
//! `file:` URL or a VCS URL (no --allow-local here).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_interpose::requirements::{Policy, canonicalize};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let policy = Policy {
        allow_local: false,
        covers: &|host: &str| host == "pypi.org" || host == "files.pythonhosted.org",
    };
    let dir = std::env::temp_dir().join(format!("tuf-fuzz-req-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    // As a requirements file (read by the grammar), and as command-line arguments.
    let file = dir.join("r.txt");
    if std::fs::write(&file, text.as_bytes()).is_err() {
        return;
    }
    let as_file = ["-r".to_owned(), file.display().to_string()];
    let as_args: Vec<String> = text.lines().take(16).map(str::to_owned).collect();
    for args in [&as_file[..], &as_args[..]] {
        if let Ok(c) = canonicalize(&policy, args, &dir) {
            for line in c.requirements.iter().chain(&c.constraints) {
                let lower = line.to_ascii_lowercase();
                assert!(
                    !lower.contains("file:") && !lower.contains("git+"),
                    "{line:?}"
                );
                let again = canonicalize(&policy, std::slice::from_ref(line), &dir)
                    .unwrap_or_else(|e| panic!("{line:?} written, then refused: {e}"));
                assert_eq!(
                    again.requirements.len() + again.constraints.len(),
                    1,
                    "{line:?}"
                );
            }
        }
    }
});
