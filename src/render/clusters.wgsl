// Cluster glyphs (zoom-level clustering): one instanced rounded rectangle per
// cluster over its members' bounds, tinted by its most common node type, with
// the member count written in the middle in a 3×5 pixel font.

struct ClusterOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) local: vec2<f32>,
    @location(1) @interpolate(flat) half_size: vec2<f32>,
    @location(2) @interpolate(flat) fill: vec4<f32>,
    @location(3) @interpolate(flat) border: vec4<f32>,
    @location(4) @interpolate(flat) count: u32,
};

// Digits 0–9, five rows of three bits, top row in the low bits, left column first.
const FONT = array<u32, 10>(
    31599u, 29850u, 29671u, 31207u, 18925u, 31183u, 31695u, 18727u, 31727u, 31215u
);

@vertex
fn vs_cluster(
    @builtin(vertex_index) vi: u32,
    @location(0) rect: vec4<f32>,
    @location(1) colors: vec2<u32>,
    @location(2) count: u32,
) -> ClusterOut {
    let p0 = to_device(rect.xy);
    let size = max(rect.zw * view.scale, vec2<f32>(2.0));
    let corner = vec2<f32>(f32(vi & 1u), f32(vi >> 1u));
    let d = p0 - vec2<f32>(1.0) + corner * (size + vec2<f32>(2.0));
    var out: ClusterOut;
    out.clip = to_clip(d);
    out.local = d - (p0 + size * 0.5);
    out.half_size = size * 0.5;
    out.fill = unpack_color(colors.x);
    out.border = unpack_color(colors.y);
    out.count = count;
    return out;
}

fn digits(n: u32) -> u32 {
    var k = 1u;
    var v = n;
    loop {
        if v < 10u { break; }
        v = v / 10u;
        k = k + 1u;
    }
    return k;
}

fn pow10(k: u32) -> u32 {
    var p = 1u;
    for (var i = 0u; i < k; i = i + 1u) {
        p = p * 10u;
    }
    return p;
}

@fragment
fn fs_cluster(in: ClusterOut) -> @location(0) vec4<f32> {
    let radius = min(6.0 * view.dpr, min(in.half_size.x, in.half_size.y));
    let dist = rounded_rect_dist(in.local, in.half_size, radius);
    let coverage = clamp(0.5 - dist, 0.0, 1.0);
    let inside_border = clamp(0.5 - (dist + view.dpr), 0.0, 1.0);
    var c = mix(in.border, in.fill, inside_border);
    // The count, when the glyph is big enough to read it.
    let n = digits(in.count);
    let cell = floor(min(2.0 * view.dpr, in.half_size.y * 0.4 / 2.5));
    let text = vec2<f32>(f32(n * 4u - 1u), 5.0) * cell;
    if cell >= 1.0 && text.x < in.half_size.x * 1.8 {
        let p = floor((in.local + text * 0.5) / cell);
        if p.x >= 0.0 && p.y >= 0.0 && p.y < 5.0 && p.x < f32(n * 4u - 1u) {
            let i = u32(p.x) / 4u;
            let col = u32(p.x) % 4u;
            if col < 3u {
                let digit = (in.count / pow10(n - 1u - i)) % 10u;
                if ((FONT[digit] >> (u32(p.y) * 3u + col)) & 1u) == 1u {
                    c = vec4<f32>(in.border.rgb, 1.0);
                }
            }
        }
    }
    return vec4<f32>(c.rgb * c.a, c.a) * coverage;
}
