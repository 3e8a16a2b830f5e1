//! The GPU layer natively (Mesa's lavapipe when there is no GPU): render known
//! workflows offscreen, read the pixels back, check them against geometry
//! computed here with React Flow's formulas.
#![cfg(all(not(target_arch = "wasm32"), feature = "render"))]

use flowscale::config::Config;
use flowscale::model::{EdgeInput, Handles, NodeChange, NodeInput, Side};
use flowscale::optimizer::{Screen, Viewport, WorkflowOptimizer};
use flowscale::render::offscreen::{native_device, Offscreen, FORMAT};
use flowscale::render::{DrawMode, NodeStyle, Palette, RenderOptions, Renderer};
use std::sync::OnceLock;
use std::time::Instant;

const WHITE: [u8; 4] = [255, 255, 255, 255];
const RED: NodeStyle = NodeStyle {
    fill: [220, 40, 40, 255],
    border: [20, 20, 20, 255],
    glyph: Some([200, 0, 0, 255]),
};
const BLUE: NodeStyle = NodeStyle {
    fill: [40, 60, 220, 255],
    border: [20, 20, 20, 255],
    glyph: Some([0, 0, 200, 255]),
};

fn gpu() -> &'static (wgpu::Device, wgpu::Queue, String) {
    static GPU: OnceLock<(wgpu::Device, wgpu::Queue, String)> = OnceLock::new();
    GPU.get_or_init(|| {
        std::env::set_var("XDG_RUNTIME_DIR", "/tmp");
        native_device().expect("a Vulkan or GL adapter (install mesa-vulkan-drivers)")
    })
}

fn renderer(draw: DrawMode) -> Renderer {
    let (device, queue, _) = gpu();
    let mut palette = Palette {
        background: WHITE,
        ..Palette::default()
    };
    palette.by_type.insert("red".into(), RED);
    palette.by_type.insert("blue".into(), BLUE);
    Renderer::new(
        device.clone(),
        queue.clone(),
        FORMAT,
        RenderOptions { palette, draw },
    )
}

fn node(id: &str, x: f64, y: f64, w: f64, h: f64, ty: &str) -> NodeInput {
    let mut n = NodeInput::new(id, x, y).sized(w, h);
    n.node_type = Some(ty.into());
    n.handles = Handles {
        source: Side::Right,
        target: Side::Left,
    };
    n
}

struct Shot {
    px: Vec<u8>,
    w: u32,
}

impl Shot {
    fn at(&self, x: f64, y: f64) -> [u8; 4] {
        let i = ((y as u32 * self.w + x as u32) * 4) as usize;
        [self.px[i], self.px[i + 1], self.px[i + 2], self.px[i + 3]]
    }
}

fn shoot(
    r: &mut Renderer,
    opt: &mut WorkflowOptimizer,
    vp: Viewport,
    css: (u32, u32),
    dpr: f64,
) -> Shot {
    let (device, queue, _) = gpu();
    opt.frame(
        vp,
        Screen {
            width: css.0 as f64,
            height: css.1 as f64,
        },
    )
    .unwrap();
    let size = ((css.0 as f64 * dpr) as u32, (css.1 as f64 * dpr) as u32);
    let target = Offscreen::new(device, size.0, size.1).unwrap();
    let t0 = Instant::now();
    let clock = move || t0.elapsed().as_secs_f64() * 1000.0;
    r.draw(opt, &target.view(), size, dpr, &clock).unwrap();
    Shot {
        px: target.read(device, queue).unwrap(),
        w: size.0,
    }
}

fn close(a: [u8; 4], b: [u8; 4], tol: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tol)
}

