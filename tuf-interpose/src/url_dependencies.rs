//! The direct-URL dependencies a distribution's core metadata declares
//! (`Requires-Dist: name @ https://...`, PEP 508). pip follows them from any index but PyPI,
//! fetching the URL itself: for the clients of `tuf-cli serve`, which no guard surrounds, a
//! verified wheel declaring one would send its installer to an unverified file. The service
//! refuses such a wheel, and its PEP 658 `.metadata` file, before the installer reads them.

use crate::InterposeError;
use std::io::{Read, Seek};
use std::path::Path;

/// The most of a `METADATA` file read (a wheel's is a few KB; PEP 658 files likewise).
const METADATA_MAX: u64 = 16 << 20;

/// The `Requires-Dist` values of core metadata that hold `@` before any marker: a URL
/// requirement (PEP 508: `name [extras] @ URL`, its marker only after the URL and white
/// space; a version requirement holds `@` nowhere before its marker), which an installer
/// would fetch from the URL, or something no installer reads as a plain version requirement.
/// No requirement parser is needed, and none can be led astray.
///
/// ```
/// use tuf_interpose::url_dependencies::in_core_metadata;
/// let metadata = b"Metadata-Version: 2.1\nName: a\nRequires-Dist: b>=1\nrequires-dist: c @\n https://evil.example/c.whl\n\nRequires-Dist: d @ https://x/d.whl\n";
/// assert_eq!(in_core_metadata(metadata), ["c @ https://evil.example/c.whl"]);
/// ```
pub fn in_core_metadata(metadata: &[u8]) -> Vec<String> {
    requires_dist(metadata)
        .into_iter()
        .filter(|value| value.split(';').next().is_some_and(|r| r.contains('@')))
        .collect()
}

/// The `Requires-Dist` values of core metadata as Python's `email` parser (policy `compat32`,
/// which pip reads `METADATA` with) gives them: lines end at `\r\n`, `\r` or `\n`; the header
/// section ends at an empty line, or at the first line that is neither a header (`NAME:`,
/// NAME of printable ASCII but `:`; an empty NAME is skipped) nor a continuation (a line
/// starting with a space or tab, part of the header right before it; ignored after a skipped
/// line or before any header); `From ` lines are skipped; names compare in any case. Each value with its runs of spaces,
/// tabs and line ends made one space, and trimmed of them.
///
/// ```
/// use tuf_interpose::url_dependencies::requires_dist;
/// let metadata = b" lost\nName: a\rRequires-Dist: b @\r\n\t  https://x/b.whl\n \nREQUIRES-DIST: c\nnot a header\nRequires-Dist: d\n";
/// assert_eq!(requires_dist(metadata), ["b @ https://x/b.whl", "c"]);
/// ```
pub fn requires_dist(metadata: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(metadata);
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut rest: &str = &text;
    // Whether a continuation line belongs to the last header.
    let mut open = false;
    while !rest.is_empty() {
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        let line = &rest[..end];
        let ending = match &rest[end..] {
            e if e.starts_with("\r\n") => 2,
            "" => 0,
            _ => 1,
        };
        rest = &rest[end + ending..];
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut().filter(|_| open) {
                value.push(' ');
                value.push_str(line);
            }
            continue;
        }
        // Any other line ends the header before it: after a skipped one, continuations
        // belong to none.
        open = false;
        if line.starts_with("From ") {
            continue;
        }
        let Some(colon) = line.find(':') else {
            break;
        };
        let name = &line[..colon];
        if !name.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            break;
        }
        if !name.is_empty() {
            headers.push((name.to_ascii_lowercase(), line[colon + 1..].to_owned()));
            open = true;
        }
    }
    headers
        .into_iter()
        .filter(|(name, _)| name == "requires-dist")
        .map(|(_, value)| {
            value
                .split([' ', '\t', '\r', '\n'])
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The direct-URL dependencies of the wheel at `path`: those of every
/// `*.dist-info/METADATA` at its root. A wheel that is not a readable zip, or has no such
/// file, is refused: no installer would install it as it is.
pub fn in_wheel(path: &Path) -> Result<Vec<String>, InterposeError> {
    let file = std::fs::File::open(path).map_err(|e| InterposeError::NotVouched {
        target: path.display().to_string(),
        reason: e.to_string(),
    })?;
    in_wheel_archive(file, &path.display().to_string())
}

/// [`in_wheel`] for a wheel read from `wheel`, named `name` in errors.
pub fn in_wheel_archive(
    wheel: impl Read + Seek,
    name: &str,
) -> Result<Vec<String>, InterposeError> {
    let refused = |reason: String| InterposeError::NotVouched {
        target: name.to_owned(),
        reason,
    };
    let mut zip = zip::ZipArchive::new(wheel).map_err(|e| refused(format!("not a wheel: {e}")))?;
    let mut names = Vec::new();
    for entry in zip.file_names() {
        let entry = entry.map_err(|e| refused(format!("a file name of the wheel: {e}")))?;
        if entry
            .split_once('/')
            .is_some_and(|(dir, file)| dir.ends_with(".dist-info") && file == "METADATA")
        {
            names.push(entry.into_owned());
        }
    }
    if names.is_empty() {
        return Err(refused("a wheel without *.dist-info/METADATA".into()));
    }
    let mut found = Vec::new();
    for file in names {
        let entry = zip
            .by_name(&file)
            .map_err(|e| refused(format!("{file}: {e}")))?;
        let mut metadata = Vec::new();
        entry
            .take(METADATA_MAX + 1)
            .read_to_end(&mut metadata)
            .map_err(|e| refused(format!("{file}: {e}")))?;
        if metadata.len() as u64 > METADATA_MAX {
            return Err(refused(format!(
                "{file} is larger than {METADATA_MAX} bytes"
            )));
        }
        found.extend(in_core_metadata(&metadata));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn url_requirements_are_found_in_any_spelling() {
        let metadata = b"Metadata-Version: 2.1\r\nName: a\r\n\
            Requires-Dist: plain (>=1.0)\r\n\
            Requires-Dist: marked; python_version < \"4\"\r\n\
            Requires-Dist: at-in-marker ; platform_version == \"a@b\"\r\n\
            REQUIRES-DIST: vcs @ git+https://evil.example/r.git\r\n\
            Requires-Dist: file @ file:///tmp/x.whl ; sys_platform == \"linux\"\r\n\
            Requires-Dist: broken @@ what\r\n\
            Requires-Dist: odd[x] @ https://evil.example/o.whl\r\n\
            \r\n\
            Requires-Dist: body @ https://evil.example/b.whl\r\n";
        assert_eq!(
            in_core_metadata(metadata),
            [
                "vcs @ git+https://evil.example/r.git",
                "file @ file:///tmp/x.whl ; sys_platform == \"linux\"",
                "broken @@ what",
                "odd[x] @ https://evil.example/o.whl",
            ]
        );
    }

    #[test]
    fn a_wheel_is_read_for_its_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a-1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("a/__init__.py", options).unwrap();
        zip.write_all(b"Requires-Dist: no @ https://x/").unwrap();
        zip.start_file("a-1.0.dist-info/METADATA", options).unwrap();
        zip.write_all(b"Name: a\nRequires-Dist: b @ https://evil.example/b.whl\n")
            .unwrap();
        zip.finish().unwrap();
        assert_eq!(in_wheel(&path).unwrap(), ["b @ https://evil.example/b.whl"]);
        std::fs::write(&path, b"not a zip").unwrap();
        assert!(in_wheel(&path).is_err());
    }
}
