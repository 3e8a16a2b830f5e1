//! `CacheCore`: the Rust half of `WorkflowCache` (`web/cache.js` is the
//! public class; it keeps the hit path on the JS side and forwards the rest
//! here), and `workflowContentHash`. Thin: read JS input, call
//! `browser::Cache`, turn results into promises and errors into
//! `FlowscaleError`s.

pub mod browser;
pub mod idb;

pub use browser::Cache;

use super::{init_once, invalid, optional_number, to_js};
use crate::cache::{content_hash, CacheConfig, CacheOptions};
use crate::error::{ErrorCode, FlowscaleError};
use browser::CacheStats;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

fn set(obj: &Object, k: &str, v: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(k), &v.into());
}

fn get(obj: &JsValue, k: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// `Ok(None)` (done) becomes a resolved promise.
fn settle(r: crate::error::Result<Option<Promise>>) -> Result<Promise, JsValue> {
    match r {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Ok(Promise::resolve(&JsValue::UNDEFINED)),
        Err(e) => Err(to_js(e)),
    }
}

/// Options object → `CacheOptions`, through JSON like the config (so unknown
/// keys are caught; functions such as `onError` are handled by cache.js).
fn options_from_js(value: &JsValue) -> Result<CacheOptions, JsValue> {
    let text = if value.is_undefined() || value.is_null() {
        "{}".to_string()
    } else {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| {
                invalid(
                    ErrorCode::InvalidConfig,
                    "options",
                    "expected a JSON-like options object",
                )
            })?
    };
    CacheOptions::from_json(&text, &CacheConfig::default()).map_err(to_js)
}

/// The arguments of `cacheWorkflow(id, { workflowData, ttlSeconds? })`,
/// checked (the cache's and the PerformanceManager's method share them).
pub(crate) fn workflow_entry(
    id: &JsValue,
    entry: &JsValue,
) -> Result<(String, JsValue, Option<f64>), JsValue> {
    let id = browser::checked_key(id, "id").map_err(to_js)?;
    if !entry.is_object() {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "entry",
            "expected { workflowData, ttlSeconds? }",
        ));
    }
    let read = |k: &str| {
        Reflect::get(entry, &JsValue::from_str(k)).map_err(|_| {
            invalid(
                ErrorCode::InvalidArgument,
                &format!("entry.{k}"),
                "reading it threw",
            )
        })
    };
    let data = read("workflowData")?;
    if data.is_undefined() {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "entry.workflowData",
            "workflowData is missing",
        ));
    }
    let ttl = optional_number(&read("ttlSeconds")?, "entry.ttlSeconds", "ttlSeconds")?;
    Ok((id, data, ttl))
}