/// React Flow's bezier (getBezierPath, curvature 0.25) from a right handle to a left handle.
fn rf_bezier(s: (f64, f64), t: (f64, f64), u: f64) -> (f64, f64) {
    let off = |d: f64| {
        if d >= 0.0 {
            0.5 * d
        } else {
            0.25 * 25.0 * (-d).sqrt()
        }
    };
    let c1 = (s.0 + off(t.0 - s.0), s.1);
    let c2 = (t.0 - off(t.0 - s.0), t.1);
    let m = 1.0 - u;
    let f = |a: f64, b: f64, c: f64, d: f64| {
        m * m * m * a + 3.0 * m * m * u * b + 3.0 * m * u * u * c + u * u * u * d
    };
    (f(s.0, c1.0, c2.0, t.0), f(s.1, c1.1, c2.1, t.1))
}

/// Node drawing without zoom-level clustering (tested on its own below).
fn unclustered() -> Config {
    let mut c = Config::default();
    c.clustering.max_zoom = 0.0;
    c
}

fn two_nodes() -> WorkflowOptimizer {
    let mut opt = WorkflowOptimizer::new(unclustered()).unwrap();
    opt.set_workflow(
        vec![
            node("a", 100.0, 100.0, 200.0, 100.0, "red"),
            node("b", 500.0, 300.0, 150.0, 60.0, "blue"),
        ],
        vec![EdgeInput::new("e", "a", "b")],
    )
    .unwrap();
    opt
}

#[test]
fn nodes_and_edges_land_on_their_pixels() {
    let mut r = renderer(DrawMode::All);
    let mut opt = two_nodes();
    for (vp, dpr) in [
        (
            Viewport {
                x: 0.0,
                y: 0.0,
                zoom: 1.0,
            },
            1.0,
        ),
        (
            Viewport {
                x: 37.0,
                y: -21.0,
                zoom: 0.5,
            },
            1.0,
        ),
        (
            Viewport {
                x: 10.0,
                y: 5.0,
                zoom: 1.0,
            },
            2.0,
        ),
    ] {
        let shot = shoot(&mut r, &mut opt, vp, (800, 600), dpr);
        let dev = |x: f64, y: f64| ((x * vp.zoom + vp.x) * dpr, (y * vp.zoom + vp.y) * dpr);
        // Interiors carry the type's fill; far from everything, the background.
        let (cx, cy) = dev(200.0, 150.0);
        assert!(
            close(shot.at(cx, cy), RED.fill, 2),
            "{:?} at a's centre",
            shot.at(cx, cy)
        );
        let (cx, cy) = dev(575.0, 330.0);
        assert!(
            close(shot.at(cx, cy), BLUE.fill, 2),
            "{:?} at b's centre",
            shot.at(cx, cy)
        );
        let (x, y) = dev(40.0, 500.0);
        assert_eq!(shot.at(x, y), WHITE);
        // The border is dark just inside a's left edge, and white just outside it.
        let (lx, ly) = dev(100.0, 150.0);
        let inside = shot.at(lx + 0.5, ly);
        assert!(inside[0] < 160, "border pixel {inside:?}");
        assert_eq!(shot.at(lx - 2.0, ly), WHITE);
        // Edge pixels follow React Flow's bezier between a's right and b's left handle.
        let s = (300.0, 150.0);
        let t = (500.0, 330.0);
        for u in [0.25, 0.5, 0.75] {
            let (px, py) = rf_bezier(s, t, u);
            let (x, y) = dev(px, py);
            let p = shot.at(x, y);
            assert!(
                p[0] < 245 && p[2] < 250,
                "no edge at t={u}: {p:?} (zoom {})",
                vp.zoom
            );
        }
        // A point well off the curve stays background.
        let (x, y) = dev(400.0, 140.0);
        assert_eq!(shot.at(x, y), WHITE);
    }
}

