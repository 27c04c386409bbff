//! The file:// transport stays inside its root, whatever the URL tries.

use std::sync::Arc;
use tuf_transport::{Fetcher, FileTransport, Limits, Transport, TransportError, TransportRegistry};
use url::Url;

struct Tree {
    _dir: tempfile::TempDir,
    outside: std::path::PathBuf,
    transport: FileTransport,
    base: Url,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("metadata/sub")).unwrap();
    std::fs::write(root.join("metadata/timestamp.json"), b"{\"ok\":1}").unwrap();
    std::fs::write(root.join("metadata/sub/caf\u{e9}.json"), b"unicode").unwrap();
    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, b"secret").unwrap();
    // Links out of the root (Unix; on Windows, where making one needs a privilege, the two
    // link URLs below are ordinary missing files).
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, root.join("metadata/link.json")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("metadata/up")).unwrap();
    }
    let transport = FileTransport::new(&root).unwrap();
    let base = Url::from_directory_path(transport.root()).unwrap();
    Tree {
        _dir: dir,
        outside,
        transport,
        base,
    }
}

async fn read(t: &FileTransport, url: &Url) -> Result<Vec<u8>, TransportError> {
    let opened = t.open(url, 1 << 20).await?;
    let d = tuf_transport::Download::new(
        url.clone(),
        None,
        opened,
        Limits::default(),
        Default::default(),
    );
    Ok(d.bytes().await?.to_vec())
}

#[tokio::test]
async fn files_inside_the_root_are_served() {
    let t = tree();
    let url = t.base.join("metadata/timestamp.json").unwrap();
    assert_eq!(read(&t.transport, &url).await.unwrap(), b"{\"ok\":1}");
    let url = t.base.join("metadata/sub/caf%C3%A9.json").unwrap();
    assert_eq!(read(&t.transport, &url).await.unwrap(), b"unicode");
    let url = t.base.join("metadata/missing.json").unwrap();
    assert!(read(&t.transport, &url).await.unwrap_err().is_not_found());
    let url = t.base.join("metadata/sub/").unwrap();
    assert!(
        read(&t.transport, &url).await.is_err(),
        "a directory is not a file"
    );
}

#[tokio::test]
async fn every_way_out_is_refused() {
    let t = tree();
    let outside = Url::from_file_path(&t.outside).unwrap();
    let root = t.base.as_str();
    let attempts = [
        outside.to_string(),
        format!("{root}../secret.txt"),
        format!("{root}metadata/../../secret.txt"),
        format!("{root}%2e%2e/secret.txt"),
        format!("{root}metadata%2F..%2F..%2Fsecret.txt"),
        format!("{root}metadata/link.json"),
        format!("{root}metadata/up/secret.txt"),
        "file:///etc/passwd".to_owned(),
        format!("{root}metadata/timestamp.json%00"),
        format!(
            "file://otherhost{}",
            t.transport.root().join("metadata/timestamp.json").display()
        ),
    ];
    for a in attempts {
        let url = Url::parse(&a).unwrap();
        match read(&t.transport, &url).await {
            Err(TransportError::InvalidUrl { .. } | TransportError::NotFound { .. }) => {}
            other => panic!("{a}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn file_mirrors_work_through_the_registry() {
    let t = tree();
    let mut registry = TransportRegistry::new();
    registry.register("file", Arc::new(t.transport.clone()));
    let f = Fetcher::new(registry);
    let mirrors = [t.base.join("metadata/").unwrap()];
    let (body, _) = f
        .fetch_bytes(&mirrors, "timestamp.json", Limits::default())
        .await
        .unwrap();
    assert_eq!(&body[..], b"{\"ok\":1}");
    let err = f
        .fetch_bytes(&mirrors, "timestamp.json", Limits::default().max_len(3))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("more than the limit of 3 bytes"),
        "{err}"
    );
    let err = f
        .fetch_bytes(&mirrors, "../../secret.txt", Limits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TransportError::AllMirrorsFailed { failures, .. } if failures[0].contains("leaves the mirror's base")),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_schemes_are_refused() {
    let f = Fetcher::new(TransportRegistry::new());
    let err = f
        .open(&Url::parse("s3://bucket/x").unwrap(), Limits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::UnsupportedScheme { .. }),
        "{err}"
    );
}
