//! Edge simplification for a frame: sub-pixel edges dropped, parallel edges
//! merged, edges between clusters aggregated (`simplify.rs`), and
//! Douglas–Peucker for routed polylines (`polyline.rs`).

pub mod polyline;
pub mod simplify;

use crate::error::{bad_config, Result};
use serde::{Deserialize, Serialize};

/// Config key `edges`: how a frame's edges are simplified.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct EdgesConfig {
    /// Edges shorter than this on screen (centre to centre, in CSS pixels) are dropped.
    pub min_length_px: f64,
    /// Merge edges with the same source and target into one weighted edge.
    pub merge_parallel: bool,
    /// Below `clustering.maxZoom`, replace edges between clusters by one weighted edge per pair.
    pub aggregate_clusters: bool,
}

impl Default for EdgesConfig {
    fn default() -> Self {
        EdgesConfig {
            min_length_px: 1.0,
            merge_parallel: true,
            aggregate_clusters: true,
        }
    }
}

impl EdgesConfig {
    pub fn validate(&self) -> Result<()> {
        if !(self.min_length_px.is_finite() && (0.0..=1e6).contains(&self.min_length_px)) {
            return Err(bad_config("edges.minLengthPx", "a number in [0, 1e6]"));
        }
        Ok(())
    }
}
