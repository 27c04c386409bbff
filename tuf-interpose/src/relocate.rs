//! Moving a staged virtual environment's new scripts back to its own path. Where no namespace
//! can show the installer a staged directory at the environment's own path (no sandbox at
//! all), the environment is staged whole as a copy beside it that runs as itself: its
//! interpreter finds the copy's `pyvenv.cfg`, so pip and uv install into the copy. The scripts
//! they write then name the copy's interpreter (`#!COPY/bin/python`, or pip's and uv's
//! `#!/bin/sh` + `exec` form for long paths). After the proof and the trace, and before the
//! commit, every occurrence of the copy's path in a script the run wrote is replaced by the
//! environment's own path, and the script's `RECORD` row gets its new sha256 and size.

use crate::proof::{base64_urlsafe, sha256_bytes};
use crate::trace::lexical;
use std::path::{Path, PathBuf};

/// In the staged environment `staging` (a copy of `dest`), rewrites the files of `changed`
/// that lie in `scripts` (the staged scripts directory) and name `staging`, to name `dest`;
/// then updates their rows in the changed `RECORD` files of `sites` (staged site directories).
/// Returns the scripts rewritten (at their staged paths).
pub fn relocate(
    changed: &[PathBuf],
    scripts: &Path,
    sites: &[PathBuf],
    staging: &Path,
    dest: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    let from = path_bytes(staging);
    let to = path_bytes(dest);
    let mut moved: Vec<(PathBuf, String, u64)> = Vec::new();
    for file in changed.iter().filter(|f| f.parent() == Some(scripts)) {
        if !std::fs::symlink_metadata(file)?.is_file() {
            continue;
        }
        let bytes = std::fs::read(file)?;
        let Some(out) = replace_all(&bytes, &from, &to) else {
            continue;
        };
        crate::stage::rewrite(file, &out)?;
        let digest = base64_urlsafe(&sha256_bytes(file)?);
        moved.push((file.clone(), digest, out.len() as u64));
    }
    if moved.is_empty() {
        return Ok(Vec::new());
    }
    for site in sites {
        for entry in std::fs::read_dir(site)?.flatten() {
            let record = entry.path().join("RECORD");
            let is_info = entry.file_name().to_string_lossy().ends_with(".dist-info");
            if !is_info || !changed.contains(&record) {
                continue;
            }
            let text = std::fs::read_to_string(&record)?;
            let mut lines = Vec::new();
            let mut edited = false;
            for line in text.lines() {
                let (raw, path) = first_field(line);
                let at = lexical(&site.join(&path));
                match moved.iter().find(|(f, _, _)| *f == at) {
                    Some((_, digest, len)) => {
                        lines.push(format!("{raw},sha256={digest},{len}"));
                        edited = true;
                    }
                    None => lines.push(line.to_owned()),
                }
            }
            if edited {
                let mut out = lines.join("\n");
                out.push('\n');
                crate::stage::rewrite(&record, out.as_bytes())?;
            }
        }
    }
    Ok(moved.into_iter().map(|(f, _, _)| f).collect())
}

/// A path's bytes with a trailing separator, so that `/a/env` never matches `/a/env2`.
fn path_bytes(p: &Path) -> Vec<u8> {
    let mut s = p.as_os_str().to_string_lossy().into_owned();
    s.push(std::path::MAIN_SEPARATOR);
    s.into_bytes()
}

/// `bytes` with every `from` replaced by `to`, or `None` where `from` does not occur.
fn replace_all(bytes: &[u8], from: &[u8], to: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let (mut i, mut found) = (0, false);
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
            found = true;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    found.then_some(out)
}

/// A CSV line's first field: as written (quotes kept) and as read.
fn first_field(line: &str) -> (&str, String) {
    let (mut quoted, mut value) = (false, String::new());
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if quoted && chars.peek().map(|p| p.1) == Some('"') => {
                value.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => return (&line[..i], value),
            c => value.push(c),
        }
    }
    (line, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_environments_scripts_name_the_environment_again() {
        let top = tempfile::tempdir().unwrap();
        let env = top.path().join("env");
        let staging = top.path().join(".env.tuf-staging-x");
        let site = staging.join("lib/python3/site-packages");
        let bin = staging.join("bin");
        std::fs::create_dir_all(site.join("t-1.dist-info")).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let short = format!("#!{}/bin/python\nimport t\n", staging.display());
        let long = format!(
            "#!/bin/sh\n'''exec' \"{}/bin/python\" \"$0\" \"$@\"\n' '''\nimport t\n",
            staging.display()
        );
        let other = format!("#!{}2/bin/python\n", staging.display());
        std::fs::write(bin.join("t"), &short).unwrap();
        std::fs::write(bin.join("t-long"), &long).unwrap();
        std::fs::write(bin.join("o"), &other).unwrap();
        let record = site.join("t-1.dist-info/RECORD");
        std::fs::write(
            &record,
            "t/__init__.py,sha256=abc,1\n../../../bin/t,sha256=old,9\n\"../../../bin/t-long\",sha256=old,9\nt-1.dist-info/RECORD,,\n",
        )
        .unwrap();
        let changed = vec![
            bin.join("t"),
            bin.join("t-long"),
            bin.join("o"),
            record.clone(),
        ];
        let moved = relocate(&changed, &bin, std::slice::from_ref(&site), &staging, &env).unwrap();
        assert_eq!(moved, vec![bin.join("t"), bin.join("t-long")]);
        let now = std::fs::read_to_string(bin.join("t")).unwrap();
        assert_eq!(now, format!("#!{}/bin/python\nimport t\n", env.display()));
        let now_long = std::fs::read_to_string(bin.join("t-long")).unwrap();
        assert!(now_long.contains(&format!("\"{}/bin/python\"", env.display())));
        assert!(!now_long.contains(".tuf-staging"));
        // A path that only begins like the copy's is left alone.
        assert_eq!(std::fs::read_to_string(bin.join("o")).unwrap(), other);
        let rows = std::fs::read_to_string(&record).unwrap();
        let digest = base64_urlsafe(&sha256_bytes(&bin.join("t")).unwrap());
        assert!(rows.contains(&format!("../../../bin/t,sha256={digest},{}\n", now.len())));
        assert!(rows.contains("\"../../../bin/t-long\",sha256="));
        assert!(rows.starts_with("t/__init__.py,sha256=abc,1\n"));
        assert!(!rows.contains("sha256=old"));
    }
}
