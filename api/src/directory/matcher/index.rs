//! The in-memory name index: glued folded keys, sorted for exact and prefix lookups,
//! and their one-deletion neighbourhoods (hashed, sorted) for typos.
//!
//! Typos use the symmetric-delete scheme: the index stores each key and every key with
//! one letter deleted; a lookup deletes up to two letters from the query and looks each
//! variant up. A candidate found that way is then checked with the real distance. With
//! one deletion on the index side, every edit at distance 1 is found, and at distance 2
//! every pair of edits where the query has at least one letter too many or
//! transposed; two substitutions or two missing letters in a long name are not (that
//! would need two deletions per key, about six times the memory).

use super::distance::{tolerance, within};

/// Longest query (in folded bytes) looked up for typos. A query's two-deletion
/// neighbourhood costs the cube of its length, and anyone may search: longer texts still
/// find exact, prefix and contained names, but are not checked for typos.
pub const MAX_TYPO_QUERY: usize = 64;

/// One indexed key.
#[derive(Debug)]
pub struct Key {
    /// The glued folded name.
    pub text: Box<str>,
    /// The item it names.
    pub item: u32,
    /// Which of the item's names it is (0: the official name; then its aliases).
    pub source: u32,
}

/// How one key matched a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The key (see [`Index::key`]).
    pub key: u32,
    /// 0 for an exact or prefix match; else the number of edits.
    pub edits: u8,
}

/// Names of a list of items, indexed for exact, prefix and typo lookups.
#[derive(Debug, Default)]
pub struct Index {
    keys: Vec<Key>,
    /// Key ids, by text.
    sorted: Vec<u32>,
    /// `hash(variant) << 32 | key id`, sorted: each key and its one-letter deletions.
    deletes: Vec<u64>,
    /// The longest key, in bytes: longer queries cannot be typos of any key.
    longest: usize,
}

/// A 32-bit FNV-1a hash: collisions only cost a distance check.
fn hash(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    u64::from(h)
}

/// Hashes of `text` with the byte at `skip` left out (none when `skip` is past the end).
fn hash_without(text: &[u8], skip: usize) -> u64 {
    hash(
        text.iter()
            .enumerate()
            .filter(|&(i, _)| i != skip)
            .map(|(_, &b)| b),
    )
}

impl Index {
    /// Indexes `(glued key, item, source)` entries; empty keys are left out.
    pub fn build(entries: impl IntoIterator<Item = (String, u32, u32)>) -> Self {
        let mut index = Index::default();
        for (text, item, source) in entries {
            if text.is_empty() || index.keys.len() >= u32::MAX as usize {
                continue;
            }
            index.longest = index.longest.max(text.len());
            index.keys.push(Key {
                text: text.into_boxed_str(),
                item,
                source,
            });
        }
        index.sorted = (0..index.keys.len() as u32).collect();
        index.sorted.sort_by(|&a, &b| {
            index.keys[a as usize]
                .text
                .cmp(&index.keys[b as usize].text)
        });
        for (id, key) in index.keys.iter().enumerate() {
            let bytes = key.text.as_bytes();
            for skip in 0..=bytes.len() {
                index
                    .deletes
                    .push(hash_without(bytes, skip) << 32 | id as u64);
            }
        }
        index.deletes.sort_unstable();
        index.deletes.dedup();
        index
    }

    /// The key `id`.
    pub fn key(&self, id: u32) -> &Key {
        &self.keys[id as usize]
    }

    /// How many keys, and the bytes the index holds (for the build figures).
    pub fn footprint(&self) -> (usize, usize) {
        let text: usize = self.keys.iter().map(|k| k.text.len()).sum();
        let bytes = text
            + self.keys.capacity() * std::mem::size_of::<Key>()
            + self.sorted.capacity() * 4
            + self.deletes.capacity() * 8;
        (self.keys.len(), bytes)
    }

    /// The position range of `sorted` whose keys start with `prefix`.
    fn range(&self, prefix: &str) -> std::ops::Range<usize> {
        let text = |id: &u32| &*self.keys[*id as usize].text;
        let start = self.sorted.partition_point(|id| text(id) < prefix);
        let len = self.sorted[start..].partition_point(|id| text(id).starts_with(prefix));
        start..start + len
    }

    /// Keys equal to `query`.
    pub fn exact(&self, query: &str) -> Vec<Found> {
        let range = self.range(query);
        self.sorted[range]
            .iter()
            .filter(|&&id| &*self.keys[id as usize].text == query)
            .map(|&key| Found { key, edits: 0 })
            .collect()
    }

