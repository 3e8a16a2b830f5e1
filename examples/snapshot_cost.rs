use flowscale::config::AlertThresholds;
use flowscale::monitor::ops::OperationLog;
use flowscale::monitor::{MemorySample, Monitor, MonitoringConfig, Supports};
fn main() {
    let mut m = Monitor::new(MonitoringConfig::default(), AlertThresholds::default(), 1.0).unwrap();
    m.set_supports(Supports { animation_frames: true, ..Default::default() });
    m.start(0.0, 1.0).unwrap();
    let v: Vec<f64> = (0..18000).map(|i| i as f64 * 1000.0 / 60.0).collect();
    m.frames(&v);
    m.memory(MemorySample { t: 300_000.0, heap_used: f64::NAN, heap_total: f64::NAN, heap_limit: f64::NAN, wasm: 1e6 });
    let ops = OperationLog::default();
    let t = std::time::Instant::now();
    for _ in 0..100 { std::hint::black_box(m.snapshot(300_000.0, &ops, Default::default())); }
    println!("snapshot {:?}", t.elapsed() / 100);
}
