//! Small statistics over samples: percentiles, least-squares trends and the
//! time covered by a set of intervals. Pure functions, tested natively.

/// The `p`-th percentile (0–100) of `sorted` (ascending), by linear
/// interpolation between the closest ranks (numpy's default, R type 7).
/// `None` for an empty slice.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = p / 100.0 * (n - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (a, b) = (sorted[lo.min(n - 1)], sorted[hi.min(n - 1)]);
    Some(a + (b - a) * (rank - lo as f64))
}

/// `values` sorted ascending (NaNs dropped), for several percentile reads.
pub fn sorted(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v
}

pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// A least-squares line `y = slope × x + intercept` and how well it fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub slope: f64,
    pub intercept: f64,
    /// Coefficient of determination (1: every point on the line; 0 when y is constant).
    pub r2: f64,
    pub n: usize,
}

/// Fit a line through `(x, y)` points. `None` with fewer than two points or
/// when every x is the same.
pub fn fit(points: impl IntoIterator<Item = (f64, f64)>) -> Option<Fit> {
    let pts: Vec<(f64, f64)> = points.into_iter().collect();
    let n = pts.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in &pts {
        let (dx, dy) = (x - mx, y - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if sxx <= 0.0 || !sxx.is_finite() {
        return None;
    }
    let slope = sxy / sxx;
    let r2 = if syy > 0.0 {
        (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(Fit {
        slope,
        intercept: my - slope * mx,
        r2,
        n,
    })
}

/// Length of `[from, to]` covered by the union of `intervals` (start, end).
/// Overlapping intervals count once (a long task inside a long animation
/// frame is the same busy time).
pub fn covered(intervals: &[(f64, f64)], from: f64, to: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = intervals
        .iter()
        .map(|&(s, e)| (s.max(from), e.min(to)))
        .filter(|(s, e)| e > s)
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut cur: Option<(f64, f64)> = None;
    for (s, e) in v {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        total += ce - cs;
    }
    total
}

/// INP's estimate of a high percentile of interaction latency, as web-vitals
/// computes it: the worst interaction, skipping one for every 50 (so with
/// fewer than 50 interactions it is the worst one; with 200 the fifth worst).
pub fn inp_p98(latencies: &[f64]) -> Option<f64> {
    if latencies.is_empty() {
        return None;
    }
    let mut v = latencies.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    let skip = (v.len() / 50).min(v.len() - 1);
    Some(v[skip])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let v = sorted([5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(percentile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(percentile_sorted(&v, 50.0), Some(3.0));
        assert_eq!(percentile_sorted(&v, 100.0), Some(5.0));
        assert_eq!(percentile_sorted(&v, 25.0), Some(2.0));
        // rank 0.95 × 4 = 3.8: 4 + 0.8 × (5 − 4)
        assert!((percentile_sorted(&v, 95.0).unwrap() - 4.8).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[], 50.0), None);
        assert_eq!(percentile_sorted(&[7.0], 99.0), Some(7.0));
        // 50 frames of 16.7 ms and one of 100 ms: p50 stays, p99 sees it.
        let mut frames = vec![16.7; 50];
        frames.push(100.0);
        let s = sorted(frames);
        assert!((percentile_sorted(&s, 50.0).unwrap() - 16.7).abs() < 1e-9);
        assert!(percentile_sorted(&s, 99.0).unwrap() > 16.7);
        assert_eq!(percentile_sorted(&s, 100.0), Some(100.0));
        assert_eq!(sorted([f64::NAN, 2.0, 1.0]), vec![1.0, 2.0]);
    }

    #[test]
    fn fits_lines() {
        let f = fit((0..10).map(|i| (i as f64, 3.0 * i as f64 + 2.0))).unwrap();
        assert!((f.slope - 3.0).abs() < 1e-12 && (f.intercept - 2.0).abs() < 1e-12);
        assert!((f.r2 - 1.0).abs() < 1e-12);
        let flat = fit((0..10).map(|i| (i as f64, 5.0))).unwrap();
        assert_eq!(flat.slope, 0.0);
        assert!(fit([(1.0, 1.0)]).is_none());
        assert!(fit([(1.0, 1.0), (1.0, 2.0)]).is_none());
    }

    #[test]
    fn covered_merges_overlaps_and_clips() {
        let iv = [(0.0, 10.0), (5.0, 15.0), (20.0, 30.0), (-5.0, 1.0)];
        assert_eq!(covered(&iv, 0.0, 100.0), 25.0);
        assert_eq!(covered(&iv, 8.0, 25.0), 12.0);
        assert_eq!(covered(&[], 0.0, 1.0), 0.0);
        assert_eq!(covered(&[(3.0, 3.0)], 0.0, 10.0), 0.0);
    }

    #[test]
    fn inp_skips_one_per_fifty() {
        assert_eq!(inp_p98(&[]), None);
        assert_eq!(inp_p98(&[10.0, 300.0, 20.0]), Some(300.0));
        let mut v: Vec<f64> = (1..=120).map(|i| i as f64).collect();
        v.reverse();
        // 120 interactions: skip 2, the third worst.
        assert_eq!(inp_p98(&v), Some(118.0));
    }
}
