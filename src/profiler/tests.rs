//! The profiler with a fake clock: call tree, self times, counts, async
//! spans, hotspots, memory at span edges, and the trace as Chrome reads it.

use super::*;
use crate::error::ErrorCode;
use serde_json::Value;

/// Records as the JS side writes them.
struct Rec(Vec<f64>);
impl Rec {
    fn b(&mut self, id: u32, t: f64, wasm: f64) -> &mut Self {
        self.0.extend([BEGIN, id as f64, t, wasm, f64::NAN]);
        self
    }
    fn e(&mut self, t: f64, wasm: f64) -> &mut Self {
        self.0.extend([END, 0.0, t, wasm, f64::NAN]);
        self
    }
    fn d(&mut self, token: u64, t: f64) -> &mut Self {
        self.0.extend([DETACH, token as f64, t, 0.0, f64::NAN]);
        self
    }
    fn f(&mut self, token: u64, t: f64, wasm: f64) -> &mut Self {
        self.0.extend([FINISH, token as f64, t, wasm, f64::NAN]);
        self
    }
}

fn find<'a>(nodes: &'a [TreeNode], name: &str) -> &'a TreeNode {
    nodes
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no {name} in {nodes:?}"))
}

/// frame (100 ms) → { layout (60) → { rank (20), order (25) }, draw (30) }, twice;
/// the second time layout → rank only.
fn sample() -> Profiler {
    let mut p = Profiler::default();
    let [frame, layout, rank, order, draw] =
        ["frame", "layout", "rank", "order", "draw"].map(|n| p.intern(n));
    let mut r = Rec(Vec::new());
    r.b(frame, 0.0, 1000.0)
        .b(layout, 5.0, 1000.0)
        .b(rank, 10.0, 1000.0)
        .e(30.0, 1064.0)
        .b(order, 30.0, 1064.0)
        .e(55.0, 1064.0)
        .e(65.0, 1064.0)
        .b(draw, 65.0, 1064.0)
        .e(95.0, 1128.0)
        .e(100.0, 1128.0);
    r.b(frame, 200.0, 1128.0)
        .b(layout, 200.0, 1128.0)
        .b(rank, 200.0, 1128.0)
        .e(210.0, 1128.0)
        .e(220.0, 1128.0)
        .e(250.0, 1128.0);
    p.ingest(&r.0);
    p
}

#[test]
fn call_tree_totals_self_times_and_counts() {
    let p = sample();
    let r = p.report();
    assert_eq!(r.spans, 8);
    assert_eq!(r.open_spans, 0);
    assert_eq!(r.wall_ms, 250.0);
    assert_eq!(r.tree.len(), 1);
    let frame = &r.tree[0];
    assert_eq!((frame.name.as_str(), frame.count), ("frame", 2));
    assert_eq!(frame.total_ms, 150.0);
    // 100 − 60 − 30 and 50 − 20.
    assert_eq!(frame.self_ms, 10.0 + 30.0);
    assert_eq!(
        (frame.min_ms, frame.max_ms, frame.mean_ms),
        (50.0, 100.0, 75.0)
    );
    let layout = find(&frame.children, "layout");
    assert_eq!((layout.count, layout.total_ms), (2, 80.0));
    assert_eq!(layout.self_ms, (60.0 - 20.0 - 25.0) + (20.0 - 10.0));
    let rank = find(&layout.children, "rank");
    assert_eq!((rank.count, rank.total_ms, rank.self_ms), (2, 30.0, 30.0));
    assert_eq!(find(&layout.children, "order").total_ms, 25.0);
    // Children sorted by total time.
    assert_eq!(frame.children[0].name, "layout");
    // Memory at the edges: rank grew wasm memory by 64 bytes, draw by 64, frame by 128.
    assert_eq!(rank.wasm_delta_bytes, 64.0);
    assert_eq!(find(&frame.children, "draw").wasm_delta_bytes, 64.0);
    assert_eq!(frame.wasm_delta_bytes, 128.0);
    assert_eq!(frame.heap_delta_bytes, None, "heap not measured");
    // Self times add up to the wall time covered by spans.
    fn self_sum(n: &TreeNode) -> f64 {
        n.self_ms + n.children.iter().map(self_sum).sum::<f64>()
    }
    assert_eq!(self_sum(frame), frame.total_ms);
}

#[test]
fn hotspots_rank_by_self_time() {
    let p = sample();
    let h = p.hotspots(10);
    let names: Vec<&str> = h.iter().map(|h| h.name.as_str()).collect();
    // frame 40, rank 30, draw 30, order 25, layout 25.
    assert_eq!(names[0], "frame");
    assert_eq!(h[0].self_ms, 40.0);
    assert_eq!(&names[1..3], ["draw", "rank"], "ties by name");
    let total: f64 = h.iter().map(|h| h.self_percent).sum();
    assert!((total - 100.0).abs() < 1e-9);
    assert_eq!(h.iter().find(|h| h.name == "rank").unwrap().count, 2);
}

