//! The fuzz targets of `fuzz/` as proptests, so CI exercises each one on
//! every run (bounded cases), and the committed corpus (`fuzz/corpus/<target>/`)
//! replayed through the same harness functions. The fuzzer itself runs
//! longer and coverage-guided: `bash scripts/fuzz.sh` (docs/reliability.md).
//! Failures are kept in `tests/fuzz_mirror.proptest-regressions` and tried
//! first on every later run.
#![cfg(not(target_arch = "wasm32"))]

mod harness;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..2048)
}

fn cfg() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// A fuzz target's body: bytes in, a panic on a broken promise.
type Harness = fn(&[u8]);

/// The harness function each fuzz target runs, by target (directory) name.
const TARGETS: [(&str, Harness); 8] = [
    ("set_workflow", harness::set_workflow),
    ("workflow_json", harness::workflow_json),
    ("changes", harness::changes),
    ("frame", harness::frame),
    ("clustering", harness::clustering),
    ("edges", harness::edges),
    ("layout", harness::layout),
    ("config", harness::config),
];

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn set_workflow(data in bytes()) { harness::set_workflow(&data) }

    #[test]
    fn workflow_json(text in workflow_text()) { harness::workflow_json(&text) }

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

    #[test]
    fn config_json_shaped(text in json()) { harness::config(text.as_bytes()) }
}

// ---- React Flow workflows as JSON text, with corruptions ------------------

/// A clean node `i`: its own id, an ordinary position, a size (attribute,
/// measured or none: the default), sometimes a parent among the earlier
/// nodes (React Flow's order), hidden, a type.
fn node(i: usize) -> impl Strategy<Value = Value> {
    (
        (-5000.0..5000.0f64, -2000i32..2000, any::<bool>()),
        proptest::option::weighted(0.8, (0.0..400.0f64, 0.0..200.0f64, any::<bool>())),
        proptest::option::weighted(0.15, 0..i.max(1)),
        proptest::bool::weighted(0.05),
        proptest::option::weighted(0.5, "[a-z]{1,8}"),
    )
        .prop_map(move |((x, y, whole), size, parent, hidden, ty)| {
            let x = if whole { json!(x.round()) } else { json!(x) };
            let mut n = json!({ "id": format!("n{i}"), "position": { "x": x, "y": y } });
            match size {
                Some((w, h, true)) => {
                    n["width"] = json!(w);
                    n["height"] = json!(h);
                }
                Some((w, h, false)) => n["measured"] = json!({ "width": w, "height": h }),
                None => {}
            }
            if let (Some(p), true) = (parent, i > 0) {
                n["parentId"] = json!(format!("n{p}"));
            }
            if hidden {
                n["hidden"] = json!(true);
            }
            if let Some(t) = ty {
                n["type"] = json!(t);
            }
            n
        })
}

/// What a corruption puts in place of a field.
fn bad_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(-0.0)),
        Just(json!(1e30)),
        Just(json!(-1e300)),
        Just(json!(-5)),
        Just(json!(0)),
        Just(json!("12")),
        Just(Value::Null),
        Just(json!([1, 2])),
        Just(json!({})),
        Just(json!(true)),
        Just(json!(7)),
        Just(json!("")),
        Just(json!("__proto__")),
        Just(json!("n0")),
        Just(json!("ghost")),
        "\\PC{0,6}".prop_map(|s| json!(s)),
    ]
}

/// One corruption: which part, which element, what goes in.
type Corruption = (u8, prop::sample::Index, Value);

/// `o[key] = v` where `o` is an object (an earlier corruption may have made it something else).
fn set(o: &mut Value, key: &str, v: Value) {
    if let Some(o) = o.as_object_mut() {
        o.insert(key.to_string(), v);
    }
}

