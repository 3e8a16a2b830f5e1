//! `WorkflowOptimizer::set_config`: a configuration applied to a loaded
//! workflow must give the frames a fresh optimizer built with that
//! configuration gives (the oracle), without re-indexing; a refused one
//! changes nothing.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::config::Config;
use flowscale::model::{EdgeInput, NodeInput};
use flowscale::optimizer::{Screen, Viewport, WorkflowOptimizer};
use flowscale::ErrorCode;
use proptest::prelude::*;

fn workflow(cells: &[(u8, u8, u8)]) -> (Vec<NodeInput>, Vec<EdgeInput>) {
    let nodes: Vec<NodeInput> = cells
        .iter()
        .enumerate()
        .map(|(i, &(x, y, w))| {
            NodeInput::new(format!("n{i}"), x as f64 * 370.0, y as f64 * 230.0)
                .sized(20.0 + w as f64, 10.0 + (w % 40) as f64)
        })
        .collect();
    let edges = (1..nodes.len())
        .step_by(2)
        .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i - 1), format!("n{i}")))
        .collect();
    (nodes, edges)
}

/// A partial config touching the sections `set_config` applies live.
fn partial(
    low: f64,
    medium: f64,
    max_visible: u32,
    radius: f64,
    min_points: u32,
    max_zoom: f64,
) -> String {
    format!(
        r#"{{"rendering":{{"lodThresholdLow":{low},"lodThresholdMedium":{medium},"maxVisibleNodes":{max_visible}}},"clustering":{{"radiusPx":{radius},"minPoints":{min_points},"maxZoom":{max_zoom}}}}}"#
    )
}

/// What a frame shows, independent of the window's history.
#[derive(Debug, PartialEq)]
struct Seen {
    in_view: u32,
    lod_counts: [u32; 3],
    /// The nodes in view with their level of detail (when the frame lists them all).
    lods: Vec<(u32, u8)>,
    cluster_counts: Vec<u32>,
    cluster_rects: Vec<f64>,
    mounted: usize,
}

