//! A recency list over slot numbers: a doubly linked list kept in two arrays.
//!
//! Why not the `lru` crate: the memory tier's hit path arrives with a slot
//! number (the JS side finds it in a `Map`, see `web/cache.js`), so the list
//! must move a slot to the front without hashing its key again. Keyed LRU
//! crates (`lru`, `hashlink`) expose no such handle; `benches/cache.rs`
//! measures the difference (touch by slot vs `LruCache::get` by key).

pub(crate) const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct LruList {
    prev: Vec<u32>,
    next: Vec<u32>,
    /// Most recently used.
    head: u32,
    /// Least recently used.
    tail: u32,
    len: usize,
}

impl Default for LruList {
    fn default() -> Self {
        LruList {
            prev: Vec::new(),
            next: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

impl LruList {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn ensure(&mut self, slot: u32) {
        let need = slot as usize + 1;
        if self.prev.len() < need {
            self.prev.resize(need, NIL);
            self.next.resize(need, NIL);
        }
    }

    /// Link an unlinked slot as the most recently used.
    pub fn push_front(&mut self, slot: u32) {
        self.ensure(slot);
        let s = slot as usize;
        self.prev[s] = NIL;
        self.next[s] = self.head;
        if self.head != NIL {
            self.prev[self.head as usize] = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
        self.len += 1;
    }

    /// Link an unlinked slot as the least recently used.
    pub fn push_back(&mut self, slot: u32) {
        self.ensure(slot);
        let s = slot as usize;
        self.next[s] = NIL;
        self.prev[s] = self.tail;
        if self.tail != NIL {
            self.next[self.tail as usize] = slot;
        } else {
            self.head = slot;
        }
        self.tail = slot;
        self.len += 1;
    }

    /// Unlink a linked slot.
    pub fn unlink(&mut self, slot: u32) {
        let s = slot as usize;
        let (p, n) = (self.prev[s], self.next[s]);
        if p != NIL {
            self.next[p as usize] = n;
        } else {
            self.head = n;
        }
        if n != NIL {
            self.prev[n as usize] = p;
        } else {
            self.tail = p;
        }
        self.prev[s] = NIL;
        self.next[s] = NIL;
        self.len -= 1;
    }

    /// Make a linked slot the most recently used.
    #[inline]
    pub fn touch(&mut self, slot: u32) {
        if self.head != slot {
            self.unlink(slot);
            self.push_front(slot);
        }
    }

    /// The least recently used slot.
    pub fn back(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// Slots from least to most recently used.
    pub fn iter_lru(&self) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.tail;
        std::iter::from_fn(move || {
            if at == NIL {
                return None;
            }
            let s = at;
            at = self.prev[s as usize];
            Some(s)
        })
    }

    pub fn clear(&mut self) {
        self.prev.clear();
        self.next.clear();
        self.head = NIL;
        self.tail = NIL;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_follows_touches() {
        let mut l = LruList::default();
        for s in 0..4 {
            l.push_front(s);
        }
        assert_eq!(l.iter_lru().collect::<Vec<_>>(), [0, 1, 2, 3]);
        l.touch(0);
        l.touch(2);
        assert_eq!(l.iter_lru().collect::<Vec<_>>(), [1, 3, 0, 2]);
        l.unlink(3);
        assert_eq!(l.iter_lru().collect::<Vec<_>>(), [1, 0, 2]);
        l.push_back(7);
        assert_eq!(l.iter_lru().collect::<Vec<_>>(), [7, 1, 0, 2]);
        assert_eq!(l.back(), Some(7));
        assert_eq!(l.len(), 4);
        for s in [7, 1, 0, 2] {
            l.unlink(s);
        }
        assert!(l.is_empty());
        assert_eq!(l.back(), None);
    }
}