#[test]
fn low_mode_skips_what_react_mounts() {
    let mut r = renderer(DrawMode::Low);
    let mut opt = two_nodes();
    // Zoom 1: both nodes are mounted by React, so the GPU draws nothing.
    let shot = shoot(
        &mut r,
        &mut opt,
        Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 1.0,
        },
        (800, 600),
        1.0,
    );
    assert_eq!(shot.at(200.0, 150.0), WHITE);
    assert_eq!(r.stats().nodes, 0);
    assert_eq!(r.stats().edges, 0);
    // Zoom 0.1: both are low detail, the GPU draws them.
    let shot = shoot(
        &mut r,
        &mut opt,
        Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 0.1,
        },
        (800, 600),
        1.0,
    );
    assert_eq!(r.stats().nodes, 2);
    assert!(
        close(shot.at(20.0, 15.0), RED.fill, 40),
        "{:?}",
        shot.at(20.0, 15.0)
    );
}

#[test]
fn a_drag_rewrites_two_texels_and_moves_the_pixels() {
    let mut r = renderer(DrawMode::All);
    let mut opt = two_nodes();
    let vp = Viewport {
        x: 0.0,
        y: 0.0,
        zoom: 1.0,
    };
    shoot(&mut r, &mut opt, vp, (800, 600), 1.0);
    opt.apply_node_changes(vec![NodeChange::Position {
        id: "a".into(),
        position: Some((100.0, 400.0)),
        dragging: Some(true),
    }])
    .unwrap();
    let shot = shoot(&mut r, &mut opt, vp, (800, 600), 1.0);
    assert_eq!(r.stats().texels_uploaded, 2);
    assert!(close(shot.at(200.0, 450.0), RED.fill, 2));
    assert_eq!(shot.at(200.0, 150.0), WHITE);
}

#[test]
fn ten_thousand_nodes_take_at_most_four_draw_calls() {
    let mut r = renderer(DrawMode::Low);
    let mut opt = WorkflowOptimizer::new(unclustered()).unwrap();
    let nodes: Vec<NodeInput> = (0..10_000)
        .map(|i| {
            node(
                &format!("n{i}"),
                (i % 100) as f64 * 200.0,
                (i / 100) as f64 * 120.0,
                150.0,
                60.0,
                "red",
            )
        })
        .collect();
    let edges = (1..10_000)
        .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i - 1), format!("n{i}")))
        .collect();
    opt.set_workflow(nodes, edges).unwrap();
    shoot(
        &mut r,
        &mut opt,
        Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 0.04,
        },
        (1024, 768),
        1.0,
    );
    let s = r.stats();
    assert!(s.draw_calls <= 4, "{s:?}");
    assert_eq!(s.nodes, 10_000);
    assert!(s.edges + s.edges_subpixel > 9_000, "{s:?}");
}

#[test]
fn render_before_a_frame_is_an_error() {
    let mut r = renderer(DrawMode::Low);
    let mut opt = two_nodes();
    let (device, _, _) = gpu();
    let target = Offscreen::new(device, 64, 64).unwrap();
    let e = r
        .draw(&mut opt, &target.view(), (64, 64), 1.0, &|| 0.0)
        .unwrap_err();
    assert_eq!(e.code, flowscale::ErrorCode::InvalidViewport);
    assert!(Offscreen::new(device, 0, 10).is_err());
}

/// A canvas on WebGPU draws BGRA8: a renderer built for that format draws into a BGRA8
/// target, and the pixels read back are the RGBA8 renderer's, channel for channel.
#[test]
fn a_bgra_target_reads_back_as_rgba() {
    let (device, queue, _) = gpu();
    let vp = Viewport {
        x: 0.0,
        y: 0.0,
        zoom: 1.0,
    };
    let screen = Screen {
        width: 200.0,
        height: 120.0,
    };
    let draw = |format: wgpu::TextureFormat| {
        let mut palette = Palette {
            background: WHITE,
            ..Palette::default()
        };
        palette.by_type.insert("red".into(), RED);
        palette.by_type.insert("blue".into(), BLUE);
        let mut r = Renderer::new(
            device.clone(),
            queue.clone(),
            format,
            RenderOptions {
                palette,
                draw: DrawMode::All,
            },
        );
        let mut opt = two_nodes();
        opt.frame(vp, screen).unwrap();
        let target = Offscreen::with_format(device, 200, 120, format).unwrap();
        r.draw(&mut opt, &target.view(), (200, 120), 1.0, &|| 0.0)
            .unwrap();
        target.read(device, queue).unwrap()
    };
    let (rgba, bgra) = (draw(FORMAT), draw(wgpu::TextureFormat::Bgra8Unorm));
    assert_eq!(rgba.len(), bgra.len());
    assert!(
        rgba.chunks(4).any(|p| p[0] > 200 && p[2] < 100),
        "red is drawn"
    );
    assert_eq!(rgba, bgra);
    assert!(Offscreen::with_format(device, 8, 8, wgpu::TextureFormat::Rgba16Float).is_err());
}

