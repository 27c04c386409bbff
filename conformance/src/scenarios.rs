//! The attack scenarios. Each builds a repository with [`crate::sim`], serves it with
//! [`crate::server`], drives a client through the public protocol with [`crate::client`],
//! attacks, and checks what the client did: which steps it refused, what it trusts after,
//! what it wrote. Names say the attack; `spec` gives the section of the TUF specification
//! (1.0.x, "Detailed client workflow") whose rule stops it.

use crate::SuiteError;
use crate::client::{Client, ClientCmd, Step};
use crate::server::{Serve, Server};
use crate::sim::{Repo, past, sign, signature, with_signatures};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tuf_crypto::{HashAlgorithm, KeyAlgorithm, Signer};
use tuf_metadata::{Expiry, Key, MetaFile, PathSet, Signed, TargetFile};

mod field;
use field::*;

/// What a scenario run needs: the client to grade and its time limit per step.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The client command.
    pub cmd: ClientCmd,
    /// Time limit of one protocol step.
    pub step_timeout: Duration,
}

/// The outcome of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the client did what a correct client does.
    pub pass: bool,
    /// What the client did, step by step.
    pub got: String,
}

type Run = fn(Ctx) -> Pin<Box<dyn Future<Output = Result<Verdict, SuiteError>> + Send>>;

/// One attack scenario.
#[derive(Clone)]
pub struct Scenario {
    /// Short name, unique.
    pub name: &'static str,
    /// The attack (or, for controls, the behaviour) exercised.
    pub attack: &'static str,
    /// The spec section whose rule applies.
    pub spec: &'static str,
    /// What a correct client does.
    pub expected: &'static str,
    run: Run,
}

impl Scenario {
    /// Runs the scenario against the client in `ctx`.
    pub async fn run(&self, ctx: Ctx) -> Result<Verdict, SuiteError> {
        (self.run)(ctx).await
    }
}

/// What a step should end as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Ok,
    Refused,
}

/// A scenario in progress: repository, server, client, and what has been observed.
struct Trial {
    repo: Repo,
    server: Server,
    client: Client,
    got: Vec<String>,
    pass: bool,
}

const CONTENT: &[u8] = b"the genuine target content\n";

impl Trial {
    /// Serves `repo` and initialises a client with its first root.
    async fn with_repo(ctx: &Ctx, repo: Repo) -> Result<Trial, SuiteError> {
        let server = Server::start(repo.files.clone()).await?;
        let mut client = Client::new(&ctx.cmd, &server.url("metadata/"), &server.url("targets/"))?;
        client.step_timeout = ctx.step_timeout;
        let mut t = Trial {
            repo,
            server,
            client,
            got: Vec::new(),
            pass: true,
        };
        let step = t.client.init(&t.repo.root_v1()).await?;
        t.record("init", step, Want::Ok);
        Ok(t)
    }

    /// A repository with `file.txt` in the top-level targets, published as version 2.
    async fn start(ctx: &Ctx) -> Result<Trial, SuiteError> {
        let mut repo = Repo::new()?;
        repo.add_target("targets", "file.txt", CONTENT)?;
        repo.publish()?;
        Trial::with_repo(ctx, repo).await
    }

    fn record(&mut self, what: &str, step: Step, want: Want) {
        let ok = matches!(
            (step, want),
            (Step::Ok, Want::Ok) | (Step::Failed, Want::Refused)
        );
        self.pass &= ok;
        let mark = if ok {
            String::new()
        } else {
            let why = self.client.last_error();
            if why.is_empty() {
                " (wrong)".to_owned()
            } else {
                format!(" (wrong: {why})")
            }
        };
        self.got.push(format!("{what} {step}{mark}"));
    }

    async fn refresh(&mut self, want: Want) -> Result<(), SuiteError> {
        let step = self.client.refresh().await?;
        self.record("refresh", step, want);
        Ok(())
    }

    async fn download(&mut self, target: &str, want: Want) -> Result<(), SuiteError> {
        let step = self.client.download(&[target]).await?;
        self.record(&format!("download {target:?}"), step, want);
        Ok(())
    }

    /// Checks the version of `role` the client trusts (`None`: none stored).
    fn trusts(&mut self, role: &str, want: Option<u64>) {
        let have = self.client.trusted_version(role);
        let ok = have == want;
        self.pass &= ok;
        let show = |v: Option<u64>| v.map_or("none".to_owned(), |v| format!("v{v}"));
        let mark = if ok {
            String::new()
        } else {
            format!(" (wrong, want {})", show(want))
        };
        self.got.push(format!("trusts {role} {}{mark}", show(have)));
    }

    fn check(&mut self, ok: bool, what: &str) {
        self.pass &= ok;
        if !ok {
            self.got.push(format!("wrong: {what}"));
        }
    }

    /// The downloaded file of `target` is the genuine content.
    fn has_genuine(&mut self, target: &str) {
        let ok = self.client.downloaded(target).as_deref() == Some(CONTENT);
        self.check(ok, &format!("{target} not downloaded intact"));
    }

