//! A static packed Hilbert R-tree (flatbush's layout), built in resumable steps.
//!
//! Items are sorted by the Hilbert value of their box centre and packed 16 to
//! a node, bottom-up: leaves first, then each upper level, the root last, all
//! in two flat arrays indexed by node position:
//!
//! - `boxes[k]`: the node's box as `f32` `[x1, y1, x2, y2]`, rounded outward
//!   (min corner down, max corner up), so it always contains the exact `f64`
//!   box and a query never misses an item;
//! - `index[k]`: for a leaf, the item's `u32` payload; for an inner node, the
//!   position of its first child (its children are the next up-to-16 positions
//!   of the level below).
//!
//! That is 20 bytes per item plus 1/15 of that for the inner nodes: a
//! million boxes fit in about 21 MB, where a bulk-loaded `rstar` tree of
//! `f64` boxes takes about 60 bytes per entry.
//!
//! The build is a sequence of small steps (`PackedBuilder::step` with a
//! budget of item operations) so a browser can spread a million-item build
//! over many short tasks instead of freezing for a second. Every phase is a
//! loop over a cursor: Hilbert values, a 4-pass LSD radix sort of the 32-bit
//! keys (each pass a scatter with its own cursor), leaf packing, then the
//! upper levels one parent at a time. The radix sort is stable, so the tree
//! only depends on the items and their push order, never on how the work
//! was cut into steps.

/// Children per node. 16 keeps the tree shallow (at most 9 levels for 2^31
/// items) and lets a query scan a node's boxes linearly.
pub const NODE_SIZE: usize = 16;

/// Most items a tree holds: positions must fit the `u32` child indices.
pub const MAX_ITEMS: usize = 1 << 31;

/// Query stack: a node pushes at most 16 child groups and a tree of at most
/// `MAX_ITEMS` items has at most 9 levels, so 16 per level is plenty.
const STACK: usize = NODE_SIZE * 10;

/// An inverted box: meets no query (stands in for a missing item).
const EMPTY: [f32; 4] = [
    f32::INFINITY,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NEG_INFINITY,
];

/// The next `f32` above `f` (`f` itself for +∞ and NaN).
fn next_up(f: f32) -> f32 {
    if f.is_nan() || f == f32::INFINITY {
        return f;
    }
    if f == 0.0 {
        return f32::from_bits(1);
    }
    let b = f.to_bits();
    f32::from_bits(if f > 0.0 { b + 1 } else { b - 1 })
}

fn next_down(f: f32) -> f32 {
    -next_up(-f)
}

/// The largest `f32` ≤ `v`.
pub fn f32_down(v: f64) -> f32 {
    let f = v as f32;
    if f as f64 > v {
        next_down(f)
    } else {
        f
    }
}

/// The smallest `f32` ≥ `v`.
pub fn f32_up(v: f64) -> f32 {
    let f = v as f32;
    if (f as f64) < v {
        next_up(f)
    } else {
        f
    }
}

/// Position of (x, y) on a Hilbert curve over a 2^16 × 2^16 grid
/// (branch-free, as in flatbush).
fn hilbert(x: u32, y: u32) -> u32 {
    let mut a = x ^ y;
    let mut b = 0xFFFF ^ a;
    let mut c = 0xFFFF ^ (x | y);
    let mut d = x & (y ^ 0xFFFF);

    let mut aa = a | (b >> 1);
    let mut bb = (a >> 1) ^ a;
    let mut cc = ((c >> 1) ^ (b & (d >> 1))) ^ c;
    let mut dd = ((a & (c >> 1)) ^ (d >> 1)) ^ d;

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 2)) ^ (b & (b >> 2));
    bb = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
    cc ^= (a & (c >> 2)) ^ (b & (d >> 2));
    dd ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 4)) ^ (b & (b >> 4));
    bb = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
    cc ^= (a & (c >> 4)) ^ (b & (d >> 4));
    dd ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    cc ^= (a & (c >> 8)) ^ (b & (d >> 8));
    dd ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

    a = cc ^ (cc >> 1);
    b = dd ^ (dd >> 1);

    let mut i0 = x ^ y;
    let mut i1 = b | (0xFFFF ^ (i0 | a));

    i0 = (i0 | (i0 << 8)) & 0x00FF_00FF;
    i0 = (i0 | (i0 << 4)) & 0x0F0F_0F0F;
    i0 = (i0 | (i0 << 2)) & 0x3333_3333;
    i0 = (i0 | (i0 << 1)) & 0x5555_5555;

    i1 = (i1 | (i1 << 8)) & 0x00FF_00FF;
    i1 = (i1 | (i1 << 4)) & 0x0F0F_0F0F;
    i1 = (i1 | (i1 << 2)) & 0x3333_3333;
    i1 = (i1 | (i1 << 1)) & 0x5555_5555;

    (i1 << 1) | i0
}

