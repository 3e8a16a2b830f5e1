//! React Flow's `NodeChange[]` / `EdgeChange[]`, applied all-or-nothing.
//!
//! A batch is first checked against an overlay (what the ids would be after
//! each change, in order), and only then applied; applying cannot fail, so a
//! rejected batch leaves the workflow exactly as it was.

use super::{EdgeInput, NodeInput, NodePath, Workflow, MAX_COORD};
use crate::error::{ErrorCode, FlowscaleError, Result};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq)]
pub enum NodeChange {
    /// `{ type: 'position', id, position?, dragging? }` — position is relative to the parent.
    Position {
        id: String,
        position: Option<(f64, f64)>,
        dragging: Option<bool>,
    },
    /// `{ type: 'dimensions', id, dimensions? }`.
    Dimensions {
        id: String,
        dimensions: Option<(f64, f64)>,
    },
    /// `{ type: 'select', id, selected }`.
    Select { id: String, selected: bool },
    /// `{ type: 'remove', id }` — removing an id that is not there is a no-op, as in React Flow.
    Remove { id: String },
    /// `{ type: 'add', item }`.
    Add { item: NodeInput },
    /// `{ type: 'replace', id, item }`.
    Replace { id: String, item: NodeInput },
}

#[derive(Clone, Debug, PartialEq)]
pub enum EdgeChange {
    Add { item: EdgeInput },
    Remove { id: String },
    Replace { id: String, item: EdgeInput },
    Select { id: String, selected: bool },
}

/// What a batch did, for the spatial index and the mounted window.
#[derive(Clone, Debug, Default)]
pub struct ChangeEffects {
    /// Slots whose rectangle, visibility or existence changed (added ones included).
    pub touched: Vec<u32>,
    /// Slots removed, with the id they had.
    pub removed: Vec<(u32, String)>,
    /// Edge slots removed (explicitly or with their nodes).
    pub edges_removed: Vec<u32>,
    /// Edge slots added or re-pointed.
    pub edges_touched: Vec<u32>,
    /// How many node sizes changed (added and removed nodes count).
    pub size_changes: usize,
    /// Slots whose selection changed (their look, not their place).
    pub restyled: Vec<u32>,
}

/// A node's identity during validation: an original slot or the k-th addition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ident {
    Slot(u32),
    New(usize),
}

/// The ids as they would be after the changes validated so far.
struct Overlay<'a> {
    wf: &'a Workflow,
    /// id → who holds it now (None: removed).
    ids: HashMap<String, Option<Ident>>,
    /// Parent of nodes added or replaced in this batch.
    parents: HashMap<Ident, Option<Ident>>,
    removed: HashSet<Ident>,
    added: usize,
    /// Original slots removed, with the change that removed them.
    removals: Vec<(usize, u32)>,
}

impl<'a> Overlay<'a> {
    fn new(wf: &'a Workflow) -> Self {
        Overlay {
            wf,
            ids: HashMap::new(),
            parents: HashMap::new(),
            removed: HashSet::new(),
            added: 0,
            removals: Vec::new(),
        }
    }

    fn lookup(&self, id: &str) -> Option<Ident> {
        match self.ids.get(id) {
            Some(who) => *who,
            None => self.wf.index_of(id).map(Ident::Slot),
        }
    }

    fn parent_of(&self, who: Ident) -> Option<Ident> {
        if let Some(p) = self.parents.get(&who) {
            return *p;
        }
        match who {
            Ident::Slot(s) => self.wf.parent(s).map(Ident::Slot),
            Ident::New(_) => None,
        }
    }

    fn present(&self, who: Ident) -> bool {
        !self.removed.contains(&who)
    }

    fn require(&self, id: &str, path: &str) -> Result<Ident> {
        self.lookup(id).ok_or_else(|| {
            FlowscaleError::at(ErrorCode::UnknownId, path, format!("no node has id {id:?}"))
        })
    }

