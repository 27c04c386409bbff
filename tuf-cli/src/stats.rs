//! `--stats`: every fetch, and the metadata overhead, like the seed's per-file figures.

use tuf_transport::{Metrics, Outcome};
use url::Url;

pub fn print(metrics: &Metrics, metadata_mirrors: &[Url]) {
    let records = metrics.records();
    eprintln!(
        "{:>6} {:>10} {:>10} {:>8}  url",
        "status", "wire", "decoded", "ms"
    );
    let (mut meta, mut other) = ((0u64, 0u64, 0u64), (0u64, 0u64, 0u64));
    for r in &records {
        let status = r.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let mark = match &r.outcome {
            Outcome::Complete => "",
            Outcome::Failed(_) => "  (failed)",
            Outcome::Abandoned => "  (abandoned)",
        };
        eprintln!(
            "{status:>6} {:>10} {:>10} {:>8}  {}{mark}",
            r.wire_bytes,
            r.decoded_bytes,
            r.duration.as_millis(),
            r.url
        );
        let is_meta = metadata_mirrors
            .iter()
            .any(|m| r.url.starts_with(m.as_str()));
        let t = if is_meta { &mut meta } else { &mut other };
        t.0 += 1;
        t.1 += r.wire_bytes;
        t.2 += r.decoded_bytes;
    }
    eprintln!(
        "metadata overhead: {} requests, {} bytes on the wire ({} decoded); targets: {} requests, {} bytes",
        meta.0, meta.1, meta.2, other.0, other.1
    );
}
