//! Scenarios from real repositories and other signers: what a client must read (object
//! storage's 403, BLAKE2b and unknown hash names, RSA-PSS salts, PEM layouts, delegation
//! counts, deep `custom`), and the fast-forward recovery of spec 5.3.11.

use super::{CONTENT, Trial, Want, broken_metadata, paths, sha256_hex, sim_err};
use crate::SuiteError;
use crate::scenarios::{Ctx, Verdict};
use crate::server::Serve;
use crate::sim::{Repo, sign};
use tuf_crypto::{HashAlgorithm, Signer};
use tuf_metadata::{Key, MetaFile, Signed, TargetFile};

pub(super) async fn root_chain_denied(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo.rotate("root")?;
    t.server.set("/metadata/3.root.json", Serve::Status(403));
    t.refresh(Want::Ok).await?;
    t.trusts("root", Some(2));
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    Ok(t.verdict())
}

pub(super) async fn root_chain_beyond_limit(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    // Roots 2 to 257: 256 rotations, the default limit of both python-tuf and this project.
    for _ in 0..256 {
        t.repo.root.bump_version().map_err(sim_err)?;
        t.repo.publish_root()?;
    }
    // Root 258 revokes the timestamp key; its holder (an attacker) signs a timestamp anyway.
    let revoked = t.repo.rotate("timestamp")?;
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    let signers: Vec<&tuf_crypto::PrivateKey> = revoked.iter().collect();
    t.repo.put(
        "metadata/timestamp.json",
        sign(&t.repo.timestamp, &signers)?,
    );
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", None);
    Ok(t.verdict())
}

/// Fast-forwards the client's timestamp and snapshot to v1000 (an attacker holding both
/// online keys), then rotates `rotate` and publishes v3 of both.
async fn fast_forward_rotating(ctx: &Ctx, rotate: &[&str]) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    let honest = (t.repo.timestamp.clone(), t.repo.snapshot.clone());
    t.repo.snapshot.common.version = 999;
    t.repo.timestamp.common.version = 999;
    t.repo.publish_snapshot()?;
    t.refresh(Want::Ok).await?;
    t.trusts("timestamp", Some(1000));
    t.trusts("snapshot", Some(1000));
    for role in rotate {
        t.repo.rotate(role)?;
    }
    (t.repo.timestamp, t.repo.snapshot) = honest;
    t.repo.publish_snapshot()?;
    t.refresh(Want::Ok).await?;
    t.trusts("timestamp", Some(3));
    t.trusts("snapshot", Some(3));
    t.download("file.txt", Want::Ok).await?;
    Ok(t.verdict())
}

pub(super) async fn fast_forward_snapshot_key(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    fast_forward_rotating(ctx, &["snapshot"]).await
}

pub(super) async fn fast_forward_both_keys(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    fast_forward_rotating(ctx, &["timestamp", "snapshot"]).await
}

pub(super) async fn fast_forward_timestamp_key(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    // An attacker holding both online keys names targets v1000 in snapshot v3: the client
    // trusts the timestamp and the snapshot, then finds no targets v1000.
    t.repo
        .snapshot
        .meta
        .insert("targets.json".into(), MetaFile::new(1000));
    t.repo.publish_snapshot()?;
    t.refresh(Want::Refused).await?;
    t.trusts("snapshot", Some(3));
    // The repository rotates the timestamp key and publishes the real state again.
    t.repo.rotate("timestamp")?;
    let version = t.repo.targets.version();
    t.repo
        .snapshot
        .meta
        .insert("targets.json".into(), MetaFile::new(version));
    t.repo.publish_snapshot()?;
    t.refresh(Want::Ok).await?;
    t.trusts("snapshot", Some(4));
    t.download("file.txt", Want::Ok).await?;
    Ok(t.verdict())
}

pub(super) async fn rotation_keeps_anchors(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    let v1 = repo.get("metadata/timestamp.json").unwrap_or_default();
    repo.add_target("targets", "file.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.refresh(Want::Ok).await?;
    t.repo.rotate("root")?;
    t.repo.rotate("targets")?;
    t.repo.put("metadata/timestamp.json", v1);
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", Some(2));
    t.trusts("root", Some(3));
    Ok(t.verdict())
}

pub(super) async fn slow_headers(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "timestamp.json", Serve::Silent).await
}

