//! Chrome Trace Event JSON ("JSON Object Format"): complete events (`ph: "X"`)
//! for synchronous spans on one thread, nestable async events (`ph: "b"` /
//! `"e"`, one id per span) for async ones, and metadata naming both. The
//! app's own events (`AppTraceEvent`) follow, one thread per track.
//! Timestamps are microseconds on the profiler's clock (performance.now()).

use super::Profiler;
use crate::error::{ErrorCode, FlowscaleError, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
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

/// One of the app's own events, merged into the trace beside the profiler's
/// spans: a span (with `duration`), a counter sample (with `values`) or an
/// instant (neither). Times are milliseconds on the profiler's clock; each
/// `track` is a row of its own (a thread named so) and the events' category.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppTraceEvent {
    pub track: String,
    pub name: String,
    pub start: f64,
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub values: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    pub args: Option<serde_json::Map<String, serde_json::Value>>,
}

impl AppTraceEvent {
    /// A JSON array of events (what `exportChromeTrace({ events })` passes);
    /// errors name the field under `path`.
    pub fn parse_list(json: &str, path: &str) -> Result<Vec<AppTraceEvent>> {
        let mut de = serde_json::Deserializer::from_str(json);
        let events: Vec<AppTraceEvent> =
            serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let at = e.path().to_string();
                let at = if at == "." { String::new() } else { at };
                FlowscaleError::at(
                    ErrorCode::InvalidArgument,
                    format!("{path}{at}"),
                    e.inner().to_string(),
                )
            })?;
        for (k, e) in events.iter().enumerate() {
            let bad = |field: &str, why: &str| {
                Err(FlowscaleError::at(
                    ErrorCode::InvalidArgument,
                    format!("{path}[{k}].{field}"),
                    why,
                ))
            };
            if let Some(d) = e.duration {
                if !(d.is_finite() && d >= 0.0) {
                    return bad(
                        "duration",
                        "a span's duration must be a finite number ≥ 0 (ms)",
                    );
                }
                if e.values.is_some() {
                    return bad(
                        "values",
                        "an event is a span (duration) or a counter sample (values), not both",
                    );
                }
            }
            if e.values.is_some() && e.args.is_some() {
                return bad("args", "a counter sample's values are its args");
            }
        }
        Ok(events)
    }
}

/// The app's events, each track on a thread of its own after the profiler's.
fn app_events(out: &mut String, events: &[AppTraceEvent]) {
    let mut tracks: Vec<&str> = Vec::new();
    for e in events {
        let k = match tracks.iter().position(|t| *t == e.track) {
            Some(k) => k,
            None => {
                tracks.push(&e.track);
                tracks.len() - 1
            }
        };
        let tid = TID + 1 + k as u32;
        let (ph, extra) = match (e.duration, &e.values) {
            (Some(d), _) => ("X", format!(",\"dur\":{}", num(d * 1000.0))),
            (None, Some(_)) => ("C", String::new()),
            (None, None) => ("i", ",\"s\":\"t\"".to_string()),
        };
        let _ = write!(
            out,
            ",{{\"name\":{},\"cat\":{},\"ph\":\"{ph}\",\"ts\":{}{extra},\"pid\":{PID},\"tid\":{tid}",
            name_json(&e.name),
            name_json(&e.track),
            num(e.start * 1000.0)
        );
        let args = match (&e.values, &e.args) {
            (Some(v), _) => serde_json::to_string(v).ok(),
            (None, Some(a)) => serde_json::to_string(a).ok(),
            (None, None) => None,
        };
        if let Some(a) = args {
            let _ = write!(out, ",\"args\":{a}");
        }
        out.push('}');
    }
    for (k, t) in tracks.iter().enumerate() {
        let _ = write!(
            out,
            ",{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{PID},\"tid\":{},\"args\":{{\"name\":{}}}}}",
            TID + 1 + k as u32,
            name_json(t)
        );
    }
}

pub(super) fn chrome_trace(p: &Profiler, events: &[AppTraceEvent]) -> String {
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
    app_events(&mut out, events);
    let _ = write!(
        out,
        "],\"displayTimeUnit\":\"ms\",\"otherData\":{{\"producer\":\"flowscale\",\"droppedSpans\":{},\"openSpans\":{}}}}}",
        p.dropped,
        p.open_spans()
    );
    out
}
