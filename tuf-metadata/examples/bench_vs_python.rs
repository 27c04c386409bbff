//! Writes the PyPI-shaped benchmark documents to a directory and times parse + verify of
//! each with this crate, so `bench/metadata-vs-python.sh` can time python-tuf on the very
//! same files.
//!
//! `cargo run --release --example bench_vs_python DIR ITERATIONS`

#[path = "../benches/pypi_shape.rs"]
#[allow(dead_code)]
mod pypi_shape;

use std::time::Instant;
use tuf_metadata::{Metadata, Snapshot, Targets};

fn time(label: &str, iterations: u32, mut f: impl FnMut()) {
    f(); // warm up
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(iterations);
    println!("rust {label} {ms:.3} ms");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("DIR"));
    let iterations: u32 = args.next().map_or(20, |n| n.parse().expect("ITERATIONS"));
    let f = pypi_shape::fixture();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("root", &f.root_bytes),
        ("bins", &f.bins_bytes),
        ("snapshot", &f.snapshot),
        (f.bin_name.as_str(), &f.bin),
    ] {
        std::fs::write(dir.join(format!("{name}.json")), bytes).unwrap();
    }
    std::fs::write(dir.join("bin-name"), &f.bin_name).unwrap();
    time("snapshot-16384-bins parse+verify", iterations, || {
        let md = Metadata::<Snapshot>::from_bytes(&f.snapshot).unwrap();
        f.root.verify_delegate("snapshot", &md).unwrap();
    });
    time("bin-1000-targets parse+verify", iterations, || {
        let md =
            Metadata::<Targets>::from_bytes_named(&f.bin, &f.bin_name, Default::default()).unwrap();
        f.bins_role.verify_delegate(&f.bin_name, &md).unwrap();
    });
}
