//! The two-tier workflow cache (`WorkflowCache`): a memory tier over an
//! IndexedDB tier, three write strategies, cross-tab coherence.
//!
//! The policy is platform-free and tested natively with a fake clock:
//! `memory.rs` (LRU by entries and bytes, TTL, tags, TinyLFU admission),
//! `disk.rs` (the index of what IndexedDB holds: size limit, expiry, tags),
//! `writeback.rs` (the write queue and its batches, retries, quota, waiters,
//! stale reads and the unload journal; tested with a fake store too), and
//! the options, key and content-hash rules below. The browser half lives in
//! `web/cache/`: `browser.rs` holds the values, drives the write-back and
//! talks to other tabs over a BroadcastChannel, `idb.rs` to IndexedDB, and
//! `mod.rs` exports it as `CacheCore`.

pub mod disk;
pub mod lru;
pub mod memory;
pub mod sketch;
pub mod writeback;

pub use disk::{DiskIndex, DiskMeta, DiskStats};
pub use memory::{Admission, InsertOutcome, Lookup, MemoryStats, MemoryTier, NotHeld, Removed};
pub use writeback::WriteBack;

use crate::error::{check_config, ErrorCode, FlowscaleError, Result};
use serde::{Deserialize, Serialize};

/// Config key `cache`: the documented defaults of `WorkflowCache.open`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CacheConfig {
    pub memory_max_entries: u32,
    /// Estimated bytes the memory tier may hold.
    pub memory_max_mb: f64,
    /// 0 turns the disk tier off.
    pub disk_max_mb: f64,
    pub default_ttl_seconds: f64,
    pub strategy: CacheStrategy,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            memory_max_entries: 1000,
            memory_max_mb: 100.0,
            disk_max_mb: 100.0,
            default_ttl_seconds: 300.0,
            strategy: CacheStrategy::WriteThrough,
        }
    }
}

impl CacheConfig {
    pub fn validate(&self) -> Result<()> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        check_config(
            self.memory_max_entries >= 1,
            "cache.memoryMaxEntries",
            "at least 1",
        )?;
        check_config(
            pos(self.memory_max_mb),
            "cache.memoryMaxMb",
            "a positive number",
        )?;
        check_config(
            self.disk_max_mb.is_finite() && self.disk_max_mb >= 0.0,
            "cache.diskMaxMb",
            "a number ≥ 0 (0 turns the disk tier off)",
        )?;
        check_config(
            pos(self.default_ttl_seconds),
            "cache.defaultTtlSeconds",
            "a positive number",
        )
    }
}

/// When a write reaches IndexedDB, and when `set` resolves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheStrategy {
    /// `set` resolves once both tiers hold the value (writes issued in the
    /// same turn share one transaction).
    #[default]
    WriteThrough,
    /// `set` resolves at once; writes are batched and flushed after
    /// `flushIntervalMs`, on `flush()`, and when the page is hidden.
    WriteBehind,
    /// For data that has a source of truth elsewhere: `getOrLoad` resolves
    /// as soon as memory holds the loaded value and writes it to disk in the
    /// background; `set` writes through.
    CacheAside,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdmissionName {
    #[default]
    Lru,
    Tinylfu,
}

/// `WorkflowCache.open(options)`: the documented keys (docs/reference.md, "Configuration") plus a few knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CacheOptions {
    /// Namespaces the database (`flowscale-cache:<name>`) and the cross-tab channel.
    pub name: String,
    pub memory_max_entries: u32,
    /// Estimated bytes the memory tier may hold.
    pub memory_max_mb: f64,
    /// Estimated bytes the disk tier may hold; 0 turns the disk tier off.
    pub disk_max_mb: f64,
    pub default_ttl_seconds: f64,
    pub strategy: CacheStrategy,
    pub admission: AdmissionName,
    /// Write-behind: how long a write may wait before its batch is flushed.
    pub flush_interval_ms: f64,
    /// How often expired entries are swept from both tiers.
    pub sweep_interval_seconds: f64,
    /// Tell other tabs of the same origin about writes and invalidations.
    pub broadcast: bool,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions::from_config(&CacheConfig::default())
    }
}

/// Longest key accepted, in UTF-16 code units.
pub const MAX_KEY_LEN: usize = 4096;
/// Longest tag accepted.
pub const MAX_TAG_LEN: usize = 1024;

const MB: f64 = 1024.0 * 1024.0;

impl CacheOptions {
    pub fn from_config(c: &CacheConfig) -> Self {
        CacheOptions {
            name: "default".into(),
            memory_max_entries: c.memory_max_entries,
            memory_max_mb: c.memory_max_mb,
            disk_max_mb: c.disk_max_mb,
            default_ttl_seconds: c.default_ttl_seconds,
            strategy: c.strategy,
            admission: AdmissionName::Lru,
            flush_interval_ms: 1000.0,
            sweep_interval_seconds: 60.0,
            broadcast: true,
        }
    }

