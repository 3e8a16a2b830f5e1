//! Configuration: every documented key (README, "Configuration") with its default, plus the
//! few knobs the per-frame core adds. Parsed from a (partial) JS/JSON object
//! or from environment variables; unknown keys and out-of-range values are
//! `INVALID_CONFIG` errors naming the key.

use crate::analysis::AnalysisConfig;
use crate::cluster::{ClusteringConfig, GroupingConfig};
use crate::edges::EdgesConfig;
use crate::error::{ErrorCode, FlowscaleError, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    pub monitoring_interval_seconds: f64,
    pub alert_thresholds: AlertThresholds,
    /// Windows and limits of the performance monitor (src/monitor/mod.rs).
    pub monitoring: crate::monitor::MonitoringConfig,
    pub cache: CacheConfig,
    pub rendering: RenderingConfig,
    pub workflow: WorkflowConfig,
    /// Zoom-level clusters in `frame()` (src/cluster/mod.rs).
    pub clustering: ClusteringConfig,
    /// Community detection (src/cluster/mod.rs).
    pub grouping: GroupingConfig,
    /// Edge simplification (src/edges/mod.rs).
    pub edges: EdgesConfig,
    /// Recommendation thresholds (src/analysis/mod.rs).
    pub analysis: AnalysisConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlertThresholds {
    pub cpu_percent: f64,
    pub memory_mb: f64,
    pub operation_ms: f64,
    pub error_rate_percent: f64,
    pub cache_hit_rate_min_percent: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CacheConfig {
    pub memory_max_entries: u32,
    /// Estimated bytes the memory tier may hold.
    pub memory_max_mb: f64,
    /// 0 turns the disk tier off.
    pub disk_max_mb: f64,
    pub default_ttl_seconds: f64,
    pub strategy: crate::cache::CacheStrategy,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RenderingConfig {
    /// Mount only the nodes near the viewport (false: mount every node, as plain React Flow).
    pub virtual_scrolling: bool,
    /// On-screen scale below which a node is drawn by the GPU only.
    pub lod_threshold_low: f64,
    /// On-screen scale below which a node is mounted with its label only.
    pub lod_threshold_medium: f64,
    /// Most nodes handed to React at once.
    pub max_visible_nodes: u32,
    /// Screen pixels around the viewport in which nodes are mounted ahead of a pan.
    pub overscan_px: f64,
    /// Extra screen pixels a mounted node may drift past the overscan before it is unmounted.
    pub hysteresis_px: f64,
    /// Relative slack on the LOD thresholds for nodes already mounted (0.1 = 10 %).
    pub lod_hysteresis: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct WorkflowConfig {
    /// Node cap: a workflow with more nodes is rejected with LIMIT_EXCEEDED.
    pub max_nodes: u32,
    /// Edge cap, as above.
    pub max_edges: u32,
    /// Size given to nodes that have neither `measured`, `width`/`height` nor `initialWidth`/`initialHeight`.
    pub default_node_width: f64,
    pub default_node_height: f64,
    /// A change batch touching more than this fraction of the nodes rebuilds the
    /// R-tree in bulk instead of updating it entry by entry.
    pub rebuild_fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            monitoring_interval_seconds: 1.0,
            alert_thresholds: AlertThresholds::default(),
            monitoring: Default::default(),
            cache: CacheConfig::default(),
            rendering: RenderingConfig::default(),
            workflow: WorkflowConfig::default(),
            clustering: ClusteringConfig::default(),
            grouping: GroupingConfig::default(),
            edges: EdgesConfig::default(),
            analysis: AnalysisConfig::default(),
        }
    }
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

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            memory_max_entries: 1000,
            memory_max_mb: 100.0,
            disk_max_mb: 100.0,
            default_ttl_seconds: 300.0,
            strategy: crate::cache::CacheStrategy::WriteThrough,
        }
    }
}

impl Default for RenderingConfig {
    fn default() -> Self {
        RenderingConfig {
            virtual_scrolling: true,
            lod_threshold_low: 0.3,
            lod_threshold_medium: 0.7,
            max_visible_nodes: 1000,
            overscan_px: 150.0,
            hysteresis_px: 150.0,
            lod_hysteresis: 0.1,
        }
    }
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        WorkflowConfig {
            max_nodes: 2_000_000,
            max_edges: 8_000_000,
            default_node_width: 150.0,
            default_node_height: 40.0,
            rebuild_fraction: 0.05,
        }
    }
}

