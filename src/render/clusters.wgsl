// Cluster glyphs (zoom-level clustering): one instanced rounded rectangle per
// cluster, over its members' bounds cut to its grid cell (so glyphs never
// overlap), split left to right into bands of its three most common node
// types in proportion to their counts (the rest in a neutral grey), with the
// member count written in the middle in a 3×5 pixel font on a light plate.

struct ClusterOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) local: vec2<f32>,
    @location(1) @interpolate(flat) half_size: vec2<f32>,
    @location(2) @interpolate(flat) fill0: vec4<f32>,
    @location(3) @interpolate(flat) fill1: vec4<f32>,
    @location(4) @interpolate(flat) fill2: vec4<f32>,
    @location(5) @interpolate(flat) shares: vec3<f32>,
    @location(6) @interpolate(flat) border: vec4<f32>,
    @location(7) @interpolate(flat) count: u32,
};

// Digits 0–9, five rows of three bits, top row in the low bits, left column first.
const FONT = array<u32, 10>(
    31599u, 29850u, 29671u, 31207u, 18925u, 31183u, 31695u, 18727u, 31727u, 31215u
);

const OTHER = vec4<f32>(0.82, 0.82, 0.84, 1.0);

@vertex
fn vs_cluster(
    @builtin(vertex_index) vi: u32,
    @location(0) rect: vec4<f32>,
    @location(1) fills: vec3<u32>,
    @location(2) shares: u32,
    @location(3) border: u32,
    @location(4) count: u32,
) -> ClusterOut {
    // A gap of one device pixel on every side keeps neighbouring glyphs apart.
    let gap = view.dpr;
    let p0 = to_device(rect.xy) + vec2<f32>(gap);
    let size = max(rect.zw * view.scale - vec2<f32>(2.0 * gap), vec2<f32>(2.0));
    let corner = vec2<f32>(f32(vi & 1u), f32(vi >> 1u));
    let d = p0 - vec2<f32>(1.0) + corner * (size + vec2<f32>(2.0));
    var out: ClusterOut;
    out.clip = to_clip(d);
    out.local = d - (p0 + size * 0.5);
    out.half_size = size * 0.5;
    out.fill0 = unpack_color(fills.x);
    out.fill1 = unpack_color(fills.y);
    out.fill2 = unpack_color(fills.z);
    out.shares = vec3<f32>(f32(shares & 255u), f32((shares >> 8u) & 255u), f32((shares >> 16u) & 255u)) / 255.0;
    out.border = unpack_color(border);
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
    let radius = min(4.0 * view.dpr, min(in.half_size.x, in.half_size.y));
    let dist = rounded_rect_dist(in.local, in.half_size, radius);
    let coverage = clamp(0.5 - dist, 0.0, 1.0);
    let inside_border = clamp(0.5 - (dist + view.dpr), 0.0, 1.0);
    // Which band: the position across the glyph, 0 at the left edge.
    let u = (in.local.x + in.half_size.x) / max(2.0 * in.half_size.x, 1e-6);
    var fill = OTHER;
    if u < in.shares.x {
        fill = in.fill0;
    } else if u < in.shares.x + in.shares.y {
        fill = in.fill1;
    } else if u < in.shares.x + in.shares.y + in.shares.z {
        fill = in.fill2;
    }
    var c = mix(in.border, fill, inside_border);
    // The count, on a light plate, when the glyph is big enough to read it.
    let n = digits(in.count);
    let cell = floor(min(2.0 * view.dpr, in.half_size.y * 0.4 / 2.5));
    let text = vec2<f32>(f32(n * 4u - 1u), 5.0) * cell;
    if cell >= 1.0 && text.x + 2.0 * cell < in.half_size.x * 1.8 {
        let p = floor((in.local + text * 0.5) / cell);
        if p.x >= -1.0 && p.y >= -1.0 && p.y < 6.0 && p.x < f32(n * 4u) {
            c = vec4<f32>(mix(c.rgb, vec3<f32>(1.0), 0.85), 1.0);
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
    }
    return vec4<f32>(c.rgb * c.a, c.a) * coverage;
}
