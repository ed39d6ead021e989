//! Forgiving name matching: exact lookups after folding (case, accents, hyphens,
//! apostrophes, spacing, "St" for "Saint"), and ranked partial matching
//! (exact > prefix > contains, word order ignored).

use std::collections::HashMap;

use entity::normalize::{fold, fold_tokens};

/// How well a name matched a query; better ranks compare greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchRank {
    /// The query's words all start words of the name, in any order.
    Words,
    /// The name contains the query.
    Contains,
    /// The name starts with the query.
    Prefix,
    /// The name is the query.
    Exact,
}

/// One item matched by a ranked search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// The item's position in the list the index was built from.
    pub item: usize,
    /// How well it matched.
    pub rank: MatchRank,
}

/// Folded keys (names, aliases, codes) of a list of items.
#[derive(Debug, Default)]
pub struct NameIndex {
    /// Every key with the item it names.
    keys: Vec<(String, Vec<String>, usize)>,
    /// Folded key → the items it names exactly (several: ambiguous).
    exact: HashMap<String, Vec<usize>>,
}

impl NameIndex {
    /// Adds `name` as a key of `item`.
    pub fn insert(&mut self, item: usize, name: &str) {
        let tokens = fold_tokens(name);
        if tokens.is_empty() {
            return;
        }
        let key = tokens.join(" ");
        let items = self.exact.entry(key.clone()).or_default();
        if !items.contains(&item) {
            items.push(item);
        }
        self.keys.push((key, tokens, item));
    }

    /// The items whose folded key equals the folded `name`: one, several (ambiguous) or
    /// none.
    pub fn exact(&self, name: &str) -> &[usize] {
        self.exact.get(&fold(name)).map_or(&[], Vec::as_slice)
    }

    /// Every item matching `query`, each once with its best rank, best first (then in
    /// list order). An empty query matches nothing.
    pub fn search(&self, query: &str) -> Vec<Match> {
        let words = fold_tokens(query);
        if words.is_empty() {
            return Vec::new();
        }
        let query = words.join(" ");
        let mut best: HashMap<usize, MatchRank> = HashMap::new();
        for (key, tokens, item) in &self.keys {
            let rank = if *key == query {
                Some(MatchRank::Exact)
            } else if key.starts_with(&query) {
                Some(MatchRank::Prefix)
            } else if key.contains(&query) {
                Some(MatchRank::Contains)
            } else if words
                .iter()
                .all(|word| tokens.iter().any(|token| token.starts_with(word.as_str())))
            {
                Some(MatchRank::Words)
            } else {
                None
            };
            if let Some(rank) = rank {
                let entry = best.entry(*item).or_insert(rank);
                *entry = (*entry).max(rank);
            }
        }
        let mut matches: Vec<Match> = best
            .into_iter()
            .map(|(item, rank)| Match { item, rank })
            .collect();
        matches.sort_by(|a, b| b.rank.cmp(&a.rank).then(a.item.cmp(&b.item)));
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> NameIndex {
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
            index.insert(item, name);
        }
        index.insert(1, "St-Cloud");
        index.insert(3, "La Garenne");
        index
    }

    #[test]
    fn exact_lookup_folds_and_reports_ambiguity() {
        let index = index();
        assert_eq!(index.exact("sevres"), &[0]);
        assert_eq!(index.exact("ST CLOUD"), &[1]);
        assert_eq!(index.exact("la garenne"), &[3]);
        assert!(index.exact("garenne").is_empty());
        assert!(index.exact("").is_empty());
    }

    #[test]
    fn ranks_exact_then_prefix_then_contains_then_words() {
        let index = index();
        let found = index.search("colombes");
        assert_eq!(
            found[0],
            Match {
                item: 4,
                rank: MatchRank::Exact
            }
        );
        assert_eq!(
            found[1],
            Match {
                item: 3,
                rank: MatchRank::Contains
            }
        );
        let found = index.search("garenne");
        assert_eq!(found.iter().map(|m| m.item).collect::<Vec<_>>(), vec![2, 3]);
        let found = index.search("garenne la");
        assert!(found.iter().all(|m| m.rank == MatchRank::Words));
        assert_eq!(
            index.search("la gar")[0],
            Match {
                item: 3,
                rank: MatchRank::Prefix
            }
        );
        assert!(index.search("  ").is_empty());
    }
}