fn corrupt(w: &mut Value, (kind, at, v): Corruption) {
    if kind >= 16 {
        *w = json!([w.take()]);
        return;
    }
    let Some(top) = w.as_object_mut() else { return };
    let (list, first) = if kind < 9 { ("nodes", 0) } else { ("edges", 9) };
    if kind >= 13 {
        match kind {
            13 => top.insert("nodes".into(), v),
            14 => top.insert("edges".into(), v),
            _ => top.remove("edges"),
        };
        return;
    }
    let Some(arr) = top.get_mut(list).and_then(Value::as_array_mut) else {
        return;
    };
    if arr.is_empty() {
        return;
    }
    let i = at.index(arr.len());
    let x = &mut arr[i];
    let position = |x: &mut Value, key: &str, v: Value| {
        if let Some(p) = x.get_mut("position") {
            set(p, key, v);
        }
    };
    match kind - first {
        0 if list == "nodes" => position(x, "x", v),
        1 if list == "nodes" => position(x, "y", v),
        2 if list == "nodes" => set(x, "width", v),
        3 if list == "nodes" => set(x, "measured", json!({ "width": 10, "height": v })),
        4 if list == "nodes" => set(x, "id", v),
        5 if list == "nodes" => set(x, "parentId", v),
        6 if list == "nodes" => set(x, "hidden", v),
        7 if list == "nodes" => set(x, "position", v),
        0 => set(x, "source", v),
        1 => set(x, "target", v),
        2 => set(x, "id", v),
        // The element itself replaced (kinds 8 and 12).
        _ => *x = v,
    }
}

/// `{ nodes, edges }` as React Flow exports it: a clean workflow (ids
/// unique, edges between its nodes, parents before children) and then up to
/// three corruptions — a field of a node or an edge replaced by a bad value
/// (non-finite, out of range, negative, wrong type, a duplicate or dangling
/// id), an element replaced whole, the arrays themselves — or the text cut
/// off. About half stay valid and reach the frame check.
fn workflow_text() -> impl Strategy<Value = Vec<u8>> {
    (0..30usize, 0..40usize)
        .prop_flat_map(|(n, m)| {
            let edge = move |k: usize| {
                (0..n.max(1), 0..n.max(1), proptest::bool::weighted(0.05)).prop_map(move |(s, t, hidden)| {
                    let mut e = json!({ "id": format!("e{k}"), "source": format!("n{s}"), "target": format!("n{t}") });
                    if hidden {
                        e["hidden"] = json!(true);
                    }
                    e
                })
            };
            (
                (0..n).map(node).collect::<Vec<_>>(),
                (0..if n == 0 { 0 } else { m }).map(edge).collect::<Vec<_>>(),
                proptest::collection::vec((0..17u8, any::<prop::sample::Index>(), bad_value()), 0..4),
                proptest::option::weighted(0.03, any::<prop::sample::Index>()),
            )
        })
        .prop_map(|(nodes, edges, corruptions, cut)| {
            let mut w = json!({ "nodes": nodes, "edges": edges });
            // Half the workflows stay clean.
            for c in corruptions.into_iter().skip(1) {
                corrupt(&mut w, c);
            }
            let mut text = serde_json::to_vec(&w).unwrap();
            if let Some(cut) = cut {
                text.truncate(cut.index(text.len() + 1));
            }
            text
        })
}

/// JSON-shaped inputs reach deeper into the config reader than random bytes.
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
            Just("rendering"),
            Just("maxVisibleNodes"),
            Just("lodThresholdLow"),
            Just("cache"),
            Just("memoryMaxEntries"),
            Just("workflow"),
            Just("maxNodes"),
            Just("clustering"),
            Just("direction"),
            Just("__proto__"),
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

/// The generator reaches both sides of validation: a good share of its
/// workflows are accepted (and go on to the frame check), a good share rejected.
#[test]
fn workflow_text_is_accepted_and_rejected() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut accepted, mut rejected, mut unreadable) = (0, 0, 0);
    for _ in 0..300 {
        let text = workflow_text().new_tree(&mut runner).unwrap().current();
        match harness::read_workflow_json(&text) {
            None => unreadable += 1,
            Some((nodes, edges)) => {
                let mut opt = flowscale::WorkflowOptimizer::new(Default::default()).unwrap();
                match opt.set_workflow(nodes, edges) {
                    Ok(()) => accepted += 1,
                    Err(_) => rejected += 1,
                }
            }
        }
    }
    println!("accepted {accepted}, rejected {rejected}, not JSON {unreadable} of 300");
    assert!(
        accepted >= 60 && rejected >= 60,
        "accepted {accepted}, rejected {rejected}, not JSON {unreadable}"
    );
}