/// `DUMP=path cargo test --test render dump -- --ignored` writes a PPM to look at.
#[test]
#[ignore]
fn dump() {
    let mut r = renderer(DrawMode::All);
    let mut opt = two_nodes();
    let shot = shoot(
        &mut r,
        &mut opt,
        Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 1.0,
        },
        (800, 600),
        1.0,
    );
    let mut ppm = b"P6\n800 600\n255\n".to_vec();
    for p in shot.px.chunks(4) {
        ppm.extend_from_slice(&p[..3]);
    }
    std::fs::write(
        std::env::var("DUMP").unwrap_or("/tmp/flowscale.ppm".into()),
        ppm,
    )
    .unwrap();
}

#[test]
fn zoomed_out_clusters_replace_their_members() {
    let mut r = renderer(DrawMode::Low);
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    let nodes: Vec<NodeInput> = (0..20_000)
        .map(|i| {
            node(
                &format!("n{i}"),
                (i % 200) as f64 * 200.0,
                (i / 200) as f64 * 120.0,
                150.0,
                60.0,
                "red",
            )
        })
        .collect();
    opt.set_workflow(nodes, vec![]).unwrap();
    let shot = shoot(
        &mut r,
        &mut opt,
        Viewport {
            x: 10.0,
            y: 10.0,
            zoom: 0.02,
        },
        (1024, 768),
        1.0,
    );
    let s = r.stats();
    let f = opt.last_frame();
    assert!(f.clusters.active);
    assert!(s.clusters > 0 && s.draw_calls <= 4, "{s:?}");
    // Every in-view node is drawn either as itself or inside a glyph, never
    // both: the frame lists only the nodes outside glyphs, and the glyphs
    // stand for the rest of what is in view.
    assert_eq!(s.nodes as usize, f.in_view.len());
    let in_glyphs = f.stats.in_view as usize - f.in_view.len();
    assert!(in_glyphs as u64 <= f.clusters.members);
    assert!(s.nodes < f.stats.in_view / 2, "{s:?}");
    // The glyphs cover the workflow: its middle is not background.
    let (cx, cy) = (10.0 + 20_000.0 * 0.02, 10.0 + 6_000.0 * 0.02);
    assert_ne!(shot.at(cx, cy), WHITE);
    if let Ok(path) = std::env::var("DUMP") {
        let mut ppm = b"P6\n1024 768\n255\n".to_vec();
        for p in shot.px.chunks(4) {
            ppm.extend_from_slice(&p[..3]);
        }
        std::fs::write(path, ppm).unwrap();
    }
}

