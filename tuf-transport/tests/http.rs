//! The HTTP(S) transport against real servers on 127.0.0.1 with injected faults. Every test
//! is bounded in time.

mod support;

use std::future::Future;
use std::time::Duration;
use support::{Behavior, TestServer, gzip, pki};
use tuf_transport::{
    Fetcher, HttpConfig, Limits, Outcome, RetryPolicy, TransportError, TransportRegistry,
};
use url::Url;

async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test took longer than 30 s")
}

fn fetcher_with(config: &HttpConfig) -> Fetcher {
    let registry = TransportRegistry::with_defaults(config, None).unwrap();
    Fetcher::new(registry).with_retry(RetryPolicy {
        retries: 2,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    })
}

fn fetcher() -> Fetcher {
    fetcher_with(&HttpConfig::default())
}

fn base(server: &TestServer) -> Vec<Url> {
    vec![server.url("")]
}

#[tokio::test]
async fn a_normal_fetch_is_recorded() {
    bounded(async {
        let server = TestServer::start(|p| match p {
            "/metadata/1.root.json" => Behavior::Ok(b"{\"signed\":{}}".to_vec()),
            _ => Behavior::Status(404),
        })
        .await;
        let f = fetcher();
        let mirrors = vec![server.url("metadata/")];
        let (body, mirror) = f
            .fetch_bytes(&mirrors, "1.root.json", Limits::default())
            .await
            .unwrap();
        assert_eq!((&body[..], mirror), (&b"{\"signed\":{}}"[..], 0));
        let r = &f.metrics().records()[0];
        assert_eq!(r.url, server.url("metadata/1.root.json").to_string());
        assert_eq!(
            (r.status, r.wire_bytes, r.decoded_bytes, r.mirror),
            (Some(200), 13, 13, Some(0))
        );
        assert_eq!(r.outcome, Outcome::Complete);
    })
    .await;
}

#[tokio::test]
async fn not_found_is_distinct_and_not_retried() {
    bounded(async {
        let server = TestServer::start(|_| Behavior::Status(404)).await;
        let f = fetcher();
        let err = f
            .fetch_bytes(&base(&server), "2.root.json", Limits::default())
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert_eq!(server.requests(), 1);
        assert_eq!(f.metrics().records()[0].status, Some(404));
    })
    .await;
}

