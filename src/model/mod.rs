//! The workflow model: React Flow nodes and edges in, struct-of-arrays inside.
//!
//! Nodes and edges live in *slots*. A slot index is what the per-frame API
//! hands out (`inView`, `updatePositions`); it stays valid until that node is
//! removed, and freed slots are reused by later additions, so a drag or an
//! addition never renumbers the other nodes.
//!
//! Positions are stored absolute (React Flow's `positionAbsolute`): a child's
//! `position` is relative to its `parentId`, resolved here once.

mod changes;
mod ids;
mod input;
mod snapshot;

pub use changes::{EdgeChange, NodeChange};
pub use input::{EdgeInput, EdgeKind, Handles, NodeInput, NodePath, Side, SizeSource, SizeValue};
pub use snapshot::{EdgeSnapshot, NodeSnapshot, WorkflowSnapshot};

use crate::error::{check_config, ErrorCode, FlowscaleError, Result};
use ids::{grow_for, IdArena, IdIndex};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// "No node": the parent of a root node, the slot of nothing.
pub const NONE: u32 = u32::MAX;

/// Largest coordinate or size accepted anywhere (keeps R-tree arithmetic finite and exact enough).
pub const MAX_COORD: f64 = 1e15;

/// Config key `workflow`: limits and defaults of the model.
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

impl WorkflowConfig {
    pub fn validate(&self) -> Result<()> {
        let size = |v: f64| (0.0..=MAX_COORD).contains(&v);
        check_config(
            (1..u32::MAX).contains(&self.max_nodes),
            "workflow.maxNodes",
            "between 1 and 4294967294",
        )?;
        check_config(
            self.max_edges < u32::MAX,
            "workflow.maxEdges",
            "at most 4294967294",
        )?;
        check_config(
            size(self.default_node_width),
            "workflow.defaultNodeWidth",
            "a finite number ≥ 0",
        )?;
        check_config(
            size(self.default_node_height),
            "workflow.defaultNodeHeight",
            "a finite number ≥ 0",
        )?;
        let f = self.rebuild_fraction;
        check_config(
            f.is_finite() && f > 0.0 && f <= 1.0,
            "workflow.rebuildFraction",
            "a number in (0, 1]",
        )
    }
}

const ALIVE: u8 = 1;
const HIDDEN: u8 = 2;
const SELECTED: u8 = 4;
const DRAGGING: u8 = 8;
/// The state bits above. The high four bits of a node's byte hold its
/// `Handles`, of an edge's its `EdgeKind`: one byte each instead of two.
const STATE: u8 = 15;
const HIGH: u32 = 4;

/// Axis-aligned rectangle in world coordinates, as React Flow's `Rect`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn x2(&self) -> f64 {
        self.x + self.width
    }
    pub fn y2(&self) -> f64 {
        self.y + self.height
    }
}

/// Interned node `type` names. Id 0 is React Flow's `"default"`.
#[derive(Clone, Debug)]
pub struct TypeTable {
    names: Vec<String>,
    ids: HashMap<String, u16>,
}

impl Default for TypeTable {
    fn default() -> Self {
        let mut t = TypeTable {
            names: Vec::new(),
            ids: HashMap::new(),
        };
        t.intern(Some("default"));
        t
    }
}

