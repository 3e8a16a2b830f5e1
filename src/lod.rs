//! Level of detail.
//!
//! A node's on-screen scale is `zoom × size / median`, where size is
//! `sqrt(width × height)` and median is the median size of the workflow's
//! shown nodes. So at zoom 1 a typical node has scale 1, a node twice as big
//! scale 2. Below `lodThresholdLow` the node is LOW (drawn by the GPU only,
//! not mounted); below `lodThresholdMedium` it is MEDIUM (mounted, label
//! only); otherwise HIGH (mounted with full controls). A node already mounted
//! keeps its level until its scale falls `lodHysteresis` (10 %) below the low
//! threshold, so zooming back and forth across it does not remount it.

use crate::config::RenderingConfig;

pub const HIGH: u8 = 0;
pub const MEDIUM: u8 = 1;
pub const LOW: u8 = 2;

#[derive(Clone, Copy, Debug)]
pub struct LodPolicy {
    low: f64,
    medium: f64,
    hysteresis: f64,
}

impl LodPolicy {
    pub fn new(cfg: &RenderingConfig) -> Self {
        LodPolicy {
            low: cfg.lod_threshold_low,
            medium: cfg.lod_threshold_medium,
            hysteresis: cfg.lod_hysteresis,
        }
    }

    /// Level for a node of `size` at `zoom`, given the workflow's `median` size.
    #[inline]
    pub fn level(&self, zoom: f64, size: f64, median: f64, mounted: bool) -> u8 {
        let scale = zoom * size / median;
        let low = if mounted {
            self.low * (1.0 - self.hysteresis)
        } else {
            self.low
        };
        if scale < low {
            LOW
        } else if scale < self.medium {
            MEDIUM
        } else {
            HIGH
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_hysteresis() {
        let p = LodPolicy::new(&RenderingConfig::default());
        assert_eq!(p.level(1.0, 100.0, 100.0, false), HIGH);
        assert_eq!(p.level(0.7, 100.0, 100.0, false), HIGH);
        assert_eq!(p.level(0.69, 100.0, 100.0, false), MEDIUM);
        assert_eq!(p.level(0.3, 100.0, 100.0, false), MEDIUM);
        assert_eq!(p.level(0.29, 100.0, 100.0, false), LOW);
        // A mounted node stays until 10 % below the threshold.
        assert_eq!(p.level(0.28, 100.0, 100.0, true), MEDIUM);
        assert_eq!(p.level(0.26, 100.0, 100.0, true), LOW);
        // Twice the median size: same level at half the zoom.
        assert_eq!(p.level(0.35, 200.0, 100.0, false), HIGH);
        assert_eq!(p.level(5.0, 0.0, 100.0, false), LOW);
    }
}
