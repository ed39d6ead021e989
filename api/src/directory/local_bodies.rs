//! Which local bodies and partners a query selects, and in which order (by name unless
//! asked otherwise).

use chrono::{DateTime, Utc};
use entity::normalize::fold;
use entity::{LocalBodyKind, PartnerKind};

use super::ix::Ix;
use super::order::{KeyPart, OrderSpec};
use super::snapshot::{CollegeIx, CommuneIx, LocalBodyIx, PartnerIx, Snapshot, TerritoryIx};

/// What local bodies and partners can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedSort {
    /// Name, ignoring case and accents (the default, A to Z).
    Name,
    /// Last change.
    UpdatedAt,
}

impl NamedSort {
    /// The ordering: the sorted value, then the id, in the same direction. By name A to
    /// Z is `name.asc`, the name cursors carried before other orders existed: cursors
    /// handed out then still work.
    pub fn spec(self, descending: bool) -> OrderSpec {
        let directions: &'static [bool] = if descending {
            &[true, true]
        } else {
            &[false, false]
        };
        let name = match (self, descending) {
            (Self::Name, false) => "name.asc",
            (Self::Name, true) => "name.desc",
            (Self::UpdatedAt, false) => "updated_at.asc",
            (Self::UpdatedAt, true) => "updated_at.desc",
        };
        OrderSpec {
            name,
            descending: directions,
        }
    }

    /// The sort key of a row named `name`, last changed at `updated_at`, with id `id`.
    pub fn key(self, name: &str, updated_at: DateTime<Utc>, id: i32) -> Vec<KeyPart> {
        let value = match self {
            Self::Name => KeyPart::Text(fold(name)),
            Self::UpdatedAt => KeyPart::Int(updated_at.timestamp_micros()),
        };
        vec![value, KeyPart::Int(i64::from(id))]
    }

    /// `selected` (by name, as the snapshot keeps them) in this order.
    fn reorder<T>(
        self,
        descending: bool,
        selected: Vec<Ix<T>>,
        key: impl Fn(Ix<T>) -> Vec<KeyPart>,
    ) -> Vec<Ix<T>> {
        if self == Self::Name && !descending {
            return selected;
        }
        self.spec(descending).sorted(selected, |&i| key(i))
    }
}

/// A selection of local bodies; every criterion given must hold.
#[derive(Debug, Clone, Default)]
pub struct LocalBodyQuery {
    /// Of this kind.
    pub kind: Option<LocalBodyKind>,
    /// In this territory.
    pub territory: Option<TerritoryIx>,
    /// Belonging to this commune.
    pub commune: Option<CommuneIx>,
    /// Belonging to this collège.
    pub college: Option<CollegeIx>,
    /// Every word found in the name (folded).
    pub words: Vec<String>,
    /// Archived local bodies too.
    pub include_archived: bool,
}

impl LocalBodyQuery {
    /// The selected local bodies, by name.
    pub fn select(&self, dir: &Snapshot) -> Vec<LocalBodyIx> {
        dir.local_bodies
            .iter_enumerated()
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

    /// The selected local bodies, in the order `sort`.
    pub fn select_sorted(
        &self,
        dir: &Snapshot,
        sort: NamedSort,
        descending: bool,
    ) -> Vec<LocalBodyIx> {
        sort.reorder(descending, self.select(dir), |b| {
            let model = &dir.local_bodies[b].model;
            sort.key(&model.name, model.updated_at, model.id)
        })
    }
}

/// A selection of partners; every criterion given must hold.
#[derive(Debug, Clone, Default)]
pub struct PartnerQuery {
    /// Of this kind.
    pub kind: Option<PartnerKind>,
    /// Working in this territory (directly or through its commune).
    pub territory: Option<TerritoryIx>,
    /// Working in this commune.
    pub commune: Option<CommuneIx>,
    /// Every word found in the name (folded).
    pub words: Vec<String>,
    /// Archived partners too.
    pub include_archived: bool,
}

impl PartnerQuery {
    /// The selected partners, by name.
    pub fn select(&self, dir: &Snapshot) -> Vec<PartnerIx> {
        dir.partners
            .iter_enumerated()
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

    /// The selected partners, in the order `sort`.
    pub fn select_sorted(
        &self,
        dir: &Snapshot,
        sort: NamedSort,
        descending: bool,
    ) -> Vec<PartnerIx> {
        sort.reorder(descending, self.select(dir), |p| {
            let model = &dir.partners[p].model;
            sort.key(&model.name, model.updated_at, model.id)
        })
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
