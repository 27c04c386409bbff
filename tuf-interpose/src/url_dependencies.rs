//! The direct-URL dependencies a distribution's core metadata declares
//! (`Requires-Dist: name @ https://...`, PEP 508). pip follows them from any index but PyPI,
//! fetching the URL itself: for the clients of `tuf-cli serve`, which no guard surrounds, a
//! verified wheel declaring one would send its installer to an unverified file. The service
//! refuses such a wheel, and its PEP 658 `.metadata` file, before the installer reads them.

use crate::InterposeError;
use std::io::Read;
use std::path::Path;

/// The most of a `METADATA` file read (a wheel's is a few KB; PEP 658 files likewise).
const METADATA_MAX: u64 = 16 << 20;

/// The `Requires-Dist` values of core metadata (RFC 822 headers up to the first empty line,
/// folded lines joined, names in any case) that hold `@` before any marker: a URL requirement
/// (PEP 508), which an installer would fetch from the URL, or something no installer reads as
/// a plain version requirement.
///
/// ```
/// use tuf_interpose::url_dependencies::in_core_metadata;
/// let metadata = b"Metadata-Version: 2.1\nName: a\nRequires-Dist: b>=1\nrequires-dist: c @\n https://evil.example/c.whl\n\nRequires-Dist: d @ https://x/d.whl\n";
/// assert_eq!(in_core_metadata(metadata), ["c @ https://evil.example/c.whl"]);
/// ```
pub fn in_core_metadata(metadata: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(metadata);
    let mut headers: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        match headers.last_mut() {
            Some(h) if line.starts_with([' ', '\t']) => {
                h.push(' ');
                h.push_str(line.trim());
            }
            _ => headers.push(line.to_owned()),
        }
    }
    headers
        .iter()
        .filter_map(|h| {
            let (name, value) = h.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("requires-dist")
                .then(|| value.trim().to_owned())
        })
        // PEP 508: a URL requirement is `name [extras] @ URL`, its marker only after the URL
        // and white space; a version requirement holds `@` nowhere before its marker. No
        // parser is needed, and none can be led astray.
        .filter(|value| value.split(';').next().is_some_and(|r| r.contains('@')))
        .collect()
}

/// The direct-URL dependencies of the wheel at `path`: those of every
/// `*.dist-info/METADATA` at its root. A wheel that is not a readable zip, or has no such
/// file, is refused: no installer would install it as it is.
pub fn in_wheel(path: &Path) -> Result<Vec<String>, InterposeError> {
    let refused = |reason: String| InterposeError::NotVouched {
        target: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| refused(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| refused(format!("not a wheel: {e}")))?;
    let mut names = Vec::new();
    for name in zip.file_names() {
        let name = name.map_err(|e| refused(format!("a file name of the wheel: {e}")))?;
        if name
            .split_once('/')
            .is_some_and(|(dir, file)| dir.ends_with(".dist-info") && file == "METADATA")
        {
            names.push(name.into_owned());
        }
    }
    if names.is_empty() {
        return Err(refused("a wheel without *.dist-info/METADATA".into()));
    }
    let mut found = Vec::new();
    for name in names {
        let entry = zip
            .by_name(&name)
            .map_err(|e| refused(format!("{name}: {e}")))?;
        let mut metadata = Vec::new();
        entry
            .take(METADATA_MAX + 1)
            .read_to_end(&mut metadata)
            .map_err(|e| refused(format!("{name}: {e}")))?;
        if metadata.len() as u64 > METADATA_MAX {
            return Err(refused(format!(
                "{name} is larger than {METADATA_MAX} bytes"
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