#[tokio::test]
async fn denied_is_distinct_from_not_found_and_not_retried() {
    bounded(async {
        // An S3 or GCS bucket without list permission: 403 for a missing key.
        let denying = TestServer::start(|_| Behavior::Status(403)).await;
        let f = fetcher();
        let err = f
            .fetch_bytes(&base(&denying), "2.root.json", Limits::default())
            .await
            .unwrap_err();
        assert!(err.is_denied() && !err.is_not_found(), "{err}");
        assert_eq!(denying.requests(), 1);
        assert_eq!(f.metrics().records()[0].status, Some(403));
        // 401 too.
        let unauthorised = TestServer::start(|_| Behavior::Status(401)).await;
        let err = f
            .fetch_bytes(&base(&unauthorised), "2.root.json", Limits::default())
            .await
            .unwrap_err();
        assert!(err.is_denied(), "{err}");
        // Over mirrors: a 404 anywhere wins; a denial beats other failures.
        let missing = TestServer::start(|_| Behavior::Status(404)).await;
        let broken = TestServer::start(|_| Behavior::Status(500)).await;
        let both = [denying.url(""), missing.url("")];
        let err = f
            .fetch_bytes(&both, "2.root.json", Limits::default())
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        let both = [broken.url(""), denying.url("")];
        let err = f
            .fetch_bytes(&both, "2.root.json", Limits::default())
            .await
            .unwrap_err();
        assert!(err.is_denied(), "{err}");
        // Other statuses are neither.
        let err = f
            .fetch_bytes(&base(&broken), "2.root.json", Limits::default())
            .await
            .unwrap_err();
        assert!(!err.is_denied() && !err.is_not_found(), "{err}");
    })
    .await;
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_fail() {
    bounded(async {
        for code in [500u16, 503] {
            let server = TestServer::start(move |_| Behavior::Status(code)).await;
            let f = fetcher();
            let err = f
                .fetch_bytes(&base(&server), "timestamp.json", Limits::default())
                .await
                .unwrap_err();
            match &err {
                TransportError::AllMirrorsFailed { failures, .. } => {
                    assert_eq!(failures.len(), 3, "{err}");
                    assert!(
                        failures[0].contains(&format!("HTTP status {code}")),
                        "{err}"
                    );
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(server.requests(), 3, "first try and two retries");
        }
        // A 403 is not transient: no retry.
        let server = TestServer::start(|_| Behavior::Status(403)).await;
        assert!(
            fetcher()
                .fetch_bytes(&base(&server), "x", Limits::default())
                .await
                .is_err()
        );
        assert_eq!(server.requests(), 1);
    })
    .await;
}

#[tokio::test]
async fn endless_data_stops_at_the_limit() {
    bounded(async {
        let server = TestServer::start(|_| Behavior::Endless).await;
        let f = fetcher();
        let mut d = f
            .open(
                &server.url("timestamp.json"),
                Limits::default().max_len(100_000),
            )
            .await
            .unwrap();
        let mut got = 0;
        let err = loop {
            match d.chunk().await {
                Ok(Some(c)) => got += c.len(),
                Ok(None) => panic!("an endless body ended"),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(err, TransportError::TooLong { limit: 100_000, .. }),
            "{err}"
        );
        assert!(got <= 100_000, "handed out {got} bytes past the limit");
        // What is counted and recorded is what was handed out, not the chunk refused.
        assert_eq!(
            d.bytes_read(),
            got as u64,
            "bytes_read counts the refused chunk"
        );
        drop(d);
        let r = &f.metrics().records()[0];
        assert!(matches!(r.outcome, Outcome::Failed(_)));
        assert_eq!(
            r.decoded_bytes, got as u64,
            "the record counts the refused chunk"
        );
    })
    .await;
}

#[tokio::test]
async fn content_length_above_the_limit_is_refused_before_reading() {
    bounded(async {
        let server = TestServer::start(|_| Behavior::Ok(vec![0; 5000])).await;
        let err = fetcher()
            .open(&server.url("x"), Limits::default().max_len(4999))
            .await
            .unwrap_err();
        assert!(
            matches!(err, TransportError::TooLong { limit: 4999, .. }),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn body_longer_than_content_length_is_cut_at_the_length() {
    bounded(async {
        let server = TestServer::start(|_| Behavior::Declared {
            declared: 10,
            body: vec![b'x'; 5000],
        })
        .await;
        let (body, _) = fetcher()
            .fetch_bytes(&base(&server), "x", Limits::default())
            .await
            .unwrap();
        assert_eq!(body.len(), 10);
    })
    .await;
}

#[tokio::test]
async fn body_shorter_than_content_length_is_an_error_and_retried() {
    bounded(async {
        // The connection drops after 100 of 1000 announced bytes.
        let server = TestServer::start(|_| Behavior::Declared {
            declared: 1000,
            body: vec![b'x'; 100],
        })
        .await;
        let f = fetcher();
        let err = f
            .fetch_bytes(&base(&server), "x", Limits::default())
            .await
            .unwrap_err();
        match &err {
            TransportError::AllMirrorsFailed { failures, .. } => {
                assert!(failures[0].contains("read failed"), "{err}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            server.requests(),
            3,
            "a dropped connection is transient: retried twice"
        );
    })
    .await;
}

#[tokio::test]
async fn one_byte_per_second_is_too_slow() {
    bounded(async {
        let server = TestServer::start(|_| Behavior::Trickle {
            body: vec![b'x'; 100],
            every: Duration::from_secs(1),
        })
        .await;
        let limits = Limits::default().min_throughput(50, Duration::from_secs(2));
        let started = std::time::Instant::now();
        let d = fetcher().open(&server.url("x"), limits).await.unwrap();
        let err = d.bytes().await.unwrap_err();
        assert!(
            matches!(
                err,
                TransportError::TooSlow {
                    min_bytes_per_sec: 50,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "detected after {:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn a_server_that_never_sends_headers_is_too_slow() {
    bounded(async {
        let server = TestServer::start(|_| Behavior::NoHeaders).await;
        // The default 300 s budget, with a floor of 1 KiB/s over 2 s windows.
        let limits = Limits::default().min_throughput(1024, Duration::from_secs(2));
        let started = std::time::Instant::now();
        let err = fetcher().open(&server.url("x"), limits).await.unwrap_err();
        assert!(
            matches!(err, TransportError::TooSlow { bytes: 0, .. }),
            "{err}"
        );
        let took = started.elapsed();
        assert!(took < Duration::from_secs(4), "detected after {took:?}");
        // Through the mirror loop too (not transient: no retries).
        let err = fetcher()
            .fetch_bytes(&base(&server), "x", limits)
            .await
            .unwrap_err();
        assert!(
            matches!(err, TransportError::AllMirrorsFailed { .. }),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(8));
    })
    .await;
}

#[tokio::test]
async fn a_stalled_body_hits_the_total_timeout() {
    bounded(async {
        let server = TestServer::start(|_| Behavior::Stall).await;
        let limits = Limits::default()
            .total_timeout(Duration::from_secs(1))
            .min_throughput(0, Duration::from_secs(60));
        let d = fetcher().open(&server.url("x"), limits).await.unwrap();
        let err = d.bytes().await.unwrap_err();
        assert!(matches!(err, TransportError::TotalTimeout { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn redirects_are_bounded_and_never_downgrade() {
    bounded(async {
        // A loop.
        let server = TestServer::start(|p| match p {
            "/a" => Behavior::Redirect("/b".into()),
            _ => Behavior::Redirect("/a".into()),
        })
        .await;
        let err = fetcher().open(&server.url("a"), Limits::default()).await.unwrap_err();
        assert!(matches!(&err, TransportError::Redirect { reason, .. } if reason.contains("loop")), "{err}");
        // Too many distinct hops.
        let server = TestServer::start(|p| {
            let n: u32 = p.trim_start_matches('/').parse().unwrap_or(0);
            Behavior::Redirect(format!("/{}", n + 1))
        })
        .await;
        let err = fetcher().open(&server.url("0"), Limits::default()).await.unwrap_err();
        assert!(matches!(&err, TransportError::Redirect { reason, .. } if reason.contains("more than 5")), "{err}");
        // A redirect that is followed.
        let server = TestServer::start(|p| match p {
            "/old" => Behavior::Redirect("/new".into()),
            _ => Behavior::Ok(b"moved".to_vec()),
        })
        .await;
        let d = fetcher().open(&server.url("old"), Limits::default()).await.unwrap();
        assert_eq!(&d.bytes().await.unwrap()[..], b"moved");
    })
    .await;
}

#[tokio::test]
async fn https_to_http_redirect_is_refused() {
    bounded(async {
        let plain = TestServer::start(|_| Behavior::Ok(b"downgraded".to_vec())).await;
        let target = plain.url("x").to_string();
        let pki = pki();
        let secure = TestServer::start_tls(pki.acceptor.clone(), move |_| {
            Behavior::Redirect(target.clone())
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        let f = fetcher_with(&HttpConfig {
            extra_ca_file: Some(ca),
            ..HttpConfig::default()
        });
        let err = f
            .open(&secure.url("x"), Limits::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TransportError::Redirect { reason, .. } if reason.contains("https")),
            "{err}"
        );
        assert_eq!(plain.requests(), 0, "the http server was never contacted");
    })
    .await;
}

#[tokio::test]
async fn gzip_is_decoded_and_counted_on_the_wire() {
    bounded(async {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 7) as u8).collect();
        let packed = gzip(&data);
        let packed_len = packed.len() as u64;
        let server = TestServer::start(move |_| Behavior::Gzip(packed.clone())).await;
        let f = fetcher();
        let (body, _) = f
            .fetch_bytes(&base(&server), "snapshot.json", Limits::default())
            .await
            .unwrap();
        assert_eq!(&body[..], &data[..]);
        let r = &f.metrics().records()[0];
        assert_eq!(
            (r.wire_bytes, r.decoded_bytes),
            (packed_len, data.len() as u64)
        );
        assert!(r.wire_bytes < r.decoded_bytes / 10);
    })
    .await;
}

#[tokio::test]
async fn a_gzip_bomb_fails_fast_at_the_decoded_limit() {
    bounded(async {
        let bomb = gzip(&vec![0u8; 256 << 20]); // 256 MiB of zeros, about 256 KiB packed
        assert!(bomb.len() < 1 << 20);
        let server = TestServer::start(move |_| Behavior::Gzip(bomb.clone())).await;
        let started = std::time::Instant::now();
        let d = fetcher()
            .open(&server.url("x"), Limits::default().max_len(1 << 20))
            .await
            .unwrap();
        let err = d.bytes().await.unwrap_err();
        assert!(
            matches!(err, TransportError::TooLong { limit: 1048576, .. }),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn truncated_or_bogus_gzip_is_a_decode_error() {
    bounded(async {
        let mut packed = gzip(b"hello hello hello hello");
        packed.truncate(packed.len() - 6);
        let server = TestServer::start(move |_| Behavior::Gzip(packed.clone())).await;
        let err = fetcher()
            .open(&server.url("x"), Limits::default())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Decode { .. }), "{err}");
        let server = TestServer::start(|_| Behavior::Gzip(b"not gzip at all".to_vec())).await;
        let err = fetcher()
            .open(&server.url("x"), Limits::default())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Decode { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_mirror_that_is_down_is_skipped() {
    bounded(async {
        // A port with nothing listening: bind, note the port, close.
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let good = TestServer::start(|_| Behavior::Ok(b"ok".to_vec())).await;
        let mirrors = vec![
            Url::parse(&format!("http://{dead}/")).unwrap(),
            good.url(""),
        ];
        let f = fetcher();
        let (body, mirror) = f
            .fetch_bytes(&mirrors, "timestamp.json", Limits::default())
            .await
            .unwrap();
        assert_eq!((&body[..], mirror), (&b"ok"[..], 1));
        let records = f.metrics().records();
        assert_eq!(
            records.len(),
            4,
            "three tries on the dead mirror, one on the good one"
        );
        assert!(
            records[..3]
                .iter()
                .all(|r| r.mirror == Some(0) && matches!(r.outcome, Outcome::Failed(_)))
        );
        assert_eq!(f.metrics().totals().failures, 3);
    })
    .await;
}

#[tokio::test]
async fn content_the_caller_rejects_moves_to_the_next_mirror() {
    bounded(async {
        let evil = TestServer::start(|_| Behavior::Ok(b"tampered".to_vec())).await;
        let good = TestServer::start(|_| Behavior::Ok(b"genuine".to_vec())).await;
        let mirrors = vec![evil.url(""), good.url("")];
        let f = fetcher();
        let (v, mirror) = f
            .fetch_verified(&mirrors, "targets.json", Limits::default(), |b| {
                if &b[..] == b"genuine" {
                    Ok(b.len())
                } else {
                    Err("hash mismatch")
                }
            })
            .await
            .unwrap();
        assert_eq!((v, mirror), (7, 1));
        // All mirrors malicious: the error lists each rejection.
        let err = f
            .fetch_verified(&mirrors[..1], "targets.json", Limits::default(), |_| {
                Err::<(), _>("hash mismatch")
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("rejected: hash mismatch"), "{err}");
        assert_eq!(
            evil.requests(),
            2,
            "rejections are not retried on the same mirror"
        );
    })
    .await;
}

#[tokio::test]
async fn https_with_a_private_ca_needs_the_ca_file() {
    bounded(async {
        let pki = pki();
        let server = TestServer::start_tls(pki.acceptor.clone(), |_| Behavior::Ok(b"secret".to_vec())).await;
        // Without the CA: the certificate is not trusted.
        let err = fetcher().open(&server.url("x"), Limits::default()).await.unwrap_err();
        assert!(matches!(&err, TransportError::Connect { reason, .. } if reason.to_lowercase().contains("certificate")), "{err}");
        // With it: accepted.
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        let f = fetcher_with(&HttpConfig { extra_ca_file: Some(ca.clone()), ..HttpConfig::default() });
        let body = f.open(&server.url("x"), Limits::default()).await.unwrap().bytes().await.unwrap();
        assert_eq!(&body[..], b"secret");
        // A bogus CA file is a clear error at construction.
        std::fs::write(&ca, "not a certificate").unwrap();
        let err = TransportRegistry::with_defaults(&HttpConfig { extra_ca_file: Some(ca), ..HttpConfig::default() }, None).unwrap_err();
        assert!(err.to_string().contains("CA file"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn paths_cannot_leave_the_mirror_base() {
    let server = TestServer::start(|_| Behavior::Ok(b"x".to_vec())).await;
    let mirrors = vec![server.url("repo/metadata/")];
    for bad in [
        "../../etc/passwd",
        "/abs",
        "http://evil/x",
        "a\\b",
        "x?y",
        "%2e%2e/%2e%2e/x",
    ] {
        let err = fetcher()
            .fetch_bytes(&mirrors, bad, Limits::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TransportError::AllMirrorsFailed { failures, .. } if failures[0].contains("invalid URL")),
            "{bad}: {err}"
        );
    }
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn a_server_that_never_answers_the_handshake_hits_the_connect_timeout() {
    bounded(async {
        // The kernel completes the TCP handshake, but nothing ever speaks TLS.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let config = HttpConfig {
            connect_timeout: Duration::from_millis(500),
            ..HttpConfig::default()
        };
        let url = Url::parse(&format!("https://localhost:{port}/timestamp.json")).unwrap();
        let started = std::time::Instant::now();
        let err = fetcher_with(&config)
            .open(&url, Limits::default())
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Connect { .. }), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
        drop(silent);
    })
    .await;
}
