//! Forgiving name matching: exact lookups after folding (case, accents, hyphens,
//! apostrophes, spacing, "St" for "Saint"), and ranked partial matching
//! (exact > prefix > contains > all words in any order > typo).
//!
//! Typos reuse the communes' matcher index ([`matcher::Index`]): glued folded keys (so
//! glued and split words match alike) and their deletion neighbourhoods, built once per
//! snapshot on the first search, with the tolerance scaled to the length of what was
//! typed.

use std::collections::HashMap;
use std::sync::OnceLock;

use entity::normalize::{fold, fold_tokens};

use super::ix::Ix;
use super::matcher;

/// How well a name matched a query; better ranks compare greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchRank {
    /// The query, glued, is a name with a typo or two (see [`Match::edits`]).
    Typo,
    /// The query's words all start words of the name, in any order.
    Words,
    /// The name contains the query.
    Contains,
    /// The name starts with the query.
    Prefix,
    /// The name is the query.
    Exact,
}

/// Which of an item's names a query matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeySource {
    /// Its name (a coordinator's full name, a project's title).
    #[default]
    Name,
    /// Another name people use (a commune's alias, a glued surname).
    Alias,
    /// A code (a collège's UAI, a theme's code, a territory's number).
    Code,
    /// A postal code or INSEE code.
    PostalCode,
    /// An e-mail address.
    Email,
    /// A title or job.
    Title,
    /// The label of one of its themes.
    ThemeLabel,
}

/// One item matched by a ranked search; `I` says which: a position in one list
/// (`Ix<CommuneRow>`) from a [`NameIndex`], or an item of any kind in a search across
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<I> {
    /// The item.
    pub item: I,
    /// How well it matched.
    pub rank: MatchRank,
    /// Which kind of name matched.
    pub on: KeySource,
    /// The key that matched (see [`NameIndex::key_text`]), if it came from the index.
    pub key: Option<usize>,
    /// Edits between the query and the key (0 unless [`MatchRank::Typo`]).
    pub edits: u8,
    /// How many characters of the folded key the query left uncovered: among matches of
    /// one rank the closest name comes first ("collèg pasteur" finds "Collège Pasteur"
    /// before "Collège Louis Pasteur").
    pub spare: u16,
}

impl<I> Match<I> {
    /// A match not tied to an indexed key (a postal code, an empty query).
    pub fn bare(item: I, rank: MatchRank, on: KeySource) -> Self {
        Self {
            item,
            rank,
            on,
            key: None,
            edits: 0,
            spare: 0,
        }
    }

    /// A score in ]0, 1]: 1 for an exact name, then prefix, contains, words, and typos
    /// lower the more edits they needed.
    pub fn score(&self) -> f64 {
        match self.rank {
            MatchRank::Exact => 1.0,
            MatchRank::Prefix => 0.8,
            MatchRank::Contains => 0.6,
            MatchRank::Words => 0.5,
            MatchRank::Typo => 0.4 / f64::from(self.edits.max(1)),
        }
    }

    /// The same match, naming its item differently (a search across kinds tags it
    /// with its kind).
    pub fn with_item<J>(self, item: J) -> Match<J> {
        Match {
            item,
            rank: self.rank,
            on: self.on,
            key: self.key,
            edits: self.edits,
            spare: self.spare,
        }
    }
}

impl<I: Ord> Match<I> {
    /// Better first: rank, then fewer edits, then list order.
    fn better(a: &Self, b: &Self) -> std::cmp::Ordering {
        b.rank
            .cmp(&a.rank)
            .then(a.edits.cmp(&b.edits))
            .then(a.spare.cmp(&b.spare))
            .then(a.item.cmp(&b.item))
    }
}

/// One key of a [`NameIndex`].
#[derive(Debug)]
struct NameKey<T> {
    /// The text as given.
    original: String,
    /// Folded, words joined by a space.
    folded: String,
    /// The folded words.
    tokens: Vec<String>,
    item: Ix<T>,
    on: KeySource,
}