    /// Nothing was written for `target`.
    fn has_nothing(&mut self, target: &str) {
        let ok = self.client.downloaded(target).is_none();
        self.check(
            ok,
            &format!("bytes of {target} written to the target directory"),
        );
    }

    fn verdict(self) -> Verdict {
        Verdict {
            pass: self.pass,
            got: self.got.join("; "),
        }
    }

    /// The request path of `file.txt` on the mirror.
    fn target_url_path(&self) -> String {
        let digest = sha256_hex(CONTENT);
        format!("/{}", self.repo.target_file("file.txt", &digest))
    }
}

fn sha256_hex(data: &[u8]) -> String {
    tuf_crypto::hex::encode(HashAlgorithm::Sha256.digest(data))
}

fn sim_err(e: impl std::fmt::Display) -> SuiteError {
    SuiteError::Sim(e.to_string())
}

/// A repository delegating `a/*` from `targets` to `role-a`, which lists `a/x.txt`.
async fn start_delegated(ctx: &Ctx) -> Result<Trial, SuiteError> {
    let mut repo = Repo::new()?;
    repo.add_target("targets", "file.txt", CONTENT)?;
    repo.delegate("targets", "role-a", paths(&["a/*"]), false)?;
    repo.add_target("role-a", "a/x.txt", CONTENT)?;
    repo.publish()?;
    Trial::with_repo(ctx, repo).await
}

fn paths(p: &[&str]) -> PathSet {
    PathSet::Paths(p.iter().map(|s| s.to_string()).collect())
}

macro_rules! scenarios {
    ($( $f:ident, $name:literal, $attack:literal, $spec:literal, $expected:literal; )*) => {
        /// Every scenario, in a stable order.
        pub fn all() -> Vec<Scenario> {
            vec![$(Scenario {
                name: $name,
                attack: $attack,
                spec: $spec,
                expected: $expected,
                run: |ctx| Box::pin(async move { $f(&ctx).await }),
            }),*]
        }
    };
}

