//! Douglas–Peucker simplification of polylines (routed edges): keep the
//! points that stand more than `tolerance` off the line between the points
//! kept around them. Iterative (no recursion depth to blow on long routes).

/// Simplify `points` (x0, y0, x1, y1, …) with the given tolerance (world
/// units). The first and last points are always kept; a trailing odd
/// number is ignored. A tolerance ≤ 0 or not finite keeps every point.
pub fn simplify_polyline(points: &[f64], tolerance: f64) -> Vec<f64> {
    let n = points.len() / 2;
    if n <= 2 || !(tolerance.is_finite() && tolerance > 0.0) {
        return points[..n * 2].to_vec();
    }
    let p = |i: usize| (points[2 * i], points[2 * i + 1]);
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let tol2 = tolerance * tolerance;
    let mut stack = vec![(0usize, n - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (ax, ay) = p(a);
        let (bx, by) = p(b);
        let (mut worst, mut at) = (-1.0f64, a);
        for i in a + 1..b {
            let d = segment_distance2(p(i), (ax, ay), (bx, by));
            if d > worst {
                worst = d;
                at = i;
            }
        }
        if worst > tol2 {
            keep[at] = true;
            stack.push((a, at));
            stack.push((at, b));
        }
    }
    let mut out = Vec::with_capacity(points.len());
    for (i, k) in keep.iter().enumerate() {
        if *k {
            out.push(points[2 * i]);
            out.push(points[2 * i + 1]);
        }
    }
    out
}

/// Squared distance from `q` to the segment a–b.
fn segment_distance2(q: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((q.0 - a.0) * dx + (q.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (px, py) = (a.0 + t * dx - q.0, a.1 + t * dy - q.1);
    px * px + py * py
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collinear_points_go_and_corners_stay() {
        let pts = [0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 3.0, 5.0];
        assert_eq!(
            simplify_polyline(&pts, 0.5),
            vec![0.0, 0.0, 3.0, 0.0, 3.0, 5.0]
        );
    }

    #[test]
    fn every_dropped_point_is_within_tolerance_of_the_result() {
        let mut s = 12345u64;
        for _ in 0..200 {
            let n = 2 + (s % 30) as usize;
            let mut pts = Vec::new();
            for _ in 0..n {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                pts.push((s >> 40) as f64 / 1e4);
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                pts.push((s >> 40) as f64 / 1e4);
            }
            let tol = 50.0;
            let out = simplify_polyline(&pts, tol);
            assert_eq!(&out[..2], &pts[..2]);
            assert_eq!(&out[out.len() - 2..], &pts[pts.len() - 2..]);
            // Each input point lies within tol of some kept segment.
            for i in 0..n {
                let q = (pts[2 * i], pts[2 * i + 1]);
                let near = out.chunks(2).zip(out.chunks(2).skip(1)).any(|(a, b)| {
                    segment_distance2(q, (a[0], a[1]), (b[0], b[1])) <= tol * tol + 1e-9
                }) || out.len() == 2 && n == 1;
                assert!(near, "point {i} dropped too far");
            }
        }
    }

    #[test]
    fn degenerate_inputs() {
        assert!(simplify_polyline(&[], 1.0).is_empty());
        assert_eq!(simplify_polyline(&[1.0, 2.0, 3.0], 1.0), vec![1.0, 2.0]);
        assert_eq!(
            simplify_polyline(&[0.0, 0.0, 1.0, 1.0, 2.0, 0.0], f64::NAN).len(),
            6
        );
    }
}
