//! PyPI-shaped metadata for benchmarks: a snapshot listing 16,384 succinct hash-bin roles
//! (PEP 458's bin count) and one bin role listing 1,000 targets, all signed with Ed25519.

use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::json::Layout;
use tuf_metadata::{
    Expiry, Key, MetaFile, Metadata, Root, Snapshot, SuccinctRoles, TargetFile, Targets,
};

/// The generated documents and the roles that verify them.
pub struct Fixture {
    /// Root trusting the one online key for every role.
    pub root: Root,
    /// `root` signed, compact JSON.
    pub root_bytes: Vec<u8>,
    /// The `bins` role delegating by succinct hash bins (bit_length 14).
    pub bins_role: Targets,
    /// `bins_role` signed, compact JSON.
    pub bins_bytes: Vec<u8>,
    /// Signed snapshot listing the 16,384 bins, compact JSON.
    pub snapshot: Vec<u8>,
    /// One signed bin role with 1,000 targets, compact JSON.
    pub bin: Vec<u8>,
    /// That bin's role name.
    pub bin_name: String,
}

/// Builds the fixture (fresh keys each time).
pub fn fixture() -> Fixture {
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
    let mut root_md = Metadata::new(root.clone());
    root_md.sign(&online, false).unwrap();
    let mut bins_md = Metadata::new(bins_role.clone());
    bins_md.sign(&online, false).unwrap();
    Fixture {
        root,
        root_bytes: root_md.to_bytes(Layout::Compact),
        bins_role,
        bins_bytes: bins_md.to_bytes(Layout::Compact),
        snapshot,
        bin,
        bin_name,
    }
}
