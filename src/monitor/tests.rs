//! The monitor with a fake clock and fake samples: what a browser adapter
//! would feed, and what comes out (metrics, alerts, reports).

use super::alerts::Change;
use super::ops::{OpRecord, OperationLog};
use super::report::Verdict;
use super::*;
use crate::analysis::rules::Severity;

fn browser() -> Supports {
    Supports {
        environment: "window".into(),
        animation_frames: true,
        long_tasks: true,
        long_animation_frames: true,
        event_timing: true,
        resource_timing: true,
        js_heap: true,
        user_agent_memory: false,
        cross_origin_isolated: false,
        storage_estimate: true,
    }
}

fn monitor() -> Monitor {
    let mut m = Monitor::new(MonitoringConfig::default(), AlertThresholds::default(), 1.0).unwrap();
    m.set_supports(browser());
    m.start(0.0, 1.0).unwrap();
    m
}

/// Frames every `dt` ms from `from` (exclusive) to `to` (inclusive).
fn frames(m: &mut Monitor, from: f64, to: f64, dt: f64) {
    let n = ((to - from) / dt + 1e-9).floor() as usize;
    let v: Vec<f64> = (1..=n).map(|k| from + k as f64 * dt).collect();
    m.frames(&v);
}

fn mem(m: &mut Monitor, t: f64, heap_mb: f64, wasm_mb: f64) {
    m.memory(MemorySample {
        t,
        heap_used: heap_mb * MB,
        heap_total: 2.0 * heap_mb * MB,
        heap_limit: 4096.0 * MB,
        wasm: wasm_mb * MB,
    });
}

#[test]
fn fps_and_frame_time_percentiles() {
    let mut m = monitor();
    m.frames(&[0.0]);
    frames(&mut m, 0.0, 10_000.0, 1000.0 / 60.0);
    let ops = OperationLog::default();
    let s = m.snapshot(10_000.0, &ops, ActiveOps::default());
    let f = &s.frames;
    assert!(f.available);
    assert!((f.fps.unwrap() - 60.0).abs() < 0.01, "{:?}", f.fps);
    assert!((f.frame_time_ms.p50.unwrap() - 16.667).abs() < 0.01);
    assert_eq!(f.slow_frames, 0);
    // A 500 ms stall (a long task holding the frame) and 20 fps for a while.
    let mut t = 10_000.0 + 500.0;
    m.frames(&[t]);
    for _ in 0..60 {
        t += 50.0;
        m.frames(&[t]);
    }
    let s = m.snapshot(t, &ops, ActiveOps::default());
    let f = &s.frames;
    // 6.5 s at 60 fps, the stall and 3 s at 20 fps: 451 frames in 10 s.
    assert!((f.fps.unwrap() - 45.1).abs() < 0.1, "{:?}", f.fps);
    assert!((f.frame_time_ms.max.unwrap() - 500.0).abs() < 1e-6);
    assert!(f.frame_time_ms.p99.unwrap() >= 50.0);
    assert_eq!(f.slow_frames, 61);
    // Hidden page: no interval across the break.
    m.frame_break();
    m.frames(&[t + 60_000.0, t + 60_016.0]);
    let s = m.snapshot(t + 60_016.0, &ops, ActiveOps::default());
    assert_eq!(s.frames.frames, 1);
    assert_eq!(s.frames.frame_time_ms.max, Some(16.0));
}