// ---- the committed corpus ---------------------------------------------------

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

/// Every file of `fuzz/corpus/<target>/` through that target's harness
/// function, as `cargo fuzz run <target>` starts by doing: none may panic.
#[test]
fn corpus_replays_without_a_panic() {
    let mut failed = Vec::new();
    for (target, run) in TARGETS {
        let dir = corpus_dir().join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target has a corpus)", dir.display()))
            .map(|f| f.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: empty corpus", dir.display());
        for file in files {
            let data = std::fs::read(&file).unwrap();
            if let Err(panic) = std::panic::catch_unwind(|| run(&data)) {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failed.push(format!("{}: {why}", file.display()));
            }
        }
    }
    // A directory no target reads would be replayed by nothing.
    for d in std::fs::read_dir(corpus_dir()).unwrap() {
        let p = d.unwrap().path();
        if p.is_dir() {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/corpus/{name}: no such target"
            );
        }
    }
    assert!(
        failed.is_empty(),
        "corpus files that panic:\n{}",
        failed.join("\n")
    );
}

/// Writes the seed corpus (`fuzz/corpus/<target>/seed-*`): generated inputs
/// of each target's shape, the default config, and the three smallest n8n
/// workflows with edges from the data folder. Deterministic; run by hand:
/// `cargo test --test fuzz_mirror -- --ignored write_seed_corpus`.
#[test]
#[ignore]
fn write_seed_corpus() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut sample =
        |s: &dyn Fn() -> BoxedStrategy<Vec<u8>>| s().new_tree(&mut runner).unwrap().current();
    let write = |target: &str, name: &str, data: &[u8]| {
        let dir = corpus_dir().join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), data).unwrap();
    };
    for (target, _) in TARGETS {
        if target == "workflow_json" || target == "config" {
            continue;
        }
        for len in [128usize, 512, 2048] {
            let data = sample(&move || proptest::collection::vec(any::<u8>(), len).boxed());
            write(target, &format!("seed-random-{len}"), &data);
        }
    }
    let mut k = 0;
    while k < 6 {
        let text = sample(&|| workflow_text().boxed());
        // Small ones: a seed is a starting point, the fuzzer grows it.
        if text.len() > 40 && text.len() < 2500 {
            write("workflow_json", &format!("seed-generated-{k}.json"), &text);
            k += 1;
        }
    }
    for k in 0..3 {
        let text = sample(&|| json().prop_map(String::into_bytes).boxed());
        write("config", &format!("seed-generated-{k}.json"), &text);
    }
    write("config", "seed-empty.json", b"{}");
    let defaults = serde_json::to_vec(&flowscale::config::Config::default()).unwrap();
    write("config", "seed-defaults.json", &defaults);

    let data = std::env::var("FLOWSCALE_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let text = std::fs::read_to_string(data.join("n8n/workflows.jsonl"))
        .expect("the n8n workflows (FLOWSCALE_DATA_DIR or ../shared/data)");
    let mut small: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|w| w["edges"].as_array().is_some_and(|e| e.len() >= 2))
        .collect();
    small.sort_by_key(|w| w.to_string().len());
    for w in small.iter().take(3) {
        // The workflow_json target's input: React Flow's { nodes, edges }.
        let rf = json!({ "nodes": w["nodes"], "edges": w["edges"] });
        let name = w["id"]
            .as_str()
            .unwrap()
            .split('_')
            .next()
            .unwrap()
            .to_string();
        write(
            "workflow_json",
            &format!("seed-n8n-{name}.json"),
            &serde_json::to_vec(&rf).unwrap(),
        );
    }
}