fn seen(opt: &mut WorkflowOptimizer, vp: Viewport) -> Seen {
    let screen = Screen {
        width: 800.0,
        height: 600.0,
    };
    let f = opt.frame(vp, screen).unwrap();
    let mut lods: Vec<(u32, u8)> = if f.complete {
        f.in_view
            .iter()
            .copied()
            .zip(f.lod.iter().copied())
            .collect()
    } else {
        Vec::new()
    };
    lods.sort_unstable();
    Seen {
        in_view: f.stats.in_view,
        lod_counts: f.stats.lod_counts,
        lods,
        cluster_counts: f.clusters.count.clone(),
        cluster_rects: f.clusters.rect.clone(),
        mounted: f.visible.len(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn applied_config_frames_like_a_fresh_optimizer(
        cells in prop::collection::vec((0u8..60, 0u8..60, 0u8..120), 1..300),
        a in (0.05f64..0.6, 0.6f64..1.5, 1u32..400, 20.0f64..120.0, 2u32..6, 0.0f64..0.5),
        b in (0.05f64..0.6, 0.6f64..1.5, 1u32..400, 20.0f64..120.0, 2u32..6, 0.0f64..0.5),
        views in prop::collection::vec((-500.0f64..500.0, -500.0f64..500.0, 0.005f64..1.0), 1..6),
    ) {
        let (nodes, edges) = workflow(&cells);
        let ca = Config::default().merged(&partial(a.0, a.1, a.2, a.3, a.4, a.5)).unwrap();
        let cb = Config::default().merged(&partial(b.0, b.1, b.2, b.3, b.4, b.5)).unwrap();
        let mut live = WorkflowOptimizer::new(ca).unwrap();
        live.set_workflow(nodes.clone(), edges.clone()).unwrap();
        // A frame under the first config, so the window and clusters have history.
        seen(&mut live, Viewport { x: 0.0, y: 0.0, zoom: 0.1 });
        live.set_config(cb.clone()).unwrap();
        // The new cap holds from the very next frame.
        let (x, y, zoom) = views[0];
        let first = seen(&mut live, Viewport { x, y, zoom });
        prop_assert!(first.mounted <= b.2 as usize, "mounted {} > maxVisibleNodes {}", first.mounted, b.2);
        let mut fresh = WorkflowOptimizer::new(cb).unwrap();
        fresh.set_workflow(nodes, edges).unwrap();
        // Mounted nodes keep their LOD a little longer (hysteresis): a view far from every node
        // empties both windows, so what follows compares the configurations, not the histories.
        let away = Viewport { x: -1e9, y: -1e9, zoom: 1.0 };
        seen(&mut live, away);
        seen(&mut fresh, away);
        for &(x, y, zoom) in &views {
            let vp = Viewport { x, y, zoom };
            let (l, f) = (seen(&mut live, vp), seen(&mut fresh, vp));
            prop_assert!(l.mounted <= b.2 as usize, "mounted {} > maxVisibleNodes {}", l.mounted, b.2);
            prop_assert_eq!(l, f);
        }
    }
}

#[test]
fn refused_configs_change_nothing() {
    let (nodes, edges) = workflow(&[(1, 1, 10), (2, 2, 20), (3, 3, 30)]);
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    opt.set_workflow(nodes, edges).unwrap();
    let before = opt.config().clone();
    for (json, code, path) in [
        (
            r#"{"workflow":{"maxNodes":2}}"#,
            ErrorCode::LimitExceeded,
            "workflow.maxNodes",
        ),
        (
            r#"{"workflow":{"maxEdges":0}}"#,
            ErrorCode::LimitExceeded,
            "workflow.maxEdges",
        ),
        (
            r#"{"workflow":{"defaultNodeWidth":90}}"#,
            ErrorCode::InvalidConfig,
            "workflow.defaultNodeWidth",
        ),
        (
            r#"{"rendering":{"maxVisibleNodes":-1}}"#,
            ErrorCode::InvalidConfig,
            "rendering.maxVisibleNodes",
        ),
        (
            r#"{"rendering":{"lodThresholdLow":"high"}}"#,
            ErrorCode::InvalidConfig,
            "rendering.lodThresholdLow",
        ),
        (
            r#"{"rendering":{"noSuchKey":1}}"#,
            ErrorCode::InvalidConfig,
            "rendering.noSuchKey",
        ),
    ] {
        let err = opt
            .config()
            .merged(json)
            .and_then(|c| opt.set_config(c))
            .unwrap_err();
        assert_eq!(err.code, code, "{json}");
        assert_eq!(err.path.as_deref(), Some(path), "{json}");
    }
    assert_eq!(opt.config(), &before);
    // With no nodes loaded the default sizes may change.
    let mut empty = WorkflowOptimizer::new(Config::default()).unwrap();
    let c = empty
        .config()
        .merged(r#"{"workflow":{"defaultNodeWidth":90}}"#)
        .unwrap();
    empty.set_config(c).unwrap();
    assert_eq!(empty.config().workflow.default_node_width, 90.0);
}

#[test]
fn merged_lays_a_partial_config_over_the_current_one() {
    let a = Config::default()
        .merged(r#"{"rendering":{"maxVisibleNodes":50},"clustering":{"radiusPx":30}}"#)
        .unwrap();
    let b = a
        .merged(r#"{"rendering":{"lodThresholdLow":0.2}}"#)
        .unwrap();
    assert_eq!(
        b.rendering.max_visible_nodes, 50,
        "kept from the current config"
    );
    assert_eq!(b.rendering.lod_threshold_low, 0.2);
    assert_eq!(b.clustering.radius_px, 30.0);
    assert_eq!(
        b.rendering.lod_threshold_medium,
        Config::default().rendering.lod_threshold_medium
    );
    assert!(a.merged("[1]").is_err() && a.merged("3").is_err());
}
