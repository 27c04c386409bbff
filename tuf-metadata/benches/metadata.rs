//! Criterion benchmarks: parse + verify, and canonical serialization, of PyPI-shaped
//! metadata — a snapshot listing 16,384 hash-bin roles (PEP 458) and one bin role listing
//! 1,000 targets.

#![allow(missing_docs)]

#[allow(dead_code)]
mod pypi_shape;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pypi_shape::fixture;
use std::hint::black_box;
use tuf_metadata::json;
use tuf_metadata::{Metadata, Signed, Snapshot, Targets};

fn benches(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("parse+verify");
    g.throughput(Throughput::Bytes(f.snapshot.len() as u64));
    g.bench_function(
        BenchmarkId::new("snapshot-16384-bins", f.snapshot.len()),
        |b| {
            b.iter(|| {
                let md = Metadata::<Snapshot>::from_bytes(black_box(&f.snapshot)).unwrap();
                f.root.verify_delegate("snapshot", &md).unwrap();
                md
            })
        },
    );
    g.throughput(Throughput::Bytes(f.bin.len() as u64));
    g.bench_function(BenchmarkId::new("bin-1000-targets", f.bin.len()), |b| {
        b.iter(|| {
            let md = Metadata::<Targets>::from_bytes_named(
                black_box(&f.bin),
                &f.bin_name,
                Default::default(),
            )
            .unwrap();
            f.bins_role.verify_delegate(&f.bin_name, &md).unwrap();
            md
        })
    });
    g.finish();

    let snapshot = Metadata::<Snapshot>::from_bytes(&f.snapshot)
        .unwrap()
        .into_signed();
    let bin = Metadata::<Targets>::from_bytes(&f.bin)
        .unwrap()
        .into_signed();
    let mut g = c.benchmark_group("canonical");
    g.bench_function("snapshot-16384-bins", |b| {
        b.iter(|| json::write_canonical(&black_box(&snapshot).to_value()))
    });
    g.bench_function("bin-1000-targets", |b| {
        b.iter(|| json::write_canonical(&black_box(&bin).to_value()))
    });
    g.finish();

    let mut g = c.benchmark_group("parse-json-only");
    g.bench_function("snapshot-16384-bins", |b| {
        b.iter(|| json::parse(black_box(&f.snapshot)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = metadata;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(metadata);