#[test]
fn unavailable_fields_say_why() {
    let mut m = Monitor::new(MonitoringConfig::default(), AlertThresholds::default(), 1.0).unwrap();
    m.set_supports(Supports {
        environment: "node".into(),
        ..Default::default()
    });
    m.start(0.0, 1.0).unwrap();
    m.memory(MemorySample {
        t: 500.0,
        heap_used: f64::NAN,
        heap_total: f64::NAN,
        heap_limit: f64::NAN,
        wasm: 2.0 * MB,
    });
    let s = m.snapshot(1000.0, &OperationLog::default(), ActiveOps::default());
    assert!(!s.frames.available);
    assert!(s.frames.reason.as_deref().unwrap().contains("node"));
    assert!(s.frames.fps.is_none());
    assert!(!s.main_thread.available && s.main_thread.busy_percent.is_none());
    assert!(!s.memory.js_heap.available);
    assert!(s.memory.js_heap.reason.is_some());
    assert!(s.memory.wasm.available);
    assert_eq!((s.memory.source, s.memory.partial), ("wasm", true));
    assert!((s.memory.total_mb - 2.0).abs() < 1e-9);
    assert!(!s.memory.gc.available);
    assert!(!s.storage.available && !s.network.available && !s.interactions.available);
    assert!(!s.cache.available);
    // The JSON carries `available: false` and a reason, never a made-up number.
    let j = serde_json::to_value(&s).unwrap();
    assert_eq!(j["storage"]["available"], false);
    assert!(j["storage"]["reason"].is_string());
    assert!(j["storage"].get("usageMb").is_none());
    assert_eq!(j["frames"]["fps"], serde_json::Value::Null);
    assert_eq!(j["memory"]["wasm"]["available"], true);
    assert!(j["memory"]["wasm"]["mb"].is_number());
}

#[test]
fn busy_percent_from_long_tasks_and_the_cpu_alert() {
    let mut m = monitor();
    let ops = OperationLog::default();
    mem(&mut m, 0.0, 50.0, 2.0);
    // 10 s window: long tasks cover 9 s; a long animation frame overlapping one counts once.
    for k in 0..9 {
        m.busy(BusyKind::LongTask, k as f64 * 1000.0 + 10.0, 1000.0);
    }
    m.busy(BusyKind::LongAnimationFrame, 500.0, 400.0);
    let s = m.snapshot(10_000.0, &ops, ActiveOps::default());
    let mt = &s.main_thread;
    assert!((mt.busy_percent.unwrap() - 90.0).abs() < 1e-9);
    assert_eq!((mt.long_tasks, mt.long_animation_frames), (9, 1));
    assert_eq!(mt.total_blocking_ms, Some(9.0 * 950.0));
    assert_eq!(mt.longest_ms, Some(1000.0));
    assert!(mt.note.contains("stand-in"));
    let ev = m.evaluate(10_000.0, &ops);
    let cpu: Vec<_> = ev.iter().filter(|a| a.key == "cpu").collect();
    assert_eq!(cpu.len(), 1);
    assert_eq!(cpu[0].change, Change::Raised);
    assert_eq!(cpu[0].severity, Severity::Warning);
    assert!(cpu[0].message.contains("busy"));
    // Persisting (85 % now, a lower severity): no second alert.
    m.busy(BusyKind::LongTask, 10_000.0, 500.0);
    assert!(m.evaluate(11_000.0, &ops).iter().all(|a| a.key != "cpu"));
    // Quiet for a window: resolved.
    let ev = m.evaluate(22_000.0, &ops);
    let cpu: Vec<_> = ev.iter().filter(|a| a.key == "cpu").collect();
    assert_eq!(cpu[0].change, Change::Resolved);
    assert_eq!(m.alerts().active().count(), 0);
}

#[test]
fn a_just_started_monitor_does_not_alert_on_one_long_task() {
    let mut m = monitor();
    m.busy(BusyKind::LongTask, 0.0, 300.0);
    let ev = m.evaluate(300.0, &OperationLog::default());
    assert!(ev.iter().all(|a| a.key != "cpu"), "{ev:?}");
}

