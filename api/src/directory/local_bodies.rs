//! Which local bodies and partners a query selects (both listed by name).

use entity::normalize::fold;
use entity::{LocalBodyKind, PartnerKind};

use super::snapshot::Snapshot;

/// A selection of local bodies; every criterion given must hold.
#[derive(Debug, Clone, Default)]
pub struct LocalBodyQuery {
    /// Of this kind.
    pub kind: Option<LocalBodyKind>,
    /// In this territory.
    pub territory: Option<usize>,
    /// Belonging to this commune.
    pub commune: Option<usize>,
    /// Belonging to this collège.
    pub college: Option<usize>,
    /// Every word found in the name (folded).
    pub words: Vec<String>,
    /// Archived local bodies too.
    pub include_archived: bool,
}

impl LocalBodyQuery {
    /// The selected local bodies, by name.
    pub fn select(&self, dir: &Snapshot) -> Vec<usize> {
        dir.local_bodies
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                (self.include_archived || b.model.archived_at.is_none())
                    && self.kind.is_none_or(|k| b.model.kind == k)
                    && self.territory.is_none_or(|t| b.territory == t)
                    && self.commune.is_none_or(|c| b.commune == Some(c))
                    && self.college.is_none_or(|c| b.college == Some(c))
                    && contains_words(&b.model.name, &self.words)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// A selection of partners; every criterion given must hold.
#[derive(Debug, Clone, Default)]
pub struct PartnerQuery {
    /// Of this kind.
    pub kind: Option<PartnerKind>,
    /// Working in this territory (directly or through its commune).
    pub territory: Option<usize>,
    /// Working in this commune.
    pub commune: Option<usize>,
    /// Every word found in the name (folded).
    pub words: Vec<String>,
    /// Archived partners too.
    pub include_archived: bool,
}

impl PartnerQuery {
    /// The selected partners, by name.
    pub fn select(&self, dir: &Snapshot) -> Vec<usize> {
        dir.partners
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                (self.include_archived || p.model.archived_at.is_none())
                    && self.kind.is_none_or(|k| p.model.kind == k)
                    && self.territory.is_none_or(|t| p.territory == Some(t))
                    && self.commune.is_none_or(|c| p.commune == Some(c))
                    && contains_words(&p.model.name, &self.words)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// Whether every folded word occurs in the folded `text`.
fn contains_words(text: &str, words: &[String]) -> bool {
    if words.is_empty() {
        return true;
    }
    let text = fold(text);
    words.iter().all(|word| text.contains(word.as_str()))
}
