//! A workflow load in bounded steps, so that a browser tab never freezes
//! while a million nodes are indexed. The caller (the web layer) feeds nodes
//! and edges in slices and calls `step` between its own yields to the
//! browser; each call does a bounded amount of work. Everything is built
//! beside the optimizer's current workflow, which stays in place until
//! `WorkflowOptimizer::install` swaps the result in: a load that fails or is
//! abandoned changes nothing.
//!
//! Phases: nodes (validated as they arrive), parents (`finish_nodes`), edges,
//! then the spatial index (`SpatialBuild`), the zoom-level clusters and
//! their bundles (`ClusterBuild`), and the median node size. The result is
//! the same, bit for bit, as a one-shot `set_workflow`, which runs the same
//! job with an unlimited budget.

use crate::cluster::zoom::{ClusterBuild, ClusterIndex};
use crate::config::Config;
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::model::{EdgeInput, NodeInput, Workflow, WorkflowBuilder};
use crate::spatial::{SpatialBuild, SpatialIndex};

/// What a finished load hands to the optimizer.
pub struct Loaded {
    pub wf: Workflow,
    pub index: SpatialIndex,
    /// None when clustering is off (`clustering.maxZoom` 0).
    pub clusters: Option<ClusterIndex>,
    pub median: f64,
}

enum Phase {
    Ingest(WorkflowBuilder),
    Spatial(Workflow, SpatialBuild),
    Clusters(Workflow, SpatialIndex, ClusterBuild),
    Done(Loaded),
    /// Taken by `finish`, or failed.
    Gone,
}

pub struct LoadJob {
    phase: Phase,
    nodes: usize,
    edges: usize,
    clustering: bool,
    config: Config,
}

/// Fraction of the work of a load in each phase (nodes and edges arrive in
/// the first; the others are `step`), for progress reports.
const INGEST: f64 = 0.45;
const SPATIAL: f64 = 0.25;

impl LoadJob {
    /// A load of `nodes` nodes and `edges` edges, checked against the limits.
    pub fn new(nodes: usize, edges: usize, cfg: &Config) -> Result<LoadJob> {
        Ok(LoadJob {
            phase: Phase::Ingest(WorkflowBuilder::new(nodes, edges, &cfg.workflow)?),
            nodes,
            edges,
            clustering: cfg.clustering.max_zoom > 0.0,
            config: cfg.clone(),
        })
    }

    fn builder(&mut self) -> Result<&mut WorkflowBuilder> {
        match &mut self.phase {
            Phase::Ingest(b) => Ok(b),
            _ => Err(FlowscaleError::new(
                ErrorCode::InvalidWorkflow,
                "internal: nodes and edges arrive before the index is built",
            )),
        }
    }

    /// The next nodes, in order. The first problem is returned with the
    /// node's path in the whole input.
    pub fn push_nodes(&mut self, nodes: impl IntoIterator<Item = NodeInput>) -> Result<()> {
        let limit = self.nodes;
        let b = self.builder()?;
        for n in nodes {
            if b.nodes() >= limit {
                return Err(more_than("nodes", limit));
            }
            b.push_node(n)?;
        }
        Ok(())
    }

    /// `push_nodes` for rows whose ids are given apart (`ids[k]` for
    /// `nodes[k]`, whose own `id` is not read) and whose types are indices
    /// into `type_names` (each name interned once, not once per node; an
    /// index out of range is React Flow's default type): no `String` per node.
    pub fn push_node_rows(
        &mut self,
        nodes: Vec<NodeInput>,
        ids: &[&str],
        type_names: &[String],
        type_idx: &[u32],
    ) -> Result<()> {
        let limit = self.nodes;
        let b = self.builder()?;
        if ids.len() != nodes.len() {
            return Err(FlowscaleError::new(
                ErrorCode::InvalidWorkflow,
                "internal: ids and nodes differ in number",
            ));
        }
        let types: Vec<u16> = type_names.iter().map(|t| b.intern_type(Some(t))).collect();
        let default = b.intern_type(None);
        for (k, (n, id)) in nodes.into_iter().zip(ids).enumerate() {
            if b.nodes() >= limit {
                return Err(more_than("nodes", limit));
            }
            let t = type_idx
                .get(k)
                .and_then(|&i| types.get(i as usize))
                .copied()
                .unwrap_or(default);
            b.push_node_id(n, id, t)?;
        }
        Ok(())
    }

    /// `push_edges` for rows whose ids are given apart (`ids[k]` for `edges[k]`).
    pub fn push_edge_rows(&mut self, edges: Vec<EdgeInput>, ids: &[&str]) -> Result<()> {
        let (nodes, limit) = (self.nodes, self.edges);
        let b = self.builder()?;
        if ids.len() != edges.len() || b.nodes() != nodes {
            return Err(FlowscaleError::new(
                ErrorCode::InvalidWorkflow,
                "internal: edges arrived before every node, or without their ids",
            ));
        }
        for (e, id) in edges.into_iter().zip(ids) {
            if b.edges() >= limit {
                return Err(more_than("edges", limit));
            }
            b.push_edge_id(e, id)?;
        }
        Ok(())
    }

    /// The next edges, in order (every node must be in).
    pub fn push_edges(&mut self, edges: impl IntoIterator<Item = EdgeInput>) -> Result<()> {
        let (nodes, limit) = (self.nodes, self.edges);
        let b = self.builder()?;
        if b.nodes() != nodes {
            return Err(FlowscaleError::new(
                ErrorCode::InvalidWorkflow,
                format!(
                    "internal: edges arrived after {} of {nodes} nodes",
                    b.nodes()
                ),
            ));
        }
        for e in edges {
            if b.edges() >= limit {
                return Err(more_than("edges", limit));
            }
            b.push_edge(e)?;
        }
        Ok(())
    }

