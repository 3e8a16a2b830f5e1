//! `MonitorCore` and `ProfilerCore`: the Rust halves of `PerformanceMonitor`
//! and `Profiler` (`web/monitor.js` holds the public classes, which
//! collect samples and span records and hand them over in batches), and the
//! package-wide operation log that `track()` and every instrumented public
//! call write to. Thin: numbers in, JSON-shaped objects out.

use super::{config_from_js, init_once, invalid, to_js};
use crate::error::ErrorCode;
use crate::monitor::ops::{OpRecord, OperationLog};
use crate::monitor::{ActiveOps, AlertThresholds, BusyKind, MemorySample, Monitor, Supports};
use crate::profiler::{AppTraceEvent, Profiler, DEFAULT_MAX_SPANS, STRIDE};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/monitor.js")]
extern "C" {
    /// Floats per span record as monitor.js writes them.
    #[wasm_bindgen(js_name = recordStride)]
    fn record_stride() -> u32;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface AlertThresholds {
  cpuPercent: number; memoryMb: number; operationMs: number; errorRatePercent: number; cacheHitRateMinPercent: number;
}
export interface MonitoringConfig {
  /** Window of snapshot() and of alert evaluation (10). */
  windowSeconds: number;
  /** Samples older than this are dropped; the longest report window (300). */
  retainSeconds: number;
  /** Alerts kept in history (100; active ones are never dropped). */
  alertHistory: number;
  /** Memory must keep growing over this window to count as a leak (60), by at least leakMinGrowthMb (10). */
  leakWindowSeconds: number; leakMinGrowthMb: number;
  /** Calls (5) and cache lookups (20) in the window before the error rate and hit rate can alert. */
  minCallsForErrorRate: number; minLookupsForHitRate: number;
}
export interface FlowscaleConfig { monitoring: MonitoringConfig; }
/** A metric group that could not be measured here says why instead of holding numbers. */
export interface Unavailable { available: false; reason: string; }
export type Measured<T> = ({ available: true } & T) | Unavailable;
export interface MonitoringState {
  active: boolean; intervalSeconds: number; windowSeconds: number;
  startedAt: number | null; stoppedAt: number | null; samples: number;
  environment: 'window' | 'worker' | 'node' | 'unknown' | '';
}
export interface FrameMetrics {
  available: boolean; reason?: string;
  fps: number | null; frames: number;
  frameTimeMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  /** Frames longer than 25 ms (a 60 Hz deadline missed by half a frame). */
  slowFrames: number;
}
export interface MainThreadMetrics {
  available: boolean; reason?: string;
  /** The browser's stand-in for CPU %: the share of the window covered by long tasks and long animation frames. */
  busyPercent: number | null;
  longTasks: number; longAnimationFrames: number; longestMs: number | null; totalBlockingMs: number | null;
  sources: ('longtask' | 'long-animation-frame')[]; note: string;
}
export interface Leak { growthMbPerMinute: number; growthMb: number; suspected: boolean; }
export interface MemoryMetrics {
  totalMb: number;
  source: 'userAgentSpecificMemory' | 'jsHeap+wasm' | 'wasm' | 'none';
  /**
   * Part of the page's memory is not counted, so totalMb is a lower bound: true for every source
   * (userAgentSpecificMemory misses GPU memory; jsHeap+wasm DOM, canvas and GPU memory; wasm the JS heap too).
   */
  partial: boolean;
  jsHeap: Measured<{ usedMb: number; totalMb: number; limitMb: number; at: number; precise: boolean }>;
  userAgentSpecific: Measured<{ mb: number; at: number }>;
  wasm: Measured<{ mb: number; at: number }>;
  leak: { windowSeconds: number; jsHeap: Measured<Leak>; wasm: Measured<Leak> };
  /** An estimate from heap drops (a lower bound). */
  gc: Measured<{ perMinute: number; drops: number; note: string }>;
}
export interface OperationTrend { slopeMsPerMinute: number | null; direction: 'rising' | 'falling' | 'flat' | 'unknown'; }
export interface OperationStats {
  name: string; calls: number; errors: number; errorRatePercent: number;
  meanMs: number; p50Ms: number; p95Ms: number; maxMs: number; lastMs: number;
  wasmDeltaBytes: number; heapDeltaBytes: number | null;
  trend: OperationTrend; totalCalls: number; totalErrors: number;
}
export interface OperationSummary { calls: number; errors: number; errorRatePercent: number | null; byName: OperationStats[]; }
export interface MonitorSnapshot {
  at: number; windowSeconds: number;
  monitoring: MonitoringState;
  frames: FrameMetrics;
  mainThread: MainThreadMetrics;
  memory: MemoryMetrics;
  storage: Measured<{ usageMb: number; quotaMb: number; usagePercent: number; at: number }>;
  network: Measured<{ bytesPerSecond: number; bytes: number; resources: number; zeroByteResources: number }>;
  /** INP-style: the worst interaction latency skipping one per 50 (web-vitals' p98 estimate). */
  interactions: Measured<{ inpMs: number | null; interactions: number; inputDelayP98Ms: number | null }>;
  cache: Measured<{ hitRatePercent: number | null; lookups: number; hits: number }>;
  operations: OperationSummary & { active: { count: number; names: string[] } };
  activeAlerts: number;
}
export interface Alert {
  id: number;
  /** 'cpu' | 'memory' | 'errorRate' | 'cacheHitRate' | 'operation:<name>' | 'memoryLeak:jsHeap' | 'memoryLeak:wasm' | 'wasmTrap' (a negative id; in `history` only) */
  key: string;
  metric: string;
  severity: 'info' | 'warning' | 'critical';
  state: 'active' | 'resolved';
  /** What onAlert was last called for. */
  change: 'raised' | 'escalated' | 'resolved';
  message: string; value: number; peak: number; threshold: number;
  raisedAt: number; updatedAt: number; resolvedAt: number | null; occurrences: number;
}
/**
 * A KPI against its targets. `inconclusive`: the value is a lower bound (`lowerBound`) under the fail target, so
 * the truth may be on either side of the targets; a lower bound over the fail target still fails.
 */
export type Verdict = 'pass' | 'acceptable' | 'inconclusive' | 'fail' | 'unavailable';
export interface Kpi {
  id: 'fps' | 'memoryMb' | 'cpuPercent' | 'cacheHitRatePercent' | 'loadSeconds';
  label: string; value: number | null; unit: string;
  target: { pass: number; acceptable: number; better: 'higher' | 'lower'; inclusive: boolean };
  verdict: Verdict;
  /** The value counts only part of the KPI (memory without GPU memory, CPU from long tasks only): the truth is at least this. */
  lowerBound: boolean;
  source?: string;
  /** Why there is no value, or why the verdict is inconclusive. */
  reason?: string;
}
export interface PerformanceReport {
  generatedAt: number; windowSeconds: number; from: number; to: number;
  /** The worst verdict among KPIs with a value: fail, else inconclusive, else acceptable, else pass. */
  verdict: Verdict;
  kpis: Kpi[];
  frames: FrameMetrics; mainThread: MainThreadMetrics; operations: OperationSummary;
  alerts: { active: Alert[]; inWindow: Alert[] };
}
export interface ProfileNode {
  name: string; count: number; totalMs: number; selfMs: number; meanMs: number; minMs: number; maxMs: number;
  wasmDeltaBytes: number; heapDeltaBytes: number | null; async: boolean; children: ProfileNode[];
}
export interface Hotspot { name: string; selfMs: number; selfPercent: number; totalMs: number; count: number; }
export interface ProfileReport {
  spans: number; droppedSpans: number; openSpans: number; wallMs: number;
  tree: ProfileNode[]; hotspots: Hotspot[];
}
"#;

thread_local! {
    /// Every operation of this wasm instance (the package's public calls and `track`).
    static OPS: RefCell<OperationLog> = RefCell::new(OperationLog::default());
}

/// Read the operation log (the monitor and the manager's status).
pub(crate) fn with_ops<R>(f: impl FnOnce(&OperationLog) -> R) -> R {
    OPS.with(|o| f(&o.borrow()))
}

/// A serde value as a plain JS object (small summaries only).
pub(crate) fn to_plain<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| invalid(ErrorCode::InvalidArgument, "", format!("internal: {e}")))?;
    js_sys::JSON::parse(&text)
        .map_err(|_| invalid(ErrorCode::InvalidArgument, "", "internal: JSON"))
}