/// A box centre coordinate on the 0..=65535 Hilbert grid; NaN and overflow
/// clamp (they only cost packing quality, never correctness).
fn grid(centre: f64, lo: f64, extent: f64) -> u32 {
    let v = 65535.0 * (centre - lo) / extent;
    (v.max(0.0) as u32).min(0xFFFF)
}

/// The static tree. Empty trees have no nodes at all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PackedTree {
    boxes: Vec<[f32; 4]>,
    index: Vec<u32>,
    /// End position of each level, leaves first; the last is the node count.
    level_bounds: Vec<u32>,
    len: usize,
}

impl PackedTree {
    /// The boxes and entries of the tree node starting at `group` (up to
    /// NODE_SIZE, cut at the end of its level); None past the end.
    fn group(&self, group: usize) -> Option<(&[[f32; 4]], &[u32])> {
        let level_end = self
            .level_bounds
            .iter()
            .map(|&b| b as usize)
            .find(|&b| b > group)
            .unwrap_or(0);
        let end = (group + NODE_SIZE).min(level_end);
        Some((self.boxes.get(group..end)?, self.index.get(group..end)?))
    }

    /// Build in one go from `(payload, [x1, y1, x2, y2])` items.
    pub fn build(items: impl IntoIterator<Item = (u32, [f64; 4])>) -> PackedTree {
        let mut b = PackedBuilder::default();
        for (slot, [x1, y1, x2, y2]) in items {
            b.push(slot, x1, y1, x2, y2);
        }
        while !b.step(usize::MAX) {}
        b.finish()
    }