#[test]
fn memory_threshold_leak_and_gc_estimate() {
    let mut m = monitor();
    let ops = OperationLog::default();
    // A heap that grows 1 MB a second with collections every 10 s that do
    // not bring it back down: a leak. wasm steady.
    for s in 0..=60 {
        let t = s as f64 * 1000.0;
        let sawtooth = (s % 10) as f64 * 3.0;
        mem(&mut m, t, 100.0 + s as f64 + sawtooth, 8.0);
    }
    let snap = m.snapshot(60_000.0, &ops, ActiveOps::default());
    let leak = snap.memory.leak.js_heap.value.clone().unwrap();
    assert!(leak.suspected, "{leak:?}");
    assert!(leak.growth_mb > 40.0);
    assert!(!snap.memory.leak.wasm.value.clone().unwrap().suspected);
    let gc = snap.memory.gc.value.clone().unwrap();
    // The 10 s window holds one drop (at 60 s from 59 s).
    assert_eq!(gc.drops, 1);
    assert!(gc.note.contains("estimate"));
    assert_eq!(snap.memory.source, "jsHeap+wasm");
    assert!(
        snap.memory.partial,
        "DOM, canvas and GPU memory are not counted"
    );
    let ev = m.evaluate(60_000.0, &ops);
    assert!(ev.iter().any(|a| a.key == "memoryLeak:jsHeap"), "{ev:?}");
    assert!(ev.iter().all(|a| a.key != "memoryLeak:wasm"));
    assert!(ev.iter().all(|a| a.key != "memory"), "under 1024 MB");
    // Over the memory threshold: 1500 MB heap + 8 MB wasm is 47 % past 1024 → warning.
    mem(&mut m, 61_000.0, 1500.0, 8.0);
    let ev = m.evaluate(61_000.0, &ops);
    let a = ev.iter().find(|a| a.key == "memory").unwrap();
    assert_eq!(a.severity, Severity::Warning);
    // measureUserAgentSpecificMemory, when it answers, is the better total.
    m.user_agent_memory(61_500.0, 600.0 * MB);
    let snap = m.snapshot(61_500.0, &ops, ActiveOps::default());
    assert_eq!(snap.memory.source, "userAgentSpecificMemory");
    assert!(snap.memory.partial, "GPU memory is not counted");
    let ev = m.evaluate(62_000.0, &ops);
    assert_eq!(
        ev.iter().find(|a| a.key == "memory").unwrap().change,
        Change::Resolved
    );
}

#[test]
fn a_collected_heap_is_not_a_leak() {
    let mut m = monitor();
    for s in 0..=60 {
        // Climbs for 10 s, collected back to 100 MB.
        mem(
            &mut m,
            s as f64 * 1000.0,
            100.0 + (s % 10) as f64 * 5.0,
            8.0,
        );
    }
    let snap = m.snapshot(60_000.0, &OperationLog::default(), ActiveOps::default());
    assert!(!snap.memory.leak.js_heap.value.clone().unwrap().suspected);
    // Too few samples: unavailable, with the reason.
    let mut m = monitor();
    mem(&mut m, 0.0, 100.0, 1.0);
    let snap = m.snapshot(1000.0, &OperationLog::default(), ActiveOps::default());
    assert!(!snap.memory.leak.js_heap.available);
    assert!(snap.memory.leak.js_heap.reason.is_some());
}

fn op(log: &mut OperationLog, name: &str, end: f64, ms: f64, ok: bool) {
    let id = log.intern(name);
    log.record(OpRecord {
        name: id,
        start: end - ms,
        duration: ms,
        wasm_delta: 0.0,
        heap_delta: f64::NAN,
        ok,
    });
}

#[test]
fn operation_and_error_rate_alerts() {
    let mut m = monitor();
    let mut ops = OperationLog::default();
    op(&mut ops, "layoutWorkflow", 1000.0, 1200.0, true);
    op(&mut ops, "cache.get", 1500.0, 2.0, true);
    let ev = m.evaluate(2000.0, &ops);
    let a = ev
        .iter()
        .find(|a| a.key == "operation:layoutWorkflow")
        .unwrap();
    assert_eq!(a.severity, Severity::Info, "20 % past 1 s");
    assert!(a.message.contains("layoutWorkflow"));
    assert!(ev.iter().all(|a| a.key != "operation:cache.get"));
    assert!(ev.iter().all(|a| a.key != "errorRate"), "too few calls");
    // A slower call escalates the same alert.
    op(&mut ops, "layoutWorkflow", 3000.0, 1800.0, true);
    let ev = m.evaluate(3000.0, &ops);
    let a = ev
        .iter()
        .find(|a| a.key == "operation:layoutWorkflow")
        .unwrap();
    assert_eq!(
        (a.change, a.severity),
        (Change::Escalated, Severity::Critical)
    );
    // 2 failures in the window's 11 calls: 18 %, over 3× the 5 % threshold.
    for k in 0..8 {
        op(&mut ops, "cache.get", 4000.0 + k as f64, 1.0, k >= 2);
    }
    let ev = m.evaluate(4100.0, &ops);
    let e = ev.iter().find(|a| a.key == "errorRate").unwrap();
    assert_eq!(e.severity, Severity::Critical);
    assert!((e.value - 200.0 / 11.0).abs() < 1e-9);
    // Once the slow calls and failures leave the 10 s window, all resolve.
    let ev = m.evaluate(20_000.0, &ops);
    let resolved: Vec<&str> = ev
        .iter()
        .filter(|a| a.change == Change::Resolved)
        .map(|a| a.key.as_str())
        .collect();
    assert!(
        resolved.contains(&"operation:layoutWorkflow"),
        "{resolved:?}"
    );
    assert!(resolved.contains(&"errorRate"), "{resolved:?}");
    assert_eq!(m.alerts().active().count(), 0);
}

