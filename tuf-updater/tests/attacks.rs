//! Attacks on the client, each named after the attack and the spec rule that stops it, over
//! real HTTP on 127.0.0.1 against a simulated repository.

mod support;

use std::future::Future;
use std::time::Duration;
use support::sim::{Sim, far, past, sign};
use support::{Serve, Server};
use tuf_crypto::{KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::{Key, MetaFile, Signed};
use tuf_transport::{Fetcher, HttpConfig, Limits, TransportError, TransportRegistry};
use tuf_updater::{Updater, UpdaterConfig, UpdaterError};

async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test took longer than 60 s")
}

struct Client {
    work: tempfile::TempDir,
    config: UpdaterConfig,
}

impl Client {
    fn new(sim: &Sim, server: &Server) -> Client {
        let (work, config) = sim.client(server);
        Client { work, config }
    }

    fn updater(&self) -> Updater {
        let fetcher =
            Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap());
        Updater::new(self.config.clone(), fetcher).unwrap()
    }

    async fn refresh(&self) -> Result<Updater, UpdaterError> {
        let mut u = self.updater();
        u.refresh().await.map(|()| u)
    }

    fn stored(&self, role: &str) -> Option<Vec<u8>> {
        std::fs::read(
            self.work
                .path()
                .join("metadata")
                .join(format!("{role}.json")),
        )
        .ok()
    }
}

/// Writes `timestamp.json` holding the simulator's timestamp with exactly these (keyid, hex
/// signature) pairs — a list the metadata builder would never produce.
fn write_timestamp_signed_as(sim: &Sim, sigs: &[(String, String)]) {
    use tuf_metadata::json::{Map, Value, write_layout};
    let list = sigs
        .iter()
        .map(|(keyid, sig)| {
            let mut m = Map::new();
            m.insert("keyid", keyid.clone().into());
            m.insert("sig", sig.clone().into());
            Value::Object(m)
        })
        .collect();
    let mut value = tuf_metadata::Metadata::new(sim.timestamp.clone()).to_value();
    if let Value::Object(m) = &mut value {
        m.insert("signatures", Value::Array(list));
    }
    sim.write("timestamp.json", &write_layout(&value, Default::default()));
}

async fn setup() -> (Sim, Server, Client) {
    let mut sim = Sim::new();
    sim.add_target("targets", "a/file.txt", b"genuine content");
    sim.publish();
    let server = Server::start(sim.path().to_owned()).await;
    let client = Client::new(&sim, &server);
    (sim, server, client)
}

#[tokio::test]
async fn rollback_of_timestamp_is_refused_5_4_3() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        let old = sim.read("timestamp.json");
        sim.publish();
        client.refresh().await.unwrap();
        let trusted = client.stored("timestamp").unwrap();
        sim.write("timestamp.json", &old);
        let err = client.refresh().await.unwrap_err();
        assert!(matches!(&err, UpdaterError::Rollback { role, section: "5.4.3.1", .. } if role == "timestamp"), "{err}");
        assert_eq!(client.stored("timestamp").unwrap(), trusted, "trusted state unchanged");
    })
    .await;
}

