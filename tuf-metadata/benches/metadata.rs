//! Criterion benchmarks: parse + verify, and canonical serialization, of PyPI-shaped
//! metadata — a snapshot listing 16,384 hash-bin roles (PEP 458) and one bin role listing
//! 1,000 targets.

#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::json::{self, Layout};
use tuf_metadata::{
    Expiry, Key, MetaFile, Metadata, Root, Signed, Snapshot, SuccinctRoles, TargetFile, Targets,
};

struct Fixture {
    root: Root,
    bins_role: Targets,
    snapshot: Vec<u8>,
    bin: Vec<u8>,
    bin_name: String,
}

fn fixture() -> Fixture {
    let expires = Expiry::parse("2099-01-01T00:00:00Z").unwrap();
    let online = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let mut root = Root::new(expires);
    for role in ["root", "timestamp", "snapshot", "targets"] {
        root.add_key(role, Key::from_public_key(online.public_key()))
            .unwrap();
    }
    // Snapshot: 16,384 bins (TAP 15, bit_length 14), each with version, length and sha256.
    let bins = SuccinctRoles::new(vec![online.keyid()], 1, 14, "bin").unwrap();
    let mut snapshot = Snapshot::new(expires);
    for (i, name) in bins.role_names().enumerate() {
        let fake = format!("{name}-{i}");
        snapshot.meta.insert(
            format!("{name}.json"),
            MetaFile::of(1 + i as u64 % 7, fake.as_bytes(), &[HashAlgorithm::Sha256]),
        );
    }
    let mut md = Metadata::new(snapshot);
    md.sign(&online, false).unwrap();
    let snapshot = md.to_bytes(Layout::Compact);

    // One bin: 1,000 targets (simple index pages and distributions) with sha256 + length.
    let mut bin = Targets::new(expires);
    for i in 0..1000 {
        let path = if i % 3 == 0 {
            format!("simple/project-{i}/index.html")
        } else {
            format!("packages/ab/cd/project_{i}-1.{i}.0-py3-none-any.whl")
        };
        let mut tf = TargetFile::of(path.as_bytes(), &[HashAlgorithm::Sha256]).unwrap();
        tf.length = 10_000 + i;
        bin.add_target(&path, tf);
    }
    let bin_name = bins.role_name(42);
    let mut md = Metadata::new(bin);
    md.sign(&online, false).unwrap();
    let bin = md.to_bytes(Layout::Compact);

    let mut bins_role = Targets::new(expires);
    bins_role.set_succinct_roles(bins, vec![Key::from_public_key(online.public_key())]);
    Fixture {
        root,
        bins_role,
        snapshot,
        bin,
        bin_name,
    }
}

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
