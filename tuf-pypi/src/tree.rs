//! A PyPI-style tree from a directory of distributions (as `pip download` leaves them): the
//! files under `packages/`, each wheel's core metadata beside it as `<file>.metadata`
//! (PEP 658, so installers resolve without downloading whole wheels), and PEP 503 HTML and
//! PEP 691 JSON pages under `simple/`. A TUF repository then signs the whole tree as targets.

use crate::PypiError;
use crate::layout::{INDEX_PAGE, PACKAGES_DIR, SIMPLE_DIR};
use crate::name::{normalize_name, project_of};
use std::collections::BTreeMap;
use std::path::Path;

fn err(path: &Path, e: std::io::Error) -> PypiError {
    PypiError::io(path, e)
}

fn bad(path: &Path, reason: impl Into<String>) -> PypiError {
    PypiError::Distribution {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// One distribution file of a project.
struct Dist {
    file: String,
    digest: String,
    size: u64,
    metadata: Option<String>,
}

/// The `*.dist-info/METADATA` of a wheel (at most 4 MiB).
fn wheel_metadata(wheel: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(wheel))
        .map_err(|e| format!("not a wheel: {e}"))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .map(|n| n.into_owned())
        .collect();
    let [name] = names.as_slice() else {
        return Err(format!(
            "a wheel must hold exactly one .dist-info/METADATA, found {}",
            names.len()
        ));
    };
    let entry = zip.by_name(name).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    entry
        .take(4 * 1024 * 1024 + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() > 4 * 1024 * 1024 {
        return Err("METADATA larger than 4 MiB".into());
    }
    Ok(out)
}

/// Replaces a file through a new inode (write a temporary file, rename), never in place.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), PypiError> {
    tuf_fs::write_atomic(path, bytes).map_err(|e| err(path, e))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Builds (or updates) `tree` from the distributions in `dists`; returns how many projects
/// it lists. Files that are not wheels or sdists are ignored.
pub fn build_tree(dists: &Path, tree: &Path) -> Result<usize, PypiError> {
    let mut projects: BTreeMap<String, Vec<Dist>> = BTreeMap::new();
    let mut entries: Vec<_> = std::fs::read_dir(dists)
        .map_err(|e| err(dists, e))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if !e.file_type().map_err(|x| err(&path, x))?.is_file() {
            continue;
        }
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            return Err(bad(&path, "file name is not UTF-8"));
        };
        let Some(project) = project_of(&name) else {
            continue;
        };
        let data = std::fs::read(&path).map_err(|x| err(&path, x))?;
        let digest = tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(&data));
        let dest = tree.join(PACKAGES_DIR).join(&name);
        std::fs::create_dir_all(tree.join(PACKAGES_DIR)).map_err(|x| err(tree, x))?;
        if !dest.exists() {
            std::fs::copy(&path, &dest).map_err(|x| err(&dest, x))?;
        }
        let metadata = if name.ends_with(".whl") {
            let meta = wheel_metadata(&data).map_err(|e| bad(&path, e))?;
            let meta_digest =
                tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(&meta));
            replace(
                &tree.join(PACKAGES_DIR).join(format!("{name}.metadata")),
                &meta,
            )?;
            Some(meta_digest)
        } else {
            None
        };
        projects
            .entry(normalize_name(&project))
            .or_default()
            .push(Dist {
                file: name,
                digest,
                size: data.len() as u64,
                metadata,
            });
    }
    for (project, files) in &projects {
        let dir = tree.join(SIMPLE_DIR).join(project);
        std::fs::create_dir_all(&dir).map_err(|x| err(&dir, x))?;
        let mut html = format!(
            "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links for {project}</title></head>\n<body>\n<h1>Links for {project}</h1>\n"
        );
        let mut json_files = Vec::new();
        for d in files {
            let href = format!(
                "../../packages/{}",
                tuf_metadata::naming::url_segment(&d.file)
            );
            // Each file's size, as PyPI and bandersnatch list it (PEP 700's key; a 1.0 client
            // ignores it).
            let mut entry = serde_json::json!({"filename": d.file, "url": href, "hashes": {"sha256": d.digest}, "size": d.size});
            let mut attrs = String::new();
            if let Some(m) = &d.metadata {
                // PEP 658 (and its PEP 714 spelling): the core metadata is served beside it.
                entry["core-metadata"] = serde_json::json!({"sha256": m});
                entry["dist-info-metadata"] = serde_json::json!({"sha256": m});
                attrs = format!(
                    " data-core-metadata=\"sha256={m}\" data-dist-info-metadata=\"sha256={m}\""
                );
            }
            html.push_str(&format!(
                "<a href=\"{href}#sha256={}\"{attrs}>{}</a><br/>\n",
                d.digest,
                html_escape(&d.file)
            ));
            json_files.push(entry);
        }
        html.push_str("</body>\n</html>\n");
        replace(&dir.join("index.html"), html.as_bytes())?;
        let json = serde_json::json!({"meta": {"api-version": "1.0"}, "name": project, "files": json_files});
        replace(&dir.join("index.json"), json.to_string().as_bytes())?;
    }
    let mut index = String::from("<!DOCTYPE html>\n<html>\n<body>\n");
    for project in projects.keys() {
        index.push_str(&format!("<a href=\"{project}/\">{project}</a><br/>\n"));
    }
    index.push_str("</body>\n</html>\n");
    std::fs::create_dir_all(tree.join(SIMPLE_DIR)).map_err(|x| err(tree, x))?;
    replace(&tree.join(INDEX_PAGE), index.as_bytes())?;
    Ok(projects.len())
}
