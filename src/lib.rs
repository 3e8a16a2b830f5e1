//! flowscale: keeps very large React Flow workflows smooth in the browser.
//! See docs/architecture.md for where a frame, a workflow and a change go.

pub mod cache;
pub mod config;
pub mod error;
pub mod lod;
pub mod model;
pub mod optimizer;
pub mod spatial;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use config::Config;
pub use error::{ErrorCode, FlowscaleError, Result};
pub use optimizer::{Frame, FrameStats, Screen, Viewport, WorkflowOptimizer};