#[test]
fn recursion_counts_total_once_in_hotspots() {
    let mut p = Profiler::default();
    let f = p.intern("fib");
    let mut r = Rec(Vec::new());
    r.b(f, 0.0, 0.0)
        .b(f, 1.0, 0.0)
        .b(f, 2.0, 0.0)
        .e(3.0, 0.0)
        .e(4.0, 0.0)
        .e(5.0, 0.0);
    p.ingest(&r.0);
    let h = p.hotspots(5);
    assert_eq!((h[0].count, h[0].total_ms, h[0].self_ms), (3, 5.0, 5.0));
    // The tree nests it three deep.
    let t = p.report().tree;
    assert_eq!(t[0].children[0].children[0].total_ms, 1.0);
}

#[test]
fn async_spans_count_only_their_synchronous_part_as_self_time() {
    let mut p = Profiler::default();
    let [load, parse, frame] = ["load", "parse", "frame"].map(|n| p.intern(n));
    let mut r = Rec(Vec::new());
    // load: sync part 0–10 with parse 2–6 inside, then awaits; a frame runs
    // meanwhile at the root; the promise settles at 100.
    r.b(load, 0.0, 0.0)
        .b(parse, 2.0, 0.0)
        .e(6.0, 0.0)
        .d(7, 10.0)
        .b(frame, 20.0, 0.0)
        .e(36.0, 0.0)
        .f(7, 100.0, 4096.0);
    p.ingest(&r.0);
    let rep = p.report();
    let load_n = find(&rep.tree, "load");
    assert!(load_n.is_async);
    assert_eq!((load_n.total_ms, load_n.self_ms), (100.0, 6.0));
    assert_eq!(load_n.wasm_delta_bytes, 4096.0);
    assert_eq!(find(&load_n.children, "parse").total_ms, 4.0);
    // The frame ran at the root (no async context in browsers).
    assert_eq!(find(&rep.tree, "frame").total_ms, 16.0);
    assert_eq!(rep.open_spans, 0);
    // Not settled yet: open.
    let mut p2 = Profiler::default();
    let x = p2.intern("x");
    let mut r = Rec(Vec::new());
    r.b(x, 0.0, 0.0).d(1, 1.0);
    p2.ingest(&r.0);
    assert_eq!(p2.report().open_spans, 1);
}

#[test]
fn malformed_records_are_counted_not_fatal() {
    let mut p = Profiler::default();
    let a = p.intern("a");
    let mut r = Rec(Vec::new());
    r.e(1.0, 0.0).f(99, 2.0, 0.0).b(a, 3.0, 0.0).e(4.0, 0.0);
    r.0.extend([9.0, 0.0, 5.0, 0.0, 0.0]); // unknown code
    r.0.extend([BEGIN, 57.0, 5.0, 0.0, 0.0]); // unknown name id
    r.0.extend([BEGIN, a as f64, f64::NAN, 0.0, 0.0]); // no time
    r.0.extend([1.0, 2.0]); // a partial record is ignored
    p.ingest(&r.0);
    assert_eq!(p.unmatched(), 5);
    assert_eq!(p.report().spans, 1);
    p.reset();
    assert_eq!(p.report().spans, 0);
    assert!(p.report().tree.is_empty());
}

