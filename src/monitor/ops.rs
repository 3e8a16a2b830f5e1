//! Operation tracking: every public call of the package (and every
//! `track(name, fn)` of the app) as one record — when it ended, how long it
//! took, how much memory it added, whether it failed. Bounded; statistics
//! per operation over a window, with the trend of its duration.

use super::stats::{fit, percentile_sorted, sorted};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// Records kept (oldest dropped first): about 12 minutes of 10 calls a second.
pub const DEFAULT_CAPACITY: usize = 8192;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpRecord {
    pub name: u32,
    /// Milliseconds on the caller's clock.
    pub start: f64,
    pub duration: f64,
    /// Change of wasm linear memory over the call (bytes; it only grows).
    pub wasm_delta: f64,
    /// Change of the JS heap's used size, where the browser reports it (NaN otherwise).
    pub heap_delta: f64,
    pub ok: bool,
}

impl OpRecord {
    pub fn end(&self) -> f64 {
        self.start + self.duration
    }
}

/// Where a duration is heading over the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Rising,
    Falling,
    Flat,
    /// Fewer than three calls, or all at one instant.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trend {
    /// Least-squares slope of duration over time.
    pub slope_ms_per_minute: Option<f64>,
    /// `rising`/`falling` when the fitted line changes by more than 10 % of
    /// the mean duration across the window; `flat` otherwise.
    pub direction: Direction,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpStats {
    pub name: String,
    pub calls: u64,
    pub errors: u64,
    pub error_rate_percent: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub last_ms: f64,
    /// Mean change of wasm memory per call (bytes).
    pub wasm_delta_bytes: f64,
    /// Mean change of the JS heap per call (bytes); null where unavailable.
    pub heap_delta_bytes: Option<f64>,
    pub trend: Trend,
    /// Calls since the page loaded (not only in the window).
    pub total_calls: u64,
    pub total_errors: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpSummary {
    pub calls: u64,
    pub errors: u64,
    /// Failed calls in the window, percent of calls; null without calls.
    pub error_rate_percent: Option<f64>,
    pub by_name: Vec<OpStats>,
}

#[derive(Clone, Debug)]
pub struct OperationLog {
    names: Vec<String>,
    ids: HashMap<String, u32>,
    totals: Vec<(u64, u64)>,
    records: VecDeque<OpRecord>,
    capacity: usize,
}

impl Default for OperationLog {
    fn default() -> Self {
        OperationLog::new(DEFAULT_CAPACITY)
    }
}

impl OperationLog {
    pub fn new(capacity: usize) -> OperationLog {
        OperationLog {
            names: Vec::new(),
            ids: HashMap::new(),
            totals: Vec::new(),
            records: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The id of an operation name (names are few; ids are what crosses per call).
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        self.totals.push((0, 0));
        id
    }

    pub fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }

    /// Record a finished call; an unknown name id is ignored.
    pub fn record(&mut self, r: OpRecord) {
        let Some(t) = self.totals.get_mut(r.name as usize) else {
            return;
        };
        t.0 += 1;
        if !r.ok {
            t.1 += 1;
        }
        if self.records.len() == self.capacity {
            self.records.pop_front();
        }
        self.records.push_back(r);
    }

    /// Records that ended in `[from, to]`.
    pub fn in_window(&self, from: f64, to: f64) -> impl Iterator<Item = &OpRecord> {
        self.records
            .iter()
            .filter(move |r| r.end() >= from && r.end() <= to)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Per-operation statistics over calls that ended in `[from, to]`.
    pub fn summary(&self, from: f64, to: f64) -> OpSummary {
        let mut by: HashMap<u32, Vec<&OpRecord>> = HashMap::new();
        for r in self.in_window(from, to) {
            by.entry(r.name).or_default().push(r);
        }
        let mut out = OpSummary::default();
        let mut names: Vec<u32> = by.keys().copied().collect();
        names.sort_unstable();
        for id in names {
            let rs = &by[&id];
            let s = stats_of(self.name(id).unwrap_or("?"), rs, self.totals[id as usize]);
            out.calls += s.calls;
            out.errors += s.errors;
            out.by_name.push(s);
        }
        out.error_rate_percent =
            (out.calls > 0).then(|| 100.0 * out.errors as f64 / out.calls as f64);
        out
    }
}

fn stats_of(name: &str, rs: &[&OpRecord], totals: (u64, u64)) -> OpStats {
    let n = rs.len() as f64;
    let d = sorted(rs.iter().map(|r| r.duration));
    let errors = rs.iter().filter(|r| !r.ok).count() as u64;
    let mean = d.iter().sum::<f64>() / n;
    let heap: Vec<f64> = rs
        .iter()
        .map(|r| r.heap_delta)
        .filter(|h| h.is_finite())
        .collect();
    let last = rs
        .iter()
        .max_by(|a, b| a.end().total_cmp(&b.end()))
        .map_or(0.0, |r| r.duration);
    OpStats {
        name: name.to_string(),
        calls: rs.len() as u64,
        errors,
        error_rate_percent: 100.0 * errors as f64 / n,
        mean_ms: mean,
        p50_ms: percentile_sorted(&d, 50.0).unwrap_or(0.0),
        p95_ms: percentile_sorted(&d, 95.0).unwrap_or(0.0),
        max_ms: d.last().copied().unwrap_or(0.0),
        last_ms: last,
        wasm_delta_bytes: rs.iter().map(|r| r.wasm_delta).sum::<f64>() / n,
        heap_delta_bytes: (!heap.is_empty()).then(|| heap.iter().sum::<f64>() / heap.len() as f64),
        trend: trend(rs.iter().map(|r| (r.end(), r.duration)), mean),
        total_calls: totals.0,
        total_errors: totals.1,
    }
}

/// The trend of `(time ms, duration ms)` points around their mean duration.
pub fn trend(points: impl Iterator<Item = (f64, f64)>, mean: f64) -> Trend {
    let pts: Vec<(f64, f64)> = points.collect();
    let unknown = Trend {
        slope_ms_per_minute: None,
        direction: Direction::Unknown,
    };
    if pts.len() < 3 {
        return unknown;
    }
    let (lo, hi) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.0), a.1.max(p.0))
    });
    let Some(f) = fit(pts) else {
        return unknown;
    };
    let change = f.slope * (hi - lo);
    let direction = if mean > 0.0 && change > 0.1 * mean {
        Direction::Rising
    } else if mean > 0.0 && change < -0.1 * mean {
        Direction::Falling
    } else {
        Direction::Flat
    };
    Trend {
        slope_ms_per_minute: Some(f.slope * 60_000.0),
        direction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: u32, start: f64, duration: f64, ok: bool) -> OpRecord {
        OpRecord {
            name,
            start,
            duration,
            wasm_delta: 64.0,
            heap_delta: f64::NAN,
            ok,
        }
    }

    #[test]
    fn stats_error_rate_and_trend_per_operation() {
        let mut log = OperationLog::new(100);
        let layout = log.intern("layoutWorkflow");
        let cache = log.intern("cache.get");
        assert_eq!(log.intern("layoutWorkflow"), layout);
        // layout slows down by 10 ms a second; cache is flat with 1 failure in 4.
        for i in 0..10 {
            let t = i as f64 * 1000.0;
            log.record(rec(layout, t, 100.0 + 10.0 * i as f64, true));
        }
        for (i, ok) in [true, false, true, true].into_iter().enumerate() {
            log.record(rec(cache, i as f64 * 2000.0, 5.0, ok));
        }
        log.record(rec(99, 0.0, 1.0, true)); // unknown id: ignored
        let s = log.summary(0.0, 20_000.0);
        assert_eq!((s.calls, s.errors), (14, 1));
        assert!((s.error_rate_percent.unwrap() - 100.0 / 14.0).abs() < 1e-9);
        let l = &s.by_name[0];
        assert_eq!(l.name, "layoutWorkflow");
        assert_eq!(l.trend.direction, Direction::Rising);
        // Calls end 1010 ms apart, each 10 ms slower.
        assert!((l.trend.slope_ms_per_minute.unwrap() - 10.0 / 1010.0 * 60_000.0).abs() < 1e-6);
        assert_eq!(l.max_ms, 190.0);
        assert_eq!(l.last_ms, 190.0);
        assert!((l.mean_ms - 145.0).abs() < 1e-9);
        assert_eq!(l.wasm_delta_bytes, 64.0);
        assert_eq!(l.heap_delta_bytes, None);
        let c = &s.by_name[1];
        assert_eq!(c.trend.direction, Direction::Flat);
        assert_eq!(c.error_rate_percent, 25.0);
        assert_eq!((c.total_calls, c.total_errors), (4, 1));
        // A window with only the last two layout calls.
        let s = log.summary(8500.0, 9500.0 + 200.0);
        assert_eq!(s.calls, 1);
        assert_eq!(s.by_name[0].trend.direction, Direction::Unknown);
        assert_eq!(log.summary(1e9, 2e9).error_rate_percent, None);
    }

    #[test]
    fn falling_and_bounded() {
        let mut log = OperationLog::new(5);
        let op = log.intern("op");
        for i in 0..10 {
            log.record(rec(op, i as f64 * 100.0, 100.0 - 9.0 * i as f64, true));
        }
        assert_eq!(log.len(), 5);
        let s = log.summary(0.0, 1e6);
        assert_eq!(s.by_name[0].calls, 5);
        assert_eq!(s.by_name[0].total_calls, 10);
        assert_eq!(s.by_name[0].trend.direction, Direction::Falling);
    }
}