scenarios! {
    baseline, "baseline", "none: a fresh client refreshes and downloads", "5.2-5.7", "succeeds, target intact";
    rollback_timestamp, "rollback-timestamp", "an older timestamp replayed", "5.4.3", "refused, timestamp stays v2";
    rollback_snapshot_in_timestamp, "rollback-snapshot-via-timestamp", "a new timestamp naming an older snapshot", "5.4.3", "refused, timestamp stays v2";
    rollback_snapshot_file, "rollback-snapshot-file", "the file behind snapshot v3 is version 2", "5.5.4", "refused, snapshot stays v2";
    rollback_targets_in_snapshot, "rollback-targets-via-snapshot", "a new snapshot naming an older targets", "5.5.5", "refused, snapshot stays v2";
    snapshot_drops_role, "rollback-snapshot-drops-role", "a new snapshot no longer listing a delegated role", "5.5.5", "refused";
    rollback_targets_file, "rollback-targets-file", "the file behind targets v3 is version 2", "5.6.4", "refused, targets stays v2";
    rollback_delegated, "rollback-delegated", "the file behind a delegated role's new version is the old one", "5.6.4", "download refused";
    rollback_root, "rollback-root", "the file behind root v3 is root v2", "5.3.5", "refused, root stays v2";
    freeze_timestamp, "freeze-timestamp", "an expired timestamp", "5.4.4", "refused";
    freeze_snapshot, "freeze-snapshot", "an expired snapshot", "5.5.6", "refused";
    freeze_targets, "freeze-targets", "an expired top-level targets", "5.6.5", "refused";
    freeze_root, "freeze-root", "an expired newest root", "5.3.10", "refused";
    freeze_delegated, "freeze-delegated", "an expired delegated role", "5.6.5", "download refused";
    freeze_after_success, "freeze-after-success", "the last good metadata replayed after it expired", "5.4.4", "first refresh ok, the later one refused";
    endless_root, "endless-data-root", "endless data for the next root", "5.3.3", "refused in bounded time";
    endless_timestamp, "endless-data-timestamp", "endless data for timestamp.json", "5.4.1", "refused in bounded time";
    endless_snapshot, "endless-data-snapshot", "endless data for the snapshot", "5.5.1", "refused in bounded time";
    endless_targets, "endless-data-targets", "endless data for targets", "5.6.1", "refused in bounded time";
    endless_delegated, "endless-data-delegated", "endless data for a delegated role", "5.6.1", "download refused in bounded time";
    endless_target, "endless-data-target-file", "endless data for a target file", "5.7.3", "download refused, nothing written";
    oversized_root, "oversized-root", "a 40 MiB next root with a true Content-Length", "5.3.3", "refused in bounded time";
    oversized_timestamp, "oversized-timestamp", "a 40 MiB timestamp with a true Content-Length", "5.4.1", "refused in bounded time";
    oversized_snapshot, "oversized-snapshot", "a 40 MiB snapshot with a true Content-Length", "5.5.1", "refused in bounded time";
    oversized_targets, "oversized-targets", "a 40 MiB targets with a true Content-Length", "5.6.1", "refused in bounded time";
    oversized_delegated, "oversized-delegated", "a 40 MiB delegated role with a true Content-Length", "5.6.1", "download refused in bounded time";
    slow_timestamp, "slow-retrieval-timestamp", "timestamp.json sent one byte every 500 ms", "5.4.1", "refused before the step time limit";
    slow_target, "slow-retrieval-target-file", "a 64 KiB target sent one byte every 100 ms", "5.7.3", "refused before the step time limit";
    dropped_timestamp, "dropped-connection-timestamp", "the connection closes halfway through timestamp.json", "5.4.1", "refused";
    target_bad_hash, "arbitrary-target-bad-hash", "a target replaced by other bytes of the same length", "5.7.3", "download refused, nothing written";
    target_too_long, "arbitrary-target-too-long", "a target with bytes appended", "5.7.3", "download refused, nothing written";
    target_truncated, "arbitrary-target-truncated", "a target cut short", "5.7.3", "download refused, nothing written";
    target_not_listed, "arbitrary-target-unlisted", "a file on the mirror that no metadata lists", "5.6.7", "download refused";
    mix_and_match, "mix-and-match-snapshot", "another validly signed snapshot of the same version", "5.5.2", "refused";
    unknown_key_timestamp, "arbitrary-metadata-foreign-key", "a timestamp signed by a key the root does not list", "5.4.2", "refused";
    extraneous_delegation, "extraneous-delegation", "a delegated role listing a path outside its delegation", "5.6.7", "download refused";
    delegation_deeper_path, "delegation-path-escape", "a role for a/* listing a/deep/x.txt (* does not match /)", "5.6.7", "download refused";
    terminating_delegation, "delegation-terminating", "a later role listing a target a terminating role did not", "5.6.7.2.1", "download refused";
    non_terminating_delegation, "delegation-non-terminating", "none: the same with a non-terminating first role", "5.6.7.2.2", "download succeeds";
    delegation_cycle, "delegation-cycle", "role-a delegates to role-b which delegates back to role-a", "5.6.7", "refused in bounded time";
    delegation_limit, "delegation-limit", "a chain of 40 delegations to reach a target", "5.6.7", "refused (beyond 32 roles)";
    hash_bins, "hash-bins", "none: targets in 16 succinct hash bins (TAP 15, PEP 458)", "5.6.7 (TAP 15)", "download succeeds, target intact";
    hash_bins_wrong_bin, "hash-bins-wrong-bin", "a bin listing a target whose path hashes to another bin", "5.6.7 (TAP 15)", "download refused";
    fast_forward, "fast-forward-recovery", "a timestamp fast-forwarded to v1000 with a stolen key, then key rotation", "5.3.11", "v1000 accepted, then v3 refused, after rotation v3 accepted";
    threshold_too_few, "threshold-too-few", "a timestamp with 1 of the 2 signatures the root requires", "5.4.2", "refused, accepted with both";
    threshold_duplicates, "threshold-duplicate-signatures", "one signature listed twice to reach threshold 2", "5.4.2", "refused";
    threshold_two_keyids, "threshold-one-key-two-keyids", "one key listed under two keyids to reach threshold 2", "5.4.2", "refused";
    key_revocation, "key-revocation", "a timestamp signed by a key the new root revoked", "5.3.11, 5.4.2", "refused";
    root_chain, "root-rotation-chain", "none: roots v2, v3, v4 each rotating the root key", "5.3", "succeeds, root v4 trusted";
    root_not_signed_by_old, "root-rotation-unsigned-by-old", "a new root signed only by its own new keys", "5.3.4", "refused, root stays v1";
    root_not_signed_by_new, "root-rotation-unsigned-by-new", "a new root signed only by the old keys", "5.3.4", "refused, root stays v1";
    spec_major, "spec-version-major", "a timestamp with spec_version 2.0.0", "4.3 (spec_version)", "refused";
    spec_minor, "spec-version-minor", "none: a timestamp with spec_version 1.99.0", "4.3 (spec_version)", "succeeds";
    malicious_target_mirror, "malicious-mirror-target", "targets fetched from a mirror that tampers with them", "5.7.3", "download refused, nothing written";
    malicious_metadata_mirror, "malicious-mirror-metadata", "metadata fetched from a mirror that signs its own timestamp", "5.4.2", "refused";
    consistent_decoys, "consistent-snapshot-decoys", "tampered unversioned metadata and unprefixed targets beside the real ones", "5.5.1, 5.7.3", "succeeds, target intact";
    consistent_off, "consistent-snapshot-off", "none: a repository without consistent snapshots", "5.7.3", "succeeds, target intact";
    unicode_nfd, "unicode-nfd-lookup", "a target asked for in NFD when the metadata lists its NFC form", "5.6.7", "NFC download ok, NFD refused";
    percent_slash, "percent-encoded-slash-lookup", "a%2Fb.txt asked for when a/b.txt is delegated", "5.6.7", "a/b.txt ok, a%2Fb.txt refused";
    unicode_download, "unicode-target-download", "none: a target path with spaces and non-ASCII letters", "5.7.3", "succeeds, target intact";
    path_traversal, "target-path-traversal", "a listed target named ../escape.txt", "5.7", "nothing written outside the target directory";
    rsa_keys, "key-type-rsa", "none: every role signed with RSA-PSS-SHA256 keys", "4.2", "succeeds, target intact";
    ecdsa_keys, "key-type-ecdsa", "none: every role signed with ECDSA P-256 keys", "4.2", "succeeds, target intact";
    root_chain_denied, "root-chain-end-403", "none: the next root answered 403, as a bucket without list permission answers", "5.3.3", "succeeds, root v2 trusted";
    root_chain_beyond_limit, "root-chain-beyond-limit", "a client 256 roots behind; root 258 revokes the timestamp key, whose holder signs a timestamp", "5.3.3, 5.4.2", "refused, no timestamp trusted";
    fast_forward_snapshot_key, "fast-forward-recovery-snapshot-key", "timestamp and snapshot fast-forwarded to v1000; only the snapshot key is rotated", "5.3.11", "v1000 accepted, after the rotation v3 accepted";
    fast_forward_timestamp_key, "fast-forward-recovery-timestamp-key", "a snapshot naming targets v1000; only the timestamp key is rotated", "5.3.11", "after the rotation the real snapshot accepted";
    fast_forward_both_keys, "fast-forward-recovery-both-keys", "timestamp and snapshot fast-forwarded to v1000; both keys rotated", "5.3.11", "after the rotation v3 accepted";
    rotation_keeps_anchors, "root-rotation-keeps-anchors", "an older timestamp replayed after a root rotation that leaves the online keys alone", "5.3.11, 5.4.3", "refused, timestamp stays v2";
    slow_headers, "slow-retrieval-no-headers", "timestamp.json answered with nothing, not even headers", "5.4.1", "refused before the step time limit";
    hash_blake2b, "hash-blake2b-256", "none: targets listed by blake2b-256 only (PyPI, RSTUF); one served tampered", "5.7.3", "intact one succeeds, tampered one refused";
    hash_unknown_beside, "hash-unknown-beside-sha256", "none: a target listing sha256 and an algorithm the client does not know", "5.7.3", "succeeds, target intact";
    hash_unknown_only, "hash-unknown-only", "a target listing only an algorithm the client does not know", "5.7.3", "download refused, nothing written";
    rsa_salt_0, "key-rsa-pss-salt-0", "none: a timestamp key signing RSA-PSS with salt length 0", "4.2", "succeeds";
    rsa_salt_20, "key-rsa-pss-salt-20", "none: a timestamp key signing RSA-PSS with salt length 20", "4.2", "succeeds";
    rsa_salt_max, "key-rsa-pss-salt-max", "none: a timestamp key signing RSA-PSS with the maximum salt length (OpenSSL's default)", "4.2", "succeeds";
    pem_layouts, "key-pem-layouts", "none: ECDSA keys listed as PEM on one line and with CRLF line ends", "4.2", "succeeds";
    delegation_33_roles, "delegation-33-roles", "none: a target 32 delegations below the top-level targets", "5.6.7", "download succeeds (32 delegated roles allowed)";
    deep_custom, "custom-nested-120", "none: a target whose custom field nests 120 objects deep", "4.5", "download succeeds";
}

