//! `report({ windowSeconds })`: the KPIs over a window, each with
//! its target and a verdict (pass / acceptable / fail, inconclusive when
//! the value is only a lower bound, or unavailable).

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
    /// The value is a lower bound that beats the fail target: the true value
    /// may be anywhere above it, so neither pass nor acceptable can be claimed.
    Inconclusive,
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

    /// The verdict for a value that is only a lower bound of the truth (a
    /// "lower is better" target): over the fail target it fails, as the truth
    /// does too; anything else is inconclusive.
    pub fn verdict_of_lower_bound(&self, v: f64) -> Verdict {
        match self.verdict(v) {
            Verdict::Pass | Verdict::Acceptable => Verdict::Inconclusive,
            other => other,
        }
    }
}

/// A KPI's value and what it is: exact, or a lower bound (with why).
enum Measured {
    Exact(f64, String),
    LowerBound(f64, String, String),
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
    /// The value counts only part of what the KPI means (the truth is at
    /// least this): then it can fail its target but never pass it.
    pub lower_bound: bool,
    /// Where the value comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Why there is no value, or why the verdict is inconclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Kpi {
    fn new(
        id: &'static str,
        label: &'static str,
        unit: &'static str,
        target: Target,
        value: std::result::Result<Measured, String>,
    ) -> Kpi {
        let judged = |v: f64| if id == "fps" { v.round() } else { v };
        let kpi = |value, verdict, lower_bound, source, reason| Kpi {
            id,
            label,
            value,
            unit,
            target,
            verdict,
            lower_bound,
            source,
            reason,
        };
        match value {
            Ok(Measured::Exact(v, source)) => kpi(
                Some(v),
                target.verdict(judged(v)),
                false,
                Some(source),
                None,
            ),
            Ok(Measured::LowerBound(v, source, why)) => {
                let verdict = target.verdict_of_lower_bound(judged(v));
                let reason = (verdict == Verdict::Inconclusive).then(|| {
                    format!("{why}: the value is a lower bound under the fail target, so the true value may be on either side of the targets")
                });
                kpi(Some(v), verdict, true, Some(source), reason)
            }
            Err(reason) => kpi(None, Verdict::Unavailable, false, None, Some(reason)),
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
    /// The worst verdict among the KPIs that have a value (`unavailable` if
    /// none has): fail, else inconclusive, else acceptable, else pass.
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
            (true, Some(v)) => Ok(Measured::Exact(
                v,
                format!("requestAnimationFrame, {} frames", f.frames),
            )),
            _ => Err(f.reason.clone().unwrap_or_else(|| "no frames".into())),
        };
        let m = &s.memory;
        let memory = if m.source == "none" {
            Err("no memory sample in the window (start the monitor)".to_string())
        } else if m.partial {
            Ok(Measured::LowerBound(
                m.total_mb,
                format!("{}: a lower bound", m.source),
                super::partial_memory_note(m.source).to_string(),
            ))
        } else {
            Ok(Measured::Exact(m.total_mb, m.source.to_string()))
        };
        // Only tasks of 50 ms or more are seen: always a lower bound.
        let cpu = match s.main_thread.busy_percent {
            Some(v) => Ok(Measured::LowerBound(
                v,
                "main-thread busy share from long tasks (the browser's stand-in for CPU %): a lower bound"
                    .to_string(),
                "only tasks of 50 ms or more are counted".to_string(),
            )),
            None => Err(s
                .main_thread
                .reason
                .clone()
                .unwrap_or_else(|| "unavailable".into())),
        };
        let hit = match &s.cache.value {
            Some(c) => match c.hit_rate_percent {
                Some(v) => Ok(Measured::Exact(
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
            (Some(r), _) => Ok(Measured::Exact(r.duration / 1000.0, "operation \"load\" (track('load', fn))".to_string())),
            (None, Some(ms)) => Ok(Measured::Exact(ms / 1000.0, "Navigation Timing (navigation start to the end of the load event)".to_string())),
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
        // A lower bound never passes: at or over the fail target it fails,
        // otherwise the truth could be on either side.
        assert_eq!(
            CPU_PERCENT.verdict_of_lower_bound(10.0),
            Verdict::Inconclusive
        );
        assert_eq!(
            CPU_PERCENT.verdict_of_lower_bound(60.0),
            Verdict::Inconclusive
        );
        assert_eq!(CPU_PERCENT.verdict_of_lower_bound(80.0), Verdict::Fail);
        assert_eq!(
            MEMORY_MB.verdict_of_lower_bound(100.0),
            Verdict::Inconclusive
        );
        assert_eq!(MEMORY_MB.verdict_of_lower_bound(4096.0), Verdict::Fail);
        assert_eq!(
            MEMORY_MB.verdict_of_lower_bound(f64::NAN),
            Verdict::Unavailable
        );
        // The report's worst-of order: fail over inconclusive over acceptable over pass.
        assert!(Verdict::Pass < Verdict::Acceptable);
        assert!(Verdict::Acceptable < Verdict::Inconclusive);
        assert!(Verdict::Inconclusive < Verdict::Fail);
    }
}
