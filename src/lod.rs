//! Level of detail.
//!
//! A node's on-screen scale is `zoom × size / median`, where size is
//! `sqrt(width × height)` and median is the median size of the workflow's
//! shown nodes. So at zoom 1 a typical node has scale 1, a node twice as big
//! scale 2. Below `lodThresholdLow` the node is LOW (drawn by the GPU only,
//! not mounted); below `lodThresholdMedium` it is MEDIUM (mounted, label
//! only); otherwise HIGH (mounted with full controls). A node already mounted
//! keeps its level until its scale falls `lodHysteresis` (10 %) below the low
//! threshold, so zooming back and forth across it does not remount it.
//!
//! The config section `rendering` (these thresholds and the mounting window
//! around the viewport) is defined here.

use crate::error::{check_config, Result};
use serde::{Deserialize, Serialize};

/// Config key `rendering`: which nodes are mounted, and at which level of detail.
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

impl RenderingConfig {
    pub fn validate(&self) -> Result<()> {
        let non_neg = |v: f64| v.is_finite() && v >= 0.0;
        check_config(
            non_neg(self.lod_threshold_low),
            "rendering.lodThresholdLow",
            "a finite number ≥ 0",
        )?;
        check_config(
            self.lod_threshold_medium.is_finite()
                && self.lod_threshold_medium >= self.lod_threshold_low,
            "rendering.lodThresholdMedium",
            "a finite number ≥ rendering.lodThresholdLow",
        )?;
        check_config(
            non_neg(self.overscan_px),
            "rendering.overscanPx",
            "a finite number ≥ 0",
        )?;
        check_config(
            non_neg(self.hysteresis_px),
            "rendering.hysteresisPx",
            "a finite number ≥ 0",
        )?;
        check_config(
            self.lod_hysteresis.is_finite() && (0.0..1.0).contains(&self.lod_hysteresis),
            "rendering.lodHysteresis",
            "a number in [0, 1)",
        )
    }
}

pub const HIGH: u8 = 0;
pub const MEDIUM: u8 = 1;
pub const LOW: u8 = 2;

#[derive(Clone, Copy, Debug)]
pub struct LodPolicy {
    low: f64,
    medium: f64,
    hysteresis: f64,
}

impl LodPolicy {
    pub fn new(cfg: &RenderingConfig) -> Self {
        LodPolicy {
            low: cfg.lod_threshold_low,
            medium: cfg.lod_threshold_medium,
            hysteresis: cfg.lod_hysteresis,
        }
    }

    /// Level for a node of `size` at `zoom`, given the workflow's `median` size.
    #[inline]
    pub fn level(&self, zoom: f64, size: f64, median: f64, mounted: bool) -> u8 {
        let scale = zoom * size / median;
        let low = if mounted {
            self.low * (1.0 - self.hysteresis)
        } else {
            self.low
        };
        if scale < low {
            LOW
        } else if scale < self.medium {
            MEDIUM
        } else {
            HIGH
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_hysteresis() {
        let p = LodPolicy::new(&RenderingConfig::default());
        assert_eq!(p.level(1.0, 100.0, 100.0, false), HIGH);
        assert_eq!(p.level(0.7, 100.0, 100.0, false), HIGH);
        assert_eq!(p.level(0.69, 100.0, 100.0, false), MEDIUM);
        assert_eq!(p.level(0.3, 100.0, 100.0, false), MEDIUM);
        assert_eq!(p.level(0.29, 100.0, 100.0, false), LOW);
        // A mounted node stays until 10 % below the threshold.
        assert_eq!(p.level(0.28, 100.0, 100.0, true), MEDIUM);
        assert_eq!(p.level(0.26, 100.0, 100.0, true), LOW);
        // Twice the median size: same level at half the zoom.
        assert_eq!(p.level(0.35, 200.0, 100.0, false), HIGH);
        assert_eq!(p.level(5.0, 0.0, 100.0, false), LOW);
    }
}