async fn baseline(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    t.trusts("timestamp", Some(2));
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    Ok(t.verdict())
}

async fn rollback_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    let v1 = repo.get("metadata/timestamp.json").unwrap_or_default();
    repo.add_target("targets", "file.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.refresh(Want::Ok).await?;
    t.repo.put("metadata/timestamp.json", v1);
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", Some(2));
    Ok(t.verdict())
}

async fn rollback_snapshot_in_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    let snap1 = t.repo.get("metadata/1.snapshot.json").unwrap_or_default();
    t.repo.timestamp.snapshot_meta = MetaFile::of(1, &snap1, &[HashAlgorithm::Sha256]);
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", Some(2));
    Ok(t.verdict())
}

async fn rollback_snapshot_file(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    let snap2 = t.repo.get("metadata/2.snapshot.json").unwrap_or_default();
    t.repo.put("metadata/3.snapshot.json", snap2);
    t.repo.timestamp.snapshot_meta = MetaFile::new(3);
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Refused).await?;
    t.trusts("snapshot", Some(2));
    Ok(t.verdict())
}

async fn rollback_targets_in_snapshot(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    t.repo
        .snapshot
        .meta
        .insert("targets.json".into(), MetaFile::new(1));
    t.repo.publish_snapshot()?;
    t.refresh(Want::Refused).await?;
    t.trusts("snapshot", Some(2));
    Ok(t.verdict())
}

async fn snapshot_drops_role(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = start_delegated(ctx).await?;
    t.refresh(Want::Ok).await?;
    t.repo.snapshot.meta.remove("role-a.json");
    t.repo.publish_snapshot()?;
    t.refresh(Want::Refused).await?;
    Ok(t.verdict())
}

async fn rollback_targets_file(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    let targets2 = t.repo.get("metadata/2.targets.json").unwrap_or_default();
    t.repo.put("metadata/3.targets.json", targets2);
    t.repo
        .snapshot
        .meta
        .insert("targets.json".into(), MetaFile::new(3));
    t.repo.publish_snapshot()?;
    t.refresh(Want::Refused).await?;
    t.trusts("targets", Some(2));
    Ok(t.verdict())
}