/// A JSON-like JS value as text (through `JSON.stringify`, which also
/// catches throwing getters).
fn json_text(value: &JsValue, path: &str) -> Result<String, JsValue> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| invalid(ErrorCode::InvalidArgument, path, "expected a plain object"))
}

/// The Rust core of a `PerformanceMonitor` (internal: use `PerformanceMonitor`).
#[wasm_bindgen(js_name = MonitorCore)]
pub struct JsMonitorCore {
    m: Monitor,
}

#[wasm_bindgen(js_class = MonitorCore)]
impl JsMonitorCore {
    /// A monitor with the config's `monitoring`, `alertThresholds` and `monitoringIntervalSeconds`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<JsMonitorCore, JsValue> {
        init_once();
        let cfg = config_from_js(&config)?;
        Self::from_config(&cfg)
    }

    /// Which APIs the JS side found (`Supports` as JSON).
    #[wasm_bindgen(js_name = setSupports)]
    pub fn set_supports(&mut self, json: &str) -> Result<(), JsValue> {
        let s: Supports = serde_json::from_str(json)
            .map_err(|e| invalid(ErrorCode::InvalidArgument, "supports", e.to_string()))?;
        self.m.set_supports(s);
        Ok(())
    }

    pub fn start(&mut self, now: f64, interval_seconds: f64) -> Result<(), JsValue> {
        self.m.start(now, interval_seconds).map_err(to_js)
    }

    pub fn stop(&mut self, now: f64) {
        self.m.stop(now);
    }

    #[wasm_bindgen(getter)]
    pub fn running(&self) -> bool {
        self.m.is_running()
    }

    pub fn state(&self) -> Result<JsValue, JsValue> {
        to_plain(&self.m.state())
    }

    /// requestAnimationFrame timestamps, in order.
    pub fn frames(&mut self, timestamps: &[f64]) {
        self.m.frames(timestamps);
    }

    #[wasm_bindgen(js_name = frameBreak)]
    pub fn frame_break(&mut self) {
        self.m.frame_break();
    }

    /// Triples: kind (0 long task, 1 long animation frame), start, duration.
    pub fn busy(&mut self, triples: &[f64]) {
        for c in triples.chunks_exact(3) {
            let kind = if c[0] == 1.0 {
                BusyKind::LongAnimationFrame
            } else {
                BusyKind::LongTask
            };
            self.m.busy(kind, c[1], c[2]);
        }
    }

    /// Quads of Event Timing: start, duration, input delay, interactionId.
    pub fn events(&mut self, quads: &[f64]) {
        for c in quads.chunks_exact(4) {
            self.m.event(c[0], c[1], c[2], c[3]);
        }
    }

    /// Pairs of Resource Timing: responseEnd, transferSize.
    pub fn resources(&mut self, pairs: &[f64]) {
        for c in pairs.chunks_exact(2) {
            self.m.resource(c[0], c[1]);
        }
    }

    /// One memory sample; NaN where the JS heap is not observable.
    pub fn memory(&mut self, t: f64, heap_used: f64, heap_total: f64, heap_limit: f64, wasm: f64) {
        self.m.memory(MemorySample {
            t,
            heap_used,
            heap_total,
            heap_limit,
            wasm,
        });
    }

    #[wasm_bindgen(js_name = userAgentMemory)]
    pub fn user_agent_memory(&mut self, t: f64, bytes: f64) {
        self.m.user_agent_memory(t, bytes);
    }

    pub fn storage(&mut self, t: f64, usage: f64, quota: f64) {
        self.m.storage(t, usage, quota);
    }

    #[wasm_bindgen(js_name = storageUnavailable)]
    pub fn storage_unavailable(&mut self, reason: &str) {
        self.m.storage_unavailable(reason);
    }

    #[wasm_bindgen(js_name = cacheCounters)]
    pub fn cache_counters(&mut self, t: f64, hits: f64, misses: f64) {
        self.m.cache_counters(t, hits, misses);
    }

    #[wasm_bindgen(js_name = navigationLoad)]
    pub fn navigation_load(&mut self, ms: f64) {
        self.m.navigation_load(ms);
    }

    #[wasm_bindgen(getter, js_name = hasNavigationLoad)]
    pub fn has_navigation_load(&self) -> bool {
        self.m.navigation_load_ms().is_some()
    }

    /// Compare with the thresholds; the alerts that changed.
    pub fn evaluate(&mut self, now: f64) -> Result<JsValue, JsValue> {
        let changed = with_ops(|ops| self.m.evaluate(now, ops));
        to_plain(&changed)
    }

    /// `active`: `{ count, names }` of operations in flight.
    pub fn snapshot(&self, now: f64, active_json: &str) -> Result<JsValue, JsValue> {
        let active: ActiveOps = serde_json::from_str(active_json).unwrap_or_default();
        let s = with_ops(|ops| self.m.snapshot(now, ops, active));
        to_plain(&s)
    }

    pub fn report(&self, now: f64, window_seconds: f64) -> Result<JsValue, JsValue> {
        let r = with_ops(|ops| self.m.report(now, window_seconds, ops)).map_err(to_js)?;
        to_plain(&r)
    }

    /// `{ active, history }`, oldest first.
    pub fn alerts(&self) -> Result<JsValue, JsValue> {
        #[derive(Serialize)]
        struct Out<'a> {
            active: Vec<&'a crate::monitor::alerts::Alert>,
            history: Vec<&'a crate::monitor::alerts::Alert>,
        }
        let a = self.m.alerts();
        to_plain(&Out {
            active: a.active().collect(),
            history: a.history().collect(),
        })
    }

    pub fn thresholds(&self) -> Result<JsValue, JsValue> {
        to_plain(self.m.thresholds())
    }

    /// Merge a partial `alertThresholds` object into the current ones; all or nothing.
    #[wasm_bindgen(js_name = setThresholds)]
    pub fn set_thresholds(&mut self, partial: JsValue) -> Result<JsValue, JsValue> {
        if !partial.is_object() {
            return Err(invalid(
                ErrorCode::InvalidConfig,
                "alertThresholds",
                "expected an object such as { cpuPercent: 70 }",
            ));
        }
        let text = json_text(&partial, "alertThresholds")?;
        let mut base = serde_json::to_value(self.m.thresholds()).unwrap_or_default();
        let patch: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| invalid(ErrorCode::InvalidConfig, "alertThresholds", e.to_string()))?;
        if let (Some(b), Some(p)) = (base.as_object_mut(), patch.as_object()) {
            for (k, v) in p {
                b.insert(k.clone(), v.clone());
            }
        }
        let t: AlertThresholds = serde_path_to_error::deserialize(base).map_err(|e| {
            invalid(
                ErrorCode::InvalidConfig,
                &format!("alertThresholds.{}", e.path()),
                e.inner().to_string(),
            )
        })?;
        self.m.set_thresholds(t).map_err(to_js)?;
        self.thresholds()
    }

    /// The id of an operation name (operation log).
    #[wasm_bindgen(js_name = opName)]
    pub fn op_name(name: &str) -> u32 {
        init_once();
        OPS.with(|o| o.borrow_mut().intern(name))
    }

    /// Record a finished operation (`track` and the instrumented public calls).
    #[wasm_bindgen(js_name = opRecord)]
    pub fn op_record(
        id: u32,
        start: f64,
        duration: f64,
        wasm_delta: f64,
        heap_delta: f64,
        ok: bool,
    ) {
        OPS.with(|o| {
            o.borrow_mut().record(OpRecord {
                name: id,
                start,
                duration,
                wasm_delta,
                heap_delta,
                ok,
            })
        });
    }
}

