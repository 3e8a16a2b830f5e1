//! flowscale: keeps very large React Flow workflows smooth in the browser.
//! See docs/architecture.md for where a frame, a workflow and a change go.

pub mod analysis;
pub mod cache;
pub mod cluster;
pub mod config;
pub mod edges;
pub mod error;
pub mod graph;
pub mod layout;
pub mod load;
pub mod lod;
pub mod manager;
pub mod model;
pub mod monitor;
pub mod optimize;
pub mod optimizer;
pub mod profiler;
pub mod render;
pub mod spatial;

#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod web;

pub use config::Config;
pub use error::{ErrorCode, FlowscaleError, Result};
pub use optimizer::{Frame, FrameStats, Screen, Viewport, WorkflowOptimizer};
