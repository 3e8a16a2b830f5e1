//! `report({ windowSeconds })`: the KPIs over a window, each with
//! its target and a verdict (pass / acceptable / fail, or unavailable).

use super::alerts::Alert;
use super::ops::{OpSummary, OperationLog};
use super::{FrameMetrics, MainThreadMetrics, Monitor};
use crate::error::{ErrorCode, FlowscaleError, Result};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Acceptable,
    Fail,
    Unavailable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
}

/// A KPI's targets (docs/monitoring.md, **Reports**): pass beyond `pass`, acceptable beyond
/// `acceptable`, fail otherwise. `inclusive`: reaching the bound counts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub pass: f64,
    pub acceptable: f64,
    pub better: Better,
    pub inclusive: bool,
}

impl Target {
    pub fn verdict(&self, v: f64) -> Verdict {
        let beats = |bound: f64| match (self.better, self.inclusive) {
            (Better::Higher, true) => v >= bound,
            (Better::Higher, false) => v > bound,
            (Better::Lower, true) => v <= bound,
            (Better::Lower, false) => v < bound,
        };
        if !v.is_finite() {
            Verdict::Unavailable
        } else if beats(self.pass) {
            Verdict::Pass
        } else if beats(self.acceptable) {
            Verdict::Acceptable
        } else {
            Verdict::Fail
        }
    }
}

