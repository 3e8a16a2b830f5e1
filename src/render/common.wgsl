// Shared by nodes.wgsl and edges.wgsl (prepended at load time).
//
// Node data lives in a texture, two texels per node slot, so a frame only
// uploads the list of slots to draw and a drag rewrites two texels:
//   texel 2i:     x, y, width, height (f32 bits, world units relative to `origin`)
//   texel 2i + 1: fill RGBA8, border RGBA8, flags (1: selected; handle sides
//                 in bits 8..12 as source | target << 2), unused

struct View {
    // device px = (world - origin) * scale + offset
    scale: f32,
    // device pixels per CSS pixel
    dpr: f32,
    offset: vec2<f32>,
    // render target size in device pixels
    target_size: vec2<f32>,
    // edge colours
    edge_color: vec4<f32>,
    edge_selected: vec4<f32>,
};

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var node_data: texture_2d<u32>;

fn texel(i: u32) -> vec4<u32> {
    let w = textureDimensions(node_data).x;
    return textureLoad(node_data, vec2<i32>(i32(i % w), i32(i / w)), 0);
}

struct NodeRect {
    pos: vec2<f32>,
    size: vec2<f32>,
};

fn node_rect(slot: u32) -> NodeRect {
    let a = texel(slot * 2u);
    return NodeRect(vec2<f32>(bitcast<f32>(a.x), bitcast<f32>(a.y)), vec2<f32>(bitcast<f32>(a.z), bitcast<f32>(a.w)));
}

fn to_device(p: vec2<f32>) -> vec2<f32> {
    return p * view.scale + view.offset;
}

fn to_clip(d: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(d.x / view.target_size.x * 2.0 - 1.0, 1.0 - d.y / view.target_size.y * 2.0, 0.0, 1.0);
}

fn unpack_color(c: u32) -> vec4<f32> {
    return vec4<f32>(f32(c & 255u), f32((c >> 8u) & 255u), f32((c >> 16u) & 255u), f32(c >> 24u)) / 255.0;
}

// Signed distance (device px) from `local` to a rectangle of `half_size`
// with corners rounded by `radius`: negative inside.
fn rounded_rect_dist(local: vec2<f32>, half_size: vec2<f32>, radius: f32) -> f32 {
    let q = abs(local) - half_size + vec2<f32>(radius);
    return length(max(q, vec2<f32>(0.0))) + min(max(q.x, q.y), 0.0) - radius;
}
