//! The floors a full build is measured against (`bench/repo-scale.sh`): every regular file
//! below a tree read and hashed with sha256, nothing else (no signing, no writing), with one
//! thread and with every core; and, given SCRATCH (an empty directory on the same file
//! system), the same with a copy of each file written below SCRATCH at its own path (what a
//! build that places its targets cannot do with less), every core.
//!
//! Usage: cargo run --release -p tuf-repo --example read_hash_floor -- TREE [SCRATCH]

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tuf_crypto::HashAlgorithm;

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            files(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn digest(path: &Path) -> std::io::Result<(u64, Vec<u8>)> {
    let data = std::fs::read(path)?;
    Ok((data.len() as u64, HashAlgorithm::Sha256.digest(&data)))
}

fn main() -> std::io::Result<()> {
    let tree = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or_else(|| std::io::Error::other("usage: read_hash_floor TREE"))?;
    for (label, threads) in [("1 thread", 1), ("all cores", 0)] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(std::io::Error::other)?;
        let start = Instant::now();
        let (count, bytes) = pool.install(|| -> std::io::Result<(usize, u64)> {
            let mut all = Vec::new();
            files(&tree, &mut all)?;
            let sizes = all
                .par_iter()
                .map(|p| digest(p).map(|(n, _)| n))
                .collect::<std::io::Result<Vec<u64>>>()?;
            Ok((all.len(), sizes.iter().sum()))
        })?;
        println!(
            "floor, walk + read + sha256 ({label}): {:.3} s ({count} files, {bytes} bytes)",
            start.elapsed().as_secs_f64()
        );
    }
    if let Some(scratch) = std::env::args_os().nth(2).map(PathBuf::from) {
        let start = Instant::now();
        let mut all = Vec::new();
        files(&tree, &mut all)?;
        all.par_iter().try_for_each(|p| -> std::io::Result<()> {
            let data = std::fs::read(p)?;
            let _ = HashAlgorithm::Sha256.digest(&data);
            let rel = p.strip_prefix(&tree).map_err(std::io::Error::other)?;
            let dest = scratch.join(rel);
            if let Err(e) = std::fs::write(&dest, &data) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(e);
                }
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&dest, &data)?;
            }
            Ok(())
        })?;
        println!(
            "floor, walk + read + sha256 + a copy written (all cores): {:.3} s",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
