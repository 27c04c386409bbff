//! `Updater::builder`: the short way to a refreshed client, against the recorded Sigstore
//! repository read through `file://` (see `data/sigstore/PROVENANCE.md`).

use std::path::{Path, PathBuf};
use tuf_updater::{ErrorFamily, Expiry, Updater, UpdaterError};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore")
}

fn url(dir: &Path) -> String {
    tuf_updater::Url::from_directory_path(dir)
        .unwrap()
        .to_string()
}

fn reference() -> Expiry {
    Expiry::parse("2026-08-22T00:00:00Z").unwrap()
}

fn builder(repo: &Path, mdir: &Path) -> tuf_updater::UpdaterBuilder {
    Updater::builder(mdir)
        .metadata_url(url(&repo.join("metadata")))
        .targets_url(url(&repo.join("targets")))
        .reference_time(reference())
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn the_first_build_needs_a_root_and_later_ones_use_the_stored_one() {
    run(async {
        let work = tempfile::tempdir().unwrap();
        let mdir = work.path().join("metadata");
        let err = builder(&data(), &mdir).build().await.unwrap_err();
        assert!(
            matches!(&err, UpdaterError::Config(m) if m.contains("trusted_root()")),
            "{err}"
        );
        let root = std::fs::read(data().join("metadata/5.root.json")).unwrap();
        let u = builder(&data(), &mdir)
            .trusted_root(root)
            .build()
            .await
            .unwrap();
        assert_eq!(u.trusted().unwrap().root().signed().common.version, 15);
        // The stored (updated) root is used; bytes given again are not even parsed.
        let u = builder(&data(), &mdir)
            .trusted_root(b"not a root".to_vec())
            .build()
            .await
            .unwrap();
        assert_eq!(u.trusted().unwrap().root().signed().common.version, 15);
        // Offline: from the store, no mirror needed.
        let u = Updater::builder(&mdir)
            .offline()
            .reference_time(reference())
            .build()
            .await
            .unwrap();
        assert!(u.target_info("trusted_root.json").await.is_ok());
    })
}

#[test]
fn a_build_whose_refresh_fails_hands_back_nothing() {
    run(async {
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        for sub in ["metadata", "targets"] {
            std::fs::create_dir_all(repo.join(sub)).unwrap();
            for e in std::fs::read_dir(data().join(sub)).unwrap().flatten() {
                if e.path().is_file() {
                    std::fs::copy(e.path(), repo.join(sub).join(e.file_name())).unwrap();
                }
            }
        }
        // One byte of the timestamp's signed part changed.
        let ts = repo.join("metadata/timestamp.json");
        let text = std::fs::read_to_string(&ts).unwrap();
        std::fs::write(&ts, text.replacen("\"version\": ", "\"version\": 1", 1)).unwrap();
        let root = std::fs::read(data().join("metadata/5.root.json")).unwrap();
        let err = builder(&repo, &work.path().join("metadata"))
            .trusted_root(root)
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, UpdaterError::Metadata { role, .. } if role == "timestamp"),
            "{err}"
        );
    })
}

#[test]
fn errors_say_whether_the_repository_or_the_network_failed() {
    run(async {
        let work = tempfile::tempdir().unwrap();
        let root = std::fs::read(data().join("metadata/5.root.json")).unwrap();
        // Nothing listens on port 9 of loopback: a download failure, not an attack.
        let err = Updater::builder(work.path().join("m1"))
            .trusted_root(root.clone())
            .metadata_url("http://127.0.0.1:9/metadata/")
            .build()
            .await
            .unwrap_err();
        assert_eq!(err.family(), ErrorFamily::Download, "{err}");
        // The recording read today, past its expiry: the repository's fault (a freeze).
        let err = Updater::builder(work.path().join("m2"))
            .trusted_root(root)
            .metadata_url(url(&data().join("metadata")))
            .build()
            .await
            .unwrap_err();
        assert_eq!(err.family(), ErrorFamily::Repository, "{err}");
        assert!(matches!(err, UpdaterError::Expired { .. }), "{err}");
        // A target no role lists.
        let u = builder(&data(), &work.path().join("m3"))
            .trusted_root(std::fs::read(data().join("metadata/5.root.json")).unwrap())
            .build()
            .await
            .unwrap();
        let err = u.target_info("no/such/target").await.unwrap_err();
        assert_eq!(err.family(), ErrorFamily::NotFound, "{err}");
    })
}

#[test]
fn bad_settings_are_configuration_errors() {
    run(async {
        let work = tempfile::tempdir().unwrap();
        let mdir = work.path().join("metadata");
        let err = Updater::builder(&mdir)
            .metadata_url("not a url")
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, UpdaterError::Config(m) if m.contains("not a url")),
            "{err}"
        );
        let err = Updater::builder(&mdir).build().await.unwrap_err();
        assert!(
            matches!(&err, UpdaterError::Config(m) if m.contains("no metadata mirror")),
            "{err}"
        );
        // Settings beyond the builder's own, applied last.
        let root = std::fs::read(data().join("metadata/5.root.json")).unwrap();
        let err = builder(&data(), &mdir)
            .trusted_root(root)
            .configure(|c| c.max_root_rotations = 3)
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(err, UpdaterError::TooManyRotations { max: 3 }),
            "{err}"
        );
    })
}