/// Environment variable → config key, as the README's configuration table documents.
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "PERFORMANCE_MONITORING_INTERVAL",
        "monitoringIntervalSeconds",
    ),
    (
        "PERFORMANCE_ALERT_THRESHOLDS_CPU",
        "alertThresholds.cpuPercent",
    ),
    (
        "PERFORMANCE_ALERT_THRESHOLDS_MEMORY",
        "alertThresholds.memoryMb",
    ),
    ("CACHE_MEMORY_MAX_SIZE", "cache.memoryMaxEntries"),
    ("CACHE_DISK_MAX_SIZE_MB", "cache.diskMaxMb"),
    ("CACHE_DEFAULT_TTL_SECONDS", "cache.defaultTtlSeconds"),
    (
        "RENDERING_VIRTUAL_SCROLLING_ENABLED",
        "rendering.virtualScrolling",
    ),
    ("RENDERING_LOD_THRESHOLD_LOW", "rendering.lodThresholdLow"),
    (
        "RENDERING_LOD_THRESHOLD_MEDIUM",
        "rendering.lodThresholdMedium",
    ),
    ("RENDERING_MAX_VISIBLE_NODES", "rendering.maxVisibleNodes"),
];

/// Variables with these prefixes belong to flowscale: an unknown one is a typo, not someone else's.
const ENV_PREFIXES: &[&str] = &["PERFORMANCE_", "CACHE_", "RENDERING_"];

/// Largest coordinate or size accepted anywhere (keeps R-tree arithmetic finite and exact enough).
pub const MAX_COORD: f64 = 1e15;

