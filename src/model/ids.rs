//! Id → slot lookup that stores no second copy of the ids: the table holds
//! slots, and hashes and compares through the slot's string in `ids`.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    table: HashTable<u32>,
    hasher: RandomState,
}

fn id_of(ids: &[String], slot: u32) -> &str {
    ids.get(slot as usize).map_or("", |s| s.as_str())
}

impl IdIndex {
    pub fn with_capacity(n: usize) -> Self {
        IdIndex {
            table: HashTable::with_capacity(n),
            hasher: RandomState::default(),
        }
    }

    pub fn get(&self, id: &str, ids: &[String]) -> Option<u32> {
        let h = self.hasher.hash_one(id);
        self.table.find(h, |&s| id_of(ids, s) == id).copied()
    }

    /// Add `slot`, whose id is already in `ids[slot]` and not yet indexed.
    pub fn insert(&mut self, slot: u32, ids: &[String]) {
        let hasher = &self.hasher;
        let h = hasher.hash_one(id_of(ids, slot));
        self.table
            .insert_unique(h, slot, |&s| hasher.hash_one(id_of(ids, s)));
    }

    /// Add `slot`, whose id is already in `ids[slot]`, unless an earlier slot
    /// has that id: then that slot, and nothing added. One probe for both.
    pub fn insert_new(&mut self, slot: u32, ids: &[String]) -> Option<u32> {
        let hasher = &self.hasher;
        let id = id_of(ids, slot);
        let h = hasher.hash_one(id);
        match self.table.entry(
            h,
            |&s| id_of(ids, s) == id,
            |&s| hasher.hash_one(id_of(ids, s)),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => Some(*e.get()),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(slot);
                None
            }
        }
    }

    /// Remove `slot` (call while `ids[slot]` still holds its id).
    pub fn remove(&mut self, slot: u32, ids: &[String]) {
        let h = self.hasher.hash_one(id_of(ids, slot));
        if let Ok(entry) = self.table.find_entry(h, |&s| s == slot) {
            entry.remove();
        }
    }
}
