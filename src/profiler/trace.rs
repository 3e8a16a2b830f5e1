//! Chrome Trace Event JSON ("JSON Object Format"): complete events (`ph: "X"`)
//! for synchronous spans on one thread, nestable async events (`ph: "b"` /
//! `"e"`, one id per span) for async ones, and metadata naming both.
//! Timestamps are microseconds on the profiler's clock (performance.now()).

use super::Profiler;
use std::fmt::Write;

const PID: u32 = 1;
const TID: u32 = 1;

fn name_json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into())
}

/// A number as JSON (non-finite values become null, which JSON allows where numbers do not).
fn num(v: f64) -> String {
    if v.is_finite() {
        // Three decimals of a microsecond: nanoseconds, more than any clock here gives.
        let r = (v * 1000.0).round() / 1000.0;
        format!("{r}")
    } else {
        "null".into()
    }
}

fn mem_args(out: &mut String, s: &super::Span) {
    let _ = write!(
        out,
        "\"args\":{{\"wasmBytesBefore\":{},\"wasmBytesAfter\":{}",
        num(s.wasm_before),
        num(s.wasm_after)
    );
    if s.heap_before.is_finite() && s.heap_after.is_finite() {
        let _ = write!(
            out,
            ",\"heapBytesBefore\":{},\"heapBytesAfter\":{}",
            num(s.heap_before),
            num(s.heap_after)
        );
    }
    out.push('}');
}

pub(super) fn chrome_trace(p: &Profiler) -> String {
    let mut spans: Vec<&super::Span> = p.spans().iter().collect();
    // Parents before children: by start, then the longer first, then the shallower.
    spans.sort_by(|a, b| {
        a.start
            .total_cmp(&b.start)
            .then(b.duration.total_cmp(&a.duration))
            .then(a.depth.cmp(&b.depth))
    });
    let names: Vec<String> = (0..p.names.len() as u32)
        .map(|i| name_json(p.name(i)))
        .collect();
    let mut out = String::with_capacity(64 + spans.len() * 160);
    out.push_str("{\"traceEvents\":[");
    let _ = write!(
        out,
        "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{PID},\"tid\":{TID},\"args\":{{\"name\":\"flowscale profiler\"}}}},\
         {{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{PID},\"tid\":{TID},\"args\":{{\"name\":\"main\"}}}}"
    );
    let name_of = |id: u32| names.get(id as usize).map_or("\"?\"", String::as_str);
    for s in &spans {
        let ts = num(s.start * 1000.0);
        match s.token {
            None => {
                let _ = write!(
                    out,
                    ",{{\"name\":{},\"cat\":\"flowscale\",\"ph\":\"X\",\"ts\":{ts},\"dur\":{},\"pid\":{PID},\"tid\":{TID},",
                    name_of(s.name),
                    num(s.duration * 1000.0)
                );
                mem_args(&mut out, s);
                out.push('}');
            }
            Some(token) => {
                let _ = write!(
                    out,
                    ",{{\"name\":{},\"cat\":\"flowscale.async\",\"ph\":\"b\",\"id\":\"0x{token:x}\",\"ts\":{ts},\"pid\":{PID},\"tid\":{TID},",
                    name_of(s.name)
                );
                mem_args(&mut out, s);
                let _ = write!(
                    out,
                    "}},{{\"name\":{},\"cat\":\"flowscale.async\",\"ph\":\"e\",\"id\":\"0x{token:x}\",\"ts\":{},\"pid\":{PID},\"tid\":{TID}}}",
                    name_of(s.name),
                    num((s.start + s.duration) * 1000.0)
                );
            }
        }
    }
    let _ = write!(
        out,
        "],\"displayTimeUnit\":\"ms\",\"otherData\":{{\"producer\":\"flowscale\",\"droppedSpans\":{},\"openSpans\":{}}}}}",
        p.dropped,
        p.open_spans()
    );
    out
}