    /// Up to `limit` keys starting with `query` without being equal to it, and how many
    /// there are in all.
    pub fn prefix(&self, query: &str, limit: usize) -> (Vec<Found>, usize) {
        let range = self.range(query);
        // Keys equal to the query sort first in the range.
        let ids = &self.sorted[range];
        let equal = ids
            .iter()
            .take_while(|&&id| &*self.keys[id as usize].text == query)
            .count();
        let found = ids[equal..]
            .iter()
            .take(limit)
            .map(|&key| Found { key, edits: 0 })
            .collect();
        (found, ids.len() - equal)
    }

    /// Keys within the typo tolerance of `query`'s length (see
    /// [`tolerance`](super::distance::tolerance)) but not equal to it, nearest first.
    pub fn typos(&self, query: &str) -> Vec<Found> {
        let bytes = query.as_bytes();
        let max = tolerance(bytes.len());
        if max == 0 || bytes.len() > self.longest + max || bytes.len() > MAX_TYPO_QUERY {
            return Vec::new();
        }
        let mut hashes = vec![hash(bytes.iter().copied())];
        for i in 0..bytes.len() {
            hashes.push(hash_without(bytes, i));
            if max >= 2 {
                for j in i + 1..bytes.len() {
                    hashes.push(hash(
                        bytes
                            .iter()
                            .enumerate()
                            .filter(|&(k, _)| k != i && k != j)
                            .map(|(_, &b)| b),
                    ));
                }
            }
        }
        hashes.sort_unstable();
        hashes.dedup();
        let mut ids: Vec<u32> = Vec::new();
        for h in hashes {
            let start = self.deletes.partition_point(|&e| e >> 32 < h);
            ids.extend(
                self.deletes[start..]
                    .iter()
                    .take_while(|&&e| e >> 32 == h)
                    .map(|&e| e as u32),
            );
        }
        ids.sort_unstable();
        ids.dedup();
        let mut found: Vec<Found> = ids
            .into_iter()
            .filter_map(|key| {
                let text = self.keys[key as usize].text.as_bytes();
                within(bytes, text, max).filter(|&d| d > 0).map(|d| Found {
                    key,
                    edits: d as u8,
                })
            })
            .collect();
        found.sort_by_key(|f| (f.edits, f.key));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Index {
        Index::build(
            [
                "nanterre",
                "colombes",
                "boiscolombes",
                "colombe",
                "vanves",
                "vannes",
                "saintcloud",
            ]
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), i as u32, 0)),
        )
    }

    #[test]
    fn queries_longer_than_the_bound_are_not_looked_up_for_typos() {
        let long = "a".repeat(MAX_TYPO_QUERY + 1);
        let index = Index::build([(long.clone(), 0, 0)]);
        let one_off = format!("{}b", &long[1..]);
        assert!(index.typos(&one_off).is_empty());
        let short = "a".repeat(MAX_TYPO_QUERY);
        let index = Index::build([(short.clone(), 0, 0)]);
        assert_eq!(index.typos(&format!("{}b", &short[1..])).len(), 1);
    }

    fn texts(index: &Index, found: &[Found]) -> Vec<String> {
        found
            .iter()
            .map(|f| index.key(f.key).text.to_string())
            .collect()
    }

    #[test]
    fn exact_and_prefix() {
        let index = index();
        assert_eq!(texts(&index, &index.exact("colombes")), ["colombes"]);
        assert!(index.exact("colomb").is_empty());
        let (found, total) = index.prefix("colomb", 10);
        assert_eq!(total, 2);
        assert_eq!(texts(&index, &found), ["colombe", "colombes"]);
        assert_eq!(index.prefix("", 1).1, 7);
    }

    #[test]
    fn typos_by_substitution_deletion_insertion_transposition() {
        let index = index();
        assert_eq!(texts(&index, &index.typos("nantere")), ["nanterre"]);
        assert_eq!(texts(&index, &index.typos("nanterrre")), ["nanterre"]);
        assert_eq!(texts(&index, &index.typos("nantrere")), ["nanterre"]);
        assert_eq!(
            texts(&index, &index.typos("colombs")),
            ["colombes", "colombe"]
        );
        assert_eq!(texts(&index, &index.typos("vannes")), ["vanves"]);
        assert_eq!(texts(&index, &index.typos("saintcluodd")), ["saintcloud"]);
        assert!(index.typos("van").is_empty());
        assert!(index.typos(&"x".repeat(500)).is_empty());
    }
}