pub(super) async fn hash_blake2b(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    let info =
        TargetFile::of(CONTENT, &[HashAlgorithm::Blake2b256]).ok_or_else(|| sim_err("hashing"))?;
    repo.add_target_info("targets", "file.txt", info.clone(), CONTENT)?;
    let mut evil = CONTENT.to_vec();
    evil[0] ^= 1;
    repo.add_target_info("targets", "evil.txt", info, &evil)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    t.download("evil.txt", Want::Refused).await?;
    t.has_nothing("evil.txt");
    Ok(t.verdict())
}

/// A target listed with `hashes` (algorithm, hex digest), served as `CONTENT`.
async fn listed_with(
    ctx: &Ctx,
    hashes: Vec<(String, String)>,
    want: Want,
) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    let mut info =
        TargetFile::of(CONTENT, &[HashAlgorithm::Sha256]).ok_or_else(|| sim_err("hashing"))?;
    info.hashes = tuf_metadata::Hashes::from_hex(hashes).ok_or_else(|| sim_err("hashes"))?;
    repo.add_target_info("targets", "file.txt", info, CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("file.txt", want).await?;
    if want == Want::Ok {
        t.has_genuine("file.txt");
    } else {
        t.has_nothing("file.txt");
    }
    Ok(t.verdict())
}

pub(super) async fn hash_unknown_beside(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let hashes = vec![
        ("sha256".to_owned(), sha256_hex(CONTENT)),
        // A name no client knows (python-tuf's hashlib knows sha3-256 and blake2s).
        ("x-future-hash".to_owned(), "ab".repeat(32)),
    ];
    listed_with(ctx, hashes, Want::Ok).await
}

pub(super) async fn hash_unknown_only(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    listed_with(
        ctx,
        vec![("x-future-hash".to_owned(), "ab".repeat(32))],
        Want::Refused,
    )
    .await
}

/// Root v2 gives the timestamp role to `signer`, which signs timestamp v3.
async fn timestamp_signed_by(ctx: &Ctx, signer: &dyn Signer) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo
        .rotate_to("timestamp", Key::from_public_key(signer.public_key()))?;
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    let bytes = crate::sim::sign_with(&t.repo.timestamp, &[signer])?;
    t.repo.put("metadata/timestamp.json", bytes);
    t.refresh(Want::Ok).await?;
    t.trusts("timestamp", Some(3));
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    Ok(t.verdict())
}

async fn rsa_salt(ctx: &Ctx, salt: Option<usize>) -> Result<Verdict, SuiteError> {
    let signer = crate::signers::PssSigner::generate(salt)?;
    timestamp_signed_by(ctx, &signer).await
}

pub(super) async fn rsa_salt_0(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    rsa_salt(ctx, Some(0)).await
}

pub(super) async fn rsa_salt_20(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    rsa_salt(ctx, Some(20)).await
}

pub(super) async fn rsa_salt_max(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    rsa_salt(ctx, None).await
}

pub(super) async fn pem_layouts(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let one_line = crate::signers::Relisted::ecdsa(crate::signers::pem_one_line)?;
    let mut v = timestamp_signed_by(ctx, &one_line).await?;
    let crlf = crate::signers::Relisted::ecdsa(crate::signers::pem_crlf)?;
    let w = timestamp_signed_by(ctx, &crlf).await?;
    v.pass &= w.pass;
    v.got = format!("one line: {}; CRLF: {}", v.got, w.got);
    Ok(v)
}

pub(super) async fn delegation_33_roles(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    let mut parent = "targets".to_owned();
    for i in 0..32 {
        let name = format!("chain-{i:02}");
        repo.delegate(&parent, &name, paths(&["a/*"]), false)?;
        parent = name;
    }
    repo.add_target(&parent, "a/x.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("a/x.txt", Want::Ok).await?;
    t.has_genuine("a/x.txt");
    Ok(t.verdict())
}

pub(super) async fn deep_custom(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut custom = tuf_metadata::json::Value::Bool(true);
    for _ in 0..120 {
        let mut m = tuf_metadata::json::Map::new();
        m.insert("k", custom);
        custom = tuf_metadata::json::Value::Object(m);
    }
    let mut info =
        TargetFile::of(CONTENT, &[HashAlgorithm::Sha256]).ok_or_else(|| sim_err("hashing"))?;
    info.custom = Some(custom);
    let mut repo = Repo::new()?;
    repo.add_target_info("targets", "file.txt", info, CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    Ok(t.verdict())
}
