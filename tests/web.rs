//! The JS-facing API in headless Chromium (wasm-bindgen-test): error objects
//! are real `Error`s with `code` and `path`, frames carry typed arrays and
//! the caller's ids, rejected input leaves the previous state.
#![cfg(target_arch = "wasm32")]

use flowscale::web::{JsConfig, JsWorkflowOptimizer};
use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

/// The thrown value is a FlowscaleError: an Error, with the code and path.
fn assert_error(err: JsValue, code: &str, path: Option<&str>) {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not an Error: {err:?}"
    );
    assert_eq!(
        prop(&err, "name").as_string().as_deref(),
        Some("FlowscaleError")
    );
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some(code),
        "{err:?}"
    );
    assert_eq!(prop(&err, "path").as_string().as_deref(), path, "{err:?}");
    let msg = prop(&err, "message").as_string().unwrap();
    assert!(!msg.is_empty());
}

fn optimizer() -> JsWorkflowOptimizer {
    let mut opt = JsWorkflowOptimizer::new(JsValue::UNDEFINED).unwrap();
    opt.set_workflow(js(r#"{"nodes":[
        {"id":"a","position":{"x":0,"y":0},"width":100,"height":50},
        {"id":"b","position":{"x":300,"y":0},"width":100,"height":50},
        {"id":"far","position":{"x":90000,"y":0},"width":100,"height":50}],
      "edges":[{"id":"e","source":"a","target":"b"}]}"#))
        .unwrap();
    opt
}

