// Nodes: one instanced quad per slot, a rounded rectangle with a border drawn
// from its signed distance (anti-aliased, exact at any zoom).

struct NodeOut {
    @builtin(position) clip: vec4<f32>,
    // device px from the rectangle's centre
    @location(0) local: vec2<f32>,
    @location(1) @interpolate(flat) half_size: vec2<f32>,
    @location(2) @interpolate(flat) fill: vec4<f32>,
    @location(3) @interpolate(flat) border: vec4<f32>,
    @location(4) @interpolate(flat) border_width: f32,
};

@vertex
fn vs_node(@builtin(vertex_index) vi: u32, @location(0) slot: u32) -> NodeOut {
    let r = node_rect(slot);
    let style = texel(slot * 2u + 1u);
    let p0 = to_device(r.pos);
    let size = r.size * view.scale;
    // One device pixel of margin for the anti-aliased edge.
    let corner = vec2<f32>(f32(vi & 1u), f32(vi >> 1u));
    let d = p0 - vec2<f32>(1.0) + corner * (size + vec2<f32>(2.0));
    var out: NodeOut;
    out.clip = to_clip(d);
    out.local = d - (p0 + size * 0.5);
    out.half_size = size * 0.5;
    out.fill = unpack_color(style.x);
    out.border = unpack_color(style.y);
    // React Flow's 1 px border lives in flow space, so it scales with the zoom; selected doubles it.
    let selected = f32(style.z & 1u);
    out.border_width = (1.0 + selected) * view.scale;
    return out;
}

@fragment
fn fs_node(in: NodeOut) -> @location(0) vec4<f32> {
    // React Flow's 3 px corner radius, in device px at this zoom.
    let radius = min(3.0 * view.scale, min(in.half_size.x, in.half_size.y));
    let dist = rounded_rect_dist(in.local, in.half_size, radius);
    let coverage = clamp(0.5 - dist, 0.0, 1.0);
    let inside_border = clamp(0.5 - (dist + in.border_width), 0.0, 1.0);
    let c = mix(in.border, in.fill, inside_border);
    // Premultiplied alpha.
    return vec4<f32>(c.rgb * c.a, c.a) * coverage;
}
