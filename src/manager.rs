//! `PerformanceManager`: the service surface. One method per endpoint of the
//! performance service (the table below; request and response shapes in
//! docs/api.md). The web export (`web/manager.rs`) wires the pieces —
//! `optimize_workflow`, the cache, the monitor — and this module holds what
//! is platform-free: the endpoint table, argument checks and the benchmark's
//! statistics.

use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::monitor::stats::{percentile_sorted, sorted};
use serde::Serialize;

/// A documented endpoint (docs/api.md) and the method that serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub http: &'static str,
    pub path: &'static str,
    pub method: &'static str,
}

pub const ENDPOINTS: [Endpoint; 6] = [
    Endpoint {
        http: "POST",
        path: "/api/performance/optimize-workflow",
        method: "optimizeWorkflow",
    },
    Endpoint {
        http: "GET",
        path: "/api/performance/status",
        method: "status",
    },
    Endpoint {
        http: "POST",
        path: "/api/performance/monitoring/start",
        method: "startMonitoring",
    },
    Endpoint {
        http: "POST",
        path: "/api/performance/cache-workflow/{id}",
        method: "cacheWorkflow",
    },
    Endpoint {
        http: "GET",
        path: "/api/performance/cached-workflow/{id}",
        method: "getCachedWorkflow",
    },
    Endpoint {
        http: "POST",
        path: "/api/performance/benchmark",
        method: "benchmark",
    },
];

pub const DEFAULT_ITERATIONS: u32 = 10;
pub const MAX_ITERATIONS: u32 = 1000;

/// `iterations` of a benchmark request: absent → 10; else a whole number in 1..=1000.
pub fn iterations(value: Option<f64>) -> Result<u32> {
    let Some(v) = value else {
        return Ok(DEFAULT_ITERATIONS);
    };
    if v.is_finite() && v.fract() == 0.0 && (1.0..=MAX_ITERATIONS as f64).contains(&v) {
        Ok(v as u32)
    } else {
        Err(FlowscaleError::at(
            ErrorCode::InvalidArgument,
            "iterations",
            format!("iterations must be a whole number from 1 to {MAX_ITERATIONS}, got {v}"),
        ))
    }
}

/// A request field: its camelCase name and the snake_case name the service's
/// HTTP form uses (the same when they coincide).
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub snake: &'static str,
}

const fn field(name: &'static str, snake: &'static str) -> Field {
    Field { name, snake }
}

/// `startMonitoring(options)`.
pub const START_MONITORING: &[Field] = &[field("intervalSeconds", "interval_seconds")];
/// `cacheWorkflow(id, entry)`.
pub const CACHE_WORKFLOW: &[Field] = &[
    field("workflowData", "workflow_data"),
    field("ttlSeconds", "ttl_seconds"),
];
/// `benchmark(request)`.
pub const BENCHMARK: &[Field] = &[
    field("workflowData", "workflow_data"),
    field("iterations", "iterations"),
];

/// Which field each key of a request names, in either spelling. A key no
/// field has is INVALID_ARGUMENT at that key (never silently ignored), and
/// so is a field given in both spellings. `at` prefixes the paths.
pub fn request_fields(fields: &[Field], keys: &[String], at: &str) -> Result<Vec<(usize, String)>> {
    let path = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    let mut out: Vec<(usize, String)> = Vec::with_capacity(keys.len());
    for k in keys {
        let Some(i) = fields.iter().position(|f| f.name == k || f.snake == k) else {
            let known: Vec<String> = fields
                .iter()
                .map(|f| {
                    if f.name == f.snake {
                        f.name.to_string()
                    } else {
                        format!("{} ({})", f.name, f.snake)
                    }
                })
                .collect();
            return Err(FlowscaleError::at(
                ErrorCode::InvalidArgument,
                path(k),
                format!("unknown field {k:?}; the fields are {}", known.join(", ")),
            ));
        };
        if let Some((_, first)) = out.iter().find(|(j, _)| *j == i) {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidArgument,
                path(k),
                format!("{first:?} and {k:?} name the same field: give one"),
            ));
        }
        out.push((i, k.clone()));
    }
    Ok(out)
}

/// Distribution of one stage's time over the iterations.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageStats {
    pub stage: &'static str,
    pub min_ms: f64,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
}