#[test]
fn cache_hit_rate_over_the_window() {
    let mut m = monitor();
    let ops = OperationLog::default();
    m.cache_counters(0.0, 1000.0, 0.0); // a warm cache before the window
    m.cache_counters(5000.0, 1030.0, 70.0); // 30 % in the window
    let snap = m.snapshot(5000.0, &ops, ActiveOps::default());
    let c = snap.cache.value.clone().unwrap();
    assert_eq!(c.lookups, 100.0);
    assert!((c.hit_rate_percent.unwrap() - 30.0).abs() < 1e-9);
    let ev = m.evaluate(5000.0, &ops);
    let a = ev.iter().find(|a| a.key == "cacheHitRate").unwrap();
    assert_eq!(a.severity, Severity::Warning, "40 % short of 50 %");
    m.cache_counters(16_000.0, 1130.0, 70.0);
    let ev = m.evaluate(16_000.0, &ops);
    assert_eq!(ev[0].change, Change::Resolved);
}

#[test]
fn interactions_network_storage() {
    let mut m = monitor();
    let ops = OperationLog::default();
    // Three interactions; the second has two events (its worst counts).
    m.event(100.0, 40.0, 5.0, 1.0);
    m.event(200.0, 120.0, 30.0, 2.0);
    m.event(210.0, 300.0, 10.0, 2.0);
    m.event(300.0, 64.0, 2.0, 3.0);
    m.event(400.0, 999.0, 2.0, 0.0); // not an interaction
    m.resource(1000.0, 2000.0);
    m.resource(2000.0, 0.0);
    m.storage(0.0, 10.0 * MB, 100.0 * MB);
    let s = m.snapshot(4000.0, &ops, ActiveOps::default());
    let i = s.interactions.value.clone().unwrap();
    assert_eq!(i.interactions, 3);
    assert_eq!(i.inp_ms, Some(300.0));
    assert_eq!(i.input_delay_p98_ms, Some(30.0));
    let n = s.network.value.clone().unwrap();
    assert_eq!(
        (n.resources, n.zero_byte_resources, n.bytes),
        (2, 1, 2000.0)
    );
    assert!((n.bytes_per_second - 500.0).abs() < 1e-9);
    let st = s.storage.value.clone().unwrap();
    assert!((st.usage_percent - 10.0).abs() < 1e-9);
    m.storage_unavailable("navigator.storage.estimate() rejected: SecurityError");
    let s = m.snapshot(4000.0, &ops, ActiveOps::default());
    assert!(s.storage.reason.unwrap().contains("SecurityError"));
}

