//! What the verifying proxy answered, as counters: requests, verified bytes, refusals by
//! reason. Lock-free, fixed in size however long the proxy runs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The target is not in the TUF repository.
    NotFound,
    /// The metadata or the file failed TUF verification, or the mirror failed.
    Verification,
    /// The repository's metadata expired and could not be refreshed.
    Expired,
    /// No rule maps the URL to a target (or the URL itself is refused).
    NoRule,
    /// The host is not covered by any TUF repository.
    Uncovered,
    /// A method other than GET or HEAD (or CONNECT where it is allowed).
    Method,
    /// A verified wheel (or its PEP 658 metadata) declaring a dependency by URL, which a
    /// client of the service would fetch unverified ([`crate::url_dependencies`]).
    UrlDependency,
}

impl Refusal {
    /// Every reason, in the order of [`Refusal::label`]s in the metrics.
    pub const ALL: [Refusal; 7] = [
        Refusal::NotFound,
        Refusal::Verification,
        Refusal::Expired,
        Refusal::NoRule,
        Refusal::Uncovered,
        Refusal::Method,
        Refusal::UrlDependency,
    ];

    /// The reason's label in the metrics.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::NotFound => "not_found",
            Refusal::Verification => "verification",
            Refusal::Expired => "expired",
            Refusal::NoRule => "no_rule",
            Refusal::Uncovered => "uncovered",
            Refusal::Method => "method",
            Refusal::UrlDependency => "url_dependency",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The proxy's counters.
#[derive(Debug, Default)]
pub struct Counters {
    requests: AtomicU64,
    served: AtomicU64,
    verified_bytes: AtomicU64,
    refused: [AtomicU64; Refusal::ALL.len()],
}

/// A moment's copy of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterValues {
    /// Requests received.
    pub requests: u64,
    /// Requests answered with a verified page or file.
    pub served: u64,
    /// Bytes of verified pages and files sent (bodies of GET answers).
    pub verified_bytes: u64,
    /// Refusals, by [`Refusal::ALL`] order.
    pub refused: [u64; Refusal::ALL.len()],
}

impl Counters {
    /// One request received.
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// One verified answer of `bytes` body bytes.
    pub(crate) fn served(&self, bytes: u64) {
        self.served.fetch_add(1, Ordering::Relaxed);
        self.verified_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// One refusal.
    pub(crate) fn refused(&self, why: Refusal) {
        self.refused[why.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The values now.
    pub fn values(&self) -> CounterValues {
        let mut refused = [0; Refusal::ALL.len()];
        for (v, c) in refused.iter_mut().zip(&self.refused) {
            *v = c.load(Ordering::Relaxed);
        }
        CounterValues {
            requests: self.requests.load(Ordering::Relaxed),
            served: self.served.load(Ordering::Relaxed),
            verified_bytes: self.verified_bytes.load(Ordering::Relaxed),
            refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_has_its_own_counter_in_label_order() {
        let c = Counters::default();
        for (i, r) in Refusal::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            for _ in 0..=i {
                c.refused(*r);
            }
        }
        c.request();
        c.served(10);
        c.served(5);
        let v = c.values();
        assert_eq!(v.refused, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!((v.requests, v.served, v.verified_bytes), (1, 2, 15));
    }
}