    /// Number of items (leaves).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.boxes.capacity() * std::mem::size_of::<[f32; 4]>()
            + self.index.capacity() * std::mem::size_of::<u32>()
            + self.level_bounds.capacity() * std::mem::size_of::<u32>()
    }

    /// Call `f` with the payload of every item whose stored box meets the
    /// closed box (x1, y1)–(x2, y2). No allocation.
    ///
    /// The query is rounded *inward* to `f32` (min up, max down): against an
    /// `f32` box edge `b`, `q < b` holds exactly when `down(q) < b` (and
    /// `q > b` when `up(q) > b`), so the `f32` test is the exact `f64` one.
    pub fn visit(&self, x1: f64, y1: f64, x2: f64, y2: f64, mut f: impl FnMut(u32)) {
        let Some(&total) = self.level_bounds.last() else {
            return;
        };
        let (qx1, qy1, qx2, qy2) = (f32_up(x1), f32_up(y1), f32_down(x2), f32_down(y2));
        let leaves = self.len;
        let mut stack = [0u32; STACK];
        let mut sp = 0usize;
        // The root is alone in the last level.
        let mut group = total.saturating_sub(1) as usize;
        while let Some((boxes, index)) = self.group(group) {
            for (b, &idx) in boxes.iter().zip(index) {
                if qx2 < b[0] || qy2 < b[1] || qx1 > b[2] || qy1 > b[3] {
                    continue;
                }
                if group < leaves {
                    f(idx);
                } else if let Some(s) = stack.get_mut(sp) {
                    *s = idx;
                    sp += 1;
                }
            }
            if sp == 0 {
                break;
            }
            sp -= 1;
            let Some(&g) = stack.get(sp) else {
                break;
            };
            group = g as usize;
        }
    }

    /// The least `key(payload)` over the items (`None` from `key`: skip the
    /// item), or `None` when every item is skipped. `bound(box)` must be at
    /// most the key of every item under a stored box (so a stored box that
    /// cannot beat the best key so far is not opened). Children are opened
    /// most promising first, so when the extreme item is not skipped this
    /// costs about one root-to-leaf path. No allocation.
    pub fn least(
        &self,
        bound: impl Fn(&[f32; 4]) -> f64,
        mut key: impl FnMut(u32) -> Option<f64>,
    ) -> Option<f64> {
        let &total = self.level_bounds.last()?;
        let leaves = self.len;
        // Keys are finite (model coordinates), so +inf stands for "none yet".
        let mut best = f64::INFINITY;
        let mut found = false;
        // (bound of the group's parent box, position of the group)
        let mut stack = [(0f64, 0u32); STACK];
        stack[0] = (f64::NEG_INFINITY, total.saturating_sub(1));
        let mut sp = 1usize;
        while sp > 0 {
            sp -= 1;
            let Some(&(b, group)) = stack.get(sp) else {
                break;
            };
            if found && b >= best {
                continue;
            }
            let group = group as usize;
            let Some((boxes, index)) = self.group(group) else {
                continue;
            };
            if group < leaves {
                for (bx, &idx) in boxes.iter().zip(index) {
                    if bound(bx) < best || !found {
                        if let Some(k) = key(idx) {
                            if k < best || !found {
                                best = k;
                                found = true;
                            }
                        }
                    }
                }
                continue;
            }
            let mut kids = [(0f64, 0u32); NODE_SIZE];
            let mut n = 0;
            for (bx, &idx) in boxes.iter().zip(index) {
                let b = bound(bx);
                if b < best || !found {
                    if let Some(k) = kids.get_mut(n) {
                        *k = (b, idx);
                        n += 1;
                    }
                }
            }
            // Pushed worst first, so the lowest bound is opened next.
            let kids = kids.get_mut(..n).unwrap_or(&mut []);
            kids.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            for &k in kids.iter() {
                if let Some(s) = stack.get_mut(sp) {
                    *s = k;
                    sp += 1;
                }
            }
        }
        found.then_some(best)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Taking pushes; the first `step` starts the work.
    #[default]
    Collect,
    Hilbert,
    /// Radix pass 0..4 (byte `pass` of the key, least significant first).
    Scatter(u8),
    Leaves,
    /// Building parents for the level ending at `level_bounds[level]`.
    Levels(usize),
    Done,
}

/// A `PackedTree` under construction: `push` the items, then `step` until it
/// returns true, then `finish`.
#[derive(Debug, Default)]
pub struct PackedBuilder {
    /// Pushed items' boxes (already `f32`, outward) and payloads.
    items: Vec<[f32; 4]>,
    slots: Vec<u32>,
    /// Bounds of all item boxes.
    min_x: f32,
    min_y: f32,
    max_x: f32,
    max_y: f32,
    phase: Phase,
    cursor: usize,
    /// Sort keys: Hilbert value in the high half, item number in the low.
    keys: Vec<u64>,
    scratch: Vec<u64>,
    /// Per-byte histograms of the Hilbert values, counted with them.
    hist: Vec<[u32; 256]>,
    /// Next write position per bucket in the current radix pass.
    offsets: Vec<u32>,
    out_boxes: Vec<[f32; 4]>,
    out_index: Vec<u32>,
    level_bounds: Vec<u32>,
}

impl PackedBuilder {
    pub fn new() -> PackedBuilder {
        PackedBuilder::default()
    }

    pub fn with_capacity(n: usize) -> PackedBuilder {
        PackedBuilder {
            items: Vec::with_capacity(n),
            slots: Vec::with_capacity(n),
            ..Default::default()
        }
    }