async fn rollback_delegated(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = start_delegated(ctx).await?;
    t.download("a/x.txt", Want::Ok).await?;
    let v1 = t.repo.get("metadata/1.role-a.json").unwrap_or_default();
    t.repo.put("metadata/2.role-a.json", v1);
    t.repo
        .snapshot
        .meta
        .insert("role-a.json".into(), MetaFile::new(2));
    t.repo.publish_snapshot()?;
    std::fs::remove_dir_all(t.client.target_dir())?;
    std::fs::create_dir_all(t.client.target_dir())?;
    t.download("a/x.txt", Want::Refused).await?;
    Ok(t.verdict())
}

async fn rollback_root(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo.rotate("timestamp")?;
    t.repo.publish()?;
    t.refresh(Want::Ok).await?;
    t.trusts("root", Some(2));
    let root2 = t.repo.get("metadata/2.root.json").unwrap_or_default();
    t.repo.put("metadata/3.root.json", root2);
    t.refresh(Want::Refused).await?;
    t.trusts("root", Some(2));
    Ok(t.verdict())
}

async fn freeze_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo.timestamp.common.expires = past();
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Refused).await?;
    Ok(t.verdict())
}

async fn freeze_snapshot(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo.snapshot.common.expires = past();
    t.repo.publish_snapshot()?;
    t.refresh(Want::Refused).await?;
    Ok(t.verdict())
}

async fn freeze_targets(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo.targets.common.expires = past();
    t.repo.publish()?;
    t.refresh(Want::Refused).await?;
    Ok(t.verdict())
}

async fn freeze_root(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo.root.common.expires = past();
    t.repo.root.bump_version().map_err(sim_err)?;
    t.repo.publish_root()?;
    t.refresh(Want::Refused).await?;
    Ok(t.verdict())
}

async fn freeze_delegated(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = start_delegated(ctx).await?;
    t.refresh(Want::Ok).await?;
    t.repo.role_mut("role-a")?.common.expires = past();
    t.repo.publish()?;
    t.download("a/x.txt", Want::Refused).await?;
    t.has_nothing("a/x.txt");
    Ok(t.verdict())
}

async fn freeze_after_success(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let soon = Expiry::now().after(Duration::from_secs(4));
    t.repo.timestamp.common.expires = soon;
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Ok).await?;
    let wait = soon.unix_seconds() - Expiry::now().unix_seconds() + 2;
    tokio::time::sleep(Duration::from_secs(wait.clamp(0, 10) as u64)).await;
    t.refresh(Want::Refused).await?;
    Ok(t.verdict())
}

/// Serves `serve` at the metadata file `file` and expects the refresh to be refused.
async fn broken_metadata(ctx: &Ctx, file: &str, serve: Serve) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.server.set(&format!("/metadata/{file}"), serve);
    t.refresh(Want::Refused).await?;
    Ok(t.verdict())
}

/// Serves `serve` for `file.txt` and expects its download to be refused with nothing written.
async fn broken_target(ctx: &Ctx, serve: Serve) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let path = t.target_url_path();
    t.server.set(&path, serve);
    t.download("file.txt", Want::Refused).await?;
    t.has_nothing("file.txt");
    Ok(t.verdict())
}

const OVERSIZED: u64 = 40 << 20;

async fn endless_root(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "2.root.json", Serve::Endless).await
}

async fn endless_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "timestamp.json", Serve::Endless).await
}

async fn endless_snapshot(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "2.snapshot.json", Serve::Endless).await
}

async fn endless_targets(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "2.targets.json", Serve::Endless).await
}

/// Serves `serve` for the delegated role `role-a` and expects the download of a target it
/// lists to be refused.
async fn broken_delegated(ctx: &Ctx, serve: Serve) -> Result<Verdict, SuiteError> {
    let mut t = start_delegated(ctx).await?;
    t.server.set("/metadata/1.role-a.json", serve);
    t.download("a/x.txt", Want::Refused).await?;
    t.has_nothing("a/x.txt");
    Ok(t.verdict())
}

async fn endless_delegated(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_delegated(ctx, Serve::Endless).await
}

async fn oversized_delegated(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_delegated(ctx, Serve::Oversized(OVERSIZED)).await
}

async fn endless_target(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_target(ctx, Serve::Endless).await
}

async fn oversized_root(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "2.root.json", Serve::Oversized(OVERSIZED)).await
}

async fn oversized_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "timestamp.json", Serve::Oversized(OVERSIZED)).await
}

async fn oversized_snapshot(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "2.snapshot.json", Serve::Oversized(OVERSIZED)).await
}

async fn oversized_targets(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_metadata(ctx, "2.targets.json", Serve::Oversized(OVERSIZED)).await
}

async fn slow_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let t = Trial::start(ctx).await?;
    let bytes = t.repo.get("metadata/timestamp.json").unwrap_or_default();
    drop(t);
    broken_metadata(
        ctx,
        "timestamp.json",
        Serve::Trickle(bytes, Duration::from_millis(500)),
    )
    .await
}

