//! A PyPI-style tree from a directory of distributions (as `pip download` leaves them): the
//! files under `packages/`, and PEP 503 HTML and PEP 691 JSON pages under `simple/`. A TUF
//! repository then signs the whole tree as targets.

use crate::InterposeError;
use crate::names::{normalize_name, project_of};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use std::collections::BTreeMap;
use std::path::Path;

const HREF: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn err(path: &Path, e: impl std::fmt::Display) -> InterposeError {
    InterposeError::Rules(format!("{}: {e}", path.display()))
}

/// Replaces a file through a new inode (write a temporary file, rename), never in place.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), InterposeError> {
    tuf_updater::write_atomic(path, bytes).map_err(|e| err(path, e))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Builds (or updates) `tree` from the distributions in `dists`; returns how many projects
/// it lists. Files that are not wheels or sdists are ignored.
pub fn build_tree(dists: &Path, tree: &Path) -> Result<usize, InterposeError> {
    let mut projects: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
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
            return Err(err(&path, "file name is not UTF-8"));
        };
        let Some(project) = project_of(&name) else {
            continue;
        };
        let data = std::fs::read(&path).map_err(|x| err(&path, x))?;
        let digest = tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(&data));
        let dest = tree.join("packages").join(&name);
        std::fs::create_dir_all(tree.join("packages")).map_err(|x| err(tree, x))?;
        if !dest.exists() {
            std::fs::copy(&path, &dest).map_err(|x| err(&dest, x))?;
        }
        projects
            .entry(normalize_name(&project))
            .or_default()
            .push((name, digest));
    }
    for (project, files) in &projects {
        let dir = tree.join("simple").join(project);
        std::fs::create_dir_all(&dir).map_err(|x| err(&dir, x))?;
        let mut html = format!(
            "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links for {project}</title></head>\n<body>\n<h1>Links for {project}</h1>\n"
        );
        let mut json_files = Vec::new();
        for (file, digest) in files {
            let href = format!("../../packages/{}", utf8_percent_encode(file, HREF));
            html.push_str(&format!(
                "<a href=\"{href}#sha256={digest}\">{}</a><br/>\n",
                html_escape(file)
            ));
            json_files.push(
                serde_json::json!({"filename": file, "url": href, "hashes": {"sha256": digest}}),
            );
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
    std::fs::create_dir_all(tree.join("simple")).map_err(|x| err(tree, x))?;
    replace(&tree.join("simple/index.html"), index.as_bytes())?;
    Ok(projects.len())
}