/// Folded keys (names, aliases, codes) of a list of items of type `T`.
#[derive(Debug)]
pub struct NameIndex<T> {
    keys: Vec<NameKey<T>>,
    /// Folded key → the items it names exactly (several: ambiguous).
    exact: HashMap<String, Vec<Ix<T>>>,
    /// The glued keys indexed for typos, built on the first search (keys are only added
    /// while the snapshot is built).
    typos: OnceLock<matcher::Index>,
}

// By hand: a derive would require `T: Default`.
impl<T> Default for NameIndex<T> {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            exact: HashMap::new(),
            typos: OnceLock::new(),
        }
    }
}

impl<T> NameIndex<T> {
    /// Adds `name` as a name of `item`.
    pub fn insert(&mut self, item: Ix<T>, name: &str) {
        self.insert_as(item, name, KeySource::Name);
    }

    /// Adds `name` as a key of `item`, of kind `on`.
    pub fn insert_as(&mut self, item: Ix<T>, name: &str, on: KeySource) {
        let tokens = fold_tokens(name);
        if tokens.is_empty() {
            return;
        }
        let key = tokens.join(" ");
        let items = self.exact.entry(key.clone()).or_default();
        if !items.contains(&item) {
            items.push(item);
        }
        self.keys.push(NameKey {
            original: name.to_owned(),
            folded: key,
            tokens,
            item,
            on,
        });
        // A key added after a search (never, in a snapshot) must still be found.
        self.typos = OnceLock::new();
    }

    /// The text of key `key` as it was given ("nvan-der-heyden@hauts-de-seine.fr").
    pub fn key_text(&self, key: usize) -> Option<&str> {
        self.keys.get(key).map(|k| k.original.as_str())
    }

    /// The items whose folded key equals the folded `name`: one, several (ambiguous) or
    /// none.
    pub fn exact(&self, name: &str) -> &[Ix<T>] {
        self.exact.get(&fold(name)).map_or(&[], Vec::as_slice)
    }

    fn typo_index(&self) -> &matcher::Index {
        self.typos.get_or_init(|| {
            matcher::Index::build(self.keys.iter().enumerate().filter_map(|(id, key)| {
                let id = u32::try_from(id).ok()?;
                Some((key.tokens.concat(), id, 0))
            }))
        })
    }

    /// Every item matching `query`, each once with its best match, best first (then in
    /// list order). An empty query matches nothing. Typos are looked for only for items
    /// nothing else found, so a typo never outranks a real match.
    pub fn search(&self, query: &str) -> Vec<Match<Ix<T>>> {
        let words = fold_tokens(query);
        if words.is_empty() {
            return Vec::new();
        }
        let glued = words.concat();
        let typed = glued.chars().count();
        let query = words.join(" ");
        let mut best: HashMap<Ix<T>, Match<Ix<T>>> = HashMap::new();
        let mut keep = |found: Match<Ix<T>>| {
            let entry = best.entry(found.item).or_insert(found);
            if Match::better(&found, entry).is_lt() {
                *entry = found;
            }
        };
        for (id, key) in self.keys.iter().enumerate() {
            let rank = if key.folded == query {
                Some(MatchRank::Exact)
            } else if key.folded.starts_with(&query) {
                Some(MatchRank::Prefix)
            } else if key.folded.contains(&query) {
                Some(MatchRank::Contains)
            } else if words.iter().all(|word| {
                key.tokens
                    .iter()
                    .any(|token| token.starts_with(word.as_str()))
            }) {
                Some(MatchRank::Words)
            } else {
                None
            };
            if let Some(rank) = rank {
                keep(Match {
                    item: key.item,
                    rank,
                    on: key.on,
                    key: Some(id),
                    edits: 0,
                    spare: spare(key, typed),
                });
            }
        }
        let index = self.typo_index();
        let digits = |text: &str| -> String { text.chars().filter(char::is_ascii_digit).collect() };
        let typed_digits = digits(&glued);
        for found in index.typos(&glued) {
            let id = index.key(found.key).item as usize;
            // A typo is a slip of letters: "Territoire 2" is no typo of "Territoire 3",
            // nor one postal code or UAI of another.
            if let Some(key) = self
                .keys
                .get(id)
                .filter(|key| digits(&key.folded) == typed_digits)
            {
                keep(Match {
                    item: key.item,
                    rank: MatchRank::Typo,
                    on: key.on,
                    key: Some(id),
                    edits: found.edits,
                    spare: spare(key, typed),
                });
            }
        }
        // Glued words: "vanderheyden" is the key "van der heyden" exactly.
        for found in index.exact(&glued) {
            let id = index.key(found.key).item as usize;
            if let Some(key) = self.keys.get(id) {
                keep(Match {
                    item: key.item,
                    rank: MatchRank::Exact,
                    on: key.on,
                    key: Some(id),
                    edits: 0,
                    spare: spare(key, typed),
                });
            }
        }
        let mut matches: Vec<Match<Ix<T>>> = best.into_values().collect();
        matches.sort_by(Match::better);
        matches
    }
}