#[test]
fn report_verdicts_over_a_window() {
    let mut m = monitor();
    let mut ops = OperationLog::default();
    m.frames(&[0.0]);
    frames(&mut m, 0.0, 30_000.0, 1000.0 / 60.0);
    for s in 0..=30 {
        mem(&mut m, s as f64 * 1000.0, 300.0, 20.0);
    }
    m.busy(BusyKind::LongTask, 25_000.0, 3000.0); // 10 % of 30 s
    m.cache_counters(0.0, 0.0, 0.0);
    m.cache_counters(30_000.0, 70.0, 30.0);
    op(&mut ops, "load", 3000.0, 3000.0, true);
    m.navigation_load(800.0);
    let r = m.report(30_000.0, 30.0, &ops).unwrap();
    let k = |id: &str| r.kpis.iter().find(|k| k.id == id).unwrap().clone();
    assert_eq!(k("fps").verdict, Verdict::Pass);
    assert!(!k("fps").lower_bound);
    // Memory (the JS heap and wasm, no DOM, canvas or GPU memory) and CPU (long
    // tasks only) are lower bounds: under their targets they prove nothing.
    let memory = k("memoryMb");
    assert!((memory.value.unwrap() - 320.0).abs() < 1e-9);
    assert_eq!(
        (memory.verdict, memory.lower_bound),
        (Verdict::Inconclusive, true)
    );
    assert!(memory.source.unwrap().contains("lower bound"));
    assert!(memory.reason.unwrap().contains("DOM, canvas and GPU"));
    let cpu = k("cpuPercent");
    assert!((cpu.value.unwrap() - 10.0).abs() < 1e-9);
    assert_eq!(
        (cpu.verdict, cpu.lower_bound),
        (Verdict::Inconclusive, true)
    );
    assert!(cpu.reason.unwrap().contains("50 ms"));
    assert_eq!(k("cacheHitRatePercent").verdict, Verdict::Acceptable);
    // The tracked "load" operation wins over Navigation Timing.
    assert_eq!(k("loadSeconds").value, Some(3.0));
    assert_eq!(k("loadSeconds").verdict, Verdict::Acceptable);
    // Nothing fails, but two KPIs cannot say pass: the whole is inconclusive.
    assert_eq!(r.verdict, Verdict::Inconclusive);
    // Over the fail target a lower bound fails honestly (the truth is higher still).
    m.busy(BusyKind::LongTask, 26_000.0, 4000.0);
    mem(&mut m, 30_000.0, 5000.0, 20.0);
    let r = m.report(30_000.0, 5.0, &ops).unwrap();
    let k = |id: &str| r.kpis.iter().find(|k| k.id == id).unwrap().clone();
    assert!(
        k("cpuPercent").value.unwrap() >= 80.0,
        "{:?}",
        k("cpuPercent")
    );
    assert_eq!(k("cpuPercent").verdict, Verdict::Fail);
    assert!(k("cpuPercent").reason.is_none());
    assert_eq!(k("memoryMb").verdict, Verdict::Fail);
    assert_eq!(r.verdict, Verdict::Fail);
    // A 5 s window: no load operation in it, so the page load (0.8 s).
    let load = r.kpis.iter().find(|k| k.id == "loadSeconds").unwrap();
    assert_eq!((load.value, load.verdict), (Some(0.8), Verdict::Pass));
    // Bad windows are errors with a path.
    let e = m.report(30_000.0, 0.0, &ops).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("windowSeconds"));
    assert!(m.report(30_000.0, 1e9, &ops).is_err());
    // Nothing measured: every KPI unavailable with a reason.
    let empty = Monitor::new(MonitoringConfig::default(), AlertThresholds::default(), 1.0).unwrap();
    let r = empty
        .report(1000.0, 10.0, &OperationLog::default())
        .unwrap();
    assert_eq!(r.verdict, Verdict::Unavailable);
    assert!(r
        .kpis
        .iter()
        .all(|k| k.verdict == Verdict::Unavailable && k.reason.is_some()));
}

#[test]
fn thresholds_and_config_are_validated() {
    let mut m = monitor();
    let bad = AlertThresholds {
        cpu_percent: 150.0,
        ..Default::default()
    };
    let e = m.set_thresholds(bad).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("alertThresholds.cpuPercent"));
    let ok = AlertThresholds {
        cpu_percent: 10.0,
        ..Default::default()
    };
    m.set_thresholds(ok).unwrap();
    assert_eq!(m.thresholds().cpu_percent, 10.0);
    assert!(m.start(0.0, 0.0).is_err());
    let cfg = MonitoringConfig {
        retain_seconds: 5.0,
        ..Default::default()
    };
    let e = Monitor::new(cfg, AlertThresholds::default(), 1.0).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("monitoring.retainSeconds"));
}

#[test]
fn old_samples_are_pruned() {
    let mut m = monitor();
    m.frames(&[0.0]);
    frames(&mut m, 0.0, 400_000.0, 100.0);
    for s in 0..400 {
        mem(&mut m, s as f64 * 1000.0, 10.0, 1.0);
    }
    m.evaluate(400_000.0, &OperationLog::default());
    assert!(m.frames.len() <= 3001, "{}", m.frames.len());
    assert!(m.memory.len() <= 301);
}