impl TypeTable {
    /// Past 65,535 distinct names every new name shares the last id: the type
    /// only picks a colour, so running out must not reject a workflow.
    pub fn intern(&mut self, name: Option<&str>) -> u16 {
        let name = name.unwrap_or("default");
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        if self.names.len() >= u16::MAX as usize {
            return u16::MAX - 1;
        }
        let id = self.names.len() as u16;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    pub fn name(&self, id: u16) -> &str {
        self.names
            .get(id as usize)
            .map_or("default", |s| s.as_str())
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Map from a slot, for what few nodes have (parents, children).
type SlotMap<V> = hashbrown::HashMap<u32, V, foldhash::fast::RandomState>;

/// The workflow in struct-of-arrays form.
///
/// Nothing is allocated per node or per edge: ids live in one arena per
/// kind, incident edges are lists threaded through the edge columns, and
/// the parent tree is kept only for the nodes in it.
#[derive(Clone, Debug, Default)]
pub struct Workflow {
    ids: IdArena,
    index: IdIndex,
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    h: Vec<f64>,
    /// Parent of each child node; roots are absent. Sparse: most workflows
    /// have few or no groups, and a column would cost 4 bytes per node.
    parent: SlotMap<u32>,
    /// Children of each node that has some, in the order they came. A map of
    /// lists rather than first-child/next-sibling links: those would cost 8
    /// bytes per node in every workflow, and `children` can stay a slice.
    children: SlotMap<Vec<u32>>,
    /// State bits, and the handles above them.
    flags: Vec<u8>,
    type_id: Vec<u16>,
    free: Vec<u32>,
    live: usize,
    types: TypeTable,
    /// Per node, the first edge of its incident list, or NONE. The list goes
    /// on through `next_edge`, on the side of the edge that is this node.
    first_edge: Vec<u32>,

    edge_ids: IdArena,
    edge_index: IdIndex,
    src: Vec<u32>,
    dst: Vec<u32>,
    /// Per edge, the next edge in its source's incident list and in its
    /// target's. A self-loop is listed once, through its source side.
    next_edge: Vec<[u32; 2]>,
    /// State bits, and the kind above them.
    edge_flags: Vec<u8>,
    edge_free: Vec<u32>,
    live_edges: usize,

    default_width: f64,
    default_height: f64,
}

/// Push onto a column that may be full, growing it by an eighth.
fn push_col<T>(v: &mut Vec<T>, x: T) {
    grow_for(v, 1);
    v.push(x);
}

fn ids_full(path: String, kind: &str) -> FlowscaleError {
    FlowscaleError::at(
        ErrorCode::LimitExceeded,
        path,
        format!("{kind} ids would exceed 2 GiB in all"),
    )
}

/// A workflow built node by node and edge by edge, so a load can be spread
/// over many short steps (`load.rs`). Problems are reported in a fixed
/// order whatever the steps: each node in order (id, position, size), then
/// parents and parent cycles (`finish_nodes`), then each edge.
#[derive(Debug)]
pub struct WorkflowBuilder {
    wf: Workflow,
    /// Children and their parent's id, in node order.
    parent_ids: Vec<(u32, String)>,
    nodes_done: bool,
    edges_pushed: usize,
}

impl WorkflowBuilder {
    /// A builder for `nodes` nodes and `edges` edges, checked against the limits.
    pub fn new(nodes: usize, edges: usize, cfg: &WorkflowConfig) -> Result<WorkflowBuilder> {
        if nodes > cfg.max_nodes as usize {
            return Err(FlowscaleError::at(
                ErrorCode::LimitExceeded,
                "nodes",
                format!(
                    "{nodes} nodes exceed the limit of {} (config workflow.maxNodes)",
                    cfg.max_nodes
                ),
            ));
        }
        if edges > cfg.max_edges as usize {
            return Err(FlowscaleError::at(
                ErrorCode::LimitExceeded,
                "edges",
                format!(
                    "{edges} edges exceed the limit of {} (config workflow.maxEdges)",
                    cfg.max_edges
                ),
            ));
        }
        // Every column reserved exactly: growing by doubling would leave up
        // to half of each unused.
        Ok(WorkflowBuilder {
            wf: Workflow {
                default_width: cfg.default_node_width,
                default_height: cfg.default_node_height,
                ids: IdArena::with_capacity(nodes),
                index: IdIndex::with_capacity(nodes),
                x: Vec::with_capacity(nodes),
                y: Vec::with_capacity(nodes),
                w: Vec::with_capacity(nodes),
                h: Vec::with_capacity(nodes),
                flags: Vec::with_capacity(nodes),
                type_id: Vec::with_capacity(nodes),
                edge_ids: IdArena::with_capacity(edges),
                edge_index: IdIndex::with_capacity(edges),
                src: Vec::with_capacity(edges),
                dst: Vec::with_capacity(edges),
                next_edge: Vec::with_capacity(edges),
                edge_flags: Vec::with_capacity(edges),
                ..Default::default()
            },
            parent_ids: Vec::new(),
            nodes_done: false,
            edges_pushed: 0,
        })
    }

    /// Nodes pushed so far.
    pub fn nodes(&self) -> usize {
        self.wf.ids.slots()
    }

    /// Edges pushed so far.
    pub fn edges(&self) -> usize {
        self.edges_pushed
    }

    /// The type id of a node `type` name (interned once per name).
    pub fn intern_type(&mut self, name: Option<&str>) -> u16 {
        self.wf.types.intern(name)
    }

    /// Validate and add the next node (`nodes[i]` of the input, i = `nodes()`).
    pub fn push_node(&mut self, node: NodeInput) -> Result<()> {
        let t = self.wf.types.intern(node.node_type.as_deref());
        self.push_node_typed(node, t)
    }

    /// `push_node` for a node whose type was interned already
    /// (`intern_type`); its `node_type` is not read.
    pub fn push_node_typed(&mut self, mut node: NodeInput, type_id: u16) -> Result<()> {
        let id = std::mem::take(&mut node.id);
        self.push_node_id(node, &id, type_id)
    }

    /// `push_node_typed` with the id given apart (`node.id` is not read), so
    /// a caller holding many ids in one string makes no `String` per node.
    pub fn push_node_id(&mut self, node: NodeInput, id: &str, type_id: u16) -> Result<()> {
        let wf = &mut self.wf;
        let i = wf.ids.slots();
        let path = NodePath::Nodes(i);
        if !wf.ids.push(id) {
            wf.ids.pop();
            return Err(ids_full(path.field("id"), "node"));
        }
        if wf.index.insert_new(i as u32, &wf.ids).is_some() {
            wf.ids.pop();
            return Err(FlowscaleError::at(
                ErrorCode::DuplicateId,
                path.field("id"),
                format!("node id {id:?} is used by an earlier node"),
            ));
        }
        if let Err(e) = node.validate(&path) {
            wf.index.remove(i as u32, &wf.ids);
            wf.ids.pop();
            return Err(e);
        }
        // Relative to the parent until `finish_nodes`.
        wf.x.push(node.x);
        wf.y.push(node.y);
        let (w, h) = node.size_or(wf.default_width, wf.default_height);
        wf.w.push(w);
        wf.h.push(h);
        wf.flags
            .push(node.flag_bits() | node.handles.bits() << HIGH);
        wf.type_id.push(type_id);
        if let Some(p) = node.parent_id {
            self.parent_ids.push((i as u32, p));
        }
        Ok(())
    }

    /// After the last node: resolve parents, reject cycles, make positions absolute.
    pub fn finish_nodes(&mut self) -> Result<()> {
        if self.nodes_done {
            return Ok(());
        }
        let wf = &mut self.wf;
        let n = wf.ids.slots();
        if !self.parent_ids.is_empty() {
            // Dense while resolving: the walk up each chain reads it per step.
            let mut parent = vec![NONE; n];
            for (i, pid) in &self.parent_ids {
                match (wf.index.get(pid, &wf.ids), parent.get_mut(*i as usize)) {
                    (Some(p), Some(slot)) => *slot = p,
                    _ => {
                        return Err(FlowscaleError::at(
                            ErrorCode::DanglingParent,
                            NodePath::Nodes(*i as usize).field("parentId"),
                            format!("parent node {pid:?} does not exist"),
                        ))
                    }
                }
            }
            let starts = self.parent_ids.iter().map(|(i, _)| *i as usize);
            resolve_absolute(&mut wf.x, &mut wf.y, &parent, starts)?;
            for (i, _) in &self.parent_ids {
                if let Some(&p) = parent.get(*i as usize) {
                    wf.parent.insert(*i, p);
                    wf.children.entry(p).or_default().push(*i);
                }
            }
        }
        wf.first_edge = vec![NONE; n];
        wf.live = n;
        self.parent_ids = Vec::new();
        self.nodes_done = true;
        Ok(())
    }

    /// Validate and add the next edge (after `finish_nodes`).
    pub fn push_edge(&mut self, mut e: EdgeInput) -> Result<()> {
        let id = std::mem::take(&mut e.id);
        self.push_edge_id(e, &id)
    }

    /// `push_edge` with the id given apart (`e.id` is not read), so a caller
    /// holding many ids in one string makes no `String` per edge.
    pub fn push_edge_id(&mut self, mut e: EdgeInput, id: &str) -> Result<()> {
        self.finish_nodes()?;
        let j = self.edges_pushed;
        let wf = &mut self.wf;
        // No slot is free during a build: the edge takes the next one.
        let slot = wf.edge_ids.slots() as u32;
        if !wf.edge_ids.push(id) {
            wf.edge_ids.pop();
            return Err(ids_full(format!("edges[{j}].id"), "edge"));
        }
        if wf.edge_index.insert_new(slot, &wf.edge_ids).is_some() {
            wf.edge_ids.pop();
            return Err(FlowscaleError::at(
                ErrorCode::DuplicateId,
                format!("edges[{j}].id"),
                format!("edge id {id:?} is used by an earlier edge"),
            ));
        }
        let (s, t) = match wf.edge_ends(&e, j) {
            Ok(ends) => ends,
            Err(err) => {
                // The message names the edge: only now is its id needed as a String.
                e.id = id.to_string();
                let err = wf.edge_ends(&e, j).err().unwrap_or(err);
                wf.edge_index.remove(slot, &wf.edge_ids);
                wf.edge_ids.pop();
                return Err(err);
            }
        };
        wf.place_edge(None, &e, s, t);
        self.edges_pushed += 1;
        Ok(())
    }

    /// The workflow, once every node and edge is in.
    pub fn finish(mut self) -> Result<Workflow> {
        self.finish_nodes()?;
        self.wf.ids.shrink_to_fit();
        self.wf.edge_ids.shrink_to_fit();
        Ok(self.wf)
    }
}

impl Workflow {
    /// Validate React Flow nodes and edges and build the model. Problems are
    /// reported in a fixed order: limits, then each node in order (id,
    /// position, size), then parents, parent cycles, then each edge.
    pub fn build(
        nodes: Vec<NodeInput>,
        edges: Vec<EdgeInput>,
        cfg: &WorkflowConfig,
    ) -> Result<Workflow> {
        let mut b = WorkflowBuilder::new(nodes.len(), edges.len(), cfg)?;
        for node in nodes {
            b.push_node(node)?;
        }
        b.finish_nodes()?;
        for e in edges {
            b.push_edge(e)?;
        }
        b.finish()
    }

    /// The slots of edge `j`'s ends, from `e.ends` when the caller resolved
    /// them (checked against the node count), else by id.
    fn edge_ends(&self, e: &EdgeInput, j: usize) -> Result<(u32, u32)> {
        let find = |id: &str, resolved: Option<u32>, field: &str| {
            let slot = match resolved {
                Some(s) => (s != NONE && (s as usize) < self.ids.slots()).then_some(s),
                None => self.index_of(id),
            };
            slot.ok_or_else(|| {
                FlowscaleError::at(
                    ErrorCode::DanglingEdge,
                    format!("edges[{j}].{field}"),
                    format!(
                        "edge {:?} points to node {id:?}, which does not exist",
                        e.id
                    ),
                )
            })
        };
        Ok((
            find(&e.source, e.ends.map(|x| x.0), "source")?,
            find(&e.target, e.ends.map(|x| x.1), "target")?,
        ))
    }

    /// Add an edge whose id is not yet in the arena: into a free slot, else a new one.
    fn push_edge(&mut self, e: EdgeInput, s: u32, t: u32) -> u32 {
        let slot = match self.edge_free.pop() {
            Some(slot) => {
                // Cannot fail: the batch was checked against the room left.
                self.edge_ids.set(slot, &e.id);
                self.place_edge(Some(slot), &e, s, t)
            }
            None => {
                self.edge_ids.push(&e.id);
                self.place_edge(None, &e, s, t)
            }
        };
        self.edge_index.insert(slot, &self.edge_ids);
        slot
    }

    /// Fill edge columns of `slot` (None: append a slot) and link the edge
    /// into its ends' lists. Its id is in place already.
    fn place_edge(&mut self, slot: Option<u32>, e: &EdgeInput, s: u32, t: u32) -> u32 {
        let flags = ALIVE
            | if e.hidden { HIDDEN } else { 0 }
            | if e.selected { SELECTED } else { 0 }
            | (e.kind as u8) << HIGH;
        let slot = match slot {
            Some(slot) => {
                let k = slot as usize;
                self.src[k] = s;
                self.dst[k] = t;
                self.edge_flags[k] = flags;
                slot
            }
            None => {
                push_col(&mut self.src, s);
                push_col(&mut self.dst, t);
                push_col(&mut self.next_edge, [NONE, NONE]);
                push_col(&mut self.edge_flags, flags);
                (self.src.len() - 1) as u32
            }
        };
        self.link_edge(slot, s, t);
        self.live_edges += 1;
        slot
    }

    /// Put edge `e` at the head of its ends' incident lists.
    fn link_edge(&mut self, e: u32, s: u32, t: u32) {
        let mut next = [NONE, NONE];
        let ends: &[u32] = if s == t { &[s] } else { &[s, t] };
        for (side, &n) in ends.iter().enumerate() {
            if let Some(first) = self.first_edge.get_mut(n as usize) {
                next[side] = std::mem::replace(first, e);
            }
        }
        if let Some(slot) = self.next_edge.get_mut(e as usize) {
            *slot = next;
        }
    }

    /// The next edge after `e` in node `i`'s incident list.
    fn next_incident(&self, e: u32, i: u32) -> u32 {
        let k = e as usize;
        let side = usize::from(self.src.get(k) != Some(&i));
        self.next_edge.get(k).map_or(NONE, |n| n[side])
    }

    /// Take edge `e` out of node `i`'s incident list: O(degree of `i`).
    fn unlink_edge(&mut self, e: u32, i: u32) {
        let after = self.next_incident(e, i);
        let mut prev = NONE;
        let mut cur = self.first_edge.get(i as usize).copied().unwrap_or(NONE);
        // The bound only guards against a malformed list.
        let mut steps = 0;
        while cur != e {
            if cur == NONE || steps > self.src.len() {
                return;
            }
            prev = cur;
            cur = self.next_incident(cur, i);
            steps += 1;
        }
        if prev == NONE {
            if let Some(first) = self.first_edge.get_mut(i as usize) {
                *first = after;
            }
        } else {
            let side = usize::from(self.src.get(prev as usize) != Some(&i));
            if let Some(n) = self.next_edge.get_mut(prev as usize) {
                n[side] = after;
            }
        }
    }

    /// Take child `c` out of `p`'s children.
    fn remove_child(&mut self, p: u32, c: u32) {
        if let Some(list) = self.children.get_mut(&p) {
            list.retain(|&x| x != c);
            if list.is_empty() {
                self.children.remove(&p);
            }
        }
    }

    // ---- read access -------------------------------------------------------

    /// Number of slots (live and free); slot indices are below this.
    pub fn slot_count(&self) -> usize {
        self.ids.slots()
    }
    /// Number of live nodes.
    pub fn node_count(&self) -> usize {
        self.live
    }
    pub fn edge_slot_count(&self) -> usize {
        self.src.len()
    }
    pub fn edge_count(&self) -> usize {
        self.live_edges
    }
    pub fn is_alive(&self, i: u32) -> bool {
        self.flags.get(i as usize).is_some_and(|f| f & ALIVE != 0)
    }
    pub fn is_hidden(&self, i: u32) -> bool {
        self.flags.get(i as usize).is_some_and(|f| f & HIDDEN != 0)
    }
    pub fn is_selected(&self, i: u32) -> bool {
        self.flags
            .get(i as usize)
            .is_some_and(|f| f & SELECTED != 0)
    }
    pub fn is_dragging(&self, i: u32) -> bool {
        self.flags
            .get(i as usize)
            .is_some_and(|f| f & DRAGGING != 0)
    }
    /// Live and not hidden: the nodes that can be seen at all.
    pub fn is_shown(&self, i: u32) -> bool {
        self.flags
            .get(i as usize)
            .is_some_and(|f| f & (ALIVE | HIDDEN) == ALIVE)
    }
    pub fn id(&self, i: u32) -> Option<&str> {
        self.is_alive(i).then(|| self.ids.get_str(i))
    }
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.index.get(id, &self.ids)
    }
    /// Absolute rectangle of slot `i` (callers pass live slots).
    pub fn rect(&self, i: u32) -> Rect {
        let k = i as usize;
        match (self.x.get(k), self.y.get(k), self.w.get(k), self.h.get(k)) {
            (Some(&x), Some(&y), Some(&width), Some(&height)) => Rect {
                x,
                y,
                width,
                height,
            },
            _ => Rect {
                x: 0.0,
                y: 0.0,
                width: 0.0,
                height: 0.0,
            },
        }
    }
    pub fn parent(&self, i: u32) -> Option<u32> {
        self.parent.get(&i).copied()
    }
    pub fn children(&self, i: u32) -> &[u32] {
        self.children.get(&i).map_or(&[], |c| c.as_slice())
    }
    pub fn type_id(&self, i: u32) -> u16 {
        self.type_id.get(i as usize).copied().unwrap_or(0)
    }
    pub fn handles(&self, i: u32) -> Handles {
        Handles::from_bits(
            self.flags
                .get(i as usize)
                .map_or(Handles::default().bits(), |f| f >> HIGH),
        )
    }
    pub fn edge_kind(&self, e: u32) -> EdgeKind {
        EdgeKind::from_bits(self.edge_flags.get(e as usize).map_or(0, |f| f >> HIGH))
    }
    pub fn edge_selected(&self, e: u32) -> bool {
        self.edge_flags
            .get(e as usize)
            .is_some_and(|f| f & SELECTED != 0)
    }
    pub fn types(&self) -> &TypeTable {
        &self.types
    }
    /// The edges with an end at node `i`, each once (a self-loop too),
    /// latest first.
    pub fn incident_edges(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        let some = |e: u32| (e != NONE).then_some(e);
        let first = self.first_edge.get(i as usize).copied().unwrap_or(NONE);
        std::iter::successors(some(first), move |&e| some(self.next_incident(e, i)))
    }
    pub fn edge_alive(&self, e: u32) -> bool {
        self.edge_flags
            .get(e as usize)
            .is_some_and(|f| f & ALIVE != 0)
    }
    pub fn edge_id(&self, e: u32) -> Option<&str> {
        self.edge_alive(e).then(|| self.edge_ids.get_str(e))
    }
    pub fn edge_index_of(&self, id: &str) -> Option<u32> {
        self.edge_index.get(id, &self.edge_ids)
    }
    pub fn edge_ends_of(&self, e: u32) -> (u32, u32) {
        (
            self.src.get(e as usize).copied().unwrap_or(NONE),
            self.dst.get(e as usize).copied().unwrap_or(NONE),
        )
    }
    /// Visible as React Flow draws it: not hidden, and neither end hidden.
    pub fn edge_shown(&self, e: u32) -> bool {
        let (s, t) = self.edge_ends_of(e);
        self.edge_flags
            .get(e as usize)
            .is_some_and(|f| f & (ALIVE | HIDDEN) == ALIVE)
            && self.is_shown(s)
            && self.is_shown(t)
    }
    /// Bounds of an edge as React Flow's `isEdgeVisible` sees it: the union of
    /// both end nodes' rectangles.
    pub fn edge_rect(&self, e: u32) -> Rect {
        let (s, t) = self.edge_ends_of(e);
        let a = self.rect(s);
        let b = self.rect(t);
        let x = a.x.min(b.x);
        let y = a.y.min(b.y);
        Rect {
            x,
            y,
            width: a.x2().max(b.x2()) - x,
            height: a.y2().max(b.y2()) - y,
        }
    }
    /// Median of sqrt(width × height) over the shown nodes; 1 when there are none.
    pub fn median_node_size(&self) -> f64 {
        let mut sizes: Vec<f64> = (0..self.slot_count() as u32)
            .filter(|&i| self.is_shown(i))
            .map(|i| self.node_size(i))
            .collect();
        if sizes.is_empty() {
            return 1.0;
        }
        let mid = sizes.len() / 2;
        let (_, m, _) = sizes.select_nth_unstable_by(mid, f64::total_cmp);
        if *m > 0.0 {
            *m
        } else {
            1.0
        }
    }
    /// The size that level of detail compares: the geometric mean of width and height.
    pub fn node_size(&self, i: u32) -> f64 {
        let r = self.rect(i);
        (r.width * r.height).sqrt()
    }
    /// Live slots, in slot order.
    pub fn live_slots(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.slot_count() as u32).filter(|&i| self.is_alive(i))
    }
    pub fn live_edge_slots(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.edge_slot_count() as u32).filter(|&e| self.edge_alive(e))
    }