#[tokio::test]
async fn rollback_of_snapshot_named_by_timestamp_is_refused_5_4_3() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        sim.publish();
        client.refresh().await.unwrap();
        // A newer timestamp naming an older snapshot.
        sim.timestamp.common.version += 1;
        sim.timestamp.snapshot_meta = MetaFile::new(1);
        sim.publish_timestamp();
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(
                err,
                UpdaterError::Rollback {
                    section: "5.4.3.2",
                    ..
                }
            ),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn rollback_of_targets_in_snapshot_is_refused_5_5_5() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        client.refresh().await.unwrap();
        // A newer snapshot listing an older targets version.
        sim.snapshot.bump_version().unwrap();
        sim.snapshot.meta.insert("targets.json".into(), MetaFile::new(1));
        let snap = sign(&sim.snapshot, &[&sim.keys["snapshot"][0]]);
        sim.write(&format!("{}.snapshot.json", sim.snapshot.version()), &snap);
        sim.timestamp.snapshot_meta = MetaFile::new(sim.snapshot.version());
        sim.timestamp.bump_version().unwrap();
        sim.publish_timestamp();
        let err = client.refresh().await.unwrap_err();
        assert!(matches!(&err, UpdaterError::Rollback { role, section: "5.5.5", .. } if role == "targets.json"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_snapshot_dropping_a_role_is_refused_5_5_5() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        sim.delegate("targets", "a", &["a/*"], false);
        sim.publish();
        client.refresh().await.unwrap();
        sim.delegated.clear();
        sim.snapshot.meta.remove("a.json");
        sim.publish();
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(&err, UpdaterError::MetaRemoved { file } if file == "a.json"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn freeze_expired_timestamp_snapshot_targets_and_root_5_3_10_5_4_4_5_5_6_5_6_5() {
    bounded(async {
        for role in ["timestamp", "snapshot", "targets", "root"] {
            let (mut sim, _server, client) = setup().await;
            match role {
                "timestamp" => sim.timestamp.set_expires(past()),
                "snapshot" => sim.snapshot.set_expires(past()),
                "targets" => sim.targets.set_expires(past()),
                _ => {
                    sim.root.set_expires(past());
                    sim.root.bump_version().unwrap();
                    sim.publish_root();
                }
            }
            sim.publish();
            let err = client.refresh().await.unwrap_err();
            let section = match role {
                "timestamp" => "5.4.4",
                "snapshot" => "5.5.6",
                "targets" => "5.6.5",
                _ => "5.3.10",
            };
            assert!(matches!(&err, UpdaterError::Expired { role: r, section: s, .. } if r == role && *s == section), "{role}: {err}");
        }
    })
    .await;
}

#[tokio::test]
async fn freeze_after_an_earlier_successful_refresh_5_4_4() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        let soon = tuf_metadata::Expiry::now().after(Duration::from_secs(2));
        sim.timestamp.set_expires(soon);
        sim.publish();
        client.refresh().await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        // The mirror keeps serving the same, now expired, timestamp.
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(
                err,
                UpdaterError::Expired {
                    section: "5.4.4",
                    ..
                }
            ),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn mix_and_match_is_refused_5_5_2_and_5_6_4() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        // Serve another (validly signed) targets file under the name the snapshot gives.
        let v = sim.targets.version();
        let current = sim.read(&format!("{v}.targets.json"));
        sim.targets.common.version = v + 7;
        let other = sign(&sim.targets, &[&sim.keys["targets"][0]]);
        sim.write(&format!("{v}.targets.json"), &other);
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(
                err,
                UpdaterError::VersionMismatch {
                    section: "5.6.4",
                    ..
                }
            ),
            "{err}"
        );
        sim.write(&format!("{v}.targets.json"), &current);
        // A snapshot whose bytes differ from the hash the timestamp lists (a new client: the
        // first one keeps the snapshot it verified and never fetches it again).
        let client = Client::new(&sim, &_server);
        let sv = sim.snapshot.version();
        let mut snap = sim.read(&format!("{sv}.snapshot.json"));
        let at = snap.windows(7).position(|w| w == b"\"sig\":\"").unwrap() + 7;
        snap[at] = if snap[at] == b'0' { b'1' } else { b'0' };
        sim.write(&format!("{sv}.snapshot.json"), &snap);
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(
                err,
                UpdaterError::LengthOrHash {
                    section: "5.5.2",
                    ..
                }
            ),
            "{err}"
        );
    })
    .await;
}

