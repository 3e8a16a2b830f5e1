//! The profiler's platform-free core: span records in (begin, end, and the
//! detach/finish pair of async spans, each with a timestamp and the memory
//! at that edge), a call tree with total and self time, hotspots ranked by
//! self time, and Chrome Trace Event JSON out.
//!
//! Records arrive in batches (`ingest`): the JS `Profiler` writes them into
//! a typed array and hands the whole array over when it fills, so a span
//! costs no call across the boundary.

mod trace;

use serde::Serialize;
use std::collections::HashMap;
pub use trace::AppTraceEvent;

/// Floats per record: code, argument (name id or async token), time (ms),
/// wasm memory (bytes), JS heap (bytes, NaN when not measured).
pub const STRIDE: usize = 5;

pub const BEGIN: f64 = 1.0;
pub const END: f64 = 2.0;
/// The span on top of the stack returned a promise: it leaves the stack
/// (its synchronous part is over) and waits for `FINISH` with its token.
pub const DETACH: f64 = 3.0;
pub const FINISH: f64 = 4.0;

/// Completed spans kept for the trace by default (the tree keeps counting past it).
pub const DEFAULT_MAX_SPANS: usize = 200_000;

#[derive(Clone, Debug)]
struct Node {
    name: u32,
    parent: u32,
    children: Vec<u32>,
    count: u64,
    total: f64,
    self_time: f64,
    min: f64,
    max: f64,
    wasm_delta: f64,
    heap_delta: f64,
    heap_known: bool,
    is_async: bool,
}