    // ---- mutation (callers validate first; these cannot fail) --------------

    /// Set a node's `position` (relative to its parent, as in React Flow);
    /// descendants move with it. Every slot whose rectangle changed is pushed to `moved`.
    pub fn set_position(&mut self, i: u32, rel_x: f64, rel_y: f64, moved: &mut Vec<u32>) {
        let (px, py) = match self.parent(i) {
            Some(p) => (self.x[p as usize], self.y[p as usize]),
            None => (0.0, 0.0),
        };
        let k = i as usize;
        let dx = px + rel_x - self.x[k];
        let dy = py + rel_y - self.y[k];
        self.x[k] = px + rel_x;
        self.y[k] = py + rel_y;
        moved.push(i);
        if dx != 0.0 || dy != 0.0 {
            self.shift_descendants(i, dx, dy, moved);
        }
    }

    fn shift_descendants(&mut self, i: u32, dx: f64, dy: f64, moved: &mut Vec<u32>) {
        let mut stack: Vec<u32> = self.children(i).to_vec();
        while let Some(c) = stack.pop() {
            let k = c as usize;
            self.x[k] += dx;
            self.y[k] += dy;
            moved.push(c);
            stack.extend_from_slice(self.children(c));
        }
    }

    pub fn set_size(&mut self, i: u32, w: f64, h: f64) {
        self.w[i as usize] = w;
        self.h[i as usize] = h;
    }