/// Spec 1.5.2 (endless-data attacks), through the "up to N bytes" of the download steps
/// 5.3.3, 5.4.1, 5.5.1, 5.6.1 and 5.7.3.
#[tokio::test]
async fn endless_data_on_every_metadata_file_and_a_target_1_5_2() {
    bounded(async {
        let (sim, server, client) = setup().await;
        let v = sim.snapshot.version();
        for file in [
            "2.root.json",
            "timestamp.json",
            &format!("{v}.snapshot.json"),
            &format!("{}.targets.json", sim.targets.version()),
        ] {
            server.clear();
            server.set(&format!("/metadata/{file}"), Serve::Endless);
            let err = client.refresh().await.unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("more than the limit")
                    || matches!(err, UpdaterError::LengthOrHash { .. }),
                "{file}: {err}"
            );
        }
        server.clear();
        let u = client.refresh().await.unwrap();
        let info = u.target_info("a/file.txt").await.unwrap();
        let digest = info.hash("sha256").unwrap().to_owned();
        server.set(&format!("/targets/a/{digest}.file.txt"), Serve::Endless);
        let err = u.download_target(&info).await.unwrap_err();
        assert!(
            err.to_string().contains("more than the limit of 15 bytes"),
            "{err}"
        );
        assert!(
            !u.target_path("a/file.txt").unwrap().exists(),
            "nothing unverified in the target dir"
        );
    })
    .await;
}