impl Node {
    fn new(name: u32, parent: u32) -> Node {
        Node {
            name,
            parent,
            children: Vec::new(),
            count: 0,
            total: 0.0,
            self_time: 0.0,
            min: f64::INFINITY,
            max: 0.0,
            wasm_delta: 0.0,
            heap_delta: 0.0,
            heap_known: false,
            is_async: false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Open {
    node: u32,
    start: f64,
    child_time: f64,
    wasm: f64,
    heap: f64,
    depth: u32,
}

/// A completed span, for the trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub name: u32,
    pub start: f64,
    pub duration: f64,
    pub depth: u32,
    /// An async span (`profile` with a function returning a promise); `token` names it.
    pub token: Option<u64>,
    pub wasm_before: f64,
    pub wasm_after: f64,
    pub heap_before: f64,
    pub heap_after: f64,
}

#[derive(Clone, Debug)]
pub struct Profiler {
    names: Vec<String>,
    ids: HashMap<String, u32>,
    /// Node 0 is the root (no name).
    nodes: Vec<Node>,
    stack: Vec<Open>,
    detached: HashMap<u64, Open>,
    spans: Vec<Span>,
    max_spans: usize,
    dropped: u64,
    unmatched: u64,
    first: f64,
    last: f64,
}

impl Default for Profiler {
    fn default() -> Self {
        Profiler::new(DEFAULT_MAX_SPANS)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeNode {
    pub name: String,
    pub count: u64,
    pub total_ms: f64,
    /// Time in this span outside its child spans. For async spans, only the
    /// synchronous part (before the promise was returned) counts: waiting is
    /// not work.
    pub self_ms: f64,
    pub mean_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Summed change of wasm memory between the span's edges (bytes).
    pub wasm_delta_bytes: f64,
    /// Summed change of the JS heap, where measured (`heap: true` in Chromium).
    pub heap_delta_bytes: Option<f64>,
    #[serde(rename = "async")]
    pub is_async: bool,
    pub children: Vec<TreeNode>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hotspot {
    pub name: String,
    pub self_ms: f64,
    /// Share of all self time.
    pub self_percent: f64,
    /// Total time of the outermost calls (recursion counted once).
    pub total_ms: f64,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileReport {
    pub spans: u64,
    /// Completed spans left out of the trace past `maxSpans` (still in the tree).
    pub dropped_spans: u64,
    pub open_spans: u64,
    /// From the first record to the last.
    pub wall_ms: f64,
    pub tree: Vec<TreeNode>,
    pub hotspots: Vec<Hotspot>,
}

impl Profiler {
    pub fn new(max_spans: usize) -> Profiler {
        Profiler {
            names: Vec::new(),
            ids: HashMap::new(),
            nodes: vec![Node::new(u32::MAX, u32::MAX)],
            stack: Vec::new(),
            detached: HashMap::new(),
            spans: Vec::new(),
            max_spans,
            dropped: 0,
            unmatched: 0,
            first: f64::NAN,
            last: f64::NAN,
        }
    }

    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("?", String::as_str)
    }

    /// Forget every span (names stay interned).
    pub fn reset(&mut self) {
        self.nodes.truncate(1);
        self.nodes[0].children.clear();
        self.stack.clear();
        self.detached.clear();
        self.spans.clear();
        self.dropped = 0;
        self.unmatched = 0;
        self.first = f64::NAN;
        self.last = f64::NAN;
    }

    fn touch(&mut self, t: f64) {
        if self.first.is_nan() {
            self.first = t;
        }
        self.last = t;
    }

    fn child(&mut self, parent: u32, name: u32) -> u32 {
        if let Some(&c) = self.nodes[parent as usize]
            .children
            .iter()
            .find(|&&c| self.nodes[c as usize].name == name)
        {
            return c;
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(Node::new(name, parent));
        self.nodes[parent as usize].children.push(id);
        id
    }

    pub fn begin(&mut self, name: u32, t: f64, wasm: f64, heap: f64) {
        if name as usize >= self.names.len() {
            self.unmatched += 1;
            return;
        }
        self.touch(t);
        let parent = self.stack.last().map_or(0, |o| o.node);
        let node = self.child(parent, name);
        self.stack.push(Open {
            node,
            start: t,
            child_time: 0.0,
            wasm,
            heap,
            depth: self.stack.len() as u32,
        });
    }

    pub fn end(&mut self, t: f64, wasm: f64, heap: f64) {
        let Some(o) = self.stack.pop() else {
            self.unmatched += 1;
            return;
        };
        self.touch(t);
        let dur = (t - o.start).max(0.0);
        if let Some(p) = self.stack.last_mut() {
            p.child_time += dur;
        }
        let n = &mut self.nodes[o.node as usize];
        n.self_time += (dur - o.child_time).max(0.0);
        self.close(o, dur, wasm, heap, None);
    }

    /// The top span returned a promise: its synchronous part ends here.
    pub fn detach(&mut self, token: u64, t: f64) {
        let Some(o) = self.stack.pop() else {
            self.unmatched += 1;
            return;
        };
        self.touch(t);
        let on_thread = (t - o.start).max(0.0);
        if let Some(p) = self.stack.last_mut() {
            p.child_time += on_thread;
        }
        let n = &mut self.nodes[o.node as usize];
        n.self_time += (on_thread - o.child_time).max(0.0);
        n.is_async = true;
        self.detached.insert(token, o);
    }

    /// The promise of a detached span settled.
    pub fn finish(&mut self, token: u64, t: f64, wasm: f64, heap: f64) {
        let Some(o) = self.detached.remove(&token) else {
            self.unmatched += 1;
            return;
        };
        self.touch(t);
        let dur = (t - o.start).max(0.0);
        self.close(o, dur, wasm, heap, Some(token));
    }

    fn close(&mut self, o: Open, dur: f64, wasm: f64, heap: f64, token: Option<u64>) {
        let n = &mut self.nodes[o.node as usize];
        n.count += 1;
        n.total += dur;
        n.min = n.min.min(dur);
        n.max = n.max.max(dur);
        n.wasm_delta += wasm - o.wasm;
        if heap.is_finite() && o.heap.is_finite() {
            n.heap_delta += heap - o.heap;
            n.heap_known = true;
        }
        if self.spans.len() < self.max_spans {
            self.spans.push(Span {
                name: n.name,
                start: o.start,
                duration: dur,
                depth: o.depth,
                token,
                wasm_before: o.wasm,
                wasm_after: wasm,
                heap_before: o.heap,
                heap_after: heap,
            });
        } else {
            self.dropped += 1;
        }
    }

    /// Apply a batch of records (`STRIDE` floats each). A malformed record
    /// (unknown code, an end without a begin) is counted and skipped.
    pub fn ingest(&mut self, records: &[f64]) {
        for r in records.chunks_exact(STRIDE) {
            let (code, a, t, wasm, heap) = (r[0], r[1], r[2], r[3], r[4]);
            if !t.is_finite() {
                self.unmatched += 1;
                continue;
            }
            match code {
                BEGIN if a >= 0.0 && a < u32::MAX as f64 => self.begin(a as u32, t, wasm, heap),
                END => self.end(t, wasm, heap),
                DETACH if a >= 0.0 => self.detach(a as u64, t),
                FINISH if a >= 0.0 => self.finish(a as u64, t, wasm, heap),
                _ => self.unmatched += 1,
            }
        }
    }

    /// Records that matched nothing (ends without begins, unknown tokens or codes).
    pub fn unmatched(&self) -> u64 {
        self.unmatched
    }

    pub fn open_spans(&self) -> usize {
        self.stack.len() + self.detached.len()
    }

    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    fn tree_node(&self, id: u32) -> TreeNode {
        let n = &self.nodes[id as usize];
        let mut children: Vec<TreeNode> = n.children.iter().map(|&c| self.tree_node(c)).collect();
        children.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
        TreeNode {
            name: self.name(n.name).to_string(),
            count: n.count,
            total_ms: n.total,
            self_ms: n.self_time,
            mean_ms: if n.count > 0 {
                n.total / n.count as f64
            } else {
                0.0
            },
            min_ms: if n.count > 0 { n.min } else { 0.0 },
            max_ms: n.max,
            wasm_delta_bytes: n.wasm_delta,
            heap_delta_bytes: n.heap_known.then_some(n.heap_delta),
            is_async: n.is_async,
            children,
        }
    }

    /// Hotspots by self time, at most `limit`.
    pub fn hotspots(&self, limit: usize) -> Vec<Hotspot> {
        let mut by: HashMap<u32, (f64, f64, u64)> = HashMap::new();
        for n in self.nodes.iter().skip(1) {
            let e = by.entry(n.name).or_default();
            e.0 += n.self_time;
            e.2 += n.count;
            // Recursion: a node inside a node of the same name is already in that total.
            let mut p = n.parent;
            let mut nested = false;
            while p != 0 && p != u32::MAX {
                if self.nodes[p as usize].name == n.name {
                    nested = true;
                    break;
                }
                p = self.nodes[p as usize].parent;
            }
            if !nested {
                e.1 += n.total;
            }
        }
        let all: f64 = by.values().map(|v| v.0).sum();
        let mut out: Vec<Hotspot> = by
            .into_iter()
            .map(|(name, (s, t, c))| Hotspot {
                name: self.name(name).to_string(),
                self_ms: s,
                self_percent: if all > 0.0 { 100.0 * s / all } else { 0.0 },
                total_ms: t,
                count: c,
            })
            .collect();
        out.sort_by(|a, b| b.self_ms.total_cmp(&a.self_ms).then(a.name.cmp(&b.name)));
        out.truncate(limit);
        out
    }

    pub fn report(&self) -> ProfileReport {
        let mut tree: Vec<TreeNode> = self.nodes[0]
            .children
            .iter()
            .map(|&c| self.tree_node(c))
            .collect();
        tree.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
        ProfileReport {
            spans: self.nodes.iter().skip(1).map(|n| n.count).sum(),
            dropped_spans: self.dropped,
            open_spans: self.open_spans() as u64,
            wall_ms: if self.first.is_nan() {
                0.0
            } else {
                self.last - self.first
            },
            tree,
            hotspots: self.hotspots(20),
        }
    }

    /// Chrome Trace Event JSON (loads in Perfetto and DevTools).
    pub fn chrome_trace(&self) -> String {
        trace::chrome_trace(self, &[])
    }

    /// The trace with the app's own events merged in.
    pub fn chrome_trace_with(&self, events: &[AppTraceEvent]) -> String {
        trace::chrome_trace(self, events)
    }
}

#[cfg(test)]
mod tests;
