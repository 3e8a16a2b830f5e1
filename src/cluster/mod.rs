//! Clustering: zoom-level clusters for drawing far-out views (`zoom.rs`,
//! supercluster's technique on rectangles) and structural groups by
//! community detection (`groups.rs`, Louvain with connected communities).

pub mod groups;
pub mod radix;
pub mod zoom;

use crate::error::{bad_config, Result};
use serde::{Deserialize, Serialize};

/// Config key `clustering`: zoom-level clusters in `frame()`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ClusteringConfig {
    /// `frame()` adds `clusters` when the zoom is below this (0 turns them off).
    pub max_zoom: f64,
    /// Cluster radius in screen pixels at the zoom of its level.
    pub radius_px: f64,
    /// Fewest nodes a cluster glyph stands for; smaller groups stay nodes.
    pub min_points: u32,
}

impl Default for ClusteringConfig {
    fn default() -> Self {
        ClusteringConfig {
            max_zoom: 0.25,
            radius_px: 60.0,
            min_points: 2,
        }
    }
}

impl ClusteringConfig {
    pub fn validate(&self) -> Result<()> {
        if !(self.max_zoom.is_finite() && (0.0..=1e6).contains(&self.max_zoom)) {
            return Err(bad_config("clustering.maxZoom", "a number in [0, 1e6]"));
        }
        if !(self.radius_px.is_finite() && self.radius_px > 0.0 && self.radius_px <= 1e6) {
            return Err(bad_config("clustering.radiusPx", "a number in (0, 1e6]"));
        }
        if self.min_points < 2 {
            return Err(bad_config("clustering.minPoints", "at least 2"));
        }
        Ok(())
    }
}

/// Config key `grouping`: community detection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GroupingConfig {
    /// Modularity resolution γ: above 1 favours more, smaller groups.
    pub resolution: f64,
    /// Margin around a suggested group box, in world units.
    pub padding: f64,
    /// Seed of the node visiting order: the same seed gives the same groups.
    pub seed: u32,
}

impl Default for GroupingConfig {
    fn default() -> Self {
        GroupingConfig {
            resolution: 1.0,
            padding: 20.0,
            seed: 1,
        }
    }
}

impl GroupingConfig {
    pub fn validate(&self) -> Result<()> {
        if !(self.resolution.is_finite() && self.resolution > 0.0 && self.resolution <= 100.0) {
            return Err(bad_config("grouping.resolution", "a number in (0, 100]"));
        }
        if !(self.padding.is_finite() && (0.0..=1e6).contains(&self.padding)) {
            return Err(bad_config("grouping.padding", "a number in [0, 1e6]"));
        }
        Ok(())
    }
}
