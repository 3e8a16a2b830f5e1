//! The stored workflow read back whole: every node's absolute rectangle,
//! parent and flags, every edge's ends. `WorkflowOptimizer.snapshot()` in JS,
//! so tests (the bad-input matrix) can check that a rejected call changed
//! nothing, through the package alone.

use super::{Workflow, HIDDEN};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSnapshot {
    pub id: String,
    /// Absolute position (children resolved), as React Flow's `positionAbsolute`.
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub parent_id: Option<String>,
    pub hidden: bool,
    pub selected: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeSnapshot {
    pub id: String,
    pub source: String,
    pub target: String,
    /// The edge's own `hidden` flag (not whether an end is hidden).
    pub hidden: bool,
}

/// Nodes and edges in slot order (the order of `idOf(index)`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkflowSnapshot {
    pub nodes: Vec<NodeSnapshot>,
    pub edges: Vec<EdgeSnapshot>,
}

impl Workflow {
    /// A copy of everything stored about the nodes and edges; allocates in
    /// proportion to the workflow, so for tests and diagnostics, not per frame.
    pub fn snapshot(&self) -> WorkflowSnapshot {
        let name = |i: u32| self.id(i).unwrap_or_default().to_string();
        let nodes = self
            .live_slots()
            .map(|i| {
                let r = self.rect(i);
                NodeSnapshot {
                    id: name(i),
                    x: r.x,
                    y: r.y,
                    width: r.width,
                    height: r.height,
                    parent_id: self.parent(i).map(name),
                    hidden: self.is_hidden(i),
                    selected: self.is_selected(i),
                }
            })
            .collect();
        let edges = self
            .live_edge_slots()
            .map(|e| {
                let (s, t) = self.edge_ends_of(e);
                EdgeSnapshot {
                    id: self.edge_id(e).unwrap_or_default().to_string(),
                    source: name(s),
                    target: name(t),
                    hidden: self
                        .edge_flags
                        .get(e as usize)
                        .is_some_and(|f| f & HIDDEN != 0),
                }
            })
            .collect();
        WorkflowSnapshot { nodes, edges }
    }
}
