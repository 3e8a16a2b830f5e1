// Bundles: the edges between zoom-level clusters (or a cluster and a node
// drawn alone), one straight instanced quad per pair of ends, from centre to
// centre, wider the more edges it stands for.

struct BundleOut {
    @builtin(position) clip: vec4<f32>,
    // signed device px across the line
    @location(0) across: f32,
    @location(1) @interpolate(flat) half_width: f32,
};

@vertex
fn vs_bundle(@builtin(vertex_index) vi: u32, @location(0) seg: vec4<f32>, @location(1) weight: u32) -> BundleOut {
    let a = to_device(seg.xy);
    let b = to_device(seg.zw);
    var dir = b - a;
    if dot(dir, dir) < 1e-12 {
        dir = vec2<f32>(1.0, 0.0);
    }
    let normal = normalize(vec2<f32>(-dir.y, dir.x));
    // 1 px for one edge, about 1.5 px more per doubling, at most 8 px.
    let width = clamp(1.0 + 1.5 * log2(f32(max(weight, 1u))), 1.0, 8.0) * view.dpr;
    let half_width = width * 0.5 + 0.5;
    let side = select(-1.0, 1.0, (vi & 1u) == 1u);
    let p = select(a, b, vi >= 2u);
    var out: BundleOut;
    out.clip = to_clip(p + normal * side * half_width);
    out.across = side * half_width;
    out.half_width = width * 0.5;
    return out;
}

@fragment
fn fs_bundle(in: BundleOut) -> @location(0) vec4<f32> {
    let coverage = clamp(in.half_width + 0.5 - abs(in.across), 0.0, 1.0);
    let c = view.edge_color;
    let a = c.a * 0.75;
    return vec4<f32>(c.rgb * a, a) * coverage;
}