/// 60 FPS, 30 acceptable. Compared after rounding to a whole frame rate, as
/// FPS meters show it: a 60 Hz display measures 59.9x.
pub const FPS: Target = Target {
    pass: 60.0,
    acceptable: 30.0,
    better: Better::Higher,
    inclusive: true,
};
/// Memory under 2 GB (2048 MB), 4 GB acceptable.
pub const MEMORY_MB: Target = Target {
    pass: 2048.0,
    acceptable: 4096.0,
    better: Better::Lower,
    inclusive: false,
};
/// CPU (main-thread busy) under 50 %, 80 % acceptable.
pub const CPU_PERCENT: Target = Target {
    pass: 50.0,
    acceptable: 80.0,
    better: Better::Lower,
    inclusive: false,
};
/// Cache hit rate over 80 %, 60 % acceptable.
pub const HIT_RATE_PERCENT: Target = Target {
    pass: 80.0,
    acceptable: 60.0,
    better: Better::Higher,
    inclusive: false,
};
/// Load under 2 s, 5 s acceptable.
pub const LOAD_SECONDS: Target = Target {
    pass: 2.0,
    acceptable: 5.0,
    better: Better::Lower,
    inclusive: false,
};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpi {
    /// `fps`, `memoryMb`, `cpuPercent`, `cacheHitRatePercent`, `loadSeconds`.
    pub id: &'static str,
    pub label: &'static str,
    pub value: Option<f64>,
    pub unit: &'static str,
    pub target: Target,
    pub verdict: Verdict,
    /// Where the value comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Why there is no value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Kpi {
    fn new(
        id: &'static str,
        label: &'static str,
        unit: &'static str,
        target: Target,
        value: std::result::Result<(f64, String), String>,
    ) -> Kpi {
        match value {
            Ok((v, source)) => {
                let judged = if id == "fps" { v.round() } else { v };
                Kpi {
                    id,
                    label,
                    value: Some(v),
                    unit,
                    target,
                    verdict: target.verdict(judged),
                    source: Some(source),
                    reason: None,
                }
            }
            Err(reason) => Kpi {
                id,
                label,
                value: None,
                unit,
                target,
                verdict: Verdict::Unavailable,
                source: None,
                reason: Some(reason),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportAlerts {
    pub active: Vec<Alert>,
    /// Alerts raised, escalated or resolved within the window.
    pub in_window: Vec<Alert>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub generated_at: f64,
    pub window_seconds: f64,
    pub from: f64,
    pub to: f64,
    /// The worst verdict among the KPIs that have a value (`unavailable` if none has).
    pub verdict: Verdict,
    pub kpis: Vec<Kpi>,
    pub frames: FrameMetrics,
    pub main_thread: MainThreadMetrics,
    pub operations: OpSummary,
    pub alerts: ReportAlerts,
}

impl Monitor {
    /// KPIs over the last `window_seconds` (at most `monitoring.retainSeconds`).
    pub fn report(&self, now: f64, window_seconds: f64, ops: &OperationLog) -> Result<Report> {
        let retain = self.config().retain_seconds;
        if !(window_seconds.is_finite() && window_seconds > 0.0 && window_seconds <= retain) {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidArgument,
                "windowSeconds",
                format!("windowSeconds must be in (0, {retain}] (monitoring.retainSeconds)"),
            ));
        }
        let s = self.snapshot_over(now, window_seconds, ops, Default::default());
        let from = now - window_seconds * 1000.0;
        let f = &s.frames;
        let fps = match (f.available, f.fps) {
            (true, Some(v)) => Ok((v, format!("requestAnimationFrame, {} frames", f.frames))),
            _ => Err(f.reason.clone().unwrap_or_else(|| "no frames".into())),
        };
        let m = &s.memory;
        let memory = if m.source == "none" {
            Err("no memory sample in the window (start the monitor)".to_string())
        } else if m.partial {
            Ok((
                m.total_mb,
                "wasm linear memory only (the JS heap is not observable here): a lower bound"
                    .to_string(),
            ))
        } else {
            Ok((m.total_mb, m.source.to_string()))
        };
        let cpu = match s.main_thread.busy_percent {
            Some(v) => Ok((
                v,
                "main-thread busy share from long tasks (the browser's stand-in for CPU %)"
                    .to_string(),
            )),
            None => Err(s
                .main_thread
                .reason
                .clone()
                .unwrap_or_else(|| "unavailable".into())),
        };
        let hit = match &s.cache.value {
            Some(c) => match c.hit_rate_percent {
                Some(v) => Ok((
                    v,
                    format!("cache counters, {} lookups in the window", c.lookups),
                )),
                None => Err("no cache lookups in the window".to_string()),
            },
            None => Err(s.cache.reason.clone().unwrap_or_default()),
        };
        // An app's own `track('load', …)` in the window, else the page's load.
        let load_op = ops
            .in_window(from, now)
            .filter(|r| ops.name(r.name) == Some("load") && r.ok)
            .max_by(|a, b| a.end().total_cmp(&b.end()));
        let load = match (load_op, self.navigation_load_ms()) {
            (Some(r), _) => Ok((r.duration / 1000.0, "operation \"load\" (track('load', fn))".to_string())),
            (None, Some(ms)) => Ok((ms / 1000.0, "Navigation Timing (navigation start to the end of the load event)".to_string())),
            (None, None) => Err("no page load (Navigation Timing) here and no operation named \"load\" tracked in the window".to_string()),
        };
        let kpis = vec![
            Kpi::new("fps", "Frame rate", "fps", FPS, fps),
            Kpi::new("memoryMb", "Memory", "MB", MEMORY_MB, memory),
            Kpi::new(
                "cpuPercent",
                "CPU (main thread busy)",
                "%",
                CPU_PERCENT,
                cpu,
            ),
            Kpi::new(
                "cacheHitRatePercent",
                "Cache hit rate",
                "%",
                HIT_RATE_PERCENT,
                hit,
            ),
            Kpi::new("loadSeconds", "Load time", "s", LOAD_SECONDS, load),
        ];
        let verdict = kpis
            .iter()
            .map(|k| k.verdict)
            .filter(|v| *v != Verdict::Unavailable)
            .max()
            .unwrap_or(Verdict::Unavailable);
        let alerts = self.alerts();
        Ok(Report {
            generated_at: now,
            window_seconds,
            from,
            to: now,
            verdict,
            kpis,
            frames: s.frames,
            main_thread: s.main_thread,
            operations: s.operations.summary,
            alerts: ReportAlerts {
                active: alerts.active().cloned().collect(),
                in_window: alerts
                    .history()
                    .filter(|a| a.updated_at >= from)
                    .cloned()
                    .collect(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_against_the_kpi_targets() {
        assert_eq!(FPS.verdict(60.0), Verdict::Pass);
        assert_eq!(FPS.verdict(59.0), Verdict::Acceptable);
        assert_eq!(FPS.verdict(30.0), Verdict::Acceptable);
        assert_eq!(FPS.verdict(29.0), Verdict::Fail);
        assert_eq!(MEMORY_MB.verdict(2047.0), Verdict::Pass);
        assert_eq!(MEMORY_MB.verdict(2048.0), Verdict::Acceptable);
        assert_eq!(MEMORY_MB.verdict(4096.0), Verdict::Fail);
        assert_eq!(CPU_PERCENT.verdict(49.9), Verdict::Pass);
        assert_eq!(CPU_PERCENT.verdict(50.0), Verdict::Acceptable);
        assert_eq!(CPU_PERCENT.verdict(80.0), Verdict::Fail);
        assert_eq!(HIT_RATE_PERCENT.verdict(80.0), Verdict::Acceptable);
        assert_eq!(HIT_RATE_PERCENT.verdict(80.1), Verdict::Pass);
        assert_eq!(HIT_RATE_PERCENT.verdict(60.0), Verdict::Fail);
        assert_eq!(LOAD_SECONDS.verdict(1.99), Verdict::Pass);
        assert_eq!(LOAD_SECONDS.verdict(4.99), Verdict::Acceptable);
        assert_eq!(LOAD_SECONDS.verdict(5.0), Verdict::Fail);
        assert_eq!(LOAD_SECONDS.verdict(f64::NAN), Verdict::Unavailable);
    }
}