    fn set_flag(&mut self, i: u32, bit: u8, on: bool) {
        if let Some(f) = self.flags.get_mut(i as usize) {
            if on {
                *f |= bit
            } else {
                *f &= !bit
            }
        }
    }
    pub fn set_selected(&mut self, i: u32, on: bool) {
        self.set_flag(i, SELECTED, on)
    }
    pub fn set_dragging(&mut self, i: u32, on: bool) {
        self.set_flag(i, DRAGGING, on)
    }
    pub fn set_hidden(&mut self, i: u32, on: bool) {
        self.set_flag(i, HIDDEN, on)
    }

    /// Add a validated node whose parent (if any) exists. Returns its slot.
    pub fn add_node(&mut self, node: NodeInput) -> u32 {
        let parent = node
            .parent_id
            .as_deref()
            .and_then(|p| self.index_of(p))
            .unwrap_or(NONE);
        let (w, h) = node.size_or(self.default_width, self.default_height);
        let (px, py) = if parent != NONE {
            (self.x[parent as usize], self.y[parent as usize])
        } else {
            (0.0, 0.0)
        };
        let flags = node.flag_bits() | node.handles.bits() << HIGH;
        let t = self.types.intern(node.node_type.as_deref());
        // Cannot fail below: the batch was checked against the room left.
        let slot = match self.free.pop() {
            Some(s) => {
                let k = s as usize;
                self.ids.set(s, &node.id);
                self.x[k] = px + node.x;
                self.y[k] = py + node.y;
                self.w[k] = w;
                self.h[k] = h;
                self.flags[k] = flags;
                self.type_id[k] = t;
                self.first_edge[k] = NONE;
                s
            }
            None => {
                self.ids.push(&node.id);
                push_col(&mut self.x, px + node.x);
                push_col(&mut self.y, py + node.y);
                push_col(&mut self.w, w);
                push_col(&mut self.h, h);
                push_col(&mut self.flags, flags);
                push_col(&mut self.type_id, t);
                push_col(&mut self.first_edge, NONE);
                (self.ids.slots() - 1) as u32
            }
        };
        if parent != NONE {
            self.parent.insert(slot, parent);
            self.children.entry(parent).or_default().push(slot);
        }
        self.index.insert(slot, &self.ids);
        self.live += 1;
        slot
    }

