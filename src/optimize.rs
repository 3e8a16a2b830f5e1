//! `optimize_workflow`: the one-shot pipeline behind
//! `PerformanceManager.optimizeWorkflow({ nodes, edges, viewport })` and the
//! free JS function `optimizeWorkflow`. It builds a `WorkflowOptimizer`,
//! computes one frame (culling, level of detail, window, clusters), simplifies
//! the frame's edges, measures the workflow and applies the recommendation
//! rules, timing each stage with the caller's clock (the core has none).

use crate::analysis::metrics::{analyze, Analysis};
use crate::analysis::rules::{recommend, Recommendation};
use crate::config::Config;
use crate::edges::simplify::SimplifiedEdges;
use crate::error::Result;
use crate::model::{EdgeInput, NodeInput, Workflow};
use crate::optimizer::{Screen, Viewport, WorkflowOptimizer};
use serde::Serialize;

/// Milliseconds per stage, by the caller's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTimings {
    /// Validation, model and R-trees (`setWorkflow`).
    pub build_ms: f64,
    /// Culling, level of detail, window and clusters (`frame`).
    pub frame_ms: f64,
    pub edges_ms: f64,
    pub analysis_ms: f64,
    pub recommendations_ms: f64,
    pub total_ms: f64,
}

/// Everything `optimize_workflow` found. The frame is `optimizer.last_frame()`.
pub struct Optimized {
    pub optimizer: WorkflowOptimizer,
    /// The viewport used: the caller's, or one that fits the workflow.
    pub viewport: Viewport,
    pub screen: Screen,
    pub edges: SimplifiedEdges,
    pub analysis: Analysis,
    pub recommendations: Vec<Recommendation>,
    pub timings: StageTimings,
}

/// Share of the pane left around the workflow by `fit_view` (React Flow's fitView default).
pub const FIT_PADDING: f64 = 0.1;

/// React Flow's `fitView`: the viewport that shows every shown node with
/// `padding` of the pane around them (zoom capped at 2, React Flow's maxZoom).
pub fn fit_view(wf: &Workflow, screen: Screen, padding: f64) -> Viewport {
    let (mut x1, mut y1, mut x2, mut y2) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for i in wf.live_slots().filter(|&i| wf.is_shown(i)) {
        let r = wf.rect(i);
        x1 = x1.min(r.x);
        y1 = y1.min(r.y);
        x2 = x2.max(r.x2());
        y2 = y2.max(r.y2());
    }
    if x1 > x2 {
        return Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 1.0,
        };
    }
    let (w, h) = ((x2 - x1).max(1.0), (y2 - y1).max(1.0));
    let zoom = ((screen.width / w).min(screen.height / h) / (1.0 + 2.0 * padding)).clamp(1e-9, 2.0);
    Viewport {
        x: screen.width / 2.0 - (x1 + w / 2.0) * zoom,
        y: screen.height / 2.0 - (y1 + h / 2.0) * zoom,
        zoom,
    }
}

/// Run the pipeline on React Flow nodes and edges. `viewport`: None fits the
/// view. `now` is a clock in milliseconds. Bad input leaves nothing behind
/// and returns the error of the first problem.
pub fn optimize_workflow(
    nodes: Vec<NodeInput>,
    edges: Vec<EdgeInput>,
    viewport: Option<Viewport>,
    screen: Screen,
    config: Config,
    now: &dyn Fn() -> f64,
) -> Result<Optimized> {
    let t0 = now();
    let mut opt = WorkflowOptimizer::new(config)?;
    if let Some(vp) = viewport {
        // Checked before the (costlier) build.
        crate::optimizer::view_rect(vp, screen)?;
    }
    opt.set_workflow(nodes, edges)?;
    let t1 = now();
    let vp = viewport.unwrap_or_else(|| fit_view(opt.workflow(), screen, FIT_PADDING));
    opt.frame(vp, screen)?;
    let t2 = now();
    let simplified = opt.simplify_edges();
    let t3 = now();
    let cfg = opt.config();
    let analysis = analyze(opt.workflow(), &cfg.analysis, &cfg.grouping, &cfg.rendering);
    let t4 = now();
    let recommendations = recommend(&analysis, cfg.in_force());
    let t5 = now();
    Ok(Optimized {
        optimizer: opt,
        viewport: vp,
        screen,
        edges: simplified,
        analysis,
        recommendations,
        timings: StageTimings {
            build_ms: t1 - t0,
            frame_ms: t2 - t1,
            edges_ms: t3 - t2,
            analysis_ms: t4 - t3,
            recommendations_ms: t5 - t4,
            total_ms: t5 - t0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn clock() -> f64 {
        0.0
    }

    #[test]
    fn runs_every_stage_and_fits_the_view() {
        let nodes: Vec<NodeInput> = (0..2000)
            .map(|i| {
                NodeInput::new(
                    format!("n{i}"),
                    (i % 50) as f64 * 200.0,
                    (i / 50) as f64 * 90.0,
                )
                .sized(150.0, 40.0)
            })
            .collect();
        let edges: Vec<EdgeInput> = (1..2000)
            .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i - 1), format!("n{i}")))
            .collect();
        let screen = Screen {
            width: 1600.0,
            height: 900.0,
        };
        let mut r =
            optimize_workflow(nodes, edges, None, screen, Config::default(), &clock).unwrap();
        let visible_edges = r.optimizer.frame_detail().unwrap().edges.len();
        let f = r.optimizer.last_frame();
        assert_eq!(f.stats.in_view, 2000, "the fitted view shows everything");
        assert!(
            f.clusters.active,
            "zoom {} is below clustering.maxZoom",
            r.viewport.zoom
        );
        assert_eq!(r.analysis.nodes, 2000);
        // Virtual scrolling is on in the config: not recommended.
        assert!(!r
            .recommendations
            .iter()
            .any(|x| x.id == "virtual-scrolling"));
        assert_eq!(r.edges.counts.total as usize, visible_edges);
    }

    #[test]
    fn bad_input_and_empty_workflows() {
        let screen = Screen {
            width: 800.0,
            height: 600.0,
        };
        let bad = Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 0.0,
        };
        let e = optimize_workflow(vec![], vec![], Some(bad), screen, Config::default(), &clock)
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidViewport);
        let e = optimize_workflow(
            vec![NodeInput::new("a", f64::NAN, 0.0)],
            vec![],
            None,
            screen,
            Config::default(),
            &clock,
        )
        .err()
        .unwrap();
        assert_eq!(e.code, ErrorCode::NonFinite);
        let r = optimize_workflow(vec![], vec![], None, screen, Config::default(), &clock).unwrap();
        assert_eq!(r.analysis.nodes, 0);
        assert!(r.recommendations.is_empty());
    }
}