async fn slow_target(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let big = vec![b'x'; 64 * 1024];
    let mut repo = Repo::new()?;
    repo.add_target("targets", "big.bin", &big)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    let path = format!("/{}", t.repo.target_file("big.bin", &sha256_hex(&big)));
    t.server
        .set(&path, Serve::Trickle(big, Duration::from_millis(100)));
    t.download("big.bin", Want::Refused).await?;
    t.has_nothing("big.bin");
    Ok(t.verdict())
}

async fn dropped_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let t = Trial::start(ctx).await?;
    let bytes = t.repo.get("metadata/timestamp.json").unwrap_or_default();
    drop(t);
    broken_metadata(ctx, "timestamp.json", Serve::Drop(bytes)).await
}

async fn target_bad_hash(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut evil = CONTENT.to_vec();
    evil[0] ^= 0x20;
    broken_target(ctx, Serve::Bytes(evil)).await
}

async fn target_too_long(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut evil = CONTENT.to_vec();
    evil.extend_from_slice(b"#!/bin/sh\nmalicious\n");
    broken_target(ctx, Serve::Bytes(evil)).await
}

async fn target_truncated(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    broken_target(ctx, Serve::Bytes(CONTENT[..CONTENT.len() / 2].to_vec())).await
}

async fn target_not_listed(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let digest = sha256_hex(CONTENT);
    t.repo.put("targets/evil.txt", CONTENT.to_vec());
    t.repo
        .put(&format!("targets/{digest}.evil.txt"), CONTENT.to_vec());
    t.download("evil.txt", Want::Refused).await?;
    t.has_nothing("evil.txt");
    Ok(t.verdict())
}

async fn mix_and_match(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let mut other = t.repo.snapshot.clone();
    other.meta.insert("targets.json".into(), MetaFile::new(1));
    let bytes = sign(&other, &t.repo.signers("snapshot"))?;
    t.repo.put("metadata/2.snapshot.json", bytes);
    t.refresh(Want::Refused).await?;
    t.trusts("snapshot", None);
    Ok(t.verdict())
}

async fn unknown_key_timestamp(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let attacker = t.repo.new_key()?;
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    let bytes = sign(&t.repo.timestamp, &[&attacker])?;
    t.repo.put("metadata/timestamp.json", bytes);
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", None);
    Ok(t.verdict())
}

async fn extraneous_delegation(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    repo.delegate("targets", "role-a", paths(&["a/*"]), false)?;
    repo.add_target("role-a", "b/x.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("b/x.txt", Want::Refused).await?;
    t.has_nothing("b/x.txt");
    Ok(t.verdict())
}

async fn delegation_deeper_path(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    repo.delegate("targets", "role-a", paths(&["a/*"]), false)?;
    repo.add_target("role-a", "a/deep/x.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("a/deep/x.txt", Want::Refused).await?;
    Ok(t.verdict())
}

async fn two_roles(ctx: &Ctx, first_terminating: bool, want: Want) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    repo.delegate("targets", "role-a", paths(&["a/*"]), first_terminating)?;
    repo.delegate("targets", "role-b", paths(&["a/*"]), false)?;
    repo.add_target("role-b", "a/x.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("a/x.txt", want).await?;
    Ok(t.verdict())
}

async fn terminating_delegation(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    two_roles(ctx, true, Want::Refused).await
}

async fn non_terminating_delegation(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    two_roles(ctx, false, Want::Ok).await
}

async fn delegation_cycle(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    repo.delegate("targets", "role-a", paths(&["a/*"]), false)?;
    repo.delegate("role-a", "role-b", paths(&["a/*"]), false)?;
    repo.delegate("role-b", "role-a", paths(&["a/*"]), false)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("a/x.txt", Want::Refused).await?;
    Ok(t.verdict())
}

async fn delegation_limit(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    let mut parent = "targets".to_owned();
    for i in 0..40 {
        let name = format!("chain-{i:02}");
        repo.delegate(&parent, &name, paths(&["a/*"]), false)?;
        parent = name;
    }
    repo.add_target(&parent, "a/x.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("a/x.txt", Want::Refused).await?;
    Ok(t.verdict())
}

/// A repository whose targets role delegates to 16 hash bins; `packages/demo-1.0.tar.gz` is
/// listed by its own bin, or (`wrong`) by the next one.
async fn bins_trial(ctx: &Ctx, wrong: bool) -> Result<Trial, SuiteError> {
    let target = "packages/demo-1.0.tar.gz";
    let mut repo = Repo::new()?;
    let bins = repo.delegate_hash_bins("targets", 4)?;
    let bin = bins.bin_for_target(target);
    let holder = if wrong {
        bins.role_name((bin + 1) % bins.bin_count())
    } else {
        bins.role_name(bin)
    };
    repo.add_target(&holder, target, CONTENT)?;
    repo.publish()?;
    Trial::with_repo(ctx, repo).await
}

async fn hash_bins(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = bins_trial(ctx, false).await?;
    t.download("packages/demo-1.0.tar.gz", Want::Ok).await?;
    t.has_genuine("packages/demo-1.0.tar.gz");
    Ok(t.verdict())
}

async fn hash_bins_wrong_bin(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = bins_trial(ctx, true).await?;
    t.download("packages/demo-1.0.tar.gz", Want::Refused)
        .await?;
    t.has_nothing("packages/demo-1.0.tar.gz");
    Ok(t.verdict())
}

async fn fast_forward(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.refresh(Want::Ok).await?;
    // The attacker, holding the timestamp key, fast-forwards the client.
    t.repo.timestamp.common.version = 1000;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Ok).await?;
    t.trusts("timestamp", Some(1000));
    // The repository's own next timestamp now looks like a rollback.
    t.repo.timestamp.common.version = 3;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Refused).await?;
    // Rotating the timestamp key lets the client forget the forged version.
    t.repo.rotate("timestamp")?;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Ok).await?;
    t.trusts("timestamp", Some(3));
    Ok(t.verdict())
}