#[test]
fn spans_past_the_cap_stay_in_the_tree_but_leave_the_trace() {
    let mut p = Profiler::new(3);
    let a = p.intern("a");
    let mut r = Rec(Vec::new());
    for k in 0..5 {
        r.b(a, k as f64, 0.0).e(k as f64 + 0.5, 0.0);
    }
    p.ingest(&r.0);
    let rep = p.report();
    assert_eq!((rep.spans, rep.dropped_spans), (5, 2));
    let v: Value = serde_json::from_str(&p.chrome_trace()).unwrap();
    assert_eq!(v["otherData"]["droppedSpans"], 2);
    let xs = v["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .count();
    assert_eq!(xs, 3);
}

#[test]
fn chrome_trace_is_valid_trace_event_json_with_nesting() {
    let mut p = sample();
    let quote = p.intern("say \"hi\"\n");
    let load = p.intern("load");
    let mut r = Rec(Vec::new());
    r.b(quote, 300.0, 0.0)
        .e(301.0, 0.0)
        .b(load, 400.0, 0.0)
        .d(3, 401.0)
        .f(3, 450.5, 0.0);
    p.ingest(&r.0);
    let text = p.chrome_trace();
    let v: Value = serde_json::from_str(&text).expect("the trace parses as JSON");
    assert_eq!(v["displayTimeUnit"], "ms");
    let events = v["traceEvents"].as_array().unwrap();
    // Metadata names the process and thread.
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["name"] == "thread_name"));
    let xs: Vec<&Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(xs.len(), 9);
    for e in &xs {
        assert!(e["name"].is_string());
        assert!(e["ts"].is_number() && e["dur"].as_f64().unwrap() >= 0.0);
        assert!(e["pid"].is_number() && e["tid"].is_number());
        assert!(e["args"]["wasmBytesBefore"].is_number());
    }
    assert!(xs.iter().any(|e| e["name"] == "say \"hi\"\n"));
    // Microseconds: the first frame is 100 ms long.
    let frame = xs.iter().find(|e| e["name"] == "frame").unwrap();
    assert_eq!(
        (frame["ts"].as_f64(), frame["dur"].as_f64()),
        (Some(0.0), Some(100_000.0))
    );
    // Sorted by ts, and properly nested: each X event lies inside the
    // enclosing open one (a stack walk, as trace viewers do).
    let mut stack: Vec<(f64, f64)> = Vec::new();
    let mut last_ts = f64::NEG_INFINITY;
    let mut max_depth = 0;
    for e in &xs {
        let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
        assert!(ts >= last_ts, "sorted by ts");
        last_ts = ts;
        while stack.last().is_some_and(|&(_, end)| ts >= end) {
            stack.pop();
        }
        if let Some(&(s, end)) = stack.last() {
            assert!(ts >= s && ts + dur <= end, "{e} crosses its parent");
        }
        stack.push((ts, ts + dur));
        max_depth = max_depth.max(stack.len());
    }
    assert_eq!(max_depth, 3, "frame > layout > rank");
    // The async span: a b/e pair with one id.
    let b: Vec<&Value> = events.iter().filter(|e| e["ph"] == "b").collect();
    let e: Vec<&Value> = events.iter().filter(|e| e["ph"] == "e").collect();
    assert_eq!((b.len(), e.len()), (1, 1));
    assert_eq!(b[0]["id"], e[0]["id"]);
    assert_eq!(b[0]["name"], "load");
    assert_eq!(
        e[0]["ts"].as_f64().unwrap() - b[0]["ts"].as_f64().unwrap(),
        50_500.0
    );
}

#[test]
fn app_events_join_the_trace_a_row_per_track() {
    let p = sample();
    let events = AppTraceEvent::parse_list(
        r#"[
            {"track":"react","name":"flow update","start":10,"duration":2.5,"args":{"phase":"update"}},
            {"track":"counters","name":"fps","start":20,"values":{"fps":59.5}},
            {"track":"react","name":"flow mount","start":30,"duration":1},
            {"track":"marks","name":"first render","start":40}
        ]"#,
        "options.events",
    )
    .unwrap();
    let v: Value = serde_json::from_str(&p.chrome_trace_with(&events)).unwrap();
    let all = v["traceEvents"].as_array().unwrap();
    // The profiler's own spans are all there.
    let own = all.iter().filter(|e| e["cat"] == "flowscale").count();
    let plain: Value = serde_json::from_str(&p.chrome_trace()).unwrap();
    assert_eq!(
        own,
        plain["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["cat"] == "flowscale")
            .count()
    );
    let by_cat = |cat: &str| -> Vec<&Value> { all.iter().filter(|e| e["cat"] == cat).collect() };
    let react = by_cat("react");
    assert_eq!(react.len(), 2);
    assert_eq!(react[0]["ph"], "X");
    assert_eq!(
        (react[0]["ts"].as_f64(), react[0]["dur"].as_f64()),
        (Some(10_000.0), Some(2_500.0))
    );
    assert_eq!(react[0]["args"]["phase"], "update");
    assert_eq!(react[0]["tid"], react[1]["tid"], "one row per track");
    let fps = by_cat("counters");
    assert_eq!(
        (fps[0]["ph"].as_str(), fps[0]["args"]["fps"].as_f64()),
        (Some("C"), Some(59.5))
    );
    let mark = by_cat("marks");
    assert_eq!(
        (mark[0]["ph"].as_str(), mark[0]["s"].as_str()),
        (Some("i"), Some("t"))
    );
    assert!(mark[0].get("args").is_none());
    // Rows after the profiler's own thread, each named by its track.
    let names: Vec<(u64, &str)> = all
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![(1, "main"), (2, "react"), (3, "counters"), (4, "marks")]
    );

    // Bad events name their field.
    let err = |json: &str| AppTraceEvent::parse_list(json, "options.events").unwrap_err();
    let e = err(r#"[{"track":"a","name":"b","start":null}]"#);
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::InvalidArgument, Some("options.events[0].start"))
    );
    let e = err(
        r#"[{"track":"a","name":"b","start":1},{"track":"a","name":"b","start":1,"duration":-1}]"#,
    );
    assert_eq!(e.path.as_deref(), Some("options.events[1].duration"));
    let e = err(r#"[{"track":"a","name":"b","start":1,"duration":1,"values":{"x":1}}]"#);
    assert_eq!(e.path.as_deref(), Some("options.events[0].values"));
    let e = err(r#"[{"track":"a","name":"b","start":1,"colour":"red"}]"#);
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(
        err(r#"{"track":"a"}"#).path.as_deref(),
        Some("options.events")
    );
}
