//! Nodes and edges as they arrive from React Flow, before validation.

use super::MAX_COORD;
use crate::error::{ErrorCode, FlowscaleError, Result};

/// Which React Flow field a size came from; `measured` wins over the
/// attribute, which wins over `initialWidth`/`initialHeight` (React Flow's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeSource {
    Measured,
    Attribute,
    Initial,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SizeValue {
    pub value: f64,
    pub source: SizeSource,
}

impl SizeValue {
    pub fn attribute(value: f64) -> Self {
        SizeValue {
            value,
            source: SizeSource::Attribute,
        }
    }
}

/// One React Flow node: `{ id, position: {x, y}, width?, height?, measured?, parentId?, hidden?, selected?, type? }`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NodeInput {
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub width: Option<SizeValue>,
    pub height: Option<SizeValue>,
    pub parent_id: Option<String>,
    pub hidden: bool,
    pub selected: bool,
    pub node_type: Option<String>,
    /// Which sides the source and target handles sit on (React Flow's
    /// `sourcePosition`, default bottom, and `targetPosition`, default top).
    pub handles: Handles,
}

/// A side of a node, as React Flow's `Position`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Side {
    #[default]
    Top = 0,
    Right = 1,
    Bottom = 2,
    Left = 3,
}

impl Side {
    /// React Flow's `Position` string ("top", "right", "bottom", "left").
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "top" => Some(Side::Top),
            "right" => Some(Side::Right),
            "bottom" => Some(Side::Bottom),
            "left" => Some(Side::Left),
            _ => None,
        }
    }

    pub fn from_bits(b: u8) -> Side {
        match b & 3 {
            0 => Side::Top,
            1 => Side::Right,
            2 => Side::Bottom,
            _ => Side::Left,
        }
    }
}

/// Source and target handle sides of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handles {
    pub source: Side,
    pub target: Side,
}

impl Default for Handles {
    fn default() -> Self {
        Handles {
            source: Side::Bottom,
            target: Side::Top,
        }
    }
}

impl Handles {
    /// Packed as source | target << 2.
    pub fn bits(self) -> u8 {
        self.source as u8 | (self.target as u8) << 2
    }

    pub fn from_bits(b: u8) -> Handles {
        Handles {
            source: Side::from_bits(b),
            target: Side::from_bits(b >> 2),
        }
    }
}

impl NodeInput {
    pub fn new(id: impl Into<String>, x: f64, y: f64) -> Self {
        NodeInput {
            id: id.into(),
            x,
            y,
            ..Default::default()
        }
    }

    pub fn sized(mut self, width: f64, height: f64) -> Self {
        self.width = Some(SizeValue::attribute(width));
        self.height = Some(SizeValue::attribute(height));
        self
    }

    pub fn child_of(mut self, parent: impl Into<String>) -> Self {
        self.parent_id = Some(parent.into());
        self
    }