    /// Replace a node's fields in place (React Flow's `replace` change). The
    /// new parent must exist and not be a descendant. Rectangles that changed are pushed to `moved`.
    pub fn replace_node(&mut self, i: u32, node: NodeInput, moved: &mut Vec<u32>) {
        let new_parent = node
            .parent_id
            .as_deref()
            .and_then(|p| self.index_of(p))
            .unwrap_or(NONE);
        let k = i as usize;
        let old_parent = self.parent(i).unwrap_or(NONE);
        if old_parent != new_parent {
            if old_parent != NONE {
                self.remove_child(old_parent, i);
            }
            if new_parent != NONE {
                self.children.entry(new_parent).or_default().push(i);
                self.parent.insert(i, new_parent);
            } else {
                self.parent.remove(&i);
            }
        }
        let (w, h) = node.size_or(self.default_width, self.default_height);
        self.set_size(i, w, h);
        let keep = self.flags[k] & DRAGGING;
        self.flags[k] = node.flag_bits() | keep | node.handles.bits() << HIGH;
        self.type_id[k] = self.types.intern(node.node_type.as_deref());
        self.set_position(i, node.x, node.y, moved);
    }

    /// Remove a node and every edge that touches it. Its children must have
    /// been removed or re-parented first. Removed edge slots are pushed to `edges_removed`.
    pub fn remove_node(&mut self, i: u32, edges_removed: &mut Vec<u32>) {
        let k = i as usize;
        let incident: Vec<u32> = self.incident_edges(i).collect();
        for e in incident {
            if self.edge_alive(e) {
                self.remove_edge(e);
                edges_removed.push(e);
            }
        }
        if let Some(first) = self.first_edge.get_mut(k) {
            *first = NONE;
        }
        if let Some(p) = self.parent.remove(&i) {
            self.remove_child(p, i);
        }
        self.children.remove(&i);
        self.index.remove(i, &self.ids);
        // The id's bytes stay in the arena as garbage until the slot is
        // reused or the arena compacts itself.
        self.ids.remove(i);
        self.flags[k] &= !STATE;
        self.free.push(i);
        self.live -= 1;
    }

