//! Every role's reader on hostile bytes: never a panic; what it accepts it writes back in a
//! form it accepts again, unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_metadata::json::Layout;
use tuf_metadata::{Metadata, Root, Signed, Snapshot, Targets, Timestamp};

fn round_trip<T: Signed + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(md) = Metadata::<T>::from_bytes(data) {
        let bytes = md.to_bytes(Layout::Compact);
        let again = Metadata::<T>::from_bytes(&bytes).expect("what was written reads again");
        assert_eq!(again.signed(), md.signed());
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Root>(data);
    round_trip::<Timestamp>(data);
    round_trip::<Snapshot>(data);
    round_trip::<Targets>(data);
});
