//! Shared test helpers: a proptest strategy for arbitrary JSON values of the kind TUF
//! metadata may carry (integers of any size, any Unicode, nesting).

use proptest::prelude::*;
use tuf_metadata::json::{Map, Number, Value};

/// Strings mixing ASCII, escapes, control characters, non-ASCII and astral characters.
pub fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_./-]{0,12}",
        "[\\x00-\\x1f\"\\\\/ ~\\x7f]{0,6}",
        "\\PC{0,8}",
        Just("café ☃ 😀".to_owned()),
    ]
}

/// Integers including ones far outside 64 bits.
pub fn any_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        ("-?", "[1-9][0-9]{19,40}")
            .prop_map(|(s, d)| Number::from_text(&format!("{s}{d}")).unwrap()),
    ]
}

/// Arbitrary JSON values up to a few levels deep.
pub fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any_number().prop_map(Value::Number),
        any_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map>())),
        ]
    })
}
