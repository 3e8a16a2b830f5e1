//! Edge simplification for a frame: sub-pixel edges dropped, parallel edges
//! merged, edges between clusters aggregated (`simplify.rs`), and
//! Douglas–Peucker for routed polylines (`polyline.rs`).

pub mod polyline;
