//! `PerformanceManager`: one method per documented service endpoint (see
//! `crate::manager::ENDPOINTS` and docs/api.md). It owns a workflow cache
//! (the Rust `Cache`), a `PerformanceMonitor` watching that cache, and the
//! resolved config; `optimizeWorkflow` and `benchmark` run the same pipeline
//! as the free function `optimizeWorkflow`.

use super::cache::{Cache, JsCacheCore};
use super::monitor::{to_plain, JsMonitorCore};
use super::optimize::{optimize_with, STAGES};
use super::{config_from_js, config_to_js, init_once, invalid, optional_number, to_js};
use crate::cache::{content_hash, CacheOptions};
use crate::config::Config;
use crate::error::ErrorCode;
use crate::manager::{
    iterations, request_fields, Benchmark, Field, BENCHMARK, CACHE_WORKFLOW, ENDPOINTS,
    START_MONITORING,
};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen(module = "/src/web/monitor.js")]
extern "C" {
    /// The JS `PerformanceMonitor` class (src/web/monitor.js).
    #[wasm_bindgen(js_name = PerformanceMonitor)]
    pub type JsMonitor;
    #[wasm_bindgen(js_name = managedMonitor)]
    fn managed_monitor(core: JsMonitorCore, cache: &JsValue) -> JsMonitor;
    #[wasm_bindgen(method, catch)]
    fn start(this: &JsMonitor, options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method)]
    fn stop(this: &JsMonitor);
    #[wasm_bindgen(method, catch)]
    fn snapshot(this: &JsMonitor) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn alerts(this: &JsMonitor) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn thresholds(this: &JsMonitor) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = nextTask)]
    fn next_task() -> Promise;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface ManagerOptions {
  /** Names the manager's cache database (`flowscale-cache:<cacheName>`). Default 'performance-manager'. */
  cacheName?: string;
}
export interface StageStats { stage: string; minMs: number; medianMs: number; p95Ms: number; meanMs: number; maxMs: number; }
/** `workflowData` or, as the service's HTTP form spells it, `workflow_data`. */
export type BenchmarkRequest = { workflowData: OptimizeInput; iterations?: number } | { workflow_data: OptimizeInput; iterations?: number };
export interface BenchmarkResult {
  iterations: number; warmup: number; nodes: number; edges: number;
  /** extract, build, frame, edges, analysis, recommendations, total — in pipeline order. */
  stages: StageStats[];
  throughput: { workflowsPerSecond: number; nodesPerSecond: number; edgesPerSecond: number };
  elapsedMs: number;
}
export interface CacheWorkflowResult {
  id: string; contentHash: string; ttlSeconds: number;
  /** False when IndexedDB could not take it (memory only): `warning` says why. */
  durable: boolean; warning?: string;
}
export interface CachedWorkflowRecord<T = unknown> { id: string; workflowData: T; contentHash: string; cachedAt: number; }
export interface ManagerStatus {
  monitoring: MonitoringState;
  system: MonitorSnapshot;
  cache: import('./index').CacheStats;
  alerts: { active: Alert[]; recent: Alert[] };
  thresholds: AlertThresholds;
  endpoints: { http: string; path: string; method: string }[];
}
"#;

/// The cache database name when `options.cacheName` is absent.
const DEFAULT_CACHE_NAME: &str = "performance-manager";
/// Untimed runs before a benchmark's measured ones.
const WARMUP: u32 = 1;