    fn parent_ident(&self, item: &NodeInput, i: usize) -> Result<Option<Ident>> {
        match &item.parent_id {
            None => Ok(None),
            Some(pid) => self.lookup(pid).map(Some).ok_or_else(|| {
                FlowscaleError::at(
                    ErrorCode::DanglingParent,
                    NodePath::ChangeItem(i).field("parentId"),
                    format!("parent node {pid:?} does not exist"),
                )
            }),
        }
    }
}

fn check_pair(v: (f64, f64), path: &NodePath, fx: &str, fy: &str, size: bool) -> Result<()> {
    for (value, field) in [(v.0, fx), (v.1, fy)] {
        if !value.is_finite() {
            return Err(FlowscaleError::at(
                ErrorCode::NonFinite,
                path.field(field),
                format!("must be a finite number, got {value}"),
            ));
        }
        if size && value < 0.0 {
            return Err(FlowscaleError::at(
                ErrorCode::NegativeSize,
                path.field(field),
                format!("size must not be negative, got {value}"),
            ));
        }
        if value.abs() > MAX_COORD {
            return Err(FlowscaleError::at(
                ErrorCode::OutOfRange,
                path.field(field),
                format!("{value} is beyond the supported ±1e15"),
            ));
        }
    }
    Ok(())
}