    /// Add a validated edge whose ends exist. Returns its slot.
    pub fn add_edge(&mut self, e: EdgeInput) -> u32 {
        let s = self.index_of(&e.source).unwrap_or(NONE);
        let t = self.index_of(&e.target).unwrap_or(NONE);
        self.push_edge(e, s, t)
    }

    pub fn remove_edge(&mut self, e: u32) {
        let k = e as usize;
        let (s, t) = self.edge_ends_of(e);
        self.unlink_edge(e, s);
        if t != s {
            self.unlink_edge(e, t);
        }
        if let Some(next) = self.next_edge.get_mut(k) {
            *next = [NONE, NONE];
        }
        self.edge_index.remove(e, &self.edge_ids);
        // As for nodes: the id's bytes are garbage until reused or compacted.
        self.edge_ids.remove(e);
        self.edge_flags[k] &= !STATE;
        self.edge_free.push(e);
        self.live_edges -= 1;
    }

    pub fn set_edge_selected(&mut self, e: u32, on: bool) {
        if let Some(f) = self.edge_flags.get_mut(e as usize) {
            if on {
                *f |= SELECTED
            } else {
                *f &= !SELECTED
            }
        }
    }
}

/// Make parent-relative positions absolute, in place; rejects parent
/// cycles. `starts` are the nodes with a parent, in slot order (roots are
/// absolute already).
fn resolve_absolute(
    x: &mut [f64],
    y: &mut [f64],
    parent: &[u32],
    starts: impl Iterator<Item = usize>,
) -> Result<()> {
    const TODO: u8 = 0;
    const ON_CHAIN: u8 = 1;
    const DONE: u8 = 2;
    let n = parent.len().min(x.len()).min(y.len());
    let mut state = vec![TODO; n];
    let mut chain: Vec<usize> = Vec::new();
    for start in starts.filter(|&s| s < n) {
        chain.clear();
        let mut cur = start;
        loop {
            match state[cur] {
                DONE => break,
                ON_CHAIN => {
                    return Err(FlowscaleError::at(
                        ErrorCode::ParentCycle,
                        NodePath::Nodes(cur).field("parentId"),
                        "following parentId leads back to this node",
                    ))
                }
                _ => {}
            }
            state[cur] = ON_CHAIN;
            chain.push(cur);
            match parent[cur] {
                p if (p as usize) < n => cur = p as usize,
                _ => break,
            }
        }
        // Top down: each parent is absolute before its child adds it.
        for &k in chain.iter().rev() {
            if let Some(&p) = parent.get(k).filter(|&&p| (p as usize) < n) {
                x[k] += x[p as usize];
                y[k] += y[p as usize];
            }
            state[k] = DONE;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