impl StageStats {
    pub fn of(stage: &'static str, samples: &[f64]) -> StageStats {
        let s = sorted(samples.iter().copied());
        let n = s.len().max(1) as f64;
        StageStats {
            stage,
            min_ms: s.first().copied().unwrap_or(0.0),
            median_ms: percentile_sorted(&s, 50.0).unwrap_or(0.0),
            p95_ms: percentile_sorted(&s, 95.0).unwrap_or(0.0),
            mean_ms: s.iter().sum::<f64>() / n,
            max_ms: s.last().copied().unwrap_or(0.0),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    /// Whole pipelines per second, from the median total.
    pub workflows_per_second: f64,
    pub nodes_per_second: f64,
    pub edges_per_second: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkReport {
    pub iterations: u32,
    /// Untimed runs before the measured ones (JIT, caches, memory growth).
    pub warmup: u32,
    pub nodes: u64,
    pub edges: u64,
    /// In pipeline order; the last is `total`.
    pub stages: Vec<StageStats>,
    pub throughput: Throughput,
    /// Wall time of the whole benchmark, warm-up included.
    pub elapsed_ms: f64,
}

/// Collects per-stage samples, one row per iteration.
#[derive(Clone, Debug, Default)]
pub struct Benchmark {
    stages: Vec<&'static str>,
    samples: Vec<Vec<f64>>,
}

impl Benchmark {
    pub fn new(stages: &[&'static str]) -> Benchmark {
        Benchmark {
            stages: stages.to_vec(),
            samples: vec![Vec::new(); stages.len()],
        }
    }

    /// One iteration's times, in the order of `stages`.
    pub fn add(&mut self, times: &[f64]) {
        for (s, &t) in self.samples.iter_mut().zip(times) {
            s.push(t);
        }
    }

    pub fn report(&self, warmup: u32, nodes: u64, edges: u64, elapsed_ms: f64) -> BenchmarkReport {
        let stages: Vec<StageStats> = self
            .stages
            .iter()
            .zip(&self.samples)
            .map(|(name, s)| StageStats::of(name, s))
            .collect();
        let per_second = stages
            .last()
            .filter(|s| s.median_ms > 0.0)
            .map_or(0.0, |s| 1000.0 / s.median_ms);
        BenchmarkReport {
            iterations: self.samples.first().map_or(0, |s| s.len() as u32),
            warmup,
            nodes,
            edges,
            stages,
            throughput: Throughput {
                workflows_per_second: per_second,
                nodes_per_second: per_second * nodes as f64,
                edges_per_second: per_second * edges as f64,
            },
            elapsed_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_are_checked() {
        assert_eq!(iterations(None).unwrap(), 10);
        assert_eq!(iterations(Some(1.0)).unwrap(), 1);
        assert_eq!(iterations(Some(1000.0)).unwrap(), 1000);
        for bad in [0.0, -1.0, 1.5, 1001.0, f64::NAN, f64::INFINITY] {
            let e = iterations(Some(bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument);
            assert_eq!(e.path.as_deref(), Some("iterations"));
        }
    }

    #[test]
    fn stage_statistics_and_throughput() {
        let mut b = Benchmark::new(&["build", "frame", "total"]);
        for i in 1..=20 {
            let i = i as f64;
            b.add(&[i, 2.0 * i, 3.0 * i]);
        }
        let r = b.report(1, 1000, 500, 1234.0);
        assert_eq!(r.iterations, 20);
        let build = &r.stages[0];
        assert_eq!((build.min_ms, build.max_ms), (1.0, 20.0));
        assert_eq!(build.median_ms, 10.5);
        assert_eq!(build.mean_ms, 10.5);
        assert!((build.p95_ms - 19.05).abs() < 1e-9);
        let total = &r.stages[2];
        assert_eq!(total.stage, "total");
        assert_eq!(total.median_ms, 31.5);
        assert!((r.throughput.workflows_per_second - 1000.0 / 31.5).abs() < 1e-9);
        assert!((r.throughput.nodes_per_second - 1000.0 * 1000.0 / 31.5).abs() < 1e-6);
        assert!((r.throughput.edges_per_second - 500.0 * 1000.0 / 31.5).abs() < 1e-6);
        let j = serde_json::to_value(&r).unwrap();
        assert!(j["stages"][0]["p95Ms"].is_number());
        assert!(j["throughput"]["workflowsPerSecond"].is_number());
    }

    #[test]
    fn request_fields_take_both_spellings_and_refuse_the_rest() {
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r =
            request_fields(CACHE_WORKFLOW, &keys(&["workflow_data", "ttlSeconds"]), "").unwrap();
        assert_eq!(
            r,
            vec![
                (0, "workflow_data".to_string()),
                (1, "ttlSeconds".to_string())
            ]
        );
        let e = request_fields(START_MONITORING, &keys(&["interval"]), "options").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        assert_eq!(e.path.as_deref(), Some("options.interval"));
        assert!(
            e.message.contains("intervalSeconds (interval_seconds)"),
            "{}",
            e.message
        );
        let e =
            request_fields(CACHE_WORKFLOW, &keys(&["ttl_seconds", "ttlSeconds"]), "").unwrap_err();
        assert_eq!(e.path.as_deref(), Some("ttlSeconds"));
        assert!(request_fields(BENCHMARK, &keys(&[]), "")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn every_service_endpoint_has_a_method() {
        let paths: Vec<&str> = ENDPOINTS.iter().map(|e| e.path).collect();
        for p in [
            "/api/performance/optimize-workflow",
            "/api/performance/status",
            "/api/performance/monitoring/start",
            "/api/performance/cache-workflow/{id}",
            "/api/performance/cached-workflow/{id}",
            "/api/performance/benchmark",
        ] {
            assert!(paths.contains(&p), "{p}");
        }
        // docs/api.md names every method and path.
        let doc = include_str!("../docs/api.md");
        for e in ENDPOINTS {
            assert!(doc.contains(e.path), "docs/api.md lacks {}", e.path);
            assert!(
                doc.contains(&format!("{}(", e.method)),
                "docs/api.md lacks {}",
                e.method
            );
        }
    }
}