pub(crate) fn stats_to_js(s: &CacheStats) -> JsValue {
    let m = &s.memory;
    let d = &s.disk;
    let mem = Object::new();
    set(&mem, "entries", m.entries as f64);
    set(&mem, "bytes", m.bytes as f64);
    set(&mem, "maxEntries", m.max_entries as f64);
    set(&mem, "maxBytes", m.max_bytes as f64);
    set(&mem, "hits", m.hits as f64);
    set(&mem, "misses", m.misses as f64);
    set(&mem, "evictions", m.evictions as f64);
    set(&mem, "expirations", m.expirations as f64);
    set(&mem, "rejections", m.rejections as f64);
    set(&mem, "hitRate", m.hit_rate());
    let disk = Object::new();
    set(&disk, "status", s.disk_status);
    set(&disk, "entries", d.entries as f64);
    set(&disk, "bytes", d.bytes as f64);
    set(&disk, "maxBytes", d.max_bytes as f64);
    set(&disk, "hits", d.hits as f64);
    set(&disk, "misses", d.misses as f64);
    set(&disk, "evictions", d.evictions as f64);
    set(&disk, "expirations", d.expirations as f64);
    set(&disk, "writes", d.writes as f64);
    set(&disk, "failedWrites", d.failed_writes as f64);
    set(&disk, "bytesWritten", d.bytes_written as f64);
    set(&disk, "bytesRead", d.bytes_read as f64);
    set(&disk, "corruptRecords", d.corrupt as f64);
    set(&disk, "pendingWrites", s.pending_writes as f64);
    match &s.last_error {
        Some(e) => set(&disk, "lastError", to_js(e.clone())),
        None => set(&disk, "lastError", JsValue::NULL),
    }
    match s.estimate {
        Some((usage, quota)) => {
            let est = Object::new();
            set(&est, "usage", usage);
            set(&est, "quota", quota);
            set(&disk, "estimate", est);
        }
        None => set(&disk, "estimate", JsValue::NULL),
    }
    let out = Object::new();
    let (hits, misses) = (s.hits(), s.misses());
    set(&out, "hits", hits as f64);
    set(&out, "misses", misses as f64);
    let n = hits + misses;
    set(
        &out,
        "hitRate",
        if n == 0 { 0.0 } else { hits as f64 / n as f64 },
    );
    set(&out, "memory", mem);
    set(&out, "disk", disk);
    let strategy = serde_json::to_value(s.options.strategy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    set(&out, "strategy", strategy);
    let admission = serde_json::to_value(s.options.admission)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    set(&out, "admission", admission);
    set(&out, "name", s.options.name.as_str());
    out.into()
}

/// The Rust core of a `WorkflowCache` (internal: use `WorkflowCache`).
#[wasm_bindgen(js_name = CacheCore)]
pub struct JsCacheCore {
    cache: Cache,
}

impl JsCacheCore {
    /// The Rust API, for other flowscale classes (the PerformanceManager).
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// A `CacheCore` over an open cache (the PerformanceManager's, for its monitor).
    pub(crate) fn from_cache(cache: Cache) -> Self {
        JsCacheCore { cache }
    }
}

#[wasm_bindgen(js_class = CacheCore)]
impl JsCacheCore {
    /// Open a cache; resolves to a `CacheCore`. `emit(error)` hears every storage fault.
    pub fn open(options: JsValue, emit: JsValue) -> Result<Promise, JsValue> {
        init_once();
        let opts = options_from_js(&options)?;
        let emit: Function = if emit.is_undefined() {
            Function::new_no_args("")
        } else {
            emit.dyn_into()
                .map_err(|_| invalid(ErrorCode::InvalidConfig, "onError", "expected a function"))?
        };
        Ok(future_to_promise(async move {
            let cache = Cache::open(opts, emit).await.map_err(to_js)?;
            Ok(JsCacheCore { cache }.into())
        }))
    }

    /// `{ index: Map<key, slot>, values: unknown[], keys: string[] }`, kept in step by Rust.
    pub fn mirror(&self) -> JsValue {
        self.cache.mirror()
    }

    /// The hit path: `slot` was found for a key; false when it expired (removed).
    pub fn hit(&self, slot: u32, now: f64) -> bool {
        self.cache.hit(slot, now)
    }

    /// Count a memory miss (LRU admission).
    pub fn miss(&self) {
        self.cache.miss(None);
    }

    /// Count a memory miss and record the key's access (TinyLFU admission).
    #[wasm_bindgen(js_name = missKey)]
    pub fn miss_key(&self, key: &str) {
        self.cache.miss(Some(key));
    }

    /// Whether misses should come with their key (`missKey`).
    #[wasm_bindgen(getter, js_name = recordsMissKeys)]
    pub fn records_miss_keys(&self) -> bool {
        self.cache.options().admission() == crate::cache::Admission::TinyLfu
    }

    /// After a memory miss: queued writes, then IndexedDB.
    #[wasm_bindgen(js_name = getFromDisk)]
    pub fn get_from_disk(&self, key: JsValue) -> Result<Promise, JsValue> {
        let k = browser::checked_key(&key, "key").map_err(to_js)?;
        let cache = self.cache.clone();
        Ok(future_to_promise(async move {
            cache.get_from_disk(&k, &key).await.map_err(to_js)
        }))
    }

    /// Memory, then disk.
    pub fn get(&self, key: JsValue) -> Result<Promise, JsValue> {
        let k = browser::checked_key(&key, "key").map_err(to_js)?;
        let cache = self.cache.clone();
        Ok(future_to_promise(async move {
            cache.get(&k).await.map_err(to_js)
        }))
    }

    /// Store a value; undefined when done, else a promise (write-through).
    /// `size` (the estimate) and `now` come from cache.js, which checked the
    /// key when it passes `now`.
    pub fn set(
        &self,
        key: JsValue,
        value: JsValue,
        options: JsValue,
        size: Option<f64>,
        now: Option<f64>,
    ) -> Result<JsValue, JsValue> {
        match self
            .cache
            .set(&key, &value, &options, size, now)
            .map_err(to_js)?
        {
            Some(p) => Ok(p.into()),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Cache-aside. `memoryChecked`: the caller already missed in memory.
    #[wasm_bindgen(js_name = getOrLoad)]
    pub fn get_or_load(
        &self,
        key: JsValue,
        loader: JsValue,
        options: JsValue,
        memory_checked: Option<bool>,
    ) -> Result<Promise, JsValue> {
        self.cache
            .get_or_load(&key, &loader, &options, memory_checked.unwrap_or(true))
            .map_err(to_js)
    }

    pub fn invalidate(&self, key: JsValue) -> Result<Promise, JsValue> {
        settle(self.cache.invalidate(&key))
    }

    /// Resolves to the number of keys removed.
    #[wasm_bindgen(js_name = invalidateTag)]
    pub fn invalidate_tag(&self, tag: JsValue) -> Result<Promise, JsValue> {
        let t = browser::checked_key(&tag, "tag").map_err(to_js)?;
        let cache = self.cache.clone();
        Ok(future_to_promise(async move {
            let n = cache.invalidate_matching(&t, false).await.map_err(to_js)?;
            Ok(JsValue::from(n))
        }))
    }

    /// Resolves to the number of keys removed.
    #[wasm_bindgen(js_name = invalidatePrefix)]
    pub fn invalidate_prefix(&self, prefix: JsValue) -> Result<Promise, JsValue> {
        let p = browser::checked_key(&prefix, "prefix").map_err(to_js)?;
        let cache = self.cache.clone();
        Ok(future_to_promise(async move {
            let n = cache.invalidate_matching(&p, true).await.map_err(to_js)?;
            Ok(JsValue::from(n))
        }))
    }

    pub fn clear(&self) -> Result<Promise, JsValue> {
        settle(self.cache.clear())
    }

    pub fn flush(&self) -> Result<Promise, JsValue> {
        settle(self.cache.flush())
    }

    /// The writes an unload would lose (`[key, value, expiresAt, tags]` or
    /// `[key]` for a delete), or null for write-through.
    pub fn journal(&self) -> JsValue {
        self.cache.journal().map_or(JsValue::NULL, JsValue::from)
    }

    /// Write back a journal a page left at `at` (ms).
    pub fn replay(&self, entries: JsValue, at: f64) -> Result<Promise, JsValue> {
        self.cache.replay(&entries, at).map_err(to_js)
    }

    /// The IndexedDB database's name (`flowscale-cache:<name>`), which the journal's key starts with.
    #[wasm_bindgen(getter, js_name = databaseName)]
    pub fn database_name(&self) -> String {
        self.cache.options().database_name()
    }

    pub fn close(&self) -> Promise {
        let cache = self.cache.clone();
        future_to_promise(async move {
            cache.close().await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    pub fn stats(&self) -> JsValue {
        stats_to_js(&self.cache.stats())
    }

    /// `{ workflowData, ttlSeconds? }` under `id`; resolves to the content hash.
    #[wasm_bindgen(js_name = cacheWorkflow)]
    pub fn cache_workflow(&self, id: JsValue, entry: JsValue) -> Result<Promise, JsValue> {
        let (id, data, ttl) = workflow_entry(&id, &entry)?;
        let cache = self.cache.clone();
        Ok(future_to_promise(async move {
            let hash = cache.cache_workflow(&id, &data, ttl).await.map_err(to_js)?;
            Ok(JsValue::from_str(&hash))
        }))
    }

    /// The cached `{ workflowData, contentHash, cachedAt }` for `id`, or null.
    /// With `{ contentHash }`, a record of other content counts as stale.
    #[wasm_bindgen(js_name = getCachedWorkflow)]
    pub fn get_cached_workflow(&self, id: JsValue, options: JsValue) -> Result<Promise, JsValue> {
        let id = browser::checked_key(&id, "id").map_err(to_js)?;
        let want = get(&options, "contentHash").as_string();
        let cache = self.cache.clone();
        Ok(future_to_promise(async move {
            let r = cache
                .get_cached_workflow(&id, want.as_deref())
                .await
                .map_err(to_js)?;
            Ok(r.unwrap_or(JsValue::NULL))
        }))
    }
}

/// The content hash `cacheWorkflow` stores: xxh3-128 of the canonical JSON
/// (object keys sorted), 32 hex digits.
#[wasm_bindgen(js_name = workflowContentHash)]
pub fn workflow_content_hash(
    #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
) -> Result<String, JsValue> {
    init_once();
    let text = js_sys::JSON::stringify(&data)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| {
            to_js(FlowscaleError::at(
                ErrorCode::InvalidWorkflow,
                "workflowData",
                "expected JSON data",
            ))
        })?;
    content_hash(&text).map_err(to_js)
}
