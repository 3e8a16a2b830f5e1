//! Alerts: one per condition (a key such as `cpu` or `operation:layoutWorkflow`),
//! raised when the condition is first breached, updated — not repeated — while
//! it persists, escalated when its severity rises, resolved when it clears.
//! History is bounded; active alerts are never dropped.

use crate::analysis::rules::Severity;
use serde::Serialize;
use std::collections::VecDeque;

/// Which way a metric is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Bad above the threshold (CPU, memory, durations, error rate).
    Above,
    /// Bad below it (cache hit rate).
    Below,
}

/// How far past its threshold a value is, as a fraction: `(v − t) / t`
/// above, `(t − v) / t` below. A metric bounded by `cap` (a percentage of
/// capacity such as CPU) measures against the headroom instead:
/// `(v − t) / (cap − t)`, so that 90 % CPU over an 80 % threshold is half
/// way to saturation rather than 12 % past.
pub fn excess(value: f64, threshold: f64, dir: Direction, cap: Option<f64>) -> f64 {
    match (dir, cap) {
        (Direction::Above, Some(cap)) if cap > threshold => (value - threshold) / (cap - threshold),
        (Direction::Above, _) if threshold > 0.0 => (value - threshold) / threshold,
        (Direction::Below, _) if threshold > 0.0 => (threshold - value) / threshold,
        _ => 0.0,
    }
}