    /// Items pushed so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Add an item. A push after stepping began restarts the remaining work
    /// (the result is still that of all items in push order). Items past
    /// `MAX_ITEMS` are dropped: no workflow can be that large.
    pub fn push(&mut self, slot: u32, x1: f64, y1: f64, x2: f64, y2: f64) {
        if self.items.len() >= MAX_ITEMS {
            return;
        }
        if self.phase != Phase::Collect {
            self.restart();
        }
        let b = [f32_down(x1), f32_down(y1), f32_up(x2), f32_up(y2)];
        if self.items.is_empty() {
            (self.min_x, self.min_y, self.max_x, self.max_y) = (b[0], b[1], b[2], b[3]);
        } else {
            self.min_x = self.min_x.min(b[0]);
            self.min_y = self.min_y.min(b[1]);
            self.max_x = self.max_x.max(b[2]);
            self.max_y = self.max_y.max(b[3]);
        }
        self.items.push(b);
        self.slots.push(slot);
    }

    fn restart(&mut self) {
        self.phase = Phase::Collect;
        self.cursor = 0;
        self.keys = Vec::new();
        self.scratch = Vec::new();
        self.hist = Vec::new();
        self.offsets = Vec::new();
        self.out_boxes = Vec::new();
        self.out_index = Vec::new();
        self.level_bounds = Vec::new();
    }

    /// Do about `budget` item operations of the remaining work (at least
    /// one); true once the tree is complete. A whole build is about 6 × n.
    pub fn step(&mut self, budget: usize) -> bool {
        self.run(&mut budget.max(1))
    }

    /// `step` that hands back what is left of the budget, for callers that
    /// chain several builds in one step.
    pub(crate) fn run(&mut self, left: &mut usize) -> bool {
        loop {
            match self.phase {
                Phase::Collect => self.start(),
                Phase::Hilbert => self.hilbert_values(left),
                Phase::Scatter(pass) => self.scatter(pass, left),
                Phase::Leaves => self.leaves(left),
                Phase::Levels(level) => self.parents(level, left),
                Phase::Done => return true,
            }
            if *left == 0 && self.phase != Phase::Done {
                return false;
            }
        }
    }

    /// The finished tree (completing any remaining work first).
    pub fn finish(mut self) -> PackedTree {
        while !self.step(usize::MAX) {}
        PackedTree {
            len: self.level_bounds.first().map_or(0, |&b| b as usize),
            boxes: self.out_boxes,
            index: self.out_index,
            level_bounds: self.level_bounds,
        }
    }

    fn start(&mut self) {
        let n = self.items.len();
        // Reserved, not filled: zeroing 8 bytes × n at once would be one
        // long step; the Hilbert steps fill both a chunk at a time.
        self.keys = Vec::with_capacity(n);
        self.scratch = Vec::with_capacity(n);
        self.hist = vec![[0u32; 256]; 4];
        self.cursor = 0;
        self.phase = Phase::Hilbert;
    }

    fn hilbert_values(&mut self, left: &mut usize) {
        let n = self.items.len();
        let end = n.min(self.cursor.saturating_add(*left));
        let (lo_x, lo_y) = (self.min_x as f64, self.min_y as f64);
        // A zero extent (all centres on a line) must not divide by zero.
        let w = self.max_x as f64 - lo_x;
        let h = self.max_y as f64 - lo_y;
        let w = if w > 0.0 { w } else { 1.0 };
        let h = if h > 0.0 { h } else { 1.0 };
        let start = self.cursor;
        let items = self.items.get(start..end).unwrap_or(&[]);
        // Keys first, histograms after: the key loop has no dependency
        // between items, so it vectorises.
        self.keys.extend(items.iter().enumerate().map(|(j, b)| {
            let cx = (b[0] as f64 + b[2] as f64) / 2.0;
            let cy = (b[1] as f64 + b[3] as f64) / 2.0;
            let v = hilbert(grid(cx, lo_x, w), grid(cy, lo_y, h));
            ((v as u64) << 32) | (start + j) as u64
        }));
        if let [h0, h1, h2, h3] = &mut self.hist[..] {
            for &k in self.keys.get(start..).unwrap_or(&[]) {
                // A byte indexes a 256-array: no bounds check to pay.
                h0[((k >> 32) & 0xFF) as usize] += 1;
                h1[((k >> 40) & 0xFF) as usize] += 1;
                h2[((k >> 48) & 0xFF) as usize] += 1;
                h3[(k >> 56) as usize] += 1;
            }
        }
        self.scratch.resize(end, 0);
        *left -= end - self.cursor;
        self.cursor = end;
        if end == n {
            self.enter_scatter(0);
        }
    }