/// A repository whose root (v2) requires 2 timestamp signatures from two keys.
async fn start_threshold_two(ctx: &Ctx) -> Result<(Trial, tuf_crypto::PrivateKey), SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let second = t.repo.new_key()?;
    t.repo
        .root
        .add_key("timestamp", Key::from_public_key(second.public_key()))
        .map_err(sim_err)?;
    if let Some(r) = t.repo.root.roles.get_mut("timestamp") {
        r.threshold = 2;
    }
    t.repo.root.bump_version().map_err(sim_err)?;
    t.repo.publish_root()?;
    Ok((t, second))
}

async fn threshold_too_few(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let (mut t, second) = start_threshold_two(ctx).await?;
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    t.repo.publish_timestamp()?;
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", None);
    if let Some(keys) = t.repo.keys.get_mut("timestamp") {
        keys.push(second);
    }
    t.repo.publish_timestamp()?;
    t.refresh(Want::Ok).await?;
    Ok(t.verdict())
}

async fn threshold_duplicates(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let (mut t, _second) = start_threshold_two(ctx).await?;
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    let first = &t.repo.keys["timestamp"][0];
    let sig = signature(&t.repo.timestamp, first)?;
    let bytes = with_signatures(&t.repo.timestamp, &[sig.clone(), sig]);
    t.repo.put("metadata/timestamp.json", bytes);
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", None);
    Ok(t.verdict())
}

async fn threshold_two_keyids(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let first = &t.repo.keys["timestamp"][0];
    let key = Key::from_public_key(first.public_key());
    let alias = "ab".repeat(32);
    t.repo.root.keys.insert(alias.clone(), key);
    if let Some(r) = t.repo.root.roles.get_mut("timestamp") {
        r.keyids.push(alias.clone());
        r.threshold = 2;
    }
    t.repo.root.bump_version().map_err(sim_err)?;
    t.repo.publish_root()?;
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    let (keyid, sig) = signature(&t.repo.timestamp, &t.repo.keys["timestamp"][0])?;
    let bytes = with_signatures(&t.repo.timestamp, &[(keyid, sig.clone()), (alias, sig)]);
    t.repo.put("metadata/timestamp.json", bytes);
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", None);
    Ok(t.verdict())
}

async fn key_revocation(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let old = t.repo.rotate("timestamp")?;
    let old = old.first().ok_or_else(|| sim_err("no old key"))?;
    t.repo.publish()?;
    t.refresh(Want::Ok).await?;
    t.trusts("timestamp", Some(3));
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    let bytes = sign(&t.repo.timestamp, &[old])?;
    t.repo.put("metadata/timestamp.json", bytes);
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", Some(3));
    Ok(t.verdict())
}

async fn root_chain(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    for _ in 0..3 {
        t.repo.rotate("root")?;
    }
    t.refresh(Want::Ok).await?;
    t.trusts("root", Some(4));
    Ok(t.verdict())
}

/// Root v2 with a new root key, signed by `by_old` and/or `by_new`.
async fn root_signed_by(ctx: &Ctx, by_old: bool, by_new: bool) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let old = t.repo.keys.remove("root").unwrap_or_default();
    let old = old.first().ok_or_else(|| sim_err("no root key"))?;
    let new = t.repo.new_key()?;
    for id in t.repo.root.roles["root"].keyids.clone() {
        t.repo.root.revoke_key("root", &id).map_err(sim_err)?;
    }
    t.repo
        .root
        .add_key("root", Key::from_public_key(new.public_key()))
        .map_err(sim_err)?;
    t.repo.root.bump_version().map_err(sim_err)?;
    let mut signers = Vec::new();
    if by_old {
        signers.push(old);
    }
    if by_new {
        signers.push(&new);
    }
    let bytes = sign(&t.repo.root, &signers)?;
    t.repo.put("metadata/2.root.json", bytes);
    t.refresh(Want::Refused).await?;
    t.trusts("root", Some(1));
    Ok(t.verdict())
}

async fn root_not_signed_by_old(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    root_signed_by(ctx, false, true).await
}

