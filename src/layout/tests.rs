use super::*;

fn graph(n: usize, edges: &[(u32, u32)]) -> LayoutGraph {
    LayoutGraph {
        width: vec![100.0; n],
        height: vec![40.0; n],
        edges: edges.to_vec(),
        ..Default::default()
    }
}

fn run(g: &LayoutGraph, opts: &LayoutOptions) -> Layout {
    layout_graph(g, opts, &mut |_, _| Ok(())).expect("layout")
}

fn overlaps(l: &Layout, g: &LayoutGraph) -> Vec<(usize, usize)> {
    let n = g.width.len();
    let mut bad = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let ox = (l.x[a] + g.width[a]).min(l.x[b] + g.width[b]) - l.x[a].max(l.x[b]);
            let oy = (l.y[a] + g.height[a]).min(l.y[b] + g.height[b]) - l.y[a].max(l.y[b]);
            if ox > 1e-6 && oy > 1e-6 {
                bad.push((a, b));
            }
        }
    }
    bad
}

#[test]
fn edge_cases_give_results() {
    let o = LayoutOptions::default();
    assert!(run(&graph(0, &[]), &o).x.is_empty());
    let one = run(&graph(1, &[(0, 0)]), &o);
    assert_eq!((one.x[0], one.y[0]), (0.0, 0.0));
    assert_eq!(one.stats.self_loops, 1);
    assert_eq!(one.route_offsets, vec![0, 0]);
    let cyc = run(&graph(3, &[(0, 1), (1, 2), (2, 0), (0, 1)]), &o);
    assert_eq!(cyc.stats.reversed_edges, 1);
    assert!(overlaps(&cyc, &graph(3, &[])).is_empty());
    let two = run(&graph(4, &[(0, 1), (2, 3)]), &o);
    assert_eq!(two.stats.components, 2);
}

#[test]
fn lr_puts_targets_to_the_right_and_tb_below() {
    let g = graph(3, &[(0, 1), (1, 2)]);
    let l = run(&g, &LayoutOptions::default());
    assert!(l.x[0] + 100.0 <= l.x[1] && l.x[1] + 100.0 <= l.x[2]);
    assert_eq!(l.y[0], l.y[1]);
    let t = run(
        &g,
        &LayoutOptions {
            direction: Direction::TB,
            ..Default::default()
        },
    );
    assert!(t.y[0] + 40.0 <= t.y[1] && t.y[1] + 40.0 <= t.y[2]);
    assert_eq!(t.x[0], t.x[1]);
}

#[test]
fn routes_start_and_end_at_their_nodes() {
    let g = graph(4, &[(0, 1), (1, 2), (0, 3), (2, 3), (3, 0)]);
    let l = run(&g, &LayoutOptions::default());
    for (k, &(s, t)) in g.edges.iter().enumerate() {
        let (a, b) = (l.route_offsets[k] as usize, l.route_offsets[k + 1] as usize);
        assert!(b >= a + 2, "edge {k} has a route");
        let p0 = (l.route_points[2 * a], l.route_points[2 * a + 1]);
        let p1 = (l.route_points[2 * b - 2], l.route_points[2 * b - 1]);
        let on = |p: (f64, f64), v: u32| {
            let v = v as usize;
            p.0 >= l.x[v] - 1e-9
                && p.0 <= l.x[v] + 100.0 + 1e-9
                && p.1 >= l.y[v] - 1e-9
                && p.1 <= l.y[v] + 40.0 + 1e-9
        };
        assert!(on(p0, s) && on(p1, t), "edge {k}: {p0:?} → {p1:?}");
    }
}

#[test]
fn bad_options_are_rejected_with_paths() {
    let e = LayoutOptions::from_json(r#"{"direction":"XY"}"#).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("options.direction"));
    let e = LayoutOptions::from_json(r#"{"nodeSpacing":-1}"#).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("options.nodeSpacing"));
    let e = LayoutOptions::from_json(r#"{"colour":1}"#).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidConfig);
    let o = LayoutOptions::from_json(r#"{"direction":"TB","seed":7}"#).unwrap();
    assert_eq!((o.direction, o.seed), (Direction::TB, 7));
}

#[test]
fn a_throwing_progress_callback_stops_the_layout() {
    let g = graph(3, &[(0, 1)]);
    let e = layout_graph(&g, &LayoutOptions::default(), &mut |_, _| {
        Err(FlowscaleError::new(ErrorCode::InvalidWorkflow, "stop"))
    })
    .unwrap_err();
    assert_eq!(e.message, "stop");
}