    /// Start radix pass `pass`, or skip it when every key has the same byte
    /// there (the scatter would leave the order as it is).
    fn enter_scatter(&mut self, pass: u8) {
        self.cursor = 0;
        if pass >= 4 {
            self.enter_leaves();
            return;
        }
        let n = self.keys.len();
        let Some(hist) = self.hist.get(pass as usize) else {
            self.enter_leaves();
            return;
        };
        if hist.iter().any(|&c| c as usize == n) {
            self.enter_scatter(pass + 1);
            return;
        }
        let mut offsets = Vec::with_capacity(256);
        let mut sum = 0u32;
        for &c in hist {
            offsets.push(sum);
            sum += c;
        }
        self.offsets = offsets;
        self.phase = Phase::Scatter(pass);
    }

    fn scatter(&mut self, pass: u8, left: &mut usize) {
        let n = self.keys.len();
        let end = n.min(self.cursor.saturating_add(*left));
        let shift = 32 + 8 * pass as u32;
        for &k in self.keys.get(self.cursor..end).unwrap_or(&[]) {
            let bucket = ((k >> shift) & 0xFF) as usize;
            if let Some(o) = self.offsets.get_mut(bucket) {
                if let Some(dst) = self.scratch.get_mut(*o as usize) {
                    *dst = k;
                }
                *o += 1;
            }
        }
        *left -= end - self.cursor;
        self.cursor = end;
        if end == n {
            std::mem::swap(&mut self.keys, &mut self.scratch);
            self.enter_scatter(pass + 1);
        }
    }

    fn enter_leaves(&mut self) {
        self.scratch = Vec::new();
        self.hist = Vec::new();
        self.offsets = Vec::new();
        let n = self.items.len();
        let mut bounds = Vec::new();
        if n > 0 {
            let mut count = n;
            let mut total = n;
            bounds.push(total as u32);
            // flatbush's levels: keep grouping by 16 until one node is left.
            loop {
                count = count.div_ceil(NODE_SIZE);
                total += count;
                bounds.push(total as u32);
                if count == 1 {
                    break;
                }
            }
        }
        let total = bounds.last().map_or(0, |&t| t as usize);
        self.out_boxes = Vec::with_capacity(total);
        self.out_index = Vec::with_capacity(total);
        self.level_bounds = bounds;
        self.cursor = 0;
        self.phase = Phase::Leaves;
    }

    fn leaves(&mut self, left: &mut usize) {
        let n = self.keys.len();
        let end = n.min(self.cursor.saturating_add(*left));
        for &k in self.keys.get(self.cursor..end).unwrap_or(&[]) {
            let i = (k & 0xFFFF_FFFF) as usize;
            self.out_boxes
                .push(self.items.get(i).copied().unwrap_or(EMPTY));
            self.out_index
                .push(self.slots.get(i).copied().unwrap_or(u32::MAX));
        }
        *left -= end - self.cursor;
        self.cursor = end;
        if end == n {
            // Items stay until `finish`: a late push restarts from them.
            self.keys = Vec::new();
            self.cursor = 0;
            self.phase = if self.level_bounds.len() > 1 {
                Phase::Levels(0)
            } else {
                Phase::Done
            };
        }
    }