#[test]
fn zoomed_out_glyphs_show_their_types_and_bundles_join_them() {
    // Two dense groups far apart, one of "red" nodes, one mostly "blue", wired by 30 edges.
    let mut r = renderer(DrawMode::Low);
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    let mut nodes = Vec::new();
    for i in 0..100 {
        let (x, y) = ((i % 10) as f64 * 150.0, (i / 10) as f64 * 60.0);
        nodes.push(node(&format!("a{i}"), x, y, 120.0, 40.0, "red"));
        let ty = if i < 80 { "blue" } else { "red" };
        nodes.push(node(&format!("b{i}"), 40_000.0 + x, y, 120.0, 40.0, ty));
    }
    let edges = (0..30)
        .map(|i| EdgeInput::new(format!("e{i}"), format!("a{i}"), format!("b{i}")))
        .collect();
    opt.set_workflow(nodes, edges).unwrap();
    let vp = Viewport {
        x: 20.0,
        y: 200.0,
        zoom: 0.02,
    };
    let shot = shoot(&mut r, &mut opt, vp, (1024, 400), 1.0);
    let f = opt.last_frame();
    let c = &f.clusters;
    assert_eq!(c.ids.len(), 2, "one glyph per group: {c:?}");
    assert_eq!(r.stats().bundles, 1, "{:?}", r.stats());
    assert_eq!(c.bundle_weight, vec![30], "one bundle of the 30 edges");
    let screen = |wx: f64, wy: f64| (wx * vp.zoom + vp.x, wy * vp.zoom + vp.y);
    // Each glyph's left band is its most common type's colour.
    for k in 0..2 {
        let rect = &c.rect[4 * k..4 * k + 4];
        let want = if c.type_counts[3 * k] == 100 {
            RED.glyph
        } else {
            BLUE.glyph
        };
        let (x, y) = screen(rect[0] + rect[2] * 0.05, rect[1] + rect[3] * 0.5);
        let px = shot.at(x + 3.0, y);
        assert!(
            close(px, want.unwrap(), 8),
            "glyph {k}'s first band at ({x}, {y}): {px:?}"
        );
    }
    // The bundle between the glyphs: the midpoint of its segment is drawn, in the edge colour.
    let s = &c.bundle_segment;
    let (mx, my) = screen((s[0] + s[2]) / 2.0, (s[1] + s[3]) / 2.0);
    let mid = shot.at(mx, my);
    assert!(mid != WHITE, "bundle pixel at ({mx}, {my}): {mid:?}");
    assert!(
        close(mid, [0xb1, 0xb1, 0xb7, 255], 80),
        "edge colour, got {mid:?}"
    );
    // Above the bundle: background.
    assert_eq!(shot.at(mx, my - 20.0), WHITE);
}

#[test]
fn an_unchanged_frame_is_not_drawn_again_and_an_empty_one_shows_nothing() {
    let mut r = renderer(DrawMode::Low);
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    opt.set_workflow(vec![node("a", 0.0, 0.0, 100.0, 40.0, "red")], vec![])
        .unwrap();
    let vp = Viewport {
        x: 0.0,
        y: 0.0,
        zoom: 1.0,
    };
    let screen = Screen {
        width: 300.0,
        height: 200.0,
    };
    // React mounts the only node: nothing for the GPU.
    opt.frame(vp, screen).unwrap();
    assert!(r.prepare(&mut opt, (300, 200), 1.0).unwrap(), "first frame");
    assert!(r.is_empty());
    opt.frame(vp, screen).unwrap();
    assert!(
        !r.prepare(&mut opt, (300, 200), 1.0).unwrap(),
        "an empty frame again"
    );
    assert_eq!(r.stats().frames_skipped, 1);
    // Zoomed out the GPU draws the node; the same view again is skipped, a pan is not.
    let far = Viewport { zoom: 0.1, ..vp };
    opt.frame(far, screen).unwrap();
    assert!(r.prepare(&mut opt, (300, 200), 1.0).unwrap());
    assert!(!r.is_empty());
    opt.frame(far, screen).unwrap();
    assert!(!r.prepare(&mut opt, (300, 200), 1.0).unwrap());
    opt.frame(Viewport { x: 5.0, ..far }, screen).unwrap();
    assert!(r.prepare(&mut opt, (300, 200), 1.0).unwrap());
    // A resize clears the target: drawn again.
    r.force_redraw();
    opt.frame(Viewport { x: 5.0, ..far }, screen).unwrap();
    assert!(r.prepare(&mut opt, (300, 200), 1.0).unwrap());
}
