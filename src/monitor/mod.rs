//! The performance monitor's platform-free core: samples in (frame
//! timestamps, long tasks, memory, storage, network, interactions, cache
//! counters — each with the caller's clock), metrics, alerts and reports out.
//! The browser half (`web/monitor.js`: requestAnimationFrame,
//! PerformanceObserver, `performance.memory`, `navigator.storage`) only
//! collects samples and feeds them here; tests feed fake ones.
//!
//! Every metric says when it is unavailable (and why) instead of inventing
//! a number: the groups of a `Snapshot` carry `available` and `reason`.

pub mod alerts;
pub mod ops;
pub mod report;
pub mod stats;

use crate::error::{check_config, Result};
use alerts::{Alert, Alerts, Breach, Direction};
use ops::{OpSummary, OperationLog};
use serde::{Deserialize, Serialize};
use stats::{covered, fit, inp_p98, percentile_sorted, sorted};
use std::collections::VecDeque;

const MB: f64 = 1024.0 * 1024.0;

/// `monitoring.*` in the config: windows and limits of the monitor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MonitoringConfig {
    /// Window of `snapshot()` and of alert evaluation.
    pub window_seconds: f64,
    /// Samples older than this are dropped (the longest `report` window).
    pub retain_seconds: f64,
    /// Alerts kept in history (active ones are never dropped).
    pub alert_history: u32,
    /// Window over which memory must keep growing to count as a leak.
    pub leak_window_seconds: f64,
    /// Growth over that window below which no leak is reported.
    pub leak_min_growth_mb: f64,
    /// Calls needed in the window before the error rate can raise an alert.
    pub min_calls_for_error_rate: u32,
    /// Cache lookups needed in the window before the hit rate can raise an alert.
    pub min_lookups_for_hit_rate: u32,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        MonitoringConfig {
            window_seconds: 10.0,
            retain_seconds: 300.0,
            alert_history: 100,
            leak_window_seconds: 60.0,
            leak_min_growth_mb: 10.0,
            min_calls_for_error_rate: 5,
            min_lookups_for_hit_rate: 20,
        }
    }
}

impl MonitoringConfig {
    pub fn validate(&self) -> Result<()> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        check_seconds(self.window_seconds, "monitoring.windowSeconds")?;
        check_config(
            pos(self.retain_seconds)
                && self.retain_seconds >= self.window_seconds
                && self.retain_seconds <= 86_400.0,
            "monitoring.retainSeconds",
            "a number of seconds ≥ monitoring.windowSeconds and ≤ 86400",
        )?;
        check_config(
            self.alert_history != 0,
            "monitoring.alertHistory",
            "at least 1",
        )?;
        check_config(
            pos(self.leak_window_seconds) && self.leak_window_seconds <= self.retain_seconds,
            "monitoring.leakWindowSeconds",
            "a positive number of seconds ≤ monitoring.retainSeconds",
        )?;
        check_config(
            pos(self.leak_min_growth_mb),
            "monitoring.leakMinGrowthMb",
            "a positive number",
        )
    }
}

/// Config key `alertThresholds`: when the monitor raises an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlertThresholds {
    pub cpu_percent: f64,
    pub memory_mb: f64,
    pub operation_ms: f64,
    pub error_rate_percent: f64,
    pub cache_hit_rate_min_percent: f64,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            cpu_percent: 80.0,
            memory_mb: 1024.0,
            operation_ms: 1000.0,
            error_rate_percent: 5.0,
            cache_hit_rate_min_percent: 50.0,
        }
    }
}

impl AlertThresholds {
    pub fn validate(&self) -> Result<()> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        let pct = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
        check_config(
            pct(self.cpu_percent),
            "alertThresholds.cpuPercent",
            "a percentage in [0, 100]",
        )?;
        check_config(
            pos(self.memory_mb),
            "alertThresholds.memoryMb",
            "a positive number",
        )?;
        check_config(
            pos(self.operation_ms),
            "alertThresholds.operationMs",
            "a positive number",
        )?;
        check_config(
            pct(self.error_rate_percent),
            "alertThresholds.errorRatePercent",
            "a percentage in [0, 100]",
        )?;
        check_config(
            pct(self.cache_hit_rate_min_percent),
            "alertThresholds.cacheHitRateMinPercent",
            "a percentage in [0, 100]",
        )
    }
}

/// A monitoring interval or window (`path` names the key): seconds in (0, 3600].
pub(crate) fn check_seconds(seconds: f64, path: &str) -> Result<()> {
    check_config(
        seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0,
        path,
        "a number of seconds in (0, 3600]",
    )
}