impl JsMonitorCore {
    pub(crate) fn from_config(cfg: &crate::Config) -> Result<JsMonitorCore, JsValue> {
        Ok(JsMonitorCore {
            m: Monitor::new(
                cfg.monitoring.clone(),
                cfg.alert_thresholds.clone(),
                cfg.monitoring_interval_seconds,
            )
            .map_err(to_js)?,
        })
    }
}

/// The Rust core of a `Profiler` (internal: use `Profiler`).
#[wasm_bindgen(js_name = ProfilerCore)]
pub struct JsProfilerCore {
    p: Profiler,
}

#[wasm_bindgen(js_class = ProfilerCore)]
impl JsProfilerCore {
    /// `max_spans`: completed spans kept for the trace.
    #[wasm_bindgen(constructor)]
    pub fn new(max_spans: Option<f64>) -> Result<JsProfilerCore, JsValue> {
        init_once();
        if record_stride() as usize != STRIDE {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                "",
                "internal: monitor.js and the wasm module disagree on the record layout",
            ));
        }
        let max = match max_spans {
            None => DEFAULT_MAX_SPANS,
            Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 1e8 => v as usize,
            Some(_) => {
                return Err(invalid(
                    ErrorCode::InvalidConfig,
                    "options.maxSpans",
                    "maxSpans must be a whole number from 0 to 100000000",
                ))
            }
        };
        Ok(JsProfilerCore {
            p: Profiler::new(max),
        })
    }

    /// The id of a span name.
    pub fn name(&mut self, name: &str) -> u32 {
        self.p.intern(name)
    }

    /// A batch of span records (`STRIDE` floats each).
    pub fn ingest(&mut self, records: &[f64]) {
        self.p.ingest(records);
    }

    pub fn report(&self) -> Result<JsValue, JsValue> {
        to_plain(&self.p.report())
    }

    /// Chrome Trace Event JSON text, with the app's own events (a JSON
    /// array of `AppTraceEvent`) merged in.
    pub fn trace(&self, events: Option<String>) -> Result<String, JsValue> {
        match events {
            None => Ok(self.p.chrome_trace()),
            Some(json) => {
                let events = AppTraceEvent::parse_list(&json, "options.events").map_err(to_js)?;
                Ok(self.p.chrome_trace_with(&events))
            }
        }
    }

    pub fn reset(&mut self) {
        self.p.reset();
    }

    #[wasm_bindgen(getter)]
    pub fn unmatched(&self) -> f64 {
        self.p.unmatched() as f64
    }
}