    /// One parent per 16 children of the level ending at
    /// `level_bounds[level]`; `cursor` is the next child position.
    fn parents(&mut self, level: usize, left: &mut usize) {
        let Some(&end) = self.level_bounds.get(level) else {
            self.phase = Phase::Done;
            return;
        };
        let end = end as usize;
        while self.cursor < end && *left > 0 {
            let first = self.cursor;
            let stop = (first + NODE_SIZE).min(end);
            let mut b = EMPTY;
            for c in self.out_boxes.get(first..stop).unwrap_or(&[]) {
                b[0] = b[0].min(c[0]);
                b[1] = b[1].min(c[1]);
                b[2] = b[2].max(c[2]);
                b[3] = b[3].max(c[3]);
            }
            self.out_boxes.push(b);
            self.out_index.push(first as u32);
            self.cursor = stop;
            *left = left.saturating_sub(stop - first);
        }
        if self.cursor >= end {
            self.phase = if level + 2 < self.level_bounds.len() {
                Phase::Levels(level + 1)
            } else {
                Phase::Done
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// splitmix64: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.unit()
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// `n` random boxes, each drawn knowing the ones before (for copies).
    fn random_boxes(rng: &mut Rng, n: usize) -> Vec<[f64; 4]> {
        let mut made = Vec::with_capacity(n);
        for _ in 0..n {
            let b = random_box(rng, &made);
            made.push(b);
        }
        made
    }

    /// A box of a random kind: ordinary, degenerate, huge, tiny or a copy.
    fn random_box(rng: &mut Rng, made: &[[f64; 4]]) -> [f64; 4] {
        let (x, y, w, h) = match rng.below(8) {
            0 => (
                rng.range(-1e4, 1e4),
                rng.range(-1e4, 1e4),
                0.0,
                rng.range(0.0, 300.0),
            ),
            1 => (
                rng.range(-1e4, 1e4),
                rng.range(-1e4, 1e4),
                rng.range(0.0, 300.0),
                0.0,
            ),
            2 => (rng.range(-1e4, 1e4), rng.range(-1e4, 1e4), 0.0, 0.0),
            3 => (
                rng.range(-1e12, 1e12),
                rng.range(-1e12, 1e12),
                rng.range(0.0, 1e9),
                rng.range(0.0, 1e9),
            ),
            4 => (
                rng.range(-1e4, 1e4),
                rng.range(-1e4, 1e4),
                rng.range(0.0, 1e-6),
                rng.range(0.0, 1e-6),
            ),
            5 if !made.is_empty() => {
                let b = made[rng.below(made.len() as u64) as usize];
                return b;
            }
            _ => (
                rng.range(-1e4, 1e4),
                rng.range(-1e4, 1e4),
                rng.range(0.0, 300.0),
                rng.range(0.0, 300.0),
            ),
        };
        [x, y, x + w, y + h]
    }

    /// A quarter of the `f32` step above `f`, or minus that below it.
    fn nudge(f: f32, up: bool) -> f64 {
        if up {
            f as f64 + (next_up(f) as f64 - f as f64) / 4.0
        } else {
            f as f64 - (f as f64 - next_down(f) as f64) / 4.0
        }
    }

    fn random_query(rng: &mut Rng, made: &[[f64; 4]]) -> [f64; 4] {
        if !made.is_empty() && rng.below(3) == 0 {
            // Against a stored box's edge, within one f32 step either way:
            // an outward-rounded query would wrongly meet it.
            let b = made[rng.below(made.len() as u64) as usize];
            let s = [f32_down(b[0]), f32_down(b[1]), f32_up(b[2]), f32_up(b[3])];
            let mut q = [
                s[0] as f64 - 10.0,
                s[1] as f64 - 10.0,
                s[2] as f64 + 10.0,
                s[3] as f64 + 10.0,
            ];
            let out = rng.below(2) == 0;
            match rng.below(4) {
                0 => q[2] = nudge(s[0], !out),
                1 => q[3] = nudge(s[1], !out),
                2 => q[0] = nudge(s[2], out),
                _ => q[1] = nudge(s[3], out),
            }
            return q;
        }
        match rng.below(5) {
            // Exactly an item's box, or its corner: edges touching exactly.
            0 if !made.is_empty() => made[rng.below(made.len() as u64) as usize],
            1 if !made.is_empty() => {
                let b = made[rng.below(made.len() as u64) as usize];
                [
                    b[2],
                    b[3],
                    b[2] + rng.range(0.0, 50.0),
                    b[3] + rng.range(0.0, 50.0),
                ]
            }
            2 => {
                let (x, y) = (rng.range(-1.2e12, 1.2e12), rng.range(-1.2e12, 1.2e12));
                [x, y, x + rng.range(0.0, 5e11), y + rng.range(0.0, 5e11)]
            }
            3 => {
                let (x, y) = (rng.range(-1e4, 1e4), rng.range(-1e4, 1e4));
                [x, y, x, y]
            }
            _ => {
                let (x, y) = (rng.range(-1.2e4, 1.2e4), rng.range(-1.2e4, 1.2e4));
                [x, y, x + rng.range(0.0, 3000.0), y + rng.range(0.0, 3000.0)]
            }
        }
    }

    fn meets(a: [f64; 4], q: [f64; 4]) -> bool {
        a[0] <= q[2] && a[1] <= q[3] && a[2] >= q[0] && a[3] >= q[1]
    }

    fn stored(b: [f64; 4]) -> [f64; 4] {
        [
            f32_down(b[0]) as f64,
            f32_down(b[1]) as f64,
            f32_up(b[2]) as f64,
            f32_up(b[3]) as f64,
        ]
    }

    fn visited(t: &PackedTree, q: [f64; 4]) -> Vec<u32> {
        let mut out = Vec::new();
        t.visit(q[0], q[1], q[2], q[3], |s| out.push(s));
        out
    }

    fn check_against_brute_force(n: usize, queries: usize, seed: u64) {
        let mut rng = Rng(seed);
        let made = random_boxes(&mut rng, n);
        let t = PackedTree::build(made.iter().enumerate().map(|(i, b)| (i as u32, *b)));
        assert_eq!(t.len(), n);
        for _ in 0..queries {
            let q = random_query(&mut rng, &made);
            let got = visited(&t, q);
            let set: BTreeSet<u32> = got.iter().copied().collect();
            assert_eq!(set.len(), got.len(), "an item reported twice");
            let want: BTreeSet<u32> = (0..n as u32)
                .filter(|&i| meets(stored(made[i as usize]), q))
                .collect();
            assert_eq!(set, want, "query {q:?}");
            for (i, b) in made.iter().enumerate() {
                if meets(*b, q) {
                    assert!(set.contains(&(i as u32)), "exact hit {i} missed by {q:?}");
                }
            }
        }
    }

    #[test]
    fn rounding_is_outward_and_tight() {
        let mut rng = Rng(1);
        let specials = [
            0.0,
            -0.0,
            1e-50,
            -1e-50,
            1e39,
            -1e39,
            1e12 + 0.5,
            16777217.0,
            -16777217.0,
        ];
        let randoms: Vec<f64> = (0..10_000)
            .map(|_| rng.range(-1e13, 1e13) * if rng.below(2) == 0 { 1e-9 } else { 1.0 })
            .collect();
        for &v in specials.iter().chain(&randoms) {
            let (lo, hi) = (f32_down(v), f32_up(v));
            assert!((lo as f64) <= v && (hi as f64) >= v, "{v}");
            assert!((next_up(lo) as f64) > v, "{v}: {lo} not the largest below");
            assert!(
                (next_down(hi) as f64) < v,
                "{v}: {hi} not the smallest above"
            );
        }
    }

    #[test]
    fn matches_brute_force_on_mixed_boxes() {
        for (n, seed) in [(2, 3), (15, 4), (16, 5), (17, 6), (300, 7), (4000, 8)] {
            check_against_brute_force(n, 300, seed);
        }
    }

    #[test]
    fn matches_brute_force_at_100k() {
        check_against_brute_force(100_000, 100, 9);
    }

    #[test]
    fn least_matches_brute_force_and_reads_few_items() {
        for (n, seed) in [(1, 21), (16, 22), (17, 23), (300, 24), (20_000, 25)] {
            let mut rng = Rng(seed);
            let made = random_boxes(&mut rng, n);
            let t = PackedTree::build(made.iter().enumerate().map(|(i, b)| (i as u32, *b)));
            // Skipped items (stale ones in the index), none, some or all.
            for skip_every in [0u32, 2, 7, 1] {
                let skip = |i: u32| skip_every != 0 && i % skip_every == 0;
                let keep = |i: u32| !skip(i);
                for corner in 0..4 {
                    let key = |i: u32| {
                        let b = made[i as usize];
                        if corner < 2 {
                            b[corner]
                        } else {
                            -b[corner]
                        }
                    };
                    let bound = |b: &[f32; 4]| {
                        if corner < 2 {
                            b[corner] as f64
                        } else {
                            -(b[corner] as f64)
                        }
                    };
                    let mut reads = 0;
                    let got = t.least(bound, |i| {
                        reads += 1;
                        keep(i).then(|| key(i))
                    });
                    let want = (0..n as u32)
                        .filter(|&i| keep(i))
                        .map(key)
                        .min_by(f64::total_cmp);
                    assert_eq!(got, want, "{n} items, corner {corner}, skip {skip_every}");
                    if n == 20_000 && skip_every == 0 {
                        assert!(reads < 200, "{reads} items read for one extreme");
                    }
                }
            }
        }
        assert_eq!(
            PackedTree::default().least(|b| b[0] as f64, |_| Some(0.0)),
            None
        );
    }

    #[test]
    fn empty_and_single_item_trees() {
        let t = PackedTree::build(std::iter::empty());
        assert!(t.is_empty());
        assert!(visited(&t, [-1e300, -1e300, 1e300, 1e300]).is_empty());

        let t = PackedTree::build([(7, [1.0, 2.0, 1.0, 2.0])]);
        assert_eq!(t.len(), 1);
        assert_eq!(visited(&t, [1.0, 2.0, 1.0, 2.0]), vec![7]);
        assert_eq!(visited(&t, [0.0, 0.0, 5.0, 5.0]), vec![7]);
        assert!(visited(&t, [1.5, 0.0, 5.0, 5.0]).is_empty());
    }

    #[test]
    fn about_twenty_bytes_per_item() {
        let t = PackedTree::build((0..10_000u32).map(|i| {
            let (x, y) = ((i % 100) as f64 * 200.0, (i / 100) as f64 * 200.0);
            (i, [x, y, x + 100.0, y + 100.0])
        }));
        let per = t.heap_bytes() as f64 / t.len() as f64;
        assert!(per < 20.0 * 16.0 / 15.0 + 0.1, "{per} B per item");
    }

    fn stepped(items: &[(u32, [f64; 4])], budget: usize) -> PackedTree {
        let mut b = PackedBuilder::new();
        // Pushes spread over several calls, as a chunked caller would.
        for chunk in items.chunks(333) {
            for &(s, [x1, y1, x2, y2]) in chunk {
                b.push(s, x1, y1, x2, y2);
            }
        }
        let mut steps = 0usize;
        while !b.step(budget) {
            steps += 1;
        }
        if budget == 1 {
            // Budget 1 really cuts the work fine: about one step per operation.
            assert!(steps >= items.len() * 2, "{steps} steps");
        }
        b.finish()
    }

    #[test]
    fn resumable_build_equals_one_shot() {
        let mut rng = Rng(11);
        let mut made = Vec::new();
        for _ in 0..5000 {
            let b = random_box(&mut rng, &made);
            made.push(b);
        }
        let items: Vec<(u32, [f64; 4])> = made
            .iter()
            .enumerate()
            .map(|(i, b)| ((i as u32).wrapping_mul(2654435761), *b))
            .collect();
        let one = PackedTree::build(items.iter().copied());
        for budget in [1, 7, 1000] {
            assert_eq!(stepped(&items, budget), one, "budget {budget}");
        }
        for n in [0, 1, 16, 17] {
            let one = PackedTree::build(items[..n].iter().copied());
            assert_eq!(stepped(&items[..n], 1), one, "{n} items");
        }
    }

    #[test]
    fn a_push_after_stepping_restarts() {
        let items: Vec<(u32, [f64; 4])> = (0..1000u32)
            .map(|i| (i, [i as f64, 0.0, i as f64 + 1.0, 1.0]))
            .collect();
        let mut b = PackedBuilder::new();
        for &(s, [x1, y1, x2, y2]) in &items[..600] {
            b.push(s, x1, y1, x2, y2);
        }
        for _ in 0..50 {
            b.step(37);
        }
        for &(s, [x1, y1, x2, y2]) in &items[600..] {
            b.push(s, x1, y1, x2, y2);
        }
        assert_eq!(b.len(), 1000);
        assert_eq!(b.finish(), PackedTree::build(items));
    }
}