fn get(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .map_err(|_| invalid(ErrorCode::InvalidArgument, key, "reading it threw"))
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// A request object with each field under its camelCase name, whichever
/// spelling the caller used (the HTTP form's snake_case too); an own key no
/// field has is INVALID_ARGUMENT at that key (under `at`). Fields are read
/// with `Reflect.get`, so a getter on the prototype still counts. Anything
/// but a plain object is returned as it is, for the endpoint's own check.
fn normalize(value: &JsValue, fields: &[Field], at: &str) -> Result<JsValue, JsValue> {
    if !value.is_object() || Array::is_array(value) {
        return Ok(value.clone());
    }
    let object: &Object = value.unchecked_ref();
    let keys: Vec<String> = Object::keys(object)
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    request_fields(fields, &keys, at).map_err(to_js)?;
    let out = Object::new();
    for f in fields {
        let mut v = get(value, f.name)?;
        if v.is_undefined() && f.snake != f.name {
            v = get(value, f.snake)?;
        }
        if !v.is_undefined() {
            set(&out, f.name, v);
        }
    }
    Ok(out.into())
}

/// A promise that rejects with `e` (async methods never throw synchronously).
fn rejected(e: JsValue) -> Promise {
    Promise::reject(&e)
}

/// The service surface, one method per endpoint (docs/api.md).
#[wasm_bindgen(js_name = PerformanceManager)]
pub struct JsPerformanceManager {
    config: Config,
    cache: Cache,
    monitor: JsMonitor,
}

#[wasm_bindgen(js_class = PerformanceManager)]
impl JsPerformanceManager {
    /// `await PerformanceManager.create(config?, { cacheName? })`: resolves the
    /// config, opens the cache (memory, and IndexedDB where there is one) and
    /// sets up a monitor watching it (not started: `startMonitoring`).
    #[wasm_bindgen(unchecked_return_type = "Promise<PerformanceManager>")]
    pub fn create(
        #[wasm_bindgen(unchecked_param_type = "PartialConfig")] config: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ManagerOptions")] options: JsValue,
    ) -> Promise {
        init_once();
        let setup = (|| -> Result<(Config, CacheOptions), JsValue> {
            let config = config_from_js(&config)?;
            let mut opts = CacheOptions::from_config(&config.cache);
            opts.name = DEFAULT_CACHE_NAME.into();
            if !(options.is_undefined() || options.is_null()) {
                let name = get(&options, "cacheName")?;
                if !name.is_undefined() {
                    opts.name = name.as_string().ok_or_else(|| {
                        invalid(
                            ErrorCode::InvalidConfig,
                            "options.cacheName",
                            "cacheName must be a string",
                        )
                    })?;
                }
            }
            Ok((config, opts))
        })();
        let (config, opts) = match setup {
            Ok(v) => v,
            Err(e) => return rejected(e),
        };
        future_to_promise(async move {
            // Storage faults do not fail the manager: the cache serves from
            // memory and `status().cache.disk` says why.
            let cache = Cache::open(opts, Function::new_no_args(""))
                .await
                .map_err(to_js)?;
            let core = JsMonitorCore::from_config(&config)?;
            let watched: JsValue = JsCacheCore::from_cache(cache.clone()).into();
            let monitor = managed_monitor(core, &watched);
            Ok(JsPerformanceManager {
                config,
                cache,
                monitor,
            }
            .into())
        })
    }

    /// POST /api/performance/optimize-workflow: `{ nodes, edges, viewport?, size? }`
    /// → the `optimizeWorkflow` result with this manager's config.
    #[wasm_bindgen(js_name = optimizeWorkflow, unchecked_return_type = "Promise<OptimizeResult>")]
    pub fn optimize_workflow(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OptimizeInput")] request: JsValue,
    ) -> Promise {
        match optimize_with(&request, self.config.clone(), super::now()) {
            Ok((v, _)) => Promise::resolve(&v),
            Err(e) => rejected(e),
        }
    }

    /// GET /api/performance/status: system metrics, cache statistics, alerts and the monitoring state.
    #[wasm_bindgen(unchecked_return_type = "ManagerStatus")]
    pub fn status(&self) -> Result<JsValue, JsValue> {
        let snap = self.monitor.snapshot()?;
        let alerts = self.monitor.alerts()?;
        let out = Object::new();
        set(&out, "monitoring", get(&snap, "monitoring")?);
        set(&out, "system", snap);
        set(
            &out,
            "cache",
            super::cache::stats_to_js(&self.cache.stats()),
        );
        let recent = Object::new();
        set(&recent, "active", get(&alerts, "active")?);
        let history: Array = get(&alerts, "history")?.into();
        let n = history.length();
        set(&recent, "recent", history.slice(n.saturating_sub(20), n));
        set(&out, "alerts", recent);
        set(&out, "thresholds", self.monitor.thresholds()?);
        set(&out, "endpoints", to_plain(&ENDPOINTS)?);
        Ok(out.into())
    }

    /// POST /api/performance/monitoring/start: `{ intervalSeconds? }` (default
    /// the config's `monitoringIntervalSeconds`) → the monitoring state.
    #[wasm_bindgen(js_name = startMonitoring, unchecked_return_type = "MonitoringState")]
    pub fn start_monitoring(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ intervalSeconds?: number; interval_seconds?: number }"
        )]
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.monitor
            .start(&normalize(&options, START_MONITORING, "options")?)
    }

    /// Stop sampling (the counterpart a service would offer; samples and alerts are kept).
    #[wasm_bindgen(js_name = stopMonitoring)]
    pub fn stop_monitoring(&self) {
        self.monitor.stop();
    }

    /// The manager's `PerformanceMonitor` (`onAlert`, `report`, `setThresholds`, …).
    #[wasm_bindgen(getter, unchecked_return_type = "import('./index').PerformanceMonitor")]
    pub fn monitor(&self) -> JsValue {
        self.monitor.clone()
    }

    /// The resolved configuration.
    #[wasm_bindgen(unchecked_return_type = "FlowscaleConfig")]
    pub fn config(&self) -> Result<JsValue, JsValue> {
        config_to_js(&self.config)
    }

    /// POST /api/performance/cache-workflow/{id}: `(id, { workflowData, ttlSeconds? })`.
    #[wasm_bindgen(js_name = cacheWorkflow, unchecked_return_type = "Promise<CacheWorkflowResult>")]
    pub fn cache_workflow(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(
            unchecked_param_type = "{ workflowData: unknown; ttlSeconds?: number } | { workflow_data: unknown; ttl_seconds?: number }"
        )]
        entry: JsValue,
    ) -> Promise {
        let args = normalize(&entry, CACHE_WORKFLOW, "entry")
            .and_then(|entry| super::cache::workflow_entry(&id, &entry));
        let (id, data, ttl) = match args {
            Ok(v) => v,
            Err(e) => return rejected(e),
        };
        let cache = self.cache.clone();
        let default_ttl = self.config.cache.default_ttl_seconds;
        future_to_promise(async move {
            let out = Object::new();
            set(&out, "id", id.as_str());
            set(&out, "ttlSeconds", ttl.unwrap_or(default_ttl));
            match cache.cache_workflow(&id, &data, ttl).await {
                Ok(hash) => {
                    set(&out, "contentHash", hash.as_str());
                    set(&out, "durable", true);
                }
                // Memory holds it; IndexedDB is missing (Node, private modes) or blocked.
                Err(e)
                    if matches!(
                        e.code,
                        ErrorCode::StorageUnavailable | ErrorCode::StorageBlocked
                    ) =>
                {
                    let text = js_sys::JSON::stringify(&data)
                        .ok()
                        .and_then(|t| t.as_string())
                        .unwrap_or_default();
                    set(
                        &out,
                        "contentHash",
                        content_hash(&text).map_err(to_js)?.as_str(),
                    );
                    set(&out, "durable", false);
                    set(
                        &out,
                        "warning",
                        format!("{}: {}", e.code.as_str(), e.message),
                    );
                }
                Err(e) => return Err(to_js(e)),
            }
            Ok(out.into())
        })
    }

    /// GET /api/performance/cached-workflow/{id}: `{ id, workflowData, contentHash, cachedAt }` or null.
    #[wasm_bindgen(js_name = getCachedWorkflow, unchecked_return_type = "Promise<CachedWorkflowRecord | null>")]
    pub fn get_cached_workflow(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        let id = match super::cache::browser::checked_key(&id, "id") {
            Ok(id) => id,
            Err(e) => return rejected(to_js(e)),
        };
        let cache = self.cache.clone();
        future_to_promise(async move {
            let Some(rec) = cache.get_cached_workflow(&id, None).await.map_err(to_js)? else {
                return Ok(JsValue::NULL);
            };
            let out = Object::new();
            set(&out, "id", id.as_str());
            for k in ["workflowData", "contentHash", "cachedAt"] {
                set(&out, k, get(&rec, k)?);
            }
            Ok(out.into())
        })
    }

    /// POST /api/performance/benchmark: `{ workflowData, iterations? }` → per
    /// stage min/median/p95/mean/max and throughput. One untimed warm-up run;
    /// yields to the event loop between runs so the page stays responsive.
    #[wasm_bindgen(unchecked_return_type = "Promise<BenchmarkResult>")]
    pub fn benchmark(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BenchmarkRequest")] request: JsValue,
    ) -> Promise {
        let args = (|| -> Result<(JsValue, u32), JsValue> {
            let request = normalize(&request, BENCHMARK, "")?;
            if !request.is_object() {
                return Err(invalid(
                    ErrorCode::InvalidArgument,
                    "request",
                    "expected { workflowData, iterations? }",
                ));
            }
            let data = get(&request, "workflowData")?;
            if !data.is_object() {
                return Err(invalid(
                    ErrorCode::InvalidArgument,
                    "workflowData",
                    "workflowData must be a workflow { nodes, edges }",
                ));
            }
            let n = optional_number(&get(&request, "iterations")?, "iterations", "iterations")?;
            let n = iterations(n).map_err(to_js)?;
            Ok((data, n))
        })();
        let (data, n) = match args {
            Ok(v) => v,
            Err(e) => return rejected(e),
        };
        let cfg = self.config.clone();
        future_to_promise(async move {
            let started = super::now();
            let mut bench = Benchmark::new(&STAGES.map(|s| s.0));
            for i in 0..WARMUP + n {
                // Errors keep the paths of optimizeWorkflow (relative to workflowData).
                let (_, times) = optimize_with(&data, cfg.clone(), super::now())?;
                if i >= WARMUP {
                    bench.add(&times);
                }
                JsFuture::from(next_task()).await?;
            }
            let count = |key: &str| -> f64 {
                get(&data, key)
                    .ok()
                    .and_then(|a| get(&a, "length").ok())
                    .and_then(|l| l.as_f64())
                    .unwrap_or(0.0)
            };
            let report = bench.report(
                WARMUP,
                count("nodes") as u64,
                count("edges") as u64,
                super::now() - started,
            );
            to_plain(&report)
        })
    }

    /// Stop monitoring and close the cache.
    pub fn close(&self) -> Promise {
        self.monitor.stop();
        let cache = self.cache.clone();
        future_to_promise(async move {
            cache.close().await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

impl JsPerformanceManager {
    /// For Rust callers: the manager's cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }
}
