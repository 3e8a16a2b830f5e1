//! Recommendations as data, from explicit rules over the metrics. Each rule
//! names the metric it read and the threshold it compared against; none is
//! learned. The thresholds are config keys (`analysis.*`, src/analysis/mod.rs).
//! Rules whose remedy is a setting read the configuration in force and stay
//! quiet when it is already on; each recommendation carries its remedy.

use super::metrics::Analysis;
use super::AnalysisConfig;
use crate::cluster::ClusteringConfig;
use crate::edges::EdgesConfig;
use crate::lod::RenderingConfig;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    /// Stable rule id, e.g. `virtual-scrolling`.
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The `Analysis` field the rule read (camelCase, as in JS).
    pub metric: &'static str,
    pub value: f64,
    pub threshold: f64,
    pub remedy: Remedy,
}

/// What applying a recommendation means, in one step.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Remedy {
    /// A partial configuration (JS spelling) for `setConfig`.
    Config { patch: Value },
    /// A call of the package that does it: `layoutWorkflow`, `groups`.
    Call { call: &'static str },
}

fn patch(v: Value) -> Remedy {
    Remedy::Config { patch: v }
}

/// The sections of the configuration in force that the rules read.
#[derive(Clone, Copy)]
pub struct InForce<'a> {
    /// The thresholds.
    pub analysis: &'a AnalysisConfig,
    pub rendering: &'a RenderingConfig,
    pub clustering: &'a ClusteringConfig,
    pub edges: &'a EdgesConfig,
}

/// Apply every rule under the configuration in force; the result is
/// ordered by severity, then rule order.
pub fn recommend(a: &Analysis, cfg: InForce) -> Vec<Recommendation> {
    let t = cfg.analysis;
    let lod_on = cfg.rendering.lod_threshold_low > 0.0 || cfg.rendering.lod_threshold_medium > 0.0;
    let clusters_on = cfg.clustering.max_zoom > 0.0;
    let (on_rendering, on_clustering) = (RenderingConfig::default(), ClusteringConfig::default());
    let mut out = Vec::new();
    let mut add = |id, severity, metric, value: f64, threshold: f64, message: String, remedy| {
        out.push(Recommendation {
            id,
            severity,
            message,
            metric,
            value,
            threshold,
            remedy,
        })
    };
    let nodes = a.nodes as f64;
    let vs = t.virtual_scrolling_nodes as f64;
    if nodes >= vs && !cfg.rendering.virtual_scrolling {
        add(
            "virtual-scrolling",
            if nodes >= 10.0 * vs {
                Severity::Critical
            } else {
                Severity::Warning
            },
            "nodes",
            nodes,
            vs,
            format!(
                "{} nodes: mount only the nodes in view (virtual scrolling, rendering.virtualScrolling; \
                 the DOM drops from about {} to {} elements)",
                a.nodes, a.dom_elements, a.dom_elements_windowed
            ),
            patch(json!({ "rendering": { "virtualScrolling": true } })),
        );
    }
    let lod = t.lod_nodes as f64;
    if nodes >= lod && !lod_on {
        add(
            "level-of-detail",
            Severity::Warning,
            "nodes",
            nodes,
            lod,
            format!(
                "{} nodes: draw far or small nodes with less detail (rendering.lodThresholdLow / Medium)",
                a.nodes
            ),
            patch(json!({ "rendering": {
                "lodThresholdLow": on_rendering.lod_threshold_low,
                "lodThresholdMedium": on_rendering.lod_threshold_medium,
            } })),
        );
    }
    let cl = t.clustering_nodes as f64;
    if nodes >= cl && !clusters_on {
        add(
            "zoom-clustering",
            Severity::Info,
            "nodes",
            nodes,
            cl,
            format!(
                "{} nodes: show clusters instead of nodes when zoomed out (clustering.maxZoom)",
                a.nodes
            ),
            patch(json!({ "clustering": { "maxZoom": on_clustering.max_zoom } })),
        );
    }
    if a.nodes >= t.grouping_nodes && a.communities >= 2 && a.modularity >= t.grouping_modularity {
        add(
            "group-communities",
            Severity::Info,
            "modularity",
            a.modularity,
            t.grouping_modularity,
            format!(
                "{} clear communities (modularity {:.2}): group them (WorkflowOptimizer.groups() suggests boxes)",
                a.communities, a.modularity
            ),
            Remedy::Call { call: "groups" },
        );
    }
    if a.edges > 0 && a.crossings_per_edge >= t.relayout_crossings_per_edge {
        add(
            "re-layout",
            if a.crossings_per_edge >= 4.0 * t.relayout_crossings_per_edge {
                Severity::Warning
            } else {
                Severity::Info
            },
            "crossingsPerEdge",
            a.crossings_per_edge,
            t.relayout_crossings_per_edge,
            format!(
                "{} edge crossings ({:.2} per edge): re-layout (layoutWorkflow) to untangle them",
                a.crossings, a.crossings_per_edge
            ),
            Remedy::Call {
                call: "layoutWorkflow",
            },
        );
    }
    if a.nodes > 0 && a.overlap_share >= t.relayout_overlap_share && a.overlaps > 0 {
        add(
            "resolve-overlaps",
            Severity::Info,
            "overlapShare",
            a.overlap_share,
            t.relayout_overlap_share,
            format!(
                "{} nodes overlap another ({} pairs): re-layout (layoutWorkflow) to separate them",
                a.overlapping_nodes, a.overlaps
            ),
            Remedy::Call {
                call: "layoutWorkflow",
            },
        );
    }
    let bundled = cfg.edges.aggregate_clusters && clusters_on;
    if a.edges > 0
        && a.parallel_edge_share >= t.parallel_edge_share
        && a.parallel_edges > 0
        && !cfg.edges.merge_parallel
    {
        add(
            "simplify-edges",
            Severity::Info,
            "parallelEdgeShare",
            a.parallel_edge_share,
            t.parallel_edge_share,
            format!(
                "{} parallel edges ({:.0} %): merge them into weighted edges (simplifyEdges)",
                a.parallel_edges,
                100.0 * a.parallel_edge_share
            ),
            patch(json!({ "edges": { "mergeParallel": true } })),
        );
    } else if a.edges > 0 && a.long_edge_share >= t.long_edge_share && a.long_edges > 0 && !bundled
    {
        add(
            "simplify-edges",
            Severity::Info,
            "longEdgeShare",
            a.long_edge_share,
            t.long_edge_share,
            format!(
                "{} long edges ({:.0} %): simplify or bundle them when zoomed out (simplifyEdges)",
                a.long_edges,
                100.0 * a.long_edge_share
            ),
            patch(json!({
                "edges": { "aggregateClusters": true },
                "clustering": { "maxZoom": cfg.clustering.max_zoom.max(on_clustering.max_zoom) },
            })),
        );
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.severity));
    out
}
