//! Configuration: every documented key (docs/reference.md, "Configuration") with its default, plus the
//! few knobs the per-frame core adds. Parsed from a (partial) JS/JSON object
//! or from environment variables; unknown keys and out-of-range values are
//! `INVALID_CONFIG` errors naming the key.
//!
//! Each section (`rendering`, `workflow`, …) is defined, defaulted and
//! validated by the module that reads it; this file composes them into
//! `Config` and maps environment variables onto their keys.

use crate::analysis::AnalysisConfig;
use crate::cache::CacheConfig;
use crate::cluster::{ClusteringConfig, GroupingConfig};
use crate::edges::EdgesConfig;
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::lod::RenderingConfig;
use crate::model::WorkflowConfig;
use crate::monitor::{check_seconds, AlertThresholds, MonitoringConfig};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    pub monitoring_interval_seconds: f64,
    /// When the monitor raises alerts (src/monitor/mod.rs).
    pub alert_thresholds: AlertThresholds,
    /// Windows and limits of the performance monitor (src/monitor/mod.rs).
    pub monitoring: MonitoringConfig,
    /// Defaults of the workflow cache (src/cache/mod.rs).
    pub cache: CacheConfig,
    /// Mounting window and level of detail (src/lod.rs).
    pub rendering: RenderingConfig,
    /// Limits and defaults of the model (src/model/mod.rs).
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

impl Default for Config {
    fn default() -> Self {
        Config {
            monitoring_interval_seconds: 1.0,
            alert_thresholds: AlertThresholds::default(),
            monitoring: MonitoringConfig::default(),
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

/// Environment variable → config key, as the configuration table of docs/reference.md documents.
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

impl Config {
    /// Parse a partial config from JSON text (missing keys take their defaults).
    pub fn from_json(text: &str) -> Result<Config> {
        let mut de = serde_json::Deserializer::from_str(text);
        let cfg = Self::deserialize_with_path(&mut de)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// This config with a partial one laid over it (JSON text: objects merge
    /// key by key, anything else replaces), validated. Unknown keys are
    /// errors, as in `from_json`.
    pub fn merged(&self, partial_json: &str) -> Result<Config> {
        let mut base = serde_json::to_value(self)
            .map_err(|e| FlowscaleError::at(ErrorCode::InvalidConfig, "", e.to_string()))?;
        let over: serde_json::Value = serde_json::from_str(partial_json)
            .map_err(|e| FlowscaleError::at(ErrorCode::InvalidConfig, "", e.to_string()))?;
        if !over.is_object() {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidConfig,
                "",
                "a partial config must be an object",
            ));
        }
        merge(&mut base, over);
        let cfg = Self::deserialize_with_path(base)?;
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

    /// Build a config from environment variables (the names docs/reference.md documents). Variables
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

    /// What the analysis rules read of this configuration.
    pub fn in_force(&self) -> crate::analysis::rules::InForce<'_> {
        crate::analysis::rules::InForce {
            analysis: &self.analysis,
            rendering: &self.rendering,
            clustering: &self.clustering,
            edges: &self.edges,
        }
    }

    /// Check ranges, section by section; the first bad key is reported.
    pub fn validate(&self) -> Result<()> {
        check_seconds(
            self.monitoring_interval_seconds,
            "monitoringIntervalSeconds",
        )?;
        self.alert_thresholds.validate()?;
        self.cache.validate()?;
        self.rendering.validate()?;
        self.workflow.validate()?;
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

/// Lay `over` onto `base`: objects key by key, anything else replaces.
fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
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