impl Workflow {
    /// Check a node change batch without applying it.
    pub fn validate_node_changes(&self, changes: &[NodeChange], max_nodes: u32) -> Result<()> {
        let mut ov = Overlay::new(self);
        let mut live = self.node_count();
        // Ids added so far, and their bytes: they must fit in the arena.
        let (mut adds, mut add_bytes) = (0usize, 0usize);
        for (i, change) in changes.iter().enumerate() {
            let at = NodePath::Change(i);
            match change {
                NodeChange::Position { id, position, .. } => {
                    ov.require(id, &at.field("id"))?;
                    if let Some(p) = position {
                        check_pair(*p, &at, "position.x", "position.y", false)?;
                    }
                }
                NodeChange::Dimensions { id, dimensions } => {
                    ov.require(id, &at.field("id"))?;
                    if let Some(d) = dimensions {
                        check_pair(*d, &at, "dimensions.width", "dimensions.height", true)?;
                    }
                }
                NodeChange::Select { id, .. } => {
                    ov.require(id, &at.field("id"))?;
                }
                NodeChange::Remove { id } => {
                    if let Some(who) = ov.lookup(id) {
                        ov.ids.insert(id.clone(), None);
                        ov.removed.insert(who);
                        if let Ident::Slot(s) = who {
                            ov.removals.push((i, s));
                        }
                        live -= 1;
                    }
                }
                NodeChange::Add { item } => {
                    item.validate(&NodePath::ChangeItem(i))?;
                    if ov.lookup(&item.id).is_some() {
                        return Err(FlowscaleError::at(
                            ErrorCode::DuplicateId,
                            NodePath::ChangeItem(i).field("id"),
                            format!("a node with id {:?} already exists", item.id),
                        ));
                    }
                    if live >= max_nodes as usize {
                        return Err(FlowscaleError::at(
                            ErrorCode::LimitExceeded,
                            format!("changes[{i}]"),
                            format!("adding a node would exceed the limit of {max_nodes} (config workflow.maxNodes)"),
                        ));
                    }
                    adds += 1;
                    add_bytes += item.id.len();
                    if !self.ids.fits(adds, add_bytes) {
                        return Err(super::ids_full(NodePath::ChangeItem(i).field("id"), "node"));
                    }
                    let parent = ov.parent_ident(item, i)?;
                    let who = Ident::New(ov.added);
                    ov.added += 1;
                    ov.ids.insert(item.id.clone(), Some(who));
                    ov.parents.insert(who, parent);
                    live += 1;
                }
                NodeChange::Replace { id, item } => {
                    let who = ov.require(id, &at.field("id"))?;
                    if item.id != *id {
                        return Err(FlowscaleError::at(
                            ErrorCode::InvalidWorkflow,
                            NodePath::ChangeItem(i).field("id"),
                            format!("replace of {id:?} carries a node with id {:?}", item.id),
                        ));
                    }
                    item.validate(&NodePath::ChangeItem(i))?;
                    let parent = ov.parent_ident(item, i)?;
                    // The new parent must not be the node itself or one of its descendants.
                    let mut cur = parent;
                    let mut steps = 0usize;
                    while let Some(c) = cur {
                        if c == who || steps > self.slot_count() + changes.len() {
                            return Err(FlowscaleError::at(
                                ErrorCode::ParentCycle,
                                NodePath::ChangeItem(i).field("parentId"),
                                "following parentId leads back to this node",
                            ));
                        }
                        cur = ov.parent_of(c);
                        steps += 1;
                    }
                    ov.parents.insert(who, parent);
                }
            }
        }
        // No node may outlive its parent: children go with it or move first.
        let mut orphan_candidates: Vec<(Ident, usize)> = Vec::new();
        for &(k, slot) in &ov.removals {
            for &c in self.children(slot) {
                orphan_candidates.push((Ident::Slot(c), k));
            }
        }
        for &who in ov.parents.keys() {
            orphan_candidates.push((who, changes.len()));
        }
        for (who, k) in orphan_candidates {
            if !ov.present(who) {
                continue;
            }
            if let Some(p) = ov.parent_of(who) {
                if !ov.present(p) {
                    let path = if k < changes.len() {
                        format!("changes[{k}]")
                    } else {
                        "changes".to_string()
                    };
                    return Err(FlowscaleError::at(
                        ErrorCode::DanglingParent,
                        path,
                        "a removed node still has children; remove or re-parent them in the same batch",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Validate and apply a node change batch (all or nothing).
    pub fn apply_node_changes(
        &mut self,
        changes: Vec<NodeChange>,
        max_nodes: u32,
    ) -> Result<ChangeEffects> {
        self.validate_node_changes(&changes, max_nodes)?;
        let mut fx = ChangeEffects::default();
        for change in changes {
            match change {
                NodeChange::Position {
                    id,
                    position,
                    dragging,
                } => {
                    let Some(i) = self.index_of(&id) else {
                        continue;
                    };
                    if let Some((x, y)) = position {
                        self.set_position(i, x, y, &mut fx.touched);
                    }
                    if let Some(d) = dragging {
                        self.set_dragging(i, d);
                    }
                }
                NodeChange::Dimensions { id, dimensions } => {
                    let Some(i) = self.index_of(&id) else {
                        continue;
                    };
                    if let Some((w, h)) = dimensions {
                        self.set_size(i, w, h);
                        fx.touched.push(i);
                        fx.size_changes += 1;
                    }
                }
                NodeChange::Select { id, selected } => {
                    if let Some(i) = self.index_of(&id) {
                        self.set_selected(i, selected);
                        fx.restyled.push(i);
                    }
                }
                NodeChange::Remove { id } => {
                    if let Some(i) = self.index_of(&id) {
                        for c in self.children(i).to_vec() {
                            self.parent.remove(&c);
                        }
                        self.remove_node(i, &mut fx.edges_removed);
                        fx.removed.push((i, id));
                        fx.size_changes += 1;
                    }
                }
                NodeChange::Add { item } => {
                    let slot = self.add_node(item);
                    fx.touched.push(slot);
                    fx.size_changes += 1;
                }
                NodeChange::Replace { id, item } => {
                    if let Some(i) = self.index_of(&id) {
                        self.replace_node(i, item, &mut fx.touched);
                        fx.size_changes += 1;
                    }
                }
            }
        }
        Ok(fx)
    }

    /// Check an edge change batch without applying it.
    pub fn validate_edge_changes(&self, changes: &[EdgeChange], max_edges: u32) -> Result<()> {
        // id → present after the changes so far.
        let mut ids: HashMap<&str, bool> = HashMap::new();
        let exists = |ids: &HashMap<&str, bool>, id: &str| {
            ids.get(id)
                .copied()
                .unwrap_or_else(|| self.edge_index_of(id).is_some())
        };
        let mut live = self.edge_count();
        // Ids added so far (a replace adds its id again), and their bytes.
        let (mut adds, mut add_bytes) = (0usize, 0usize);
        let mut check_room = |e: &EdgeInput, i: usize| -> Result<()> {
            adds += 1;
            add_bytes += e.id.len();
            if self.edge_ids.fits(adds, add_bytes) {
                Ok(())
            } else {
                Err(super::ids_full(format!("changes[{i}].item.id"), "edge"))
            }
        };
        let check_ends = |e: &EdgeInput, i: usize| -> Result<()> {
            for (id, field) in [(&e.source, "source"), (&e.target, "target")] {
                if self.index_of(id).is_none() {
                    return Err(FlowscaleError::at(
                        ErrorCode::DanglingEdge,
                        format!("changes[{i}].item.{field}"),
                        format!(
                            "edge {:?} points to node {id:?}, which does not exist",
                            e.id
                        ),
                    ));
                }
            }
            Ok(())
        };
        for (i, change) in changes.iter().enumerate() {
            match change {
                EdgeChange::Add { item } => {
                    if exists(&ids, &item.id) {
                        return Err(FlowscaleError::at(
                            ErrorCode::DuplicateId,
                            format!("changes[{i}].item.id"),
                            format!("an edge with id {:?} already exists", item.id),
                        ));
                    }
                    if live >= max_edges as usize {
                        return Err(FlowscaleError::at(
                            ErrorCode::LimitExceeded,
                            format!("changes[{i}]"),
                            format!("adding an edge would exceed the limit of {max_edges} (config workflow.maxEdges)"),
                        ));
                    }
                    check_ends(item, i)?;
                    check_room(item, i)?;
                    ids.insert(&item.id, true);
                    live += 1;
                }
                EdgeChange::Remove { id } => {
                    if exists(&ids, id) {
                        live -= 1;
                    }
                    ids.insert(id, false);
                }
                EdgeChange::Replace { id, item } => {
                    if !exists(&ids, id) {
                        return Err(FlowscaleError::at(
                            ErrorCode::UnknownId,
                            format!("changes[{i}].id"),
                            format!("no edge has id {id:?}"),
                        ));
                    }
                    if item.id != *id {
                        return Err(FlowscaleError::at(
                            ErrorCode::InvalidWorkflow,
                            format!("changes[{i}].item.id"),
                            format!("replace of {id:?} carries an edge with id {:?}", item.id),
                        ));
                    }
                    check_ends(item, i)?;
                    check_room(item, i)?;
                }
                EdgeChange::Select { id, .. } => {
                    if !exists(&ids, id) {
                        return Err(FlowscaleError::at(
                            ErrorCode::UnknownId,
                            format!("changes[{i}].id"),
                            format!("no edge has id {id:?}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Validate and apply an edge change batch (all or nothing).
    pub fn apply_edge_changes(
        &mut self,
        changes: Vec<EdgeChange>,
        max_edges: u32,
    ) -> Result<ChangeEffects> {
        self.validate_edge_changes(&changes, max_edges)?;
        let mut fx = ChangeEffects::default();
        for change in changes {
            match change {
                EdgeChange::Add { item } => {
                    let e = self.add_edge(item);
                    fx.edges_touched.push(e);
                }
                EdgeChange::Remove { id } => {
                    if let Some(e) = self.edge_index_of(&id) {
                        self.remove_edge(e);
                        fx.edges_removed.push(e);
                    }
                }
                EdgeChange::Replace { id, item } => {
                    if let Some(e) = self.edge_index_of(&id) {
                        self.remove_edge(e);
                        fx.edges_removed.push(e);
                        let e2 = self.add_edge(item);
                        fx.edges_touched.push(e2);
                    }
                }
                EdgeChange::Select { id, selected } => {
                    if let Some(e) = self.edge_index_of(&id) {
                        self.set_edge_selected(e, selected);
                    }
                }
            }
        }
        Ok(fx)
    }
}