/// Severity by how far past: info up to 25 % past, warning up to 50 %,
/// critical beyond.
pub fn severity_for(excess: f64) -> Severity {
    if excess > 0.5 {
        Severity::Critical
    } else if excess > 0.25 {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// A breached condition, as measured now.
#[derive(Clone, Debug, PartialEq)]
pub struct Breach {
    /// The metric compared (`mainThread.busyPercent`, `memory.totalMb`, …).
    pub metric: &'static str,
    pub value: f64,
    pub threshold: f64,
    pub severity: Severity,
    pub message: String,
}

impl Breach {
    /// A threshold comparison: `None` when `value` is on the good side.
    pub fn check(
        metric: &'static str,
        value: f64,
        threshold: f64,
        dir: Direction,
        cap: Option<f64>,
        message: impl FnOnce(Severity) -> String,
    ) -> Option<Breach> {
        let bad = match dir {
            Direction::Above => value > threshold,
            Direction::Below => value < threshold,
        };
        if !bad || !value.is_finite() {
            return None;
        }
        let severity = severity_for(excess(value, threshold, dir, cap));
        Some(Breach {
            metric,
            value,
            threshold,
            severity,
            message: message(severity),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Active,
    Resolved,
}

/// What happened to an alert in one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Raised,
    Escalated,
    Resolved,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: u64,
    /// The condition: `cpu`, `memory`, `errorRate`, `cacheHitRate`,
    /// `operation:<name>`, `memoryLeak:heap`, `memoryLeak:wasm`.
    pub key: String,
    pub metric: &'static str,
    pub severity: Severity,
    pub state: AlertState,
    /// The last change (what `onAlert` was called for).
    pub change: Change,
    pub message: String,
    /// The latest value while active; the last breaching value once resolved.
    pub value: f64,
    /// The worst value seen while active.
    pub peak: f64,
    pub threshold: f64,
    pub raised_at: f64,
    pub updated_at: f64,
    pub resolved_at: Option<f64>,
    /// Evaluations that found the condition breached.
    pub occurrences: u64,
}

#[derive(Clone, Debug)]
pub struct Alerts {
    /// Oldest first; active and resolved alike.
    history: VecDeque<Alert>,
    limit: usize,
    next_id: u64,
}

impl Alerts {
    pub fn new(limit: usize) -> Alerts {
        Alerts {
            history: VecDeque::new(),
            limit: limit.max(1),
            next_id: 1,
        }
    }

    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(1);
        self.trim();
    }

    fn active_index(&self, key: &str) -> Option<usize> {
        self.history
            .iter()
            .rposition(|a| a.state == AlertState::Active && a.key == key)
    }

    /// Apply one evaluation: `observed` lists each condition that could be
    /// measured, breached (`Some`) or not (`None`). Conditions not listed
    /// (their metric is unavailable right now) keep their state. Returns the
    /// alerts that changed, in order.
    pub fn update(&mut self, now: f64, observed: Vec<(String, Option<Breach>)>) -> Vec<Alert> {
        let mut changed = Vec::new();
        for (key, breach) in observed {
            let idx = self.active_index(&key);
            match (idx, breach) {
                (None, Some(b)) => {
                    let a = Alert {
                        id: self.next_id,
                        key,
                        metric: b.metric,
                        severity: b.severity,
                        state: AlertState::Active,
                        change: Change::Raised,
                        message: b.message,
                        value: b.value,
                        peak: b.value,
                        threshold: b.threshold,
                        raised_at: now,
                        updated_at: now,
                        resolved_at: None,
                        occurrences: 1,
                    };
                    self.next_id += 1;
                    changed.push(a.clone());
                    self.history.push_back(a);
                }
                (Some(i), Some(b)) => {
                    let a = &mut self.history[i];
                    let worse = match b.value > b.threshold {
                        true => b.value > a.peak,
                        false => b.value < a.peak,
                    };
                    if worse {
                        a.peak = b.value;
                    }
                    a.value = b.value;
                    a.threshold = b.threshold;
                    a.occurrences += 1;
                    a.updated_at = now;
                    if b.severity > a.severity {
                        a.severity = b.severity;
                        a.change = Change::Escalated;
                        a.message = b.message;
                        changed.push(a.clone());
                    }
                }
                (Some(i), None) => {
                    let a = &mut self.history[i];
                    a.state = AlertState::Resolved;
                    a.change = Change::Resolved;
                    a.resolved_at = Some(now);
                    a.updated_at = now;
                    changed.push(a.clone());
                }
                (None, None) => {}
            }
        }
        self.trim();
        changed
    }

    /// Drop the oldest resolved alerts past the limit.
    fn trim(&mut self) {
        while self.history.len() > self.limit {
            match self
                .history
                .iter()
                .position(|a| a.state == AlertState::Resolved)
            {
                Some(i) => {
                    self.history.remove(i);
                }
                None => break,
            }
        }
    }

    pub fn active(&self) -> impl Iterator<Item = &Alert> {
        self.history
            .iter()
            .filter(|a| a.state == AlertState::Active)
    }

    /// Every alert kept, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &Alert> {
        self.history.iter()
    }

    pub fn active_keys(&self) -> Vec<String> {
        self.active().map(|a| a.key.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(v: f64) -> Option<Breach> {
        Breach::check(
            "mainThread.busyPercent",
            v,
            80.0,
            Direction::Above,
            Some(100.0),
            |s| format!("{s:?}"),
        )
    }

    #[test]
    fn severities_by_how_far_past() {
        // Memory 1024 MB: info to 1280, warning to 1536, critical beyond.
        let mem = |v| {
            Breach::check("m", v, 1024.0, Direction::Above, None, |_| String::new())
                .map(|b| b.severity)
        };
        assert_eq!(mem(1000.0), None);
        assert_eq!(mem(1024.0), None, "at the threshold is not past it");
        assert_eq!(mem(1100.0), Some(Severity::Info));
        assert_eq!(mem(1300.0), Some(Severity::Warning));
        assert_eq!(mem(2000.0), Some(Severity::Critical));
        // CPU against its headroom: 85 info, 90 warning, 95 critical.
        assert_eq!(cpu(85.0).map(|b| b.severity), Some(Severity::Info));
        assert_eq!(cpu(90.0).map(|b| b.severity), Some(Severity::Warning));
        assert_eq!(cpu(95.0).map(|b| b.severity), Some(Severity::Critical));
        // Hit rate below 50 %: 45 info, 30 warning, 20 critical.
        let hit = |v| {
            Breach::check("h", v, 50.0, Direction::Below, None, |_| String::new())
                .map(|b| b.severity)
        };
        assert_eq!(hit(60.0), None);
        assert_eq!(hit(45.0), Some(Severity::Info));
        assert_eq!(hit(30.0), Some(Severity::Warning));
        assert_eq!(hit(20.0), Some(Severity::Critical));
        assert_eq!(hit(f64::NAN), None);
    }

    #[test]
    fn raise_dedup_escalate_resolve() {
        let mut a = Alerts::new(10);
        let ev = a.update(1.0, vec![("cpu".into(), cpu(85.0))]);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].change, Change::Raised);
        assert_eq!(ev[0].severity, Severity::Info);
        // Persisting at the same severity: no new event, one alert.
        for t in 2..5 {
            assert!(a
                .update(t as f64, vec![("cpu".into(), cpu(84.0))])
                .is_empty());
        }
        assert_eq!(a.active().count(), 1);
        assert_eq!(a.active().next().unwrap().occurrences, 4);
        // Worse: escalated, same id.
        let ev = a.update(5.0, vec![("cpu".into(), cpu(97.0))]);
        assert_eq!(ev[0].change, Change::Escalated);
        assert_eq!(ev[0].severity, Severity::Critical);
        assert_eq!(ev[0].id, 1);
        // Better but still breached: the severity stays at its worst.
        assert!(a.update(6.0, vec![("cpu".into(), cpu(86.0))]).is_empty());
        let cur = a.active().next().unwrap();
        assert_eq!((cur.value, cur.peak), (86.0, 97.0));
        // Not measured this time: kept.
        assert!(a.update(7.0, vec![]).is_empty());
        assert_eq!(a.active().count(), 1);
        // Cleared: resolved.
        let ev = a.update(8.0, vec![("cpu".into(), cpu(20.0))]);
        assert_eq!(ev[0].change, Change::Resolved);
        assert_eq!(ev[0].resolved_at, Some(8.0));
        assert_eq!(a.active().count(), 0);
        // Breached again: a new alert.
        let ev = a.update(9.0, vec![("cpu".into(), cpu(90.0))]);
        assert_eq!((ev[0].id, ev[0].change), (2, Change::Raised));
        assert_eq!(a.history().count(), 2);
    }

    #[test]
    fn history_is_bounded_but_keeps_active_alerts() {
        let mut a = Alerts::new(3);
        a.update(0.0, vec![("keep".into(), cpu(99.0))]);
        for t in 1..20 {
            let t = t as f64;
            a.update(t, vec![("flap".into(), cpu(90.0))]);
            a.update(t + 0.5, vec![("flap".into(), None)]);
        }
        assert_eq!(a.history().count(), 3);
        assert_eq!(a.active_keys(), vec!["keep".to_string()]);
        // The newest resolved ones are kept.
        let last = a.history().last().unwrap();
        assert_eq!(last.resolved_at, Some(19.5));
    }
}
