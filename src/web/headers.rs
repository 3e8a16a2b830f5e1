//! The headers Rust writes into wasm memory for glue.js to assemble a frame,
//! its complete lists and its clusters in one call across the boundary:
//! pointers and lengths of the buffers, and the counts. Each is one
//! `#[repr(C)]` struct; glue.js names the same byte offsets in
//! `FRAME_HEADER`, `DETAIL_HEADER` and `CLUSTER_HEADER`, and tests/web.rs
//! checks those tables against `*_LAYOUT` here, so the two sides cannot drift.

/// A `#[repr(C)]` header and `LAYOUT`: each field's glue.js name and byte offset.
macro_rules! js_header {
    ($(#[$meta:meta])* $name:ident, $layout:ident { $($field:ident: $ty:ty => $js:literal,)* }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Default)]
        pub(crate) struct $name {
            $(pub $field: $ty,)*
        }

        #[doc = concat!("Each field of `", stringify!($name), "`: its glue.js name and byte offset.")]
        pub const $layout: &[(&str, usize)] = &[$(($js, std::mem::offset_of!($name, $field)),)*];
    };
}

js_header!(
    /// A frame: the window's lists (ids by slot, levels of detail) and its stats.
    FrameHeader, FRAME_LAYOUT {
        visible: u32 => "visible",
        visible_len: u32 => "visibleLen",
        visible_lod: u32 => "visibleLod",
        entered: u32 => "entered",
        entered_len: u32 => "enteredLen",
        left: u32 => "left",
        left_len: u32 => "leftLen",
        window_edges: u32 => "windowEdges",
        window_edges_len: u32 => "windowEdgesLen",
        total: u32 => "total",
        in_view: u32 => "inView",
        culled: u32 => "culled",
        high: u32 => "high",
        medium: u32 => "medium",
        low: u32 => "low",
        complete: u32 => "complete",
        culled_percent: f64 => "culledPercent",
    }
);

js_header!(
    /// A frame's complete lists: every node in view with its level of detail,
    /// every visible edge.
    DetailHeader, DETAIL_LAYOUT {
        in_view: u32 => "inView",
        in_view_len: u32 => "inViewLen",
        lod: u32 => "lod",
        edges: u32 => "edges",
        edges_len: u32 => "edgesLen",
    }
);

js_header!(
    /// The zoom-level clusters drawn as glyphs, and the bundles between them.
    ClusterHeader, CLUSTER_LAYOUT {
        level: u32 => "level",
        len: u32 => "len",
        ids: u32 => "ids",
        count: u32 => "count",
        bounds: u32 => "bounds",
        rect: u32 => "rect",
        center: u32 => "center",
        type_ids: u32 => "typeIds",
        type_counts: u32 => "typeCounts",
        bundles_len: u32 => "bundlesLen",
        bundle_source: u32 => "bundleSource",
        bundle_target: u32 => "bundleTarget",
        bundle_kind: u32 => "bundleKind",
        bundle_weight: u32 => "bundleWeight",
        bundle_segment: u32 => "bundleSegment",
        members: f64 => "members",
    }
);

/// Where a buffer starts in wasm memory (wasm32 pointers are 32 bits).
pub(crate) fn ptr<T>(v: &[T]) -> u32 {
    v.as_ptr() as u32
}