    /// Checks that need no other node: finite, in range, sizes not negative.
    pub fn validate(&self, path: &NodePath) -> Result<()> {
        check_coord(self.x, || path.field("position.x"))?;
        check_coord(self.y, || path.field("position.y"))?;
        for (size, axis) in [(self.width, Axis::Width), (self.height, Axis::Height)] {
            let Some(s) = size else { continue };
            let field = || path.field(axis.field(s.source));
            if !s.value.is_finite() {
                return Err(FlowscaleError::at(
                    ErrorCode::NonFinite,
                    field(),
                    format!("size must be a finite number, got {}", s.value),
                ));
            }
            if s.value < 0.0 {
                return Err(FlowscaleError::at(
                    ErrorCode::NegativeSize,
                    field(),
                    format!("size must not be negative, got {}", s.value),
                ));
            }
            if s.value > MAX_COORD {
                return Err(FlowscaleError::at(
                    ErrorCode::OutOfRange,
                    field(),
                    format!("size {} is beyond the supported ±1e15", s.value),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn size_or(&self, default_w: f64, default_h: f64) -> (f64, f64) {
        (
            self.width.map_or(default_w, |s| s.value),
            self.height.map_or(default_h, |s| s.value),
        )
    }

    pub(crate) fn flag_bits(&self) -> u8 {
        1 | if self.hidden { 2 } else { 0 } | if self.selected { 4 } else { 0 }
    }
}

#[derive(Clone, Copy)]
enum Axis {
    Width,
    Height,
}

impl Axis {
    fn field(self, source: SizeSource) -> &'static str {
        match (self, source) {
            (Axis::Width, SizeSource::Measured) => "measured.width",
            (Axis::Width, SizeSource::Attribute) => "width",
            (Axis::Width, SizeSource::Initial) => "initialWidth",
            (Axis::Height, SizeSource::Measured) => "measured.height",
            (Axis::Height, SizeSource::Attribute) => "height",
            (Axis::Height, SizeSource::Initial) => "initialHeight",
        }
    }
}

fn check_coord(v: f64, path: impl Fn() -> String) -> Result<()> {
    if !v.is_finite() {
        return Err(FlowscaleError::at(
            ErrorCode::NonFinite,
            path(),
            format!("coordinate must be a finite number, got {v}"),
        ));
    }
    if v.abs() > MAX_COORD {
        return Err(FlowscaleError::at(
            ErrorCode::OutOfRange,
            path(),
            format!("coordinate {v} is beyond the supported ±1e15"),
        ));
    }
    Ok(())
}

/// Where a node sits in the caller's input, for error paths.
#[derive(Clone, Copy, Debug)]
pub enum NodePath {
    /// `nodes[i]` of a workflow.
    Nodes(usize),
    /// `changes[i].item` of a change batch.
    ChangeItem(usize),
    /// `changes[i]` of a change batch (position/dimension changes).
    Change(usize),
}

impl NodePath {
    pub fn field(&self, field: &str) -> String {
        match self {
            NodePath::Nodes(i) => format!("nodes[{i}].{field}"),
            NodePath::ChangeItem(i) => format!("changes[{i}].item.{field}"),
            NodePath::Change(i) => format!("changes[{i}].{field}"),
        }
    }
}

/// One React Flow edge: `{ id, source, target, type?, hidden?, selected? }`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EdgeInput {
    pub id: String,
    pub source: String,
    pub target: String,
    pub hidden: bool,
    pub selected: bool,
    pub kind: EdgeKind,
    /// `source` and `target` as indices into the nodes given with this edge,
    /// when the caller resolved them already (setWorkflow's JS half does, so a
    /// million ids need not cross the boundary twice). `NONE` marks an end
    /// that names no node; its id is then in `source`/`target` for the error.
    pub ends: Option<(u32, u32)>,
}

/// The path an edge follows, as React Flow's built-in edge types. Custom
/// types are drawn as the default bezier when the GPU draws them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EdgeKind {
    #[default]
    Bezier = 0,
    Straight = 1,
    Step = 2,
    SmoothStep = 3,
}

impl EdgeKind {
    /// React Flow's edge `type`: "default" and "simplebezier" are beziers.
    pub fn parse(s: &str) -> EdgeKind {
        match s {
            "straight" => EdgeKind::Straight,
            "step" => EdgeKind::Step,
            "smoothstep" => EdgeKind::SmoothStep,
            _ => EdgeKind::Bezier,
        }
    }

    pub fn from_bits(b: u8) -> EdgeKind {
        match b {
            1 => EdgeKind::Straight,
            2 => EdgeKind::Step,
            3 => EdgeKind::SmoothStep,
            _ => EdgeKind::Bezier,
        }
    }
}

impl EdgeInput {
    pub fn new(
        id: impl Into<String>,
        source: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        EdgeInput {
            id: id.into(),
            source: source.into(),
            target: target.into(),
            ..Default::default()
        }
    }
}
