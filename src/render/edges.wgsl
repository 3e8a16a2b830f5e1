// Edges: one instanced triangle strip per edge, following React Flow's paths
// between the handles' sides: bezier (curvature 0.25, its getBezierPath),
// straight, and step/smoothstep as three orthogonal legs.

const SEGMENTS: u32 = 24u;

struct EdgeOut {
    @builtin(position) clip: vec4<f32>,
    // signed device px across the line
    @location(0) across: f32,
    @location(1) @interpolate(flat) half_width: f32,
    @location(2) @interpolate(flat) color: vec4<f32>,
};

// The handle point on `side` (0 top, 1 right, 2 bottom, 3 left) of a rectangle.
fn handle_point(r: NodeRect, side: u32) -> vec2<f32> {
    switch side {
        case 0u: { return r.pos + vec2<f32>(r.size.x * 0.5, 0.0); }
        case 1u: { return r.pos + vec2<f32>(r.size.x, r.size.y * 0.5); }
        case 2u: { return r.pos + vec2<f32>(r.size.x * 0.5, r.size.y); }
        default: { return r.pos + vec2<f32>(0.0, r.size.y * 0.5); }
    }
}

// React Flow's calculateControlOffset.
fn control_offset(distance: f32) -> f32 {
    if distance >= 0.0 {
        return 0.5 * distance;
    }
    return 0.25 * 25.0 * sqrt(-distance);
}

// React Flow's getControlWithCurvature: the control point leaving `p` towards `q` from `side`.
fn control(side: u32, p: vec2<f32>, q: vec2<f32>) -> vec2<f32> {
    switch side {
        case 0u: { return vec2<f32>(p.x, p.y - control_offset(p.y - q.y)); }
        case 1u: { return vec2<f32>(p.x + control_offset(q.x - p.x), p.y); }
        case 2u: { return vec2<f32>(p.x, p.y + control_offset(q.y - p.y)); }
        default: { return vec2<f32>(p.x - control_offset(p.x - q.x), p.y); }
    }
}

fn horizontal(side: u32) -> bool {
    return side == 1u || side == 3u;
}

// Point at t ∈ [0, 1] on the edge's path, in world units (relative to origin).
fn path_point(kind: u32, s: vec2<f32>, ss: u32, t_: vec2<f32>, ts: u32, t: f32) -> vec2<f32> {
    if kind == 1u {
        return mix(s, t_, t);
    }
    if kind >= 2u {
        // Three legs meeting halfway between the handles.
        var a: vec2<f32>;
        var b: vec2<f32>;
        if horizontal(ss) {
            let mx = (s.x + t_.x) * 0.5;
            a = vec2<f32>(mx, s.y);
            b = vec2<f32>(mx, t_.y);
        } else {
            let my = (s.y + t_.y) * 0.5;
            a = vec2<f32>(s.x, my);
            b = vec2<f32>(t_.x, my);
        }
        let u = t * 3.0;
        if u < 1.0 {
            return mix(s, a, u);
        }
        if u < 2.0 {
            return mix(a, b, u - 1.0);
        }
        return mix(b, t_, u - 2.0);
    }
    let c1 = control(ss, s, t_);
    let c2 = control(ts, t_, s);
    let m = 1.0 - t;
    return m * m * m * s + 3.0 * m * m * t * c1 + 3.0 * m * t * t * c2 + t * t * t * t_;
}

@vertex
fn vs_edge(@builtin(vertex_index) vi: u32, @location(0) ends: vec2<u32>, @location(1) style: u32) -> EdgeOut {
    let kind = style & 3u;
    let src = node_rect(ends.x);
    let dst = node_rect(ends.y);
    let src_side = (texel(ends.x * 2u + 1u).z >> 8u) & 3u;
    let dst_side = (texel(ends.y * 2u + 1u).z >> 10u) & 3u;
    let s = handle_point(src, src_side);
    let t_ = handle_point(dst, dst_side);
    let i = vi / 2u;
    let t = f32(i) / f32(SEGMENTS);
    let p = to_device(path_point(kind, s, src_side, t_, dst_side, t));
    // Direction from neighbouring samples (robust at the step legs' corners).
    let dt = 1.0 / f32(SEGMENTS);
    let a = to_device(path_point(kind, s, src_side, t_, dst_side, max(t - dt, 0.0)));
    let b = to_device(path_point(kind, s, src_side, t_, dst_side, min(t + dt, 1.0)));
    var dir = b - a;
    if dot(dir, dir) < 1e-12 {
        dir = vec2<f32>(1.0, 0.0);
    }
    let normal = normalize(vec2<f32>(-dir.y, dir.x));
    // React Flow strokes 1 px in flow space; keep at least one device pixel and fade instead.
    let width = max(view.scale, 1.0);
    let half_width = width * 0.5 + 0.5;
    let side = select(-1.0, 1.0, (vi & 1u) == 1u);
    var out: EdgeOut;
    out.clip = to_clip(p + normal * side * half_width);
    out.across = side * half_width;
    out.half_width = width * 0.5;
    let selected = (style >> 2u) & 1u;
    var color = select(view.edge_color, view.edge_selected, selected == 1u);
    color.a = color.a * min(view.scale, 1.0);
    out.color = color;
    return out;
}

@fragment
fn fs_edge(in: EdgeOut) -> @location(0) vec4<f32> {
    let coverage = clamp(in.half_width + 0.5 - abs(in.across), 0.0, 1.0);
    return vec4<f32>(in.color.rgb * in.color.a, in.color.a) * coverage;
}
