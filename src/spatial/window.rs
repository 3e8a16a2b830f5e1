//! The mounted window (virtual scrolling): which nodes React renders, and
//! which entered or left it since the last frame. Membership is a mark per
//! slot, so every operation costs O(window), never O(nodes).

const MEMBER: u8 = 1;
/// Scratch bits used within one frame; always cleared before the frame returns.
pub const SEEN: u8 = 2;
const CHOSEN: u8 = 4;
/// Scratch bit: drawn alone in this frame (outside any glyph).
pub const ALONE: u8 = 8;
/// Scratch bit: entered the window in the last frame.
pub const ENTERED: u8 = 16;

#[derive(Default)]
pub struct Window {
    /// Members in a stable order: survivors keep their place, newcomers append.
    members: Vec<u32>,
    mark: Vec<u8>,
    /// Ids of members whose node left the model (removed, or a new workflow).
    gone: Vec<String>,
}

impl Window {
    pub fn members(&self) -> &[u32] {
        &self.members
    }

    pub fn is_member(&self, slot: u32) -> bool {
        self.mark
            .get(slot as usize)
            .is_some_and(|m| m & MEMBER != 0)
    }

    pub fn has(&self, slot: u32, bit: u8) -> bool {
        self.mark.get(slot as usize).is_some_and(|m| m & bit != 0)
    }

    pub fn set(&mut self, slot: u32, bit: u8, on: bool) {
        if let Some(m) = self.mark.get_mut(slot as usize) {
            if on {
                *m |= bit
            } else {
                *m &= !bit
            }
        }
    }

    /// Make room for `slots` slots (new slots start outside the window).
    pub fn ensure_slots(&mut self, slots: usize) {
        if self.mark.len() < slots {
            self.mark.resize(slots, 0);
        }
    }

    /// A member's node was removed from the model: it leaves, by id, on the next frame.
    pub fn forget(&mut self, slot: u32, id: String) {
        if self.is_member(slot) {
            self.set(slot, MEMBER, false);
            self.members.retain(|&m| m != slot);
            self.gone.push(id);
        }
    }

    /// A new workflow replaces the model: every member leaves, by id.
    pub fn reset(&mut self, ids: impl IntoIterator<Item = String>, slots: usize) {
        self.gone.extend(ids);
        self.members.clear();
        self.mark.clear();
        self.mark.resize(slots, 0);
    }

    /// Ids that left with their nodes since the last frame (drained by the frame).
    pub fn take_gone(&mut self, out: &mut Vec<String>) {
        out.clear();
        out.append(&mut self.gone);
    }

    /// Make `chosen` (distinct slots) the window, writing the slots that
    /// entered and left it.
    pub fn commit(&mut self, chosen: &[u32], entered: &mut Vec<u32>, left: &mut Vec<u32>) {
        entered.clear();
        left.clear();
        for &c in chosen {
            self.set(c, CHOSEN, true);
        }
        let old = std::mem::take(&mut self.members);
        for &m in &old {
            if self.has(m, CHOSEN) {
                self.members.push(m);
            } else {
                self.set(m, MEMBER, false);
                left.push(m);
            }
        }
        for &c in chosen {
            if !self.is_member(c) {
                self.set(c, MEMBER, true);
                self.members.push(c);
                entered.push(c);
            }
            self.set(c, CHOSEN, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_reports_differences_and_keeps_order() {
        let mut w = Window::default();
        w.ensure_slots(10);
        let (mut en, mut le) = (vec![], vec![]);
        w.commit(&[3, 1, 2], &mut en, &mut le);
        assert_eq!(w.members(), &[3, 1, 2]);
        assert_eq!(en, vec![3, 1, 2]);
        assert!(le.is_empty());
        w.commit(&[5, 2, 3], &mut en, &mut le);
        assert_eq!(w.members(), &[3, 2, 5]);
        assert_eq!(en, vec![5]);
        assert_eq!(le, vec![1]);
        assert!(w.is_member(5) && !w.is_member(1));
        w.forget(2, "two".into());
        let mut gone = vec![];
        w.take_gone(&mut gone);
        assert_eq!(gone, vec!["two".to_string()]);
        assert_eq!(w.members(), &[3, 5]);
    }
}
