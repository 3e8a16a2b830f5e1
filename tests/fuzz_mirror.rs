//! The fuzz targets of `fuzz/` as proptests, so CI exercises each one on
//! every run (random byte strings, bounded cases). The fuzzer itself runs
//! longer and coverage-guided: `bash scripts/fuzz.sh` (docs/reliability.md).
#![cfg(not(target_arch = "wasm32"))]

mod harness;

use proptest::prelude::*;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..2048)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn set_workflow(data in bytes()) { harness::set_workflow(&data) }

    #[test]
    fn workflow_json(data in bytes()) { harness::workflow_json(&data) }

    #[test]
    fn changes(data in bytes()) { harness::changes(&data) }

    #[test]
    fn frame(data in bytes()) { harness::frame(&data) }

    #[test]
    fn clustering(data in bytes()) { harness::clustering(&data) }

    #[test]
    fn edges(data in bytes()) { harness::edges(&data) }

    #[test]
    fn layout(data in bytes()) { harness::layout(&data) }

    #[test]
    fn config(data in bytes()) { harness::config(&data) }
}

/// JSON-shaped inputs reach deeper into the JSON readers than random bytes.
fn json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("-0".to_string()),
        Just("1e308".to_string()),
        Just("\"__proto__\"".to_string()),
        (-1e4..1e4f64).prop_map(|v| v.to_string()),
        "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![
            Just("nodes"),
            Just("edges"),
            Just("id"),
            Just("position"),
            Just("x"),
            Just("y"),
            Just("width"),
            Just("height"),
            Just("parentId"),
            Just("source"),
            Just("target"),
            Just("rendering"),
            Just("maxVisibleNodes"),
            Just("cache"),
            Just("direction"),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec((key, inner), 0..6).prop_map(|v| {
                let kv: Vec<String> = v.into_iter().map(|(k, x)| format!("\"{k}\":{x}")).collect();
                format!("{{{}}}", kv.join(","))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn workflow_json_shaped(text in json()) { harness::workflow_json(text.as_bytes()) }

    #[test]
    fn config_json_shaped(text in json()) { harness::config(text.as_bytes()) }
}