/// Which browser APIs the adapter found (it says; the core never guesses).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Supports {
    /// `window`, `worker` or `node`.
    pub environment: String,
    pub animation_frames: bool,
    pub long_tasks: bool,
    pub long_animation_frames: bool,
    pub event_timing: bool,
    pub resource_timing: bool,
    /// `performance.memory` (Chromium).
    pub js_heap: bool,
    /// `performance.measureUserAgentSpecificMemory` (needs cross-origin isolation).
    pub user_agent_memory: bool,
    pub cross_origin_isolated: bool,
    pub storage_estimate: bool,
}

/// A long task or long animation frame: main-thread time the page could not respond in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusyKind {
    LongTask,
    LongAnimationFrame,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Busy {
    start: f64,
    end: f64,
    kind: BusyKind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemorySample {
    pub t: f64,
    /// `performance.memory` (bytes), NaN where unavailable.
    pub heap_used: f64,
    pub heap_total: f64,
    pub heap_limit: f64,
    /// wasm linear memory (bytes): always known.
    pub wasm: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Interaction {
    t: f64,
    id: f64,
    duration: f64,
    input_delay: f64,
}

#[derive(Clone, Debug, PartialEq)]
enum StorageState {
    NotYet,
    Unavailable(String),
    Known { t: f64, usage: f64, quota: f64 },
}

/// Operations in flight, as the adapter counts them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActiveOps {
    pub count: u32,
    pub names: Vec<String>,
}

/// The monitor. Times are milliseconds on one clock (`performance.now()` in
/// browsers, a fake one in tests).
#[derive(Clone, Debug)]
pub struct Monitor {
    cfg: MonitoringConfig,
    thresholds: AlertThresholds,
    interval_seconds: f64,
    supports: Supports,
    running: bool,
    started_at: Option<f64>,
    stopped_at: Option<f64>,
    samples: u64,
    /// rAF timestamps; NaN marks a break (page hidden: no interval across it).
    frames: VecDeque<f64>,
    busy: VecDeque<Busy>,
    memory: VecDeque<MemorySample>,
    ua_memory: Option<(f64, f64)>,
    storage: StorageState,
    /// (responseEnd, transferSize).
    resources: VecDeque<(f64, f64)>,
    interactions: VecDeque<Interaction>,
    /// (t, cumulative hits, cumulative misses).
    cache: VecDeque<(f64, f64, f64)>,
    navigation_load_ms: Option<f64>,
    alerts: Alerts,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringState {
    pub active: bool,
    pub interval_seconds: f64,
    pub window_seconds: f64,
    pub started_at: Option<f64>,
    pub stopped_at: Option<f64>,
    /// Samples taken (one per interval).
    pub samples: u64,
    pub environment: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameTimes {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameMetrics {
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Frames per second: intervals in the window ÷ the time they span.
    pub fps: Option<f64>,
    pub frames: u64,
    pub frame_time_ms: FrameTimes,
    /// Frames longer than 1.5 × 1000/60 ms (a 60 Hz deadline missed).
    pub slow_frames: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MainThreadMetrics {
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Share of the window covered by long tasks and long animation frames.
    pub busy_percent: Option<f64>,
    pub long_tasks: u64,
    pub long_animation_frames: u64,
    pub longest_ms: Option<f64>,
    /// Sum over long tasks of their time past 50 ms (Lighthouse's TBT).
    pub total_blocking_ms: Option<f64>,
    pub sources: Vec<&'static str>,
    pub note: &'static str,
}

const BUSY_NOTE: &str =
    "Browsers do not expose CPU usage. This is the browser's stand-in: the share of the window \
     covered by long tasks and long animation frames (50 ms or more on the main thread). \
     Shorter tasks are not counted, so it reads low for many short tasks.";

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Availability<T> {
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub value: Option<T>,
}

impl<T> Availability<T> {
    fn yes(value: T) -> Self {
        Availability {
            available: true,
            reason: None,
            value: Some(value),
        }
    }
    fn no(reason: impl Into<String>) -> Self {
        Availability {
            available: false,
            reason: Some(reason.into()),
            value: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsHeap {
    pub used_mb: f64,
    pub total_mb: f64,
    pub limit_mb: f64,
    pub at: f64,
    /// Chromium rounds these unless the page is cross-origin isolated.
    pub precise: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UaMemory {
    pub mb: f64,
    pub at: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmMemory {
    pub mb: f64,
    pub at: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Leak {
    /// Growth of the lowest value per quarter of the window, per minute.
    pub growth_mb_per_minute: f64,
    pub growth_mb: f64,
    /// The lowest value rose in every quarter of the window by at least leakMinGrowthMb in all.
    pub suspected: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcEstimate {
    pub per_minute: f64,
    pub drops: u64,
    pub note: &'static str,
}

const GC_NOTE: &str = "An estimate: drops of the JS heap of 1 MB or more between two samples. \
     Several collections between samples count once, and Chromium rounds the heap size, so it is a lower bound.";

/// What a memory total from `source` leaves out. No source counts
/// everything: even `measureUserAgentSpecificMemory` leaves GPU memory out.
pub fn partial_memory_note(source: &str) -> &'static str {
    match source {
        "userAgentSpecificMemory" => "GPU memory is not counted",
        "jsHeap+wasm" => "DOM, canvas and GPU memory are not counted",
        "wasm" => "only wasm linear memory is counted (no JS heap, DOM, canvas or GPU memory here)",
        "none" => "nothing is counted",
        _ => "not everything is counted",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryMetrics {
    /// The best total: measureUserAgentSpecificMemory, else JS heap + wasm, else wasm alone.
    pub total_mb: f64,
    /// `userAgentSpecificMemory`, `jsHeap+wasm` or `wasm`.
    pub source: &'static str,
    /// True when part of the page's memory is not counted — with every
    /// source a browser offers: `userAgentSpecificMemory` misses GPU memory,
    /// `jsHeap+wasm` DOM, canvas and GPU memory, `wasm` the JS heap too.
    /// `totalMb` is then a lower bound.
    pub partial: bool,
    pub js_heap: Availability<JsHeap>,
    pub user_agent_specific: Availability<UaMemory>,
    pub wasm: Availability<WasmMemory>,
    pub leak: LeakMetrics,
    pub gc: Availability<GcEstimate>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeakMetrics {
    pub window_seconds: f64,
    pub js_heap: Availability<Leak>,
    pub wasm: Availability<Leak>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    pub usage_mb: f64,
    pub quota_mb: f64,
    pub usage_percent: f64,
    pub at: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    pub bytes_per_second: f64,
    pub bytes: f64,
    pub resources: u64,
    /// Resources that reported 0 bytes (served from cache, or cross-origin without Timing-Allow-Origin).
    pub zero_byte_resources: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Interactions {
    /// INP-style: the worst interaction latency, skipping one per 50 (web-vitals' estimate of the 98th percentile).
    pub inp_ms: Option<f64>,
    pub interactions: u64,
    /// The same estimate over input delay alone (input to event handlers).
    pub input_delay_p98_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheMetrics {
    pub hit_rate_percent: Option<f64>,
    pub lookups: f64,
    pub hits: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationMetrics {
    pub active: ActiveOps,
    #[serde(flatten)]
    pub summary: OpSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub at: f64,
    pub window_seconds: f64,
    pub monitoring: MonitoringState,
    pub frames: FrameMetrics,
    pub main_thread: MainThreadMetrics,
    pub memory: MemoryMetrics,
    pub storage: Availability<Storage>,
    pub network: Availability<Network>,
    pub interactions: Availability<Interactions>,
    pub cache: Availability<CacheMetrics>,
    pub operations: OperationMetrics,
    pub active_alerts: u64,
}

/// A 60 Hz frame deadline missed by half a frame.
const SLOW_FRAME_MS: f64 = 1.5 * 1000.0 / 60.0;
/// A heap drop of at least this much between two samples counts as a collection.
const GC_DROP_BYTES: f64 = MB;

impl Monitor {
    pub fn new(
        cfg: MonitoringConfig,
        thresholds: AlertThresholds,
        interval_seconds: f64,
    ) -> Result<Monitor> {
        cfg.validate()?;
        Ok(Monitor {
            alerts: Alerts::new(cfg.alert_history as usize),
            cfg,
            thresholds,
            interval_seconds,
            supports: Supports::default(),
            running: false,
            started_at: None,
            stopped_at: None,
            samples: 0,
            frames: VecDeque::new(),
            busy: VecDeque::new(),
            memory: VecDeque::new(),
            ua_memory: None,
            storage: StorageState::NotYet,
            resources: VecDeque::new(),
            interactions: VecDeque::new(),
            cache: VecDeque::new(),
            navigation_load_ms: None,
        })
    }

    pub fn config(&self) -> &MonitoringConfig {
        &self.cfg
    }

    pub fn thresholds(&self) -> &AlertThresholds {
        &self.thresholds
    }

    /// Replace the thresholds (validated as the config's are).
    pub fn set_thresholds(&mut self, t: AlertThresholds) -> Result<()> {
        t.validate()?;
        self.thresholds = t;
        Ok(())
    }

    pub fn set_supports(&mut self, s: Supports) {
        self.supports = s;
    }

    pub fn supports(&self) -> &Supports {
        &self.supports
    }

    /// Start (or restart with another interval). Samples from before are kept.
    pub fn start(&mut self, now: f64, interval_seconds: f64) -> Result<()> {
        check_seconds(interval_seconds, "intervalSeconds")?;
        self.interval_seconds = interval_seconds;
        if !self.running {
            self.running = true;
            self.started_at = Some(now);
            self.stopped_at = None;
        }
        Ok(())
    }

    pub fn stop(&mut self, now: f64) {
        if self.running {
            self.running = false;
            self.stopped_at = Some(now);
        }
        self.frame_break();
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    pub fn state(&self) -> MonitoringState {
        MonitoringState {
            active: self.running,
            interval_seconds: self.interval_seconds,
            window_seconds: self.cfg.window_seconds,
            started_at: self.started_at,
            stopped_at: self.stopped_at,
            samples: self.samples,
            environment: self.supports.environment.clone(),
        }
    }

    // ---- samples ----

    /// requestAnimationFrame timestamps, in order.
    pub fn frames(&mut self, timestamps: &[f64]) {
        for &t in timestamps {
            if t.is_finite() {
                self.frames.push_back(t);
            }
        }
    }

    /// No frame interval spans this point (the page was hidden, the monitor stopped).
    pub fn frame_break(&mut self) {
        if self.frames.back().is_some_and(|t| !t.is_nan()) {
            self.frames.push_back(f64::NAN);
        }
    }

    pub fn busy(&mut self, kind: BusyKind, start: f64, duration: f64) {
        if start.is_finite() && duration.is_finite() && duration > 0.0 {
            self.busy.push_back(Busy {
                start,
                end: start + duration,
                kind,
            });
        }
    }

    pub fn memory(&mut self, s: MemorySample) {
        if s.t.is_finite() {
            self.memory.push_back(s);
        }
    }

    pub fn user_agent_memory(&mut self, t: f64, bytes: f64) {
        if t.is_finite() && bytes.is_finite() && bytes >= 0.0 {
            self.ua_memory = Some((t, bytes));
        }
    }

    pub fn storage(&mut self, t: f64, usage: f64, quota: f64) {
        if usage.is_finite() && quota.is_finite() {
            self.storage = StorageState::Known { t, usage, quota };
        }
    }

    pub fn storage_unavailable(&mut self, reason: &str) {
        self.storage = StorageState::Unavailable(reason.to_string());
    }

    /// A finished resource fetch: its end time and transferred bytes.
    pub fn resource(&mut self, end: f64, transfer_bytes: f64) {
        if end.is_finite() && transfer_bytes.is_finite() {
            self.resources.push_back((end, transfer_bytes.max(0.0)));
        }
    }

    /// An Event Timing entry: `interaction_id` 0 is not an interaction.
    pub fn event(&mut self, start: f64, duration: f64, input_delay: f64, interaction_id: f64) {
        if start.is_finite() && duration.is_finite() && interaction_id > 0.0 {
            self.interactions.push_back(Interaction {
                t: start,
                id: interaction_id,
                duration,
                input_delay: if input_delay.is_finite() {
                    input_delay.max(0.0)
                } else {
                    0.0
                },
            });
        }
    }

    /// Cumulative cache counters (hits and misses since the cache opened).
    pub fn cache_counters(&mut self, t: f64, hits: f64, misses: f64) {
        if t.is_finite() && hits.is_finite() && misses.is_finite() {
            self.cache.push_back((t, hits, misses));
        }
    }

    /// Page load time from Navigation Timing (ms from navigation start to the load event's end).
    pub fn navigation_load(&mut self, ms: f64) {
        if ms.is_finite() && ms > 0.0 {
            self.navigation_load_ms = Some(ms);
        }
    }

    /// Drop samples older than the retention window.
    pub fn prune(&mut self, now: f64) {
        let cut = now - self.cfg.retain_seconds * 1000.0;
        while self.frames.front().is_some_and(|&t| t.is_nan() || t < cut) {
            self.frames.pop_front();
        }
        while self.busy.front().is_some_and(|b| b.end < cut) {
            self.busy.pop_front();
        }
        while self.memory.front().is_some_and(|m| m.t < cut) {
            self.memory.pop_front();
        }
        while self.resources.front().is_some_and(|r| r.0 < cut) {
            self.resources.pop_front();
        }
        while self.interactions.front().is_some_and(|e| e.t < cut) {
            self.interactions.pop_front();
        }
        // Keep one cache sample before the cut: window deltas need a start.
        while self.cache.len() > 1 && self.cache[1].0 < cut {
            self.cache.pop_front();
        }
    }

    // ---- metrics ----

    /// The window `[from, now]`, not reaching back before the first sample
    /// (a monitor started 2 s ago has a 2 s window).
    fn window(&self, now: f64, seconds: f64) -> (f64, f64) {
        let from = now - seconds * 1000.0;
        let first = [
            self.started_at,
            self.frames.iter().find(|t| !t.is_nan()).copied(),
            self.memory.front().map(|m| m.t),
        ]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
        (
            if first.is_finite() {
                from.max(first)
            } else {
                from
            },
            now,
        )
    }

    fn frame_metrics(&self, from: f64, to: f64) -> FrameMetrics {
        let mut intervals = Vec::new();
        let mut prev = f64::NAN;
        for &t in &self.frames {
            if t > from && t <= to && !prev.is_nan() {
                intervals.push(t - prev);
            }
            prev = t;
        }
        if intervals.is_empty() {
            let reason = if !self.supports.animation_frames {
                format!(
                    "no requestAnimationFrame here ({}); feed frames with recordFrame(timestamp)",
                    env_name(&self.supports)
                )
            } else if self.frames.is_empty() {
                "no frames yet (the monitor is not started, or the page is hidden)".into()
            } else {
                "no frames in the window (the page was hidden or the monitor stopped)".into()
            };
            return FrameMetrics {
                available: false,
                reason: Some(reason),
                ..Default::default()
            };
        }
        let span: f64 = intervals.iter().sum();
        let s = sorted(intervals.iter().copied());
        FrameMetrics {
            available: true,
            reason: None,
            fps: (span > 0.0).then(|| 1000.0 * s.len() as f64 / span),
            frames: s.len() as u64,
            frame_time_ms: FrameTimes {
                p50: percentile_sorted(&s, 50.0),
                p95: percentile_sorted(&s, 95.0),
                p99: percentile_sorted(&s, 99.0),
                max: s.last().copied(),
            },
            slow_frames: s.iter().filter(|&&d| d > SLOW_FRAME_MS).count() as u64,
        }
    }

    fn main_thread(&self, from: f64, to: f64) -> MainThreadMetrics {
        let mut sources = Vec::new();
        if self.supports.long_tasks {
            sources.push("longtask");
        }
        if self.supports.long_animation_frames {
            sources.push("long-animation-frame");
        }
        if sources.is_empty() {
            return MainThreadMetrics {
                available: false,
                reason: Some(format!(
                    "neither Long Tasks nor Long Animation Frames are observable here ({})",
                    env_name(&self.supports)
                )),
                note: BUSY_NOTE,
                ..Default::default()
            };
        }
        let span = to - from;
        if span <= 0.0 {
            return MainThreadMetrics {
                available: false,
                reason: Some("the window is empty (the monitor has just started)".into()),
                sources,
                note: BUSY_NOTE,
                ..Default::default()
            };
        }
        let inside: Vec<&Busy> = self
            .busy
            .iter()
            .filter(|b| b.end > from && b.start < to)
            .collect();
        let iv: Vec<(f64, f64)> = inside.iter().map(|b| (b.start, b.end)).collect();
        let tasks: Vec<&&Busy> = inside
            .iter()
            .filter(|b| b.kind == BusyKind::LongTask)
            .collect();
        MainThreadMetrics {
            available: true,
            reason: None,
            busy_percent: Some((100.0 * covered(&iv, from, to) / span).min(100.0)),
            long_tasks: tasks.len() as u64,
            long_animation_frames: (inside.len() - tasks.len()) as u64,
            longest_ms: inside.iter().map(|b| b.end - b.start).reduce(f64::max),
            total_blocking_ms: Some(
                tasks
                    .iter()
                    .map(|b| (b.end - b.start - 50.0).max(0.0))
                    .sum(),
            ),
            sources,
            note: BUSY_NOTE,
        }
    }

    fn memory_metrics(&self, now: f64, from: f64) -> MemoryMetrics {
        let last = self.memory.back();
        let heap = last.filter(|m| m.heap_used.is_finite());
        let js_heap = match heap {
            Some(m) => Availability::yes(JsHeap {
                used_mb: m.heap_used / MB,
                total_mb: m.heap_total / MB,
                limit_mb: m.heap_limit / MB,
                at: m.t,
                precise: self.supports.cross_origin_isolated,
            }),
            None if self.supports.js_heap => {
                Availability::no("no memory sample yet (start the monitor)")
            }
            None => Availability::no(format!(
                "performance.memory is Chromium-only and absent here ({})",
                env_name(&self.supports)
            )),
        };
        let ua = match self.ua_memory {
            Some((at, bytes)) => Availability::yes(UaMemory { mb: bytes / MB, at }),
            None if self.supports.user_agent_memory => Availability::no(
                "measureUserAgentSpecificMemory has not answered yet (it waits for a garbage collection, up to 20 s)",
            ),
            None if !self.supports.cross_origin_isolated => Availability::no(
                "measureUserAgentSpecificMemory needs a cross-origin isolated page (COOP + COEP headers)",
            ),
            None => Availability::no("measureUserAgentSpecificMemory is not supported here"),
        };
        let wasm = match last {
            Some(m) => Availability::yes(WasmMemory {
                mb: m.wasm / MB,
                at: m.t,
            }),
            None => Availability::no("no memory sample yet (start the monitor)"),
        };
        let (total_mb, source, partial) = match (self.ua_memory, heap, last) {
            // The browser's own page measurement: JS and DOM, but not GPU memory.
            (Some((_, b)), _, _) => (b / MB, "userAgentSpecificMemory", true),
            // The JS heap and wasm memory, but not DOM, canvas or GPU memory.
            (None, Some(m), _) => ((m.heap_used + m.wasm) / MB, "jsHeap+wasm", true),
            (None, None, Some(m)) => (m.wasm / MB, "wasm", true),
            (None, None, None) => (0.0, "none", true),
        };
        let lw_from = now - self.cfg.leak_window_seconds * 1000.0;
        let leak = LeakMetrics {
            window_seconds: self.cfg.leak_window_seconds,
            js_heap: if heap.is_some() {
                self.leak(lw_from, now, |m| m.heap_used)
            } else {
                Availability::no("the JS heap size is unavailable here")
            },
            wasm: self.leak(lw_from, now, |m| m.wasm),
        };
        MemoryMetrics {
            total_mb,
            source,
            partial,
            js_heap,
            user_agent_specific: ua,
            wasm,
            leak,
            gc: self.gc(from, now, heap.is_some()),
        }
    }

    /// Sustained growth: the lowest value of each quarter of the window
    /// rises quarter after quarter, by at least `leakMinGrowthMb` in all.
    /// Minima, because a heap that grows and is collected is not leaking.
    fn leak(&self, from: f64, to: f64, value: impl Fn(&MemorySample) -> f64) -> Availability<Leak> {
        let pts: Vec<(f64, f64)> = self
            .memory
            .iter()
            .filter(|m| m.t >= from && m.t <= to)
            .map(|m| (m.t, value(m)))
            .filter(|p| p.1.is_finite())
            .collect();
        let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
            return Availability::no("no memory samples in the window");
        };
        let covered_span = last.0 - first.0;
        if pts.len() < 8 || covered_span < 0.75 * (to - from) {
            return Availability::no(format!(
                "needs 8 samples over at least 3/4 of the {} s leak window",
                self.cfg.leak_window_seconds
            ));
        }
        let q = covered_span / 4.0;
        let mut minima = [f64::INFINITY; 4];
        for &(t, v) in &pts {
            let k = (((t - first.0) / q) as usize).min(3);
            minima[k] = minima[k].min(v);
        }
        let growth = minima[3] - minima[0];
        let rising = minima.windows(2).all(|w| w[1] > w[0]);
        let per_min = fit(minima.iter().enumerate().map(|(k, &v)| (k as f64 * q, v)))
            .map_or(0.0, |f| f.slope * 60_000.0);
        Availability::yes(Leak {
            growth_mb_per_minute: per_min / MB,
            growth_mb: growth / MB,
            suspected: rising && growth >= self.cfg.leak_min_growth_mb * MB,
        })
    }

    fn gc(&self, from: f64, to: f64, heap: bool) -> Availability<GcEstimate> {
        if !heap {
            return Availability::no("needs the JS heap size (performance.memory), absent here");
        }
        let s: Vec<&MemorySample> = self
            .memory
            .iter()
            .filter(|m| m.t >= from && m.t <= to && m.heap_used.is_finite())
            .collect();
        if s.len() < 2 {
            return Availability::no("needs two memory samples in the window");
        }
        let drops = s
            .windows(2)
            .filter(|w| w[0].heap_used - w[1].heap_used >= GC_DROP_BYTES)
            .count() as u64;
        let minutes = (s[s.len() - 1].t - s[0].t) / 60_000.0;
        Availability::yes(GcEstimate {
            per_minute: if minutes > 0.0 {
                drops as f64 / minutes
            } else {
                0.0
            },
            drops,
            note: GC_NOTE,
        })
    }

    fn storage_metrics(&self) -> Availability<Storage> {
        match &self.storage {
            StorageState::Known { t, usage, quota } => Availability::yes(Storage {
                usage_mb: usage / MB,
                quota_mb: quota / MB,
                usage_percent: if *quota > 0.0 {
                    100.0 * usage / quota
                } else {
                    0.0
                },
                at: *t,
            }),
            StorageState::Unavailable(r) => Availability::no(r.clone()),
            StorageState::NotYet if self.supports.storage_estimate => {
                Availability::no("navigator.storage.estimate() has not answered yet")
            }
            StorageState::NotYet => Availability::no(format!(
                "navigator.storage.estimate is absent here ({})",
                env_name(&self.supports)
            )),
        }
    }

    fn network(&self, from: f64, to: f64) -> Availability<Network> {
        if !self.supports.resource_timing {
            return Availability::no(format!(
                "Resource Timing is not observable here ({})",
                env_name(&self.supports)
            ));
        }
        let span = to - from;
        if span <= 0.0 {
            return Availability::no("the window is empty (the monitor has just started)");
        }
        let rs: Vec<&(f64, f64)> = self
            .resources
            .iter()
            .filter(|r| r.0 > from && r.0 <= to)
            .collect();
        let bytes: f64 = rs.iter().map(|r| r.1).sum();
        Availability::yes(Network {
            bytes_per_second: bytes * 1000.0 / span,
            bytes,
            resources: rs.len() as u64,
            zero_byte_resources: rs.iter().filter(|r| r.1 == 0.0).count() as u64,
        })
    }

    fn interactions(&self, from: f64, to: f64) -> Availability<Interactions> {
        if !self.supports.event_timing {
            return Availability::no(format!(
                "Event Timing is not observable here ({})",
                env_name(&self.supports)
            ));
        }
        // One latency per interaction: its longest event (as INP).
        let mut by: Vec<(f64, f64, f64)> = Vec::new();
        for e in self.interactions.iter().filter(|e| e.t > from && e.t <= to) {
            match by.iter_mut().find(|x| x.0 == e.id) {
                Some(x) => {
                    x.1 = x.1.max(e.duration);
                    x.2 = x.2.max(e.input_delay);
                }
                None => by.push((e.id, e.duration, e.input_delay)),
            }
        }
        let lat: Vec<f64> = by.iter().map(|x| x.1).collect();
        let delay: Vec<f64> = by.iter().map(|x| x.2).collect();
        Availability::yes(Interactions {
            inp_ms: inp_p98(&lat),
            interactions: by.len() as u64,
            input_delay_p98_ms: inp_p98(&delay),
        })
    }

    /// Hit rate over the window: the change of the cumulative counters.
    fn cache_metrics(&self, from: f64, to: f64) -> Availability<CacheMetrics> {
        let Some(&(_, h1, m1)) = self.cache.iter().rev().find(|c| c.0 <= to) else {
            return Availability::no(
                "no cache is watched (watchCache(cache), or the PerformanceManager's)",
            );
        };
        // The last sample at or before the window's start, else the first in it.
        let start = self
            .cache
            .iter()
            .rev()
            .find(|c| c.0 <= from)
            .or_else(|| self.cache.front());
        let (h0, m0) = start.map_or((0.0, 0.0), |c| (c.1, c.2));
        let (hits, misses) = ((h1 - h0).max(0.0), (m1 - m0).max(0.0));
        let lookups = hits + misses;
        Availability::yes(CacheMetrics {
            hit_rate_percent: (lookups > 0.0).then(|| 100.0 * hits / lookups),
            lookups,
            hits,
        })
    }

    /// The state of everything over the last `windowSeconds`.
    pub fn snapshot(&self, now: f64, ops: &OperationLog, active: ActiveOps) -> Snapshot {
        self.snapshot_over(now, self.cfg.window_seconds, ops, active)
    }

    pub fn snapshot_over(
        &self,
        now: f64,
        seconds: f64,
        ops: &OperationLog,
        active: ActiveOps,
    ) -> Snapshot {
        let (from, to) = self.window(now, seconds);
        let op_from = now - seconds * 1000.0;
        Snapshot {
            at: now,
            window_seconds: seconds,
            monitoring: self.state(),
            frames: self.frame_metrics(from, to),
            main_thread: self.main_thread(from, to),
            memory: self.memory_metrics(now, from),
            storage: self.storage_metrics(),
            network: self.network(from, to),
            interactions: self.interactions(from, to),
            cache: self.cache_metrics(from, to),
            operations: OperationMetrics {
                active,
                summary: ops.summary(op_from, to),
            },
            active_alerts: self.alerts.active().count() as u64,
        }
    }

    // ---- alerts ----

    /// Compare the window's metrics with the thresholds, update the alerts
    /// and return those that changed (raised, escalated or resolved).
    pub fn evaluate(&mut self, now: f64, ops: &OperationLog) -> Vec<Alert> {
        self.samples += 1;
        self.prune(now);
        let w = self.cfg.window_seconds;
        let (from, to) = self.window(now, w);
        let t = self.thresholds.clone();
        let mut obs: Vec<(String, Option<Breach>)> = Vec::new();

        // CPU: only once the window spans a second, or one long task would be 100 %.
        let mt = self.main_thread(from, to);
        if let (Some(busy), true) = (mt.busy_percent, to - from >= 1000.0) {
            obs.push((
                "cpu".into(),
                Breach::check(
                    "mainThread.busyPercent",
                    busy,
                    t.cpu_percent,
                    Direction::Above,
                    Some(100.0),
                    |_| {
                        format!(
                            "main thread busy {busy:.0} % of the last {:.0} s (long tasks; threshold {} %)",
                            (to - from) / 1000.0,
                            t.cpu_percent
                        )
                    },
                ),
            ));
        }

        let mem = self.memory_metrics(now, from);
        if mem.source != "none" {
            let v = mem.total_mb;
            obs.push((
                "memory".into(),
                Breach::check(
                    "memory.totalMb",
                    v,
                    t.memory_mb,
                    Direction::Above,
                    None,
                    |_| {
                        format!(
                            "memory {v:.0} MB ({}) over the {} MB threshold",
                            mem.source, t.memory_mb
                        )
                    },
                ),
            ));
        }
        for (key, leak) in [
            ("memoryLeak:jsHeap", &mem.leak.js_heap),
            ("memoryLeak:wasm", &mem.leak.wasm),
        ] {
            if let Some(l) = &leak.value {
                let min = self.cfg.leak_min_growth_mb;
                obs.push((
                    key.into(),
                    l.suspected
                        .then(|| {
                            Breach::check(
                                "memory.leak.growthMb",
                                l.growth_mb,
                                min,
                                Direction::Above,
                                None,
                                |_| {
                                    format!(
                                        "{} grew {:.1} MB over {} s without falling back ({:.1} MB/min): a possible leak",
                                        if key.ends_with("wasm") { "wasm memory" } else { "the JS heap" },
                                        l.growth_mb,
                                        self.cfg.leak_window_seconds,
                                        l.growth_mb_per_minute
                                    )
                                },
                            )
                        })
                        .flatten(),
                ));
            }
        }

        // Operations: the slowest call of each in the window.
        let op_from = now - w * 1000.0;
        let summary = ops.summary(op_from, now);
        let mut op_keys: Vec<String> = self
            .alerts
            .active_keys()
            .into_iter()
            .filter(|k| k.starts_with("operation:"))
            .collect();
        for s in &summary.by_name {
            let key = format!("operation:{}", s.name);
            op_keys.retain(|k| *k != key);
            let v = s.max_ms;
            obs.push((
                key,
                Breach::check(
                    "operations.maxMs",
                    v,
                    t.operation_ms,
                    Direction::Above,
                    None,
                    |_| {
                        format!(
                            "{} took {v:.0} ms (threshold {} ms; {} calls in the last {w} s)",
                            s.name, t.operation_ms, s.calls
                        )
                    },
                ),
            ));
        }
        // Active operation alerts without calls in the window: the slow call has aged out.
        obs.extend(op_keys.into_iter().map(|k| (k, None)));

        match summary.error_rate_percent {
            Some(rate) if summary.calls >= self.cfg.min_calls_for_error_rate as u64 => {
                obs.push((
                    "errorRate".into(),
                    Breach::check(
                        "operations.errorRatePercent",
                        rate,
                        t.error_rate_percent,
                        Direction::Above,
                        None,
                        |_| {
                            format!(
                                "{} of {} calls failed in the last {w} s ({rate:.1} %; threshold {} %)",
                                summary.errors, summary.calls, t.error_rate_percent
                            )
                        },
                    ),
                ));
            }
            None => obs.push(("errorRate".into(), None)),
            _ => {}
        }

        if let Some(c) = self.cache_metrics(from, to).value {
            match c.hit_rate_percent {
                Some(rate) if c.lookups >= self.cfg.min_lookups_for_hit_rate as f64 => {
                    obs.push((
                        "cacheHitRate".into(),
                        Breach::check(
                            "cache.hitRatePercent",
                            rate,
                            t.cache_hit_rate_min_percent,
                            Direction::Below,
                            None,
                            |_| {
                                format!(
                                    "cache hit rate {rate:.0} % over {} lookups (minimum {} %)",
                                    c.lookups, t.cache_hit_rate_min_percent
                                )
                            },
                        ),
                    ));
                }
                None => obs.push(("cacheHitRate".into(), None)),
                _ => {}
            }
        }
        self.alerts.update(now, obs)
    }

    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    pub fn navigation_load_ms(&self) -> Option<f64> {
        self.navigation_load_ms
    }
}

fn env_name(s: &Supports) -> &str {
    if s.environment.is_empty() {
        "unknown environment"
    } else {
        &s.environment
    }
}

#[cfg(test)]
mod tests;