    /// Options from JSON text; missing keys take `base`'s values.
    pub fn from_json(text: &str, base: &CacheConfig) -> Result<Self> {
        let mut value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| FlowscaleError::at(ErrorCode::InvalidConfig, "options", e.to_string()))?;
        if value.is_null() {
            value = serde_json::Value::Object(Default::default());
        }
        let defaults = serde_json::to_value(Self::from_config(base)).unwrap_or_default();
        if let (Some(obj), Some(def)) = (value.as_object_mut(), defaults.as_object()) {
            for (k, v) in def {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        } else {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidConfig,
                "options",
                "expected an object",
            ));
        }
        let opts: CacheOptions = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            FlowscaleError::at(ErrorCode::InvalidConfig, path, e.inner().to_string())
        })?;
        opts.validate()?;
        Ok(opts)
    }

    pub fn validate(&self) -> Result<()> {
        check_config(
            !self.name.is_empty() && self.name.len() <= 200,
            "name",
            "a non-empty string of at most 200 characters",
        )?;
        check_config(
            (1..=16_777_216).contains(&self.memory_max_entries),
            "memoryMaxEntries",
            "between 1 and 16777216",
        )?;
        check_config(
            self.memory_max_mb.is_finite() && self.memory_max_mb > 0.0,
            "memoryMaxMb",
            "a positive number",
        )?;
        check_config(
            self.disk_max_mb.is_finite() && self.disk_max_mb >= 0.0,
            "diskMaxMb",
            "a number ≥ 0 (0 turns the disk tier off)",
        )?;
        check_config(
            self.default_ttl_seconds.is_finite() && self.default_ttl_seconds > 0.0,
            "defaultTtlSeconds",
            "a positive number",
        )?;
        check_config(
            self.flush_interval_ms.is_finite()
                && (0.0..=3_600_000.0).contains(&self.flush_interval_ms),
            "flushIntervalMs",
            "a number of milliseconds in [0, 3600000]",
        )?;
        check_config(
            self.sweep_interval_seconds.is_finite() && self.sweep_interval_seconds >= 1.0,
            "sweepIntervalSeconds",
            "a number of seconds ≥ 1",
        )?;
        Ok(())
    }

    pub fn memory_max_bytes(&self) -> u64 {
        (self.memory_max_mb * MB) as u64
    }

    pub fn disk_max_bytes(&self) -> u64 {
        (self.disk_max_mb * MB) as u64
    }

    pub fn admission(&self) -> Admission {
        match self.admission {
            AdmissionName::Lru => Admission::Lru,
            AdmissionName::Tinylfu => Admission::TinyLfu,
        }
    }

    /// The IndexedDB database (and BroadcastChannel) name.
    pub fn database_name(&self) -> String {
        format!("flowscale-cache:{}", self.name)
    }
}

/// The options of one `set` as read from JS.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetOptions {
    pub ttl_seconds: Option<f64>,
    pub tags: Vec<String>,
    pub size_bytes: Option<f64>,
}

/// A validated `set`: when the entry expires and what it is tagged with.
#[derive(Clone, Debug, PartialEq)]
pub struct SetPlan {
    pub expires_at: f64,
    pub tags: Box<[Box<str>]>,
}

impl SetOptions {
    pub fn plan(&self, default_ttl_seconds: f64, now: f64) -> Result<SetPlan> {
        let ttl = self.ttl_seconds.unwrap_or(default_ttl_seconds);
        if ttl.is_nan() || ttl <= 0.0 {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidArgument,
                "options.ttlSeconds",
                "ttlSeconds must be a positive number of seconds (Infinity: never expires)",
            ));
        }
        if let Some(s) = self.size_bytes {
            if !(s.is_finite() && s >= 0.0) {
                return Err(FlowscaleError::at(
                    ErrorCode::InvalidArgument,
                    "options.sizeBytes",
                    "sizeBytes must be a finite number ≥ 0",
                ));
            }
        }
        if self.tags.len() > disk::MAX_TAGS {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidArgument,
                "options.tags",
                format!("at most {} tags per entry", disk::MAX_TAGS),
            ));
        }
        for (i, t) in self.tags.iter().enumerate() {
            if t.len() > MAX_TAG_LEN {
                return Err(FlowscaleError::at(
                    ErrorCode::InvalidArgument,
                    format!("options.tags[{i}]"),
                    format!("a tag may have at most {MAX_TAG_LEN} characters"),
                ));
            }
        }
        let mut tags: Vec<Box<str>> = self.tags.iter().map(|t| t.as_str().into()).collect();
        tags.sort_unstable();
        tags.dedup();
        Ok(SetPlan {
            expires_at: now + ttl * 1000.0,
            tags: tags.into(),
        })
    }
}