async fn root_not_signed_by_new(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    root_signed_by(ctx, true, false).await
}

async fn spec_version(ctx: &Ctx, version: &str, want: Want) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    t.repo.timestamp.common.spec_version = version.to_owned();
    t.repo.timestamp.bump_version().map_err(sim_err)?;
    t.repo.publish_timestamp()?;
    t.refresh(want).await?;
    Ok(t.verdict())
}

async fn spec_major(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    spec_version(ctx, "2.0.0", Want::Refused).await
}

async fn spec_minor(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    spec_version(ctx, "1.99.0", Want::Ok).await
}

async fn malicious_target_mirror(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let evil = Server::start(t.repo.files.clone()).await?;
    let mut bad = CONTENT.to_vec();
    bad.extend_from_slice(b" and a backdoor");
    evil.set(&t.target_url_path(), Serve::Bytes(bad));
    let meta = t.server.url("metadata/");
    t.client.set_urls(&meta, &evil.url("targets/"));
    t.download("file.txt", Want::Refused).await?;
    t.has_nothing("file.txt");
    Ok(t.verdict())
}

async fn malicious_metadata_mirror(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    let evil = Server::start(t.repo.files.clone()).await?;
    let attacker = t.repo.new_key()?;
    let mut ts = t.repo.timestamp.clone();
    ts.common.version = 5;
    evil.set(
        "/metadata/timestamp.json",
        Serve::Bytes(sign(&ts, &[&attacker])?),
    );
    let targets = t.server.url("targets/");
    t.client.set_urls(&evil.url("metadata/"), &targets);
    t.refresh(Want::Refused).await?;
    t.trusts("timestamp", None);
    Ok(t.verdict())
}

async fn consistent_decoys(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut t = Trial::start(ctx).await?;
    for f in ["snapshot.json", "targets.json", "root.json"] {
        t.repo
            .put(&format!("metadata/{f}"), b"{\"signed\":{}}".to_vec());
    }
    t.repo.put("targets/file.txt", b"tampered".to_vec());
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    Ok(t.verdict())
}

async fn consistent_off(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::with_options(KeyAlgorithm::Ed25519, false)?;
    repo.add_target("targets", "file.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    t.trusts("snapshot", Some(2));
    Ok(t.verdict())
}

async fn unicode_nfd(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    repo.add_target("targets", "caf\u{e9}.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("caf\u{e9}.txt", Want::Ok).await?;
    t.download("cafe\u{301}.txt", Want::Refused).await?;
    t.has_nothing("cafe\u{301}.txt");
    Ok(t.verdict())
}

async fn percent_slash(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    repo.delegate("targets", "role-a", paths(&["a/*"]), false)?;
    repo.add_target("role-a", "a/b.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("a/b.txt", Want::Ok).await?;
    t.download("a%2Fb.txt", Want::Refused).await?;
    Ok(t.verdict())
}

async fn unicode_download(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let name = "d\u{fc}r ectory/\u{444}\u{430}\u{439}\u{43b} 1+1.txt";
    let mut repo = Repo::new()?;
    repo.add_target("targets", name, CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download(name, Want::Ok).await?;
    t.has_genuine(name);
    Ok(t.verdict())
}

async fn path_traversal(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::new()?;
    let info =
        TargetFile::of(CONTENT, &[HashAlgorithm::Sha256]).ok_or_else(|| sim_err("hashing"))?;
    repo.targets.add_target("../escape.txt", info);
    repo.put(
        &format!("targets/../{}.escape.txt", sha256_hex(CONTENT)),
        CONTENT.to_vec(),
    );
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    let step = t.client.download(&["../escape.txt"]).await?;
    let answered = matches!(step, Step::Ok | Step::Failed);
    t.got.push(format!("download \"../escape.txt\" {step}"));
    t.check(answered, "no protocol answer");
    let stray = t.client.stray_files();
    t.check(
        stray.is_empty(),
        &format!("wrote outside the target directory: {stray:?}"),
    );
    Ok(t.verdict())
}

async fn other_keys(ctx: &Ctx, algorithm: KeyAlgorithm) -> Result<Verdict, SuiteError> {
    let mut repo = Repo::with_options(algorithm, true)?;
    repo.add_target("targets", "file.txt", CONTENT)?;
    repo.publish()?;
    let mut t = Trial::with_repo(ctx, repo).await?;
    t.download("file.txt", Want::Ok).await?;
    t.has_genuine("file.txt");
    Ok(t.verdict())
}

async fn rsa_keys(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    other_keys(ctx, KeyAlgorithm::Rsa(2048)).await
}

async fn ecdsa_keys(ctx: &Ctx) -> Result<Verdict, SuiteError> {
    other_keys(ctx, KeyAlgorithm::EcdsaP256).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_there_are_at_least_30() {
        let all = all();
        let names: std::collections::BTreeSet<_> = all.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), all.len());
        assert!(all.len() >= 30);
    }

    #[test]
    fn far_expiry_is_in_the_future_and_past_is_not() {
        assert!(!crate::sim::far().is_expired_at(Expiry::now()));
        assert!(past().is_expired_at(Expiry::now()));
    }
}