    /// Do about `budget` items of work (at least one); true once the load is
    /// complete. The first call checks that every node and edge arrived.
    pub fn step(&mut self, budget: usize) -> Result<bool> {
        let budget = budget.max(1);
        loop {
            let phase = std::mem::replace(&mut self.phase, Phase::Gone);
            self.phase = match phase {
                Phase::Ingest(b) => {
                    if b.nodes() != self.nodes || b.edges() != self.edges {
                        return Err(FlowscaleError::new(
                            ErrorCode::InvalidWorkflow,
                            format!(
                                "internal: {} of {} nodes and {} of {} edges arrived",
                                b.nodes(),
                                self.nodes,
                                b.edges(),
                                self.edges
                            ),
                        ));
                    }
                    let wf = b.finish()?;
                    let build = SpatialBuild::new(&wf);
                    Phase::Spatial(wf, build)
                }
                Phase::Spatial(wf, mut build) => {
                    if !build.step(&wf, budget) {
                        self.phase = Phase::Spatial(wf, build);
                        return Ok(false);
                    }
                    let index = build.finish();
                    let clusters = ClusterBuild::new(&wf, &self.config.clustering);
                    Phase::Clusters(wf, index, clusters)
                }
                Phase::Clusters(wf, index, mut clusters) => {
                    if !clusters.step(&wf, budget) {
                        self.phase = Phase::Clusters(wf, index, clusters);
                        return Ok(false);
                    }
                    let median = wf.median_node_size();
                    let clusters = self.clustering.then(|| clusters.finish());
                    Phase::Done(Loaded {
                        wf,
                        index,
                        clusters,
                        median,
                    })
                }
                done @ Phase::Done(_) => {
                    self.phase = done;
                    return Ok(true);
                }
                Phase::Gone => return Ok(true),
            };
            // A phase ended: the next one starts in the next step (unless
            // the budget is unlimited), so no step does much more than asked.
            if budget != usize::MAX || matches!(self.phase, Phase::Done(_)) {
                return Ok(matches!(self.phase, Phase::Done(_)));
            }
        }
    }

    /// How far the load is, from 0 to 1.
    pub fn progress(&self) -> f64 {
        let items = (self.nodes + self.edges).max(1) as f64;
        match &self.phase {
            Phase::Ingest(b) => INGEST * (b.nodes() + b.edges()) as f64 / items,
            Phase::Spatial(..) => INGEST,
            Phase::Clusters(wf, _, c) => {
                INGEST + SPATIAL + (1.0 - INGEST - SPATIAL) * c.progress(wf)
            }
            Phase::Done(_) | Phase::Gone => 1.0,
        }
    }

    /// The result, once `step` has returned true.
    pub fn finish(mut self) -> Result<Loaded> {
        match std::mem::replace(&mut self.phase, Phase::Gone) {
            Phase::Done(l) => Ok(l),
            _ => Err(FlowscaleError::new(
                ErrorCode::InvalidWorkflow,
                "internal: the load is not complete",
            )),
        }
    }
}

fn more_than(what: &str, n: usize) -> FlowscaleError {
    FlowscaleError::new(
        ErrorCode::InvalidWorkflow,
        format!("internal: more {what} arrived than the {n} announced"),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Nodes on a grid, of three types, a few with a parent (shared with the optimizer's tests).
    pub(crate) fn nodes(n: usize) -> Vec<NodeInput> {
        (0..n)
            .map(|i| {
                let mut node = NodeInput::new(
                    format!("n{i}"),
                    (i % 97) as f64 * 180.0,
                    (i / 97) as f64 * 90.0,
                )
                .sized(120.0 + (i % 5) as f64, 40.0);
                node.node_type = Some(["a", "b", "c"][i % 3].to_string());
                if i % 50 == 7 {
                    node.parent_id = Some(format!("n{}", i - 1));
                }
                node
            })
            .collect()
    }

    /// A binary tree over `nodes(n)`.
    pub(crate) fn edges(n: usize) -> Vec<EdgeInput> {
        (1..n)
            .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i / 2), format!("n{i}")))
            .collect()
    }

    #[test]
    fn errors_name_the_node_in_the_whole_input() {
        let cfg = Config::default();
        let mut job = LoadJob::new(10, 0, &cfg).unwrap();
        let mut all = nodes(10);
        all[7].x = f64::NAN;
        job.push_nodes(all[..5].to_vec()).unwrap();
        let e = job.push_nodes(all[5..].to_vec()).unwrap_err();
        assert_eq!(e.code, ErrorCode::NonFinite);
        assert_eq!(e.path.as_deref(), Some("nodes[7].position.x"));
        // Announced counts are kept.
        let mut job = LoadJob::new(2, 0, &cfg).unwrap();
        assert!(job.push_nodes(nodes(3)).is_err());
        let mut job = LoadJob::new(3, 0, &cfg).unwrap();
        job.push_nodes(nodes(2)).unwrap();
        assert!(job.step(10).is_err(), "a node is missing");
        // Limits first.
        let mut small = cfg.clone();
        small.workflow.max_nodes = 5;
        let e = LoadJob::new(6, 0, &small).err().unwrap();
        assert_eq!(e.code, ErrorCode::LimitExceeded);
    }
}