/// Check a key's length (the JS side checks its type and that it is well-formed UTF-16).
pub fn check_key(key: &str, path: &str) -> Result<()> {
    if key.len() > MAX_KEY_LEN * 3 || key.encode_utf16().count() > MAX_KEY_LEN {
        return Err(FlowscaleError::at(
            ErrorCode::InvalidArgument,
            path,
            format!("a key may have at most {MAX_KEY_LEN} characters"),
        ));
    }
    Ok(())
}

/// The cache key of a workflow stored by `cacheWorkflow(id, …)`.
pub fn workflow_key(id: &str) -> String {
    format!("workflow:{id}")
}

/// The tag carried by a workflow's entry (and by anything derived from it
/// that should go when the workflow's content changes).
pub fn workflow_tag(id: &str) -> String {
    format!("workflow:{id}")
}

/// A stable content hash of a JSON document: xxh3-128 of its canonical form
/// (object keys sorted, numbers and strings as serde_json writes them), as 32
/// hex digits. Key order and whitespace do not change it; any value does.
pub fn content_hash(json_text: &str) -> Result<String> {
    let value: serde_json::Value = serde_json::from_str(json_text).map_err(|e| {
        FlowscaleError::at(
            ErrorCode::InvalidWorkflow,
            "workflowData",
            format!("not JSON data: {e}"),
        )
    })?;
    // serde_json's Map is a BTreeMap (the `preserve_order` feature is off; a
    // test below fails if it is ever turned on), so this writes keys sorted.
    let canonical = serde_json::to_string(&value).map_err(|e| {
        FlowscaleError::at(ErrorCode::InvalidWorkflow, "workflowData", e.to_string())
    })?;
    Ok(format!(
        "{:032x}",
        xxhash_rust::xxh3::xxh3_128(canonical.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_defaults_and_errors() {
        let base = CacheConfig::default();
        let o = CacheOptions::from_json("{}", &base).unwrap();
        assert_eq!(o.memory_max_entries, 1000);
        assert_eq!(o.disk_max_mb, 100.0);
        assert_eq!(o.default_ttl_seconds, 300.0);
        assert_eq!(o.strategy, CacheStrategy::WriteThrough);
        assert_eq!(o.database_name(), "flowscale-cache:default");
        let o = CacheOptions::from_json(
            r#"{"name":"x","strategy":"write-behind","admission":"tinylfu","diskMaxMb":0}"#,
            &base,
        )
        .unwrap();
        assert_eq!(o.strategy, CacheStrategy::WriteBehind);
        assert_eq!(o.admission(), Admission::TinyLfu);
        assert_eq!(o.disk_max_bytes(), 0);
        let e = CacheOptions::from_json(r#"{"strategy":"sometimes"}"#, &base).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_deref()),
            (ErrorCode::InvalidConfig, Some("strategy"))
        );
        let e = CacheOptions::from_json(r#"{"memoryMaxEntries":0}"#, &base).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("memoryMaxEntries"));
        let e = CacheOptions::from_json(r#"{"colour":1}"#, &base).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        let e = CacheOptions::from_json("[1]", &base).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("options"));
    }

    #[test]
    fn set_options_plan() {
        let p = SetOptions {
            ttl_seconds: Some(2.0),
            tags: vec!["b".into(), "a".into(), "b".into()],
            size_bytes: None,
        }
        .plan(300.0, 1000.0)
        .unwrap();
        assert_eq!(p.expires_at, 3000.0);
        assert_eq!(&*p.tags, &[Box::from("a"), Box::from("b")]);
        let never = SetOptions {
            ttl_seconds: Some(f64::INFINITY),
            ..Default::default()
        };
        assert_eq!(never.plan(300.0, 0.0).unwrap().expires_at, f64::INFINITY);
        for bad in [0.0, -1.0, f64::NAN] {
            let e = SetOptions {
                ttl_seconds: Some(bad),
                ..Default::default()
            }
            .plan(300.0, 0.0)
            .unwrap_err();
            assert_eq!(e.path.as_deref(), Some("options.ttlSeconds"));
        }
        assert!(check_key(&"k".repeat(MAX_KEY_LEN), "key").is_ok());
        assert!(check_key(&"k".repeat(MAX_KEY_LEN + 1), "key").is_err());
    }

    #[test]
    fn content_hash_ignores_key_order_and_whitespace() {
        let a =
            content_hash(r#"{"nodes":[{"id":"a","position":{"x":1,"y":2}}],"edges":[]}"#).unwrap();
        let b = content_hash(
            r#"{ "edges": [], "nodes": [ { "position": { "y": 2, "x": 1 }, "id": "a" } ] }"#,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        let c =
            content_hash(r#"{"nodes":[{"id":"a","position":{"x":1,"y":3}}],"edges":[]}"#).unwrap();
        assert_ne!(a, c);
        assert_eq!(
            content_hash("not json").unwrap_err().code,
            ErrorCode::InvalidWorkflow
        );
    }
}
