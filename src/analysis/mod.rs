//! Complexity analysis and recommendations. The recommendations come from
//! explicit rules over the metrics (`rules.rs`), with the thresholds below;
//! they are not a learned model.

pub mod metrics;
pub mod rules;

use crate::error::{bad_config, Result};
use serde::{Deserialize, Serialize};

/// Config key `analysis`: the thresholds of the recommendation rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AnalysisConfig {
    /// Recommend virtual scrolling from this many nodes.
    pub virtual_scrolling_nodes: u32,
    /// Recommend level of detail from this many nodes.
    pub lod_nodes: u32,
    /// Recommend zoom-level clustering from this many nodes.
    pub clustering_nodes: u32,
    /// Recommend grouping when the communities' modularity reaches this…
    pub grouping_modularity: f64,
    /// …and the workflow has at least this many nodes.
    pub grouping_nodes: u32,
    /// Recommend a re-layout from this many crossings per edge…
    pub relayout_crossings_per_edge: f64,
    /// …or when this share of nodes overlap another.
    pub relayout_overlap_share: f64,
    /// Recommend edge simplification when this share of edges are parallel duplicates…
    pub parallel_edge_share: f64,
    /// …or this share are long.
    pub long_edge_share: f64,
    /// An edge is long beyond this many median node sizes (centre to centre).
    pub long_edge_factor: f64,
    /// Edges at most for which crossings are counted exactly (beyond, they are sampled).
    pub max_crossing_edges: u32,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            virtual_scrolling_nodes: 1000,
            lod_nodes: 500,
            clustering_nodes: 5000,
            grouping_modularity: 0.4,
            grouping_nodes: 50,
            relayout_crossings_per_edge: 0.5,
            relayout_overlap_share: 0.05,
            parallel_edge_share: 0.1,
            long_edge_share: 0.2,
            long_edge_factor: 10.0,
            max_crossing_edges: 200_000,
        }
    }
}

impl AnalysisConfig {
    pub fn validate(&self) -> Result<()> {
        let share = |v: f64, key: &str| {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(bad_config(key, "a number in [0, 1]"))
            }
        };
        share(self.grouping_modularity, "analysis.groupingModularity")?;
        share(self.relayout_overlap_share, "analysis.relayoutOverlapShare")?;
        share(self.parallel_edge_share, "analysis.parallelEdgeShare")?;
        share(self.long_edge_share, "analysis.longEdgeShare")?;
        let c = self.relayout_crossings_per_edge;
        if !(c.is_finite() && c >= 0.0) {
            return Err(bad_config(
                "analysis.relayoutCrossingsPerEdge",
                "a finite number ≥ 0",
            ));
        }
        let f = self.long_edge_factor;
        if !(f.is_finite() && f > 0.0) {
            return Err(bad_config(
                "analysis.longEdgeFactor",
                "a finite number above 0",
            ));
        }
        Ok(())
    }
}
