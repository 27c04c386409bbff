//! The transport's accounting while a body streams in (`tuf_transport::Download`), on a
//! paused clock: fuzzed limits (length, total time, minimum throughput and its window) and
//! a body of fuzzed chunks, each after a fuzzed delay, possibly ending in a read error.
//! Invariants: never a panic; never more than the length limit handed out, and what is
//! handed out is the body's own bytes in order; no wait past the deadline (the
//! slow-retrieval attack holds the client no longer than the total time); each refusal is
//! one the limits call for (too long: the body is longer; total time: the deadline was
//! reached; too slow: a whole window passed); a body that keeps to every limit with room is
//! read whole; nothing is handed out after an error; the fetch is recorded once, with the
//! bytes handed out and how it ended.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;
use tokio::time::Instant;
use tuf_transport::{Download, Limits, Metrics, Opened, Outcome, TransportError};

struct Case {
    limits: Limits,
    /// (delay before it, the chunk)
    chunks: Vec<(Duration, Vec<u8>)>,
    read_error: bool,
}

fn case(data: &[u8]) -> Option<Case> {
    let (head, mut rest) = data.split_at_checked(7)?;
    let limits = Limits::default()
        .max_len(u64::from(u16::from_le_bytes([head[0], head[1]])))
        .total_timeout(Duration::from_millis(u64::from(head[2]) * 100 + 1))
        .min_throughput(
            u64::from(u16::from_le_bytes([head[3], head[4]])),
            Duration::from_millis(u64::from(head[5]) * 20 + 1),
        );
    let read_error = head[6] & 1 == 1;
    let mut chunks = Vec::new();
    // Each chunk: a delay in milliseconds (x 10 when the top bit is set), a length, bytes.
    while let [delay, len, tail @ ..] = rest {
        let ms = u64::from(delay & 0x7f) * if delay & 0x80 != 0 { 10 } else { 1 };
        let n = usize::from(*len).min(tail.len());
        chunks.push((Duration::from_millis(ms), tail[..n].to_vec()));
        rest = &tail[n..];
    }
    Some(Case {
        limits,
        chunks,
        read_error,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(case) = case(data) else { return };
    let limits = case.limits;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let url = url::Url::parse("https://example.org/x").expect("a URL");
    let items: Vec<(Duration, Result<Bytes, TransportError>)> = case
        .chunks
        .iter()
        .map(|(d, c)| (*d, Ok(Bytes::copy_from_slice(c))))
        .chain(case.read_error.then(|| {
            let e = TransportError::Io {
                url: url.to_string(),
                reason: "connection reset".into(),
            };
            (Duration::ZERO, Err(e))
        }))
        .collect();
    let metrics = Metrics::default();
    let (out, end, elapsed) = runtime.block_on(async {
        let body = futures_util::stream::unfold(items.into_iter(), |mut items| async move {
            let (delay, item) = items.next()?;
            tokio::time::sleep(delay).await;
            Some((item, items))
        });
        let opened = Opened {
            body: Box::pin(body),
            status: Some(200),
            content_length: None,
            wire_bytes: None,
        };
        let start = Instant::now();
        let mut dl =
            Download::with_start(url.clone(), None, opened, limits, metrics.clone(), start);
        let mut out = Vec::new();
        let end = loop {
            match dl.chunk().await {
                Ok(Some(c)) => {
                    assert!(!c.is_empty(), "an empty chunk handed out");
                    out.extend_from_slice(&c);
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        let elapsed = start.elapsed();
        if end.is_err() {
            assert_eq!(
                dl.chunk().await,
                Ok(None),
                "bytes handed out after an error"
            );
        }
        assert_eq!(
            dl.bytes_read(),
            out.len() as u64,
            "bytes_read is not what was handed out"
        );
        drop(dl);
        (out, end, elapsed)
    });
    let body: Vec<u8> = case
        .chunks
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .collect();
    let delays: Duration = case.chunks.iter().map(|(d, _)| *d).sum();
    let slack = Duration::from_millis(1);
    assert!(
        out.len() as u64 <= limits.max_len,
        "{} bytes handed out, limit {}",
        out.len(),
        limits.max_len
    );
    assert!(
        body.starts_with(&out),
        "bytes handed out that the body does not hold there"
    );
    assert!(
        elapsed <= limits.total_timeout + slack,
        "waited {elapsed:?}, deadline {:?}",
        limits.total_timeout
    );
    match &end {
        Ok(()) => {
            assert_eq!(out, body, "ended before the body did");
            assert!(!case.read_error, "a read error was not reported");
        }
        Err(TransportError::TooLong { .. }) => {
            assert!(
                body.len() as u64 > limits.max_len,
                "refused as too long: {} bytes",
                body.len()
            )
        }
        Err(TransportError::TotalTimeout { .. }) => {
            assert!(
                elapsed + slack >= limits.total_timeout,
                "timed out after {elapsed:?}"
            )
        }
        Err(TransportError::TooSlow { .. }) => {
            assert!(limits.min_bytes_per_sec > 0, "too slow with no minimum");
            assert!(
                elapsed + slack >= limits.throughput_window,
                "too slow after {elapsed:?}"
            );
        }
        Err(TransportError::Io { .. }) => assert!(case.read_error && out == body),
        Err(e) => panic!("an error no limit calls for: {e}"),
    }
    // A body that keeps to every limit with room is read whole: within the length and the
    // total time, every chunk within a window of the last, each bringing what two windows
    // require.
    let window = limits.throughput_window;
    let least = u128::from(limits.min_bytes_per_sec) * 2 * window.as_millis() / 1000 + 1;
    let keeps = body.len() as u64 <= limits.max_len
        && delays + slack < limits.total_timeout
        && case.chunks.iter().all(|(d, c)| {
            *d < window && (limits.min_bytes_per_sec == 0 || c.len() as u128 >= least)
        })
        && (limits.min_bytes_per_sec == 0 || !case.read_error || delays + slack < window);
    if keeps {
        assert!(
            end.is_ok() || (case.read_error && matches!(end, Err(TransportError::Io { .. }))),
            "a body within every limit refused: {end:?}"
        );
    }
    let records = metrics.records();
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(
        r.decoded_bytes,
        out.len() as u64,
        "recorded {} bytes, handed out {}",
        r.decoded_bytes,
        out.len()
    );
    assert_eq!(r.wire_bytes, r.decoded_bytes);
    assert_eq!(
        matches!(r.outcome, Outcome::Complete),
        end.is_ok(),
        "{:?} recorded for {end:?}",
        r.outcome
    );
});
