//! The sans-I/O trusted set fed a fuzzed sequence of documents: the genuine, signed documents
//! of a delegation tree made by python-tuf (`../shared/fixtures/python-tuf/delegations`),
//! each possibly mutated (bytes set, cut, or replaced by raw input), offered as root,
//! timestamp, snapshot, top-level or delegated targets in any order. Invariants: never a
//! panic; a refused document leaves the trusted state exactly as it was; whatever is
//! accepted is signed content the repository really signed (its canonical `signed` bytes are
//! those of the genuine document of that role), so no mutation of signatures (duplicated,
//! reordered, other keyids) ever gets other content trusted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tuf_metadata::{Expiry, Metadata, Signed, Snapshot, Targets, Timestamp};
use tuf_updater::TrustedSet;

macro_rules! doc {
    ($file:literal) => {
        include_bytes!(concat!(
            "../../../shared/fixtures/python-tuf/delegations/metadata/",
            $file
        ))
    };
}

const ROOT: &[u8] = doc!("1.root.json");
/// (role, delegator, bytes): the documents offered, in the order a client fetches them.
const DOCS: [(&str, &str, &[u8]); 8] = [
    ("timestamp", "root", doc!("timestamp.json")),
    ("snapshot", "root", doc!("1.snapshot.json")),
    ("targets", "root", doc!("1.targets.json")),
    ("a", "targets", doc!("1.a.json")),
    ("b", "targets", doc!("1.b.json")),
    ("t", "targets", doc!("1.t.json")),
    ("u", "targets", doc!("1.u.json")),
    ("a1", "a", doc!("1.a1.json")),
];

/// The canonical `signed` bytes of each genuine document, by role.
fn genuine() -> &'static Vec<(String, Vec<u8>)> {
    static G: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    G.get_or_init(|| {
        let mut out = vec![(
            "root".to_owned(),
            canonical::<tuf_metadata::Root>(ROOT).expect("the fixture root parses"),
        )];
        for (role, _, bytes) in DOCS {
            let c = match role {
                "timestamp" => canonical::<Timestamp>(bytes),
                "snapshot" => canonical::<Snapshot>(bytes),
                _ => canonical::<Targets>(bytes),
            };
            out.push((role.to_owned(), c.expect("the fixtures parse")));
        }
        out
    })
}

fn canonical<T: Signed>(bytes: &[u8]) -> Option<Vec<u8>> {
    Metadata::<T>::from_bytes(bytes)
        .ok()
        .map(|m| m.canonical_signed().into_owned())
}

fn genuine_of(role: &str) -> &'static [u8] {
    &genuine()
        .iter()
        .find(|(r, _)| r == role)
        .expect("a known role")
        .1
}

/// Everything the set trusts, as canonical bytes by role.
fn state(set: &TrustedSet) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![(
        "root".to_owned(),
        set.root().canonical_signed().into_owned(),
    )];
    if let Some(t) = set.timestamp() {
        out.push(("timestamp".into(), t.canonical_signed().into_owned()));
    }
    if let Some(s) = set.snapshot() {
        out.push(("snapshot".into(), s.canonical_signed().into_owned()));
    }
    for (role, _, _) in &DOCS[2..] {
        if let Some(m) = set.role(role) {
            out.push(((*role).to_owned(), m.canonical_signed().into_owned()));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    genuine();
    let reference = Expiry::parse("2030-01-01T00:00:00Z").expect("a valid time");
    let Ok(mut set) = TrustedSet::new(ROOT, reference) else {
        panic!("the fixture root is trusted");
    };
    let mut input = data;
    while input.len() >= 4 {
        let (op, rest) = input.split_at(4);
        input = rest;
        let which = op[0] as usize % (DOCS.len() + 1);
        let (role, delegator, genuine_bytes) = if which == DOCS.len() {
            ("root", "root", ROOT)
        } else {
            DOCS[which]
        };
        let mut bytes = genuine_bytes.to_vec();
        let at = u16::from_le_bytes([op[2], op[3]]) as usize;
        match op[1] % 5 {
            0 => {}
            1 => {
                let i = at % bytes.len();
                bytes[i] = op[3];
            }
            2 => bytes.truncate(at % bytes.len()),
            3 => {
                // Raw input as the document.
                let n = at.min(input.len());
                bytes = input[..n].to_vec();
                input = &input[n..];
            }
            _ => {
                // A signature entry duplicated (a second copy of the same keyid and sig).
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if let (Some(s), Some(e)) = (text.find("{\n   \"keyid\""), text.find("}\n ]")) {
                    if s < e {
                        let entry = &text[s..=e];
                        bytes = format!("{}{entry},\n  {}", &text[..s], &text[s..]).into_bytes();
                    }
                }
            }
        }
        let before = state(&set);
        let accepted = match role {
            "root" => set.update_root(&bytes).is_ok(),
            "timestamp" => set.update_timestamp(&bytes).is_ok(),
            "snapshot" => set.update_snapshot(&bytes, op[2] & 1 == 1).is_ok(),
            "targets" => set.update_targets(&bytes).is_ok(),
            _ => set
                .update_delegated_targets(&bytes, role, delegator)
                .is_ok(),
        };
        let after = state(&set);
        if accepted {
            let trusted = after.iter().find(|(r, _)| r == role);
            assert_eq!(
                trusted.map(|(_, c)| c.as_slice()),
                Some(genuine_of(role)),
                "{role}: accepted content the repository did not sign"
            );
        } else {
            assert_eq!(
                before, after,
                "{role}: a refused document changed the trusted state"
            );
        }
    }
});
