//! The accounting of a body read under limits ([`Download`]), on tokio's paused clock: what
//! is counted and recorded is what was handed out, whichever limit stops the read. Found by
//! the `download_limits` fuzz target (a chunk that arrived in a window too slow, or past the
//! length limit, was counted although it was never handed out).

use bytes::Bytes;
use std::time::Duration;
use tuf_transport::{Download, Limits, Metrics, Opened, Outcome, TransportError};

/// A body of `chunks`, each after its delay.
fn body(chunks: Vec<(u64, &'static [u8])>) -> Opened {
    let stream = futures_util::stream::unfold(chunks.into_iter(), |mut rest| async move {
        let (delay, chunk) = rest.next()?;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Some((Ok(Bytes::from_static(chunk)), rest))
    });
    Opened {
        body: Box::pin(stream),
        status: Some(200),
        content_length: None,
        wire_bytes: None,
    }
}

/// Reads to the end or the first error; returns what was handed out, the error, what the
/// download counted and what it recorded.
async fn read(opened: Opened, limits: Limits) -> (u64, Option<TransportError>, u64, u64) {
    let metrics = Metrics::default();
    let url = url::Url::parse("https://example.org/x").unwrap();
    let mut d = Download::new(url, None, opened, limits, metrics.clone());
    let mut handed = 0;
    let err = loop {
        match d.chunk().await {
            Ok(Some(c)) => handed += c.len() as u64,
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let counted = d.bytes_read();
    drop(d);
    let record = metrics.records().pop().unwrap();
    assert_eq!(
        matches!(record.outcome, Outcome::Failed(_)),
        err.is_some(),
        "{record:?}"
    );
    (handed, err, counted, record.decoded_bytes)
}

#[tokio::test(start_paused = true)]
async fn a_chunk_arriving_in_a_window_too_slow_is_not_counted() {
    // 8 bytes just as the first 1 ms window ends, where 60,000 bytes a second are required
    // (the fuzz target's input): the window is checked as the chunk arrives.
    let limits = Limits::default().min_throughput(60_000, Duration::from_millis(1));
    let (handed, err, counted, recorded) = read(body(vec![(1, b"12345678")]), limits).await;
    assert!(
        matches!(err, Some(TransportError::TooSlow { .. })),
        "{err:?}"
    );
    assert_eq!((handed, counted, recorded), (0, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_chunk_past_the_length_limit_is_not_counted() {
    let limits = Limits::default().max_len(10);
    let (handed, err, counted, recorded) =
        read(body(vec![(0, b"123456"), (0, b"789012")]), limits).await;
    assert!(
        matches!(err, Some(TransportError::TooLong { .. })),
        "{err:?}"
    );
    assert_eq!((handed, counted, recorded), (6, 6, 6));
}