/// The letters of `key` beyond the `typed` letters of the query, both without spaces so
/// that spacing never tells a name from its glued alias (saturating: a key shorter than
/// a typo'd query has none left). Counted, not glued: this runs for every match.
fn spare<T>(key: &NameKey<T>, typed: usize) -> u16 {
    let letters: usize = key.tokens.iter().map(|token| token.chars().count()).sum();
    u16::try_from(letters.saturating_sub(typed)).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the test lists: only their positions matter.
    #[derive(Debug)]
    struct Row;

    fn ix(raw: usize) -> Ix<Row> {
        Ix::new(raw)
    }

    fn index() -> NameIndex<Row> {
        let mut index = NameIndex::default();
        for (item, name) in [
            "Sèvres",
            "Saint-Cloud",
            "Villeneuve-la-Garenne",
            "La Garenne-Colombes",
            "Colombes",
        ]
        .iter()
        .enumerate()
        {
            index.insert(ix(item), name);
        }
        index.insert(ix(1), "St-Cloud");
        index.insert(ix(3), "La Garenne");
        index
    }

    #[test]
    fn among_equal_matches_the_closest_name_comes_first() {
        let mut index = NameIndex::default();
        index.insert(ix(0), "Collège Louis Pasteur");
        index.insert(ix(1), "Collège Pasteur");
        let found = index.search("collèg pasteur");
        let order: Vec<(Ix<Row>, MatchRank)> = found.iter().map(|m| (m.item, m.rank)).collect();
        assert_eq!(
            order,
            [(ix(1), MatchRank::Words), (ix(0), MatchRank::Words)],
            "{found:?}"
        );
        // A typo'd name longer than its key leaves nothing spare, and never underflows.
        assert_eq!(spare(&index.keys[0], 64), 0);
        assert_eq!(spare(&index.keys[1], "collègpasteur".chars().count()), 1);
    }

    #[test]
    fn exact_lookup_folds_and_reports_ambiguity() {
        let index = index();
        assert_eq!(index.exact("sevres"), &[ix(0)]);
        assert_eq!(index.exact("ST CLOUD"), &[ix(1)]);
        assert_eq!(index.exact("la garenne"), &[ix(3)]);
        assert!(index.exact("garenne").is_empty());
        assert!(index.exact("").is_empty());
    }

    #[test]
    fn ranks_exact_then_prefix_then_contains_then_words() {
        let index = index();
        let found = index.search("colombes");
        assert_eq!((found[0].item, found[0].rank), (ix(4), MatchRank::Exact));
        assert_eq!((found[1].item, found[1].rank), (ix(3), MatchRank::Contains));
        // Both contain it; "La Garenne" (an alias of item 3) is the closer name.
        let found = index.search("garenne");
        assert_eq!(
            found.iter().map(|m| m.item).collect::<Vec<_>>(),
            vec![ix(3), ix(2)]
        );
        let found = index.search("garenne la");
        assert!(found.iter().all(|m| m.rank >= MatchRank::Words));
        let first = index.search("la gar")[0];
        assert_eq!((first.item, first.rank), (ix(3), MatchRank::Prefix));
        assert!(index.search("  ").is_empty());
    }
}