/// Spec 1.5.2 (slow-retrieval attacks).
#[tokio::test]
async fn slow_retrieval_on_every_metadata_file_and_a_target_is_cut_off_1_5_2() {
    bounded(async {
        let (mut sim, server, mut client) = setup().await;
        sim.root.bump_version().unwrap();
        sim.publish_root();
        sim.publish();
        client.config.limits = Limits::default().min_throughput(200, Duration::from_secs(1));
        let files = [
            "2.root.json".to_owned(),
            "timestamp.json".to_owned(),
            format!("{}.snapshot.json", sim.snapshot.version()),
            format!("{}.targets.json", sim.targets.version()),
        ];
        for file in &files {
            server.clear();
            server.set(&format!("/metadata/{file}"), Serve::Trickle(sim.read(file), 100));
            let started = std::time::Instant::now();
            let err = client.refresh().await.map(|_| ()).expect_err("a slow mirror must fail the refresh");
            assert!(
                matches!(&err, UpdaterError::Transport(TransportError::AllMirrorsFailed { failures, .. }) if failures[0].contains("slow-retrieval")),
                "{file}: {err}"
            );
            assert!(started.elapsed() < Duration::from_secs(10), "{file}");
        }
        server.clear();
        let u = client.refresh().await.unwrap();
        let info = u.target_info("a/file.txt").await.unwrap();
        let digest = info.hash("sha256").unwrap().to_owned();
        server.set(&format!("/targets/a/{digest}.file.txt"), Serve::Trickle(b"genuine content".to_vec(), 300));
        let err = u.download_target(&info).await.map(|_| ()).expect_err("slow target must fail");
        assert!(err.to_string().contains("slow-retrieval"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn damaged_local_metadata_is_ignored_but_a_damaged_root_is_an_error() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        client.refresh().await.unwrap();
        let mdir = client.work.path().join("metadata");
        for role in ["timestamp", "snapshot", "targets"] {
            std::fs::write(mdir.join(format!("{role}.json")), b"{garbage").unwrap();
        }
        sim.publish();
        let u = client.refresh().await.unwrap();
        assert_eq!(
            u.trusted().unwrap().targets().unwrap().signed().version(),
            sim.targets.version()
        );
        std::fs::write(mdir.join("root.json"), b"{garbage").unwrap();
        let err = client
            .refresh()
            .await
            .map(|_| ())
            .expect_err("a damaged root must fail");
        assert!(matches!(err, UpdaterError::TrustedRoot { .. }), "{err}");
        assert!(err.to_string().contains("root.json"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn one_updater_refreshes_again_later() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        let mut u = client.updater();
        u.refresh().await.unwrap();
        assert!(u.target_info("b.txt").await.is_err());
        sim.add_target("targets", "b.txt", b"later");
        sim.publish();
        u.refresh().await.unwrap();
        let info = u.target_info("b.txt").await.unwrap();
        let path = u.download_target(&info).await.unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"later");
    })
    .await;
}

#[tokio::test]
async fn arbitrary_target_is_refused_5_7_3() {
    bounded(async {
        let (sim, _server, client) = setup().await;
        let u = client.refresh().await.unwrap();
        let info = u.target_info("a/file.txt").await.unwrap();
        let digest = info.hash("sha256").unwrap();
        // Same length, other content.
        std::fs::write(
            sim.path().join(format!("targets/a/{digest}.file.txt")),
            b"malicious conte",
        )
        .unwrap();
        let err = u.download_target(&info).await.unwrap_err();
        assert!(
            matches!(
                err,
                UpdaterError::LengthOrHash {
                    section: "5.7.3",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.family(), tuf_updater::ErrorFamily::Repository);
        // The message names the file once, and the rule.
        let text = err.to_string();
        assert_eq!(text.matches("a/file.txt").count(), 1, "{text}");
        assert!(
            text.contains("does not match") && text.ends_with("(spec 5.7.3)"),
            "{text}"
        );
        assert!(!u.target_path("a/file.txt").unwrap().exists());
        let leftovers: Vec<_> = std::fs::read_dir(client.work.path().join("targets"))
            .unwrap()
            .collect();
        assert!(leftovers.is_empty(), "no partial file left behind");
    })
    .await;
}

#[tokio::test]
async fn fast_forward_recovery_after_timestamp_key_rotation_5_3_11() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        for _ in 0..5 {
            sim.publish();
        }
        client.refresh().await.unwrap();
        // The timestamp key was compromised and the version pushed far ahead; the repository
        // rotates the key and starts over at version 1.
        sim.rotate("timestamp");
        sim.timestamp.common.version = 0;
        sim.publish();
        let u = client.refresh().await.unwrap();
        assert_eq!(
            u.trusted().unwrap().timestamp().unwrap().signed().version(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn thresholds_count_distinct_keys_5_4_2() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        // Threshold 2 for timestamp; sign twice with the same key.
        sim.root.roles.get_mut("timestamp").unwrap().threshold = 2;
        sim.root.bump_version().unwrap();
        sim.publish_root();
        let key = &sim.keys["timestamp"][0];
        sim.timestamp.bump_version().unwrap();
        let mut md = tuf_metadata::Metadata::new(sim.timestamp.clone());
        md.sign(key, false).unwrap();
        let once = (
            md.signatures()[0].keyid.clone(),
            md.signatures()[0].sig.clone(),
        );
        write_timestamp_signed_as(&sim, &[once.clone(), once]);
        // The same keyid twice is malformed (spec: keyids are unique in signatures); the
        // threshold check itself would count it once (tuf-crypto's tests show that).
        let err = client.refresh().await.unwrap_err();
        assert!(
            err.to_string()
                .contains("keyids must be unique in signatures"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn one_key_under_two_keyids_counts_once_5_4_2() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        // An ECDSA key listed twice: as `ecdsa` and as `ecdsa-sha2-nistp256`.
        let k = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let pem = k.public_key().public().to_owned();
        let mut kv = tuf_metadata::json::Map::new();
        kv.insert("public", pem.into());
        let a = Key::new(
            "ecdsa",
            "ecdsa-sha2-nistp256",
            kv.clone(),
            Default::default(),
        );
        let b = Key::new(
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp256",
            kv,
            Default::default(),
        );
        let (ida, idb) = (a.keyid(), b.keyid());
        let old = sim.root.roles["timestamp"].keyids.clone();
        for id in old {
            sim.root.revoke_key("timestamp", &id).unwrap();
        }
        sim.root.add_key("timestamp", a).unwrap();
        sim.root.add_key("timestamp", b).unwrap();
        sim.root.roles.get_mut("timestamp").unwrap().threshold = 2;
        sim.root.bump_version().unwrap();
        sim.publish_root();
        sim.timestamp.bump_version().unwrap();
        let canonical = tuf_metadata::Metadata::new(sim.timestamp.clone())
            .canonical_signed()
            .into_owned();
        let sigs: Vec<(String, String)> = [ida, idb]
            .into_iter()
            .map(|id| (id, tuf_crypto::hex::encode(k.sign(&canonical).unwrap())))
            .collect();
        write_timestamp_signed_as(&sim, &sigs);
        let err = client.refresh().await.unwrap_err();
        assert!(
            err.to_string()
                .contains("1 valid signature(s) from distinct authorised keys, 2 required"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn root_rotation_chains_5_3() {
    bounded(async {
        let (mut sim, server, client) = setup().await;
        sim.rotate("root");
        sim.rotate("root");
        sim.rotate("snapshot");
        sim.publish();
        let u = client.refresh().await.unwrap();
        assert_eq!(u.trusted().unwrap().root().signed().version(), 4);
        assert_eq!(client.stored("root").unwrap(), sim.read("4.root.json"));
        // A new root not signed by the old root keys is refused, and the trusted root stays.
        let rogue = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let mut next = sim.root.clone();
        let ids = next.roles["root"].keyids.clone();
        for id in ids {
            next.revoke_key("root", &id).unwrap();
        }
        next.add_key("root", Key::from_public_key(rogue.public_key()))
            .unwrap();
        next.bump_version().unwrap();
        sim.write("5.root.json", &sign(&next, &[&rogue]));
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(&err, UpdaterError::Metadata { role, .. } if role == "root"),
            "{err}"
        );
        assert_eq!(client.stored("root").unwrap(), sim.read("4.root.json"));
        // A root skipping a version is refused too.
        sim.write("5.root.json", &sim.read("4.root.json"));
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(
                err,
                UpdaterError::VersionMismatch {
                    section: "5.3.5",
                    ..
                }
            ),
            "{err}"
        );
        let _ = server.log.take();
    })
    .await;
}

#[tokio::test]
async fn object_storage_denial_ends_the_root_chain_5_3_3() {
    bounded(async {
        let (mut sim, server, client) = setup().await;
        sim.root.bump_version().unwrap();
        sim.publish_root();
        sim.publish();
        // An S3 or GCS bucket without list permission: 403 for the missing 3.root.json.
        server.set("/metadata/3.root.json", Serve::Status(403));
        let u = client.refresh().await.unwrap();
        assert_eq!(u.trusted().unwrap().root().signed().version(), 2);
        // 401 likewise.
        server.set("/metadata/3.root.json", Serve::Status(401));
        client.refresh().await.unwrap();
        // Elsewhere a denial stays an error: the timestamp must be there.
        server.set("/metadata/timestamp.json", Serve::Status(403));
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(&err, UpdaterError::Transport(e) if e.is_denied()),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn maximum_root_rotations_5_3_3() {
    bounded(async {
        let (mut sim, server, mut client) = setup().await;
        for _ in 0..4 {
            sim.root.bump_version().unwrap();
            sim.publish_root();
        }
        sim.publish();
        client.config.max_root_rotations = 2;
        let _ = server.log.take();
        // Roots 2 and 3 are accepted and kept; root 4 exists, which is one too many.
        let err = client.refresh().await.unwrap_err();
        assert!(
            matches!(err, UpdaterError::TooManyRotations { max: 2 }),
            "{err}"
        );
        let log = server.log.take();
        assert!(log.contains(&"/metadata/4.root.json".to_owned()), "{log:?}");
        assert!(
            !log.contains(&"/metadata/timestamp.json".to_owned()),
            "{log:?}"
        );
        assert_eq!(client.stored("root").unwrap(), sim.read("3.root.json"));
        // The next refresh goes on from root 3: roots 4 and 5, and no root 6.
        let u = client.refresh().await.unwrap();
        assert_eq!(u.trusted().unwrap().root().signed().version(), 5);
        // Exactly the limit of new roots is fine.
        for _ in 0..2 {
            sim.root.bump_version().unwrap();
            sim.publish_root();
        }
        let u = client.refresh().await.unwrap();
        assert_eq!(u.trusted().unwrap().root().signed().version(), 7);
    })
    .await;
}

#[tokio::test]
async fn delegation_path_escape_5_6_7() {
    bounded(async {
        let (mut sim, _server, client) = setup().await;
        sim.delegate("targets", "a", &["a/*"], false);
        // Role a lists a target outside what it was delegated.
        sim.add_target("a", "b/escape.txt", b"not yours");
        sim.add_target("a", "a/ok.txt", b"fine");
        sim.publish();
        let u = client.refresh().await.unwrap();
        assert!(u.target_info("a/ok.txt").await.is_ok());
        let err = u.target_info("b/escape.txt").await.unwrap_err();
        assert!(matches!(err, UpdaterError::TargetNotFound { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn delegation_cycles_and_the_delegation_limit_5_6_7() {
    bounded(async {
        let (mut sim, server, mut client) = setup().await;
        sim.delegate("targets", "a", &["*"], false);
        sim.delegate("a", "b", &["*"], false);
        // b delegates back to a: a cycle.
        let ka = Key::from_public_key(sim.keys["a"][0].public_key());
        let back = tuf_metadata::DelegatedRole::new(
            "a",
            vec![ka.keyid()],
            1,
            false,
            tuf_metadata::PathSet::Paths(vec!["*".into()]),
        );
        sim.delegated
            .get_mut("b")
            .unwrap()
            .add_delegated_role(back, vec![ka])
            .unwrap();
        sim.publish();
        let u = client.refresh().await.unwrap();
        let _ = server.log.take();
        let err = u.target_info("nowhere.txt").await.unwrap_err();
        assert!(matches!(err, UpdaterError::TargetNotFound { .. }), "{err}");
        assert_eq!(server.log.take().len(), 2, "a and b fetched once each");
        // A chain deeper than the limit: targets -> a -> b; with max_delegations 1, targets
        // and one delegated role are visited (python-tuf counts the same way).
        sim.add_target("b", "deep.txt", b"deep");
        sim.publish();
        client.config.max_delegations = 1;
        let u = client.refresh().await.unwrap();
        assert!(matches!(
            u.target_info("deep.txt").await,
            Err(UpdaterError::TargetNotFound { .. })
        ));
        client.config.max_delegations = 2;
        let u = client.refresh().await.unwrap();
        assert!(u.target_info("deep.txt").await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn offline_mode_answers_from_the_store_without_requests() {
    bounded(async {
        let (_sim, server, mut client) = setup().await;
        client.refresh().await.unwrap();
        let _ = server.log.take();
        client.config.offline = true;
        let u = client.refresh().await.unwrap();
        let info = u.target_info("a/file.txt").await.unwrap();
        assert_eq!(info.length(), 15);
        assert!(server.log.take().is_empty(), "offline mode made a request");
        // With nothing stored, offline mode fails clearly.
        let empty = Client::new(&_sim, &server);
        let mut config = empty.config.clone();
        config.offline = true;
        let fetcher = Fetcher::new(TransportRegistry::new());
        let mut u = Updater::new(config, fetcher).unwrap();
        let err = u.refresh().await.unwrap_err();
        assert!(err.to_string().contains("offline"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn concurrent_downloads_with_a_limit() {
    bounded(async {
        let (mut sim, _server, mut client) = setup().await;
        for i in 0..12 {
            sim.add_target(
                "targets",
                &format!("pkgs/p{i}.whl"),
                format!("wheel {i}").as_bytes(),
            );
        }
        sim.publish();
        client.config.concurrency = 3;
        let u = client.refresh().await.unwrap();
        let mut items = Vec::new();
        for i in 0..12 {
            items.push(u.target_info(&format!("pkgs/p{i}.whl")).await.unwrap());
        }
        let results = u.download_targets(&items).await;
        for (i, r) in results.into_iter().enumerate() {
            let path = r.unwrap();
            assert_eq!(
                std::fs::read(path).unwrap(),
                format!("wheel {i}").as_bytes()
            );
        }
        let _ = far();
    })
    .await;
}