fn frame(opt: &mut JsWorkflowOptimizer) -> JsValue {
    opt.frame(
        js(r#"{"x":0,"y":0,"zoom":1}"#),
        js(r#"{"width":800,"height":600}"#),
    )
    .unwrap()
}

fn strings(v: JsValue) -> Vec<String> {
    js_sys::Array::from(&v)
        .iter()
        .map(|s| s.as_string().unwrap())
        .collect()
}

#[wasm_bindgen_test]
fn frame_has_typed_arrays_and_ids() {
    let mut opt = optimizer();
    let f = frame(&mut opt);
    let in_view = prop(&f, "inView")
        .dyn_into::<js_sys::Uint32Array>()
        .unwrap()
        .to_vec();
    assert_eq!(in_view.len(), 2);
    let lod = prop(&f, "lod")
        .dyn_into::<js_sys::Uint8Array>()
        .unwrap()
        .to_vec();
    assert_eq!(lod, vec![0, 0]);
    let mut visible = strings(prop(&f, "visibleIds"));
    visible.sort();
    assert_eq!(visible, vec!["a", "b"]);
    assert_eq!(strings(prop(&f, "visibleEdgeIds")), vec!["e"]);
    let stats = prop(&f, "stats");
    assert_eq!(prop(&stats, "total").as_f64(), Some(3.0));
    assert_eq!(prop(&stats, "culled").as_f64(), Some(1.0));
    assert!(prop(&stats, "timeMs").as_f64().unwrap() >= 0.0);
    assert_eq!(opt.index_of(JsValue::from_str("far")), Some(2));
    assert_eq!(opt.id_of(2).as_deref(), Some("far"));
    assert_eq!(opt.id_of(99), None);
    // The same frame again: nothing enters or leaves.
    let again = frame(&mut opt);
    assert!(strings(prop(&again, "entered")).is_empty());
    assert!(strings(prop(&again, "left")).is_empty());
}

#[wasm_bindgen_test]
fn bad_workflows_throw_coded_errors_and_keep_state() {
    let mut opt = optimizer();
    let cases = [
        (
            r#"{"nodes":[{"id":"x","position":{"x":1,"y":"2"}}]}"#,
            "INVALID_WORKFLOW",
            Some("nodes[0].position.y"),
        ),
        (
            r#"{"nodes":[{"id":7,"position":{"x":1,"y":2}}]}"#,
            "INVALID_WORKFLOW",
            Some("nodes[0].id"),
        ),
        (r#"{"nodes":{}}"#, "INVALID_WORKFLOW", Some("nodes")),
        (r#"{"nodes":[null]}"#, "INVALID_WORKFLOW", Some("nodes[0]")),
        (
            r#"{"nodes":[{"id":"x","position":{"x":1,"y":2},"width":-3}]}"#,
            "NEGATIVE_SIZE",
            Some("nodes[0].width"),
        ),
        (
            r#"{"nodes":[{"id":"x","position":{"x":1,"y":2},"measured":{"width":1e400}}]}"#,
            "NON_FINITE",
            Some("nodes[0].measured.width"),
        ),
        (
            r#"{"nodes":[{"id":"x","position":{"x":1,"y":2}},{"id":"x","position":{"x":1,"y":2}}]}"#,
            "DUPLICATE_ID",
            Some("nodes[1].id"),
        ),
        (
            r#"{"nodes":[{"id":"x","position":{"x":1,"y":2}}],"edges":[{"id":"e","source":"x","target":"y"}]}"#,
            "DANGLING_EDGE",
            Some("edges[0].target"),
        ),
        (
            r#"{"nodes":[{"id":"x","position":{"x":1,"y":2},"parentId":"y"},{"id":"y","position":{"x":1,"y":2},"parentId":"x"}]}"#,
            "PARENT_CYCLE",
            None,
        ),
    ];
    for (input, code, path) in cases {
        let err = opt.set_workflow(js(input)).unwrap_err();
        if path.is_some() {
            assert_error(err, code, path);
        } else {
            assert_eq!(prop(&err, "code").as_string().as_deref(), Some(code));
        }
    }
    // NaN cannot be written in JSON: build it directly.
    let nan = js(r#"{"nodes":[{"id":"x","position":{"x":1,"y":2}}]}"#);
    let pos = prop(
        &js_sys::Array::from(&prop(&nan, "nodes")).get(0),
        "position",
    );
    Reflect::set(&pos, &"x".into(), &JsValue::from_f64(f64::NAN)).unwrap();
    assert_error(
        opt.set_workflow(nan).unwrap_err(),
        "NON_FINITE",
        Some("nodes[0].position.x"),
    );
    assert_error(
        opt.set_workflow(JsValue::NULL).unwrap_err(),
        "INVALID_WORKFLOW",
        None,
    );
    // The original workflow is still there.
    assert_eq!(opt.node_count(), 3);
    let f = frame(&mut opt);
    assert_eq!(prop(&prop(&f, "stats"), "total").as_f64(), Some(3.0));
}

#[wasm_bindgen_test]
fn bad_viewports_and_changes_throw() {
    let mut opt = optimizer();
    let size = js(r#"{"width":800,"height":600}"#);
    assert_error(
        opt.frame(js(r#"{"x":0,"y":0,"zoom":0}"#), size.clone())
            .unwrap_err(),
        "INVALID_VIEWPORT",
        Some("viewport.zoom"),
    );
    assert_error(
        opt.frame(js(r#"{"x":"0","y":0,"zoom":1}"#), size.clone())
            .unwrap_err(),
        "INVALID_VIEWPORT",
        Some("viewport.x"),
    );
    assert_error(
        opt.frame(
            js(r#"{"x":0,"y":0,"zoom":1}"#),
            js(r#"{"width":0,"height":600}"#),
        )
        .unwrap_err(),
        "INVALID_VIEWPORT",
        Some("size.width"),
    );
    assert_error(
        opt.frame(JsValue::UNDEFINED, size).unwrap_err(),
        "INVALID_VIEWPORT",
        Some("viewport"),
    );
    assert_error(
        opt.apply_node_changes(js(r#"[{"type":"position","id":"a","position":{"x":5,"y":5}},{"type":"position","id":"zz","position":{"x":1,"y":1}}]"#))
            .unwrap_err(),
        "UNKNOWN_ID",
        Some("changes[1].id"),
    );
    assert_error(
        opt.apply_node_changes(js(r#"[{"type":"teleport","id":"a"}]"#))
            .unwrap_err(),
        "INVALID_WORKFLOW",
        Some("changes[0].type"),
    );
    assert_error(
        opt.apply_node_changes(js(
            r#"[{"type":"add","item":{"id":"a","position":{"x":0,"y":0}}}]"#,
        ))
        .unwrap_err(),
        "DUPLICATE_ID",
        Some("changes[0].item.id"),
    );
    assert_error(
        opt.update_positions(
            js_sys::Uint32Array::from(&[7u32][..]).into(),
            js_sys::Float32Array::from(&[1.0f32, 2.0][..]).into(),
        )
        .unwrap_err(),
        "UNKNOWN_ID",
        Some("indices[0]"),
    );
    assert_error(
        opt.update_positions(
            js("[0]"),
            js_sys::Float32Array::from(&[1.0f32, 2.0][..]).into(),
        )
        .unwrap_err(),
        "INVALID_WORKFLOW",
        Some("indices"),
    );
    // Node "a" did not move: the rejected batch changed nothing.
    let f = frame(&mut opt);
    assert_eq!(js_sys::Uint32Array::from(prop(&f, "inView")).length(), 2);
    opt.apply_node_changes(js(
        r#"[{"type":"position","id":"a","position":{"x":5000,"y":0}}]"#,
    ))
    .unwrap();
    let f = frame(&mut opt);
    assert_eq!(strings(prop(&f, "left")), vec!["a"]);
}

#[wasm_bindgen_test]
fn config_errors_and_env() {
    let err = JsWorkflowOptimizer::new(js(r#"{"rendering":{"maxVisibleNodez":5}}"#))
        .err()
        .unwrap();
    assert_error(err, "INVALID_CONFIG", Some("rendering.maxVisibleNodez"));
    let err = JsWorkflowOptimizer::new(js(r#"{"rendering":{"lodThresholdLow":"low"}}"#))
        .err()
        .unwrap();
    assert_error(err, "INVALID_CONFIG", Some("rendering.lodThresholdLow"));
    let cfg =
        JsConfig::from_env(js(r#"{"RENDERING_MAX_VISIBLE_NODES":"12","HOME":"/root"}"#)).unwrap();
    assert_eq!(
        prop(&prop(&cfg, "rendering"), "maxVisibleNodes").as_f64(),
        Some(12.0)
    );
    let err = JsConfig::from_env(js(r#"{"RENDERING_MAX_VISIBLE":"12"}"#)).unwrap_err();
    assert_error(err, "INVALID_CONFIG", Some("RENDERING_MAX_VISIBLE"));
    let d = JsConfig::defaults().unwrap();
    assert_eq!(
        prop(&prop(&d, "cache"), "memoryMaxEntries").as_f64(),
        Some(1000.0)
    );
}

/// `const NAME = { field: offset, … };` from glue.js, in order.
fn glue_table(name: &str) -> Vec<(String, usize)> {
    let glue = include_str!("../src/web/glue.js");
    let start = glue
        .find(&format!("const {name} = {{"))
        .unwrap_or_else(|| panic!("glue.js has no table {name}"));
    let body = &glue[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
    body.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (field, offset) = entry.split_once(':').expect("field: offset");
            (
                field.trim().to_owned(),
                offset.trim().parse().expect("offset"),
            )
        })
        .collect()
}

/// glue.js reads the headers Rust writes by byte offset: its tables name the
/// same fields at the same offsets as the `#[repr(C)]` structs.
#[wasm_bindgen_test]
fn glue_reads_the_headers_rust_writes() {
    use flowscale::web::{CLUSTER_LAYOUT, DETAIL_LAYOUT, FRAME_LAYOUT};
    for (name, layout) in [
        ("FRAME_HEADER", FRAME_LAYOUT),
        ("DETAIL_HEADER", DETAIL_LAYOUT),
        ("CLUSTER_HEADER", CLUSTER_LAYOUT),
    ] {
        let rust: Vec<(String, usize)> = layout.iter().map(|&(f, o)| (f.to_owned(), o)).collect();
        assert_eq!(glue_table(name), rust, "{name} in glue.js");
    }
}

/// Derived stats come from Rust once; the frame reports them as computed there.
#[wasm_bindgen_test]
fn frame_stats_are_consistent() {
    let mut opt = optimizer();
    let f = frame(&mut opt);
    let stats = prop(&f, "stats");
    let n = |k: &str| prop(&stats, k).as_f64().unwrap();
    assert_eq!(n("total"), 3.0);
    assert_eq!(n("inView"), 2.0);
    assert_eq!(n("culled"), 1.0);
    assert_eq!(n("culledPercent"), 100.0 / 3.0);
}