impl Config {
    /// Parse a partial config from JSON text (missing keys take their defaults).
    pub fn from_json(text: &str) -> Result<Config> {
        let mut de = serde_json::Deserializer::from_str(text);
        let cfg = Self::deserialize_with_path(&mut de)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Deserialize through `serde_path_to_error`, so a type error names its key.
    pub fn deserialize_with_path<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Config>
    where
        D::Error: std::fmt::Display,
    {
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            FlowscaleError::at(ErrorCode::InvalidConfig, path, e.inner().to_string())
        })
    }

    /// Build a config from environment variables (the names the README documents). Variables
    /// outside flowscale's prefixes are ignored; unknown ones inside them are errors.
    pub fn from_env<'a, I>(vars: I) -> Result<Config>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut root = serde_json::Map::new();
        let mut sorted: Vec<(&str, &str)> = vars.into_iter().collect();
        sorted.sort();
        for (name, raw) in sorted {
            let Some(&(_, key)) = ENV_VARS.iter().find(|(n, _)| *n == name) else {
                if ENV_PREFIXES.iter().any(|p| name.starts_with(p)) {
                    return Err(FlowscaleError::at(
                        ErrorCode::InvalidConfig,
                        name,
                        format!("unknown flowscale environment variable {name}"),
                    ));
                }
                continue;
            };
            let value = parse_env_value(name, raw.trim())?;
            // Keys nest at most one level ("rendering.maxVisibleNodes").
            match key.split_once('.') {
                None => {
                    root.insert(key.to_string(), value);
                }
                Some((group, leaf)) => {
                    let entry = root
                        .entry(group.to_string())
                        .or_insert_with(|| serde_json::Value::Object(Default::default()));
                    if let serde_json::Value::Object(m) = entry {
                        m.insert(leaf.to_string(), value);
                    }
                }
            }
        }
        let value = serde_json::Value::Object(root);
        let cfg = Self::deserialize_with_path(value).map_err(|mut e| {
            // Report the variable name, which is what the user can fix.
            if let Some(p) = &e.path {
                if let Some((name, _)) = ENV_VARS.iter().find(|(_, k)| k == p) {
                    e.message = format!("{name}: {}", e.message);
                    e.path = Some(name.to_string());
                }
            }
            e
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check ranges; the first bad key is reported.
    pub fn validate(&self) -> Result<()> {
        fn check(ok: bool, path: &str, what: &str) -> Result<()> {
            if ok {
                Ok(())
            } else {
                Err(FlowscaleError::at(
                    ErrorCode::InvalidConfig,
                    path,
                    format!("{path} must be {what}"),
                ))
            }
        }
        let pos = |v: f64| v.is_finite() && v > 0.0;
        let pct = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
        let non_neg = |v: f64| v.is_finite() && v >= 0.0;
        let a = &self.alert_thresholds;
        let r = &self.rendering;
        let w = &self.workflow;
        check(
            pos(self.monitoring_interval_seconds) && self.monitoring_interval_seconds <= 3600.0,
            "monitoringIntervalSeconds",
            "a number of seconds in (0, 3600]",
        )?;
        check(
            pct(a.cpu_percent),
            "alertThresholds.cpuPercent",
            "a percentage in [0, 100]",
        )?;
        check(
            pos(a.memory_mb),
            "alertThresholds.memoryMb",
            "a positive number",
        )?;
        check(
            pos(a.operation_ms),
            "alertThresholds.operationMs",
            "a positive number",
        )?;
        check(
            pct(a.error_rate_percent),
            "alertThresholds.errorRatePercent",
            "a percentage in [0, 100]",
        )?;
        check(
            pct(a.cache_hit_rate_min_percent),
            "alertThresholds.cacheHitRateMinPercent",
            "a percentage in [0, 100]",
        )?;
        check(
            self.cache.memory_max_entries >= 1,
            "cache.memoryMaxEntries",
            "at least 1",
        )?;
        check(
            pos(self.cache.memory_max_mb),
            "cache.memoryMaxMb",
            "a positive number",
        )?;
        check(
            non_neg(self.cache.disk_max_mb),
            "cache.diskMaxMb",
            "a number ≥ 0 (0 turns the disk tier off)",
        )?;
        check(
            pos(self.cache.default_ttl_seconds),
            "cache.defaultTtlSeconds",
            "a positive number",
        )?;
        check(
            non_neg(r.lod_threshold_low),
            "rendering.lodThresholdLow",
            "a finite number ≥ 0",
        )?;
        check(
            r.lod_threshold_medium.is_finite() && r.lod_threshold_medium >= r.lod_threshold_low,
            "rendering.lodThresholdMedium",
            "a finite number ≥ rendering.lodThresholdLow",
        )?;
        check(
            non_neg(r.overscan_px),
            "rendering.overscanPx",
            "a finite number ≥ 0",
        )?;
        check(
            non_neg(r.hysteresis_px),
            "rendering.hysteresisPx",
            "a finite number ≥ 0",
        )?;
        check(
            r.lod_hysteresis.is_finite() && (0.0..1.0).contains(&r.lod_hysteresis),
            "rendering.lodHysteresis",
            "a number in [0, 1)",
        )?;
        check(
            (1..u32::MAX).contains(&w.max_nodes),
            "workflow.maxNodes",
            "between 1 and 4294967294",
        )?;
        check(
            w.max_edges < u32::MAX,
            "workflow.maxEdges",
            "at most 4294967294",
        )?;
        check(
            non_neg(w.default_node_width) && w.default_node_width <= MAX_COORD,
            "workflow.defaultNodeWidth",
            "a finite number ≥ 0",
        )?;
        check(
            non_neg(w.default_node_height) && w.default_node_height <= MAX_COORD,
            "workflow.defaultNodeHeight",
            "a finite number ≥ 0",
        )?;
        check(
            w.rebuild_fraction.is_finite() && w.rebuild_fraction > 0.0 && w.rebuild_fraction <= 1.0,
            "workflow.rebuildFraction",
            "a number in (0, 1]",
        )?;
        self.monitoring.validate()?;
        self.clustering.validate()?;
        self.grouping.validate()?;
        self.edges.validate()?;
        self.analysis.validate()?;
        Ok(())
    }
}

fn parse_env_value(name: &str, raw: &str) -> Result<serde_json::Value> {
    match raw {
        "true" | "TRUE" | "True" | "1" if name.ends_with("_ENABLED") => return Ok(true.into()),
        "false" | "FALSE" | "False" | "0" if name.ends_with("_ENABLED") => return Ok(false.into()),
        _ => {}
    }
    if name.ends_with("_ENABLED") {
        return Err(FlowscaleError::at(
            ErrorCode::InvalidConfig,
            name,
            format!("{name} must be true or false, got {raw:?}"),
        ));
    }
    if let Ok(i) = raw.parse::<i64>() {
        return Ok(i.into());
    }
    match raw.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f.into()),
        _ => Err(FlowscaleError::at(
            ErrorCode::InvalidConfig,
            name,
            format!("{name} must be a number, got {raw:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_design_table() {
        let c = Config::default();
        assert_eq!(c.monitoring_interval_seconds, 1.0);
        assert_eq!(c.alert_thresholds.cpu_percent, 80.0);
        assert_eq!(c.alert_thresholds.memory_mb, 1024.0);
        assert_eq!(c.alert_thresholds.operation_ms, 1000.0);
        assert_eq!(c.alert_thresholds.error_rate_percent, 5.0);
        assert_eq!(c.alert_thresholds.cache_hit_rate_min_percent, 50.0);
        assert_eq!(c.cache.memory_max_entries, 1000);
        assert_eq!(c.cache.disk_max_mb, 100.0);
        assert_eq!(c.cache.default_ttl_seconds, 300.0);
        assert!(c.rendering.virtual_scrolling);
        assert_eq!(c.rendering.lod_threshold_low, 0.3);
        assert_eq!(c.rendering.lod_threshold_medium, 0.7);
        assert_eq!(c.rendering.max_visible_nodes, 1000);
        assert_eq!(c.workflow.max_nodes, 2_000_000);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn partial_json_fills_defaults() {
        let c = Config::from_json(r#"{"rendering":{"maxVisibleNodes":50}}"#).unwrap();
        assert_eq!(c.rendering.max_visible_nodes, 50);
        assert_eq!(c.rendering.lod_threshold_low, 0.3);
        assert_eq!(c.cache.memory_max_entries, 1000);
    }

    #[test]
    fn unknown_key_is_an_error_with_path() {
        let e = Config::from_json(r#"{"rendering":{"maxVisibleNode":50}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert_eq!(e.path.as_deref(), Some("rendering.maxVisibleNode"));
    }

    #[test]
    fn wrong_type_is_an_error_with_path() {
        let e = Config::from_json(r#"{"cache":{"memoryMaxEntries":"many"}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert_eq!(e.path.as_deref(), Some("cache.memoryMaxEntries"));
    }

    #[test]
    fn out_of_range_is_an_error_with_path() {
        let e = Config::from_json(r#"{"rendering":{"lodThresholdLow":0.9}}"#).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("rendering.lodThresholdMedium"));
        let e = Config::from_json(r#"{"alertThresholds":{"cpuPercent":120}}"#).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("alertThresholds.cpuPercent"));
        let e = Config::from_json(r#"{"workflow":{"rebuildFraction":0}}"#).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("workflow.rebuildFraction"));
    }

    #[test]
    fn env_vars_map_to_keys() {
        let c = Config::from_env([
            ("PATH", "/usr/bin"),
            ("RENDERING_MAX_VISIBLE_NODES", "250"),
            ("RENDERING_VIRTUAL_SCROLLING_ENABLED", "false"),
            ("PERFORMANCE_MONITORING_INTERVAL", "2.5"),
            ("CACHE_DISK_MAX_SIZE_MB", "50"),
        ])
        .unwrap();
        assert_eq!(c.rendering.max_visible_nodes, 250);
        assert!(!c.rendering.virtual_scrolling);
        assert_eq!(c.monitoring_interval_seconds, 2.5);
        assert_eq!(c.cache.disk_max_mb, 50.0);
    }

    #[test]
    fn every_env_var_reaches_its_key() {
        for (name, key) in ENV_VARS {
            let (raw, expect): (&str, serde_json::Value) = if name.ends_with("_ENABLED") {
                ("false", false.into())
            } else if name.ends_with("_MAX_SIZE") || name.ends_with("_NODES") {
                ("7", 7.into())
            } else {
                ("0.5", 0.5.into())
            };
            let c = Config::from_env([(*name, raw)]).unwrap_or_else(|e| panic!("{name}: {e}"));
            let v = serde_json::to_value(&c).unwrap();
            let got = key.split('.').fold(&v, |v, k| &v[k]);
            assert_eq!(*got, expect, "{name}");
        }
    }

    #[test]
    fn env_errors_name_the_variable() {
        let e = Config::from_env([("RENDERING_MAX_VISIBLE", "3")]).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("RENDERING_MAX_VISIBLE"));
        let e = Config::from_env([("CACHE_MEMORY_MAX_SIZE", "lots")]).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("CACHE_MEMORY_MAX_SIZE"));
        let e = Config::from_env([("CACHE_MEMORY_MAX_SIZE", "-5")]).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("CACHE_MEMORY_MAX_SIZE"));
        let e = Config::from_env([("RENDERING_VIRTUAL_SCROLLING_ENABLED", "yes")]).unwrap_err();
        assert_eq!(
            e.path.as_deref(),
            Some("RENDERING_VIRTUAL_SCROLLING_ENABLED")
        );
    }
}
