//! The snapshot: every row the public API reads, with the indexes its queries need.
//!
//! Built by [`Snapshot::load`] in one read transaction (so it is consistent and carries
//! the data version it was read at), then never mutated: a request holds an `Arc` to it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::normalize::fold;
use entity::{
    college, commune, commune_alias, commune_postal_code, coordinator, coordinator_assignment,
    data_version, territory, theme,
};
use sea_orm::{
    AccessMode, DatabaseConnection, DbBackend, DbErr, EntityTrait, IsolationLevel, QueryOrder,
    TransactionTrait,
};

use super::matching::{Match, NameIndex};

/// A territory and what belongs to it.
#[derive(Debug)]
pub struct TerritoryRow {
    /// Database id.
    pub id: i32,
    /// Territory number.
    pub number: i32,
    /// Display name.
    pub name: String,
    /// Its communes, by name.
    pub communes: Vec<usize>,
    /// The collèges of its communes, by name.
    pub colleges: Vec<usize>,
    /// Its active coordinators, earliest current assignment first.
    pub coordinators: Vec<usize>,
}

/// A commune.
#[derive(Debug)]
pub struct CommuneRow {
    /// Database id.
    pub id: i32,
    /// INSEE code.
    pub insee_code: String,
    /// Official name.
    pub name: String,
    /// Its territory.
    pub territory: usize,
    /// Postal codes, ascending.
    pub postal_codes: Vec<String>,
    /// Other names people use.
    pub aliases: Vec<String>,
    /// Its collèges, by name.
    pub colleges: Vec<usize>,
}

/// One period of a coordinator on a territory.
#[derive(Debug, Clone)]
pub struct AssignmentRow {
    /// The territory.
    pub territory: usize,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End; `None` while current.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A coordinator and their territories.
#[derive(Debug)]
pub struct CoordinatorRow {
    /// The stored row.
    pub model: coordinator::Model,
    /// Current territories, earliest assignment first.
    pub territories: Vec<usize>,
    /// Every assignment, most recent first.
    pub history: Vec<AssignmentRow>,
}

/// A collège.
#[derive(Debug)]
pub struct CollegeRow {
    /// The stored row.
    pub model: college::Model,
    /// Its commune.
    pub commune: usize,
}

/// A theme.
#[derive(Debug)]
pub struct ThemeRow {
    /// The stored row.
    pub model: theme::Model,
}

/// The outcome of a commune lookup by name and/or INSEE code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommuneLookup {
    /// Exactly one commune.
    Found(usize),
    /// No commune, or a name shared by several.
    NotFound,
    /// The name and the INSEE code name different communes.
    Disagree,
}

/// Everything the public API reads, at one data version.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The data version this snapshot was read at.
    pub version: i64,
    /// Territories by number.
    pub territories: Vec<TerritoryRow>,
    /// Communes by name.
    pub communes: Vec<CommuneRow>,
    /// Coordinators by last name, first name.
    pub coordinators: Vec<CoordinatorRow>,
    /// Collèges by name.
    pub colleges: Vec<CollegeRow>,
    /// Themes by position.
    pub themes: Vec<ThemeRow>,
    territory_by_number: HashMap<i32, usize>,
    commune_by_insee: HashMap<String, usize>,
    commune_by_postal_code: HashMap<String, Vec<usize>>,
    commune_names: NameIndex,
    coordinator_by_id: HashMap<i32, usize>,
    college_by_uai: HashMap<String, usize>,
}

/// The rows a snapshot is built from, as read from the database.
#[derive(Debug, Default)]
pub struct Rows {
    /// Data version.
    pub version: i64,
    /// `territories`.
    pub territories: Vec<territory::Model>,
    /// `communes`.
    pub communes: Vec<commune::Model>,
    /// `commune_postal_codes`.
    pub postal_codes: Vec<commune_postal_code::Model>,
    /// `commune_aliases`.
    pub aliases: Vec<commune_alias::Model>,
    /// `coordinators`.
    pub coordinators: Vec<coordinator::Model>,
    /// `coordinator_assignments`.
    pub assignments: Vec<coordinator_assignment::Model>,
    /// `colleges`.
    pub colleges: Vec<college::Model>,
    /// `themes`.
    pub themes: Vec<theme::Model>,
}

impl Rows {
    /// Reads every table in one read-only transaction: on PostgreSQL at REPEATABLE READ,
    /// on SQLite (WAL) the transaction's single read snapshot.
    pub async fn read(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let txn = match db.get_database_backend() {
            DbBackend::Postgres => {
                db.begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?
            }
            _ => db.begin().await?,
        };
        let rows = Self {
            version: data_version::current(&txn).await?,
            territories: territory::Entity::find().all(&txn).await?,
            communes: commune::Entity::find().all(&txn).await?,
            postal_codes: commune_postal_code::Entity::find().all(&txn).await?,
            aliases: commune_alias::Entity::find().all(&txn).await?,
            coordinators: coordinator::Entity::find().all(&txn).await?,
            assignments: coordinator_assignment::Entity::find()
                .order_by_asc(coordinator_assignment::Column::StartedAt)
                .order_by_asc(coordinator_assignment::Column::Id)
                .all(&txn)
                .await?,
            colleges: college::Entity::find().all(&txn).await?,
            themes: theme::Entity::find().all(&txn).await?,
        };
        txn.commit().await?;
        Ok(rows)
    }
}

/// Sorts rows by a French-friendly key (accents and case folded), then by id.
fn sort_by_name<T>(rows: &mut [T], name: impl Fn(&T) -> String, id: impl Fn(&T) -> i32) {
    rows.sort_by_cached_key(|row| (fold(&name(row)), id(row)));
}

impl Snapshot {
    /// Reads the database and builds a snapshot.
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Ok(Self::build(Rows::read(db).await?))
    }

    /// Builds the snapshot and its indexes from rows. Rows pointing at missing rows (which
    /// foreign keys forbid) are left out rather than trusted.
    pub fn build(mut rows: Rows) -> Self {
        let mut snapshot = Snapshot {
            version: rows.version,
            ..Default::default()
        };

        rows.territories.sort_by_key(|t| (t.number, t.id));
        let mut territory_by_id = HashMap::new();
        for (index, t) in rows.territories.into_iter().enumerate() {
            territory_by_id.insert(t.id, index);
            snapshot.territory_by_number.insert(t.number, index);
            snapshot.territories.push(TerritoryRow {
                id: t.id,
                number: t.number,
                name: t.name,
                communes: Vec::new(),
                colleges: Vec::new(),
                coordinators: Vec::new(),
            });
        }

        sort_by_name(&mut rows.communes, |c| c.name.clone(), |c| c.id);
        let mut commune_by_id = HashMap::new();
        for c in rows.communes {
            let Some(&territory) = territory_by_id.get(&c.territory_id) else {
                continue;
            };
            let index = snapshot.communes.len();
            commune_by_id.insert(c.id, index);
            snapshot
                .commune_by_insee
                .insert(c.insee_code.clone(), index);
            snapshot.commune_names.insert(index, &c.name);
            snapshot.territories[territory].communes.push(index);
            snapshot.communes.push(CommuneRow {
                id: c.id,
                insee_code: c.insee_code,
                name: c.name,
                territory,
                postal_codes: Vec::new(),
                aliases: Vec::new(),
                colleges: Vec::new(),
            });
        }
        rows.postal_codes
            .sort_by(|a, b| a.postal_code.cmp(&b.postal_code));
        for p in rows.postal_codes {
            if let Some(&index) = commune_by_id.get(&p.commune_id) {
                snapshot
                    .commune_by_postal_code
                    .entry(p.postal_code.clone())
                    .or_default()
                    .push(index);
                snapshot.communes[index].postal_codes.push(p.postal_code);
            }
        }
        for a in rows.aliases {
            if let Some(&index) = commune_by_id.get(&a.commune_id) {
                snapshot.commune_names.insert(index, &a.alias);
                snapshot.communes[index].aliases.push(a.alias);
            }
        }

        sort_by_name(&mut rows.colleges, |c| c.name.clone(), |c| c.id);
        for model in rows.colleges {
            let Some(&commune) = commune_by_id.get(&model.commune_id) else {
                continue;
            };
            let index = snapshot.colleges.len();
            snapshot.college_by_uai.insert(model.uai.clone(), index);
            snapshot.communes[commune].colleges.push(index);
            let territory = snapshot.communes[commune].territory;
            snapshot.territories[territory].colleges.push(index);
            snapshot.colleges.push(CollegeRow { model, commune });
        }

        sort_by_name(
            &mut rows.coordinators,
            |c| format!("{} {}", c.last_name, c.first_name),
            |c| c.id,
        );
        for (index, model) in rows.coordinators.into_iter().enumerate() {
            snapshot.coordinator_by_id.insert(model.id, index);
            snapshot.coordinators.push(CoordinatorRow {
                model,
                territories: Vec::new(),
                history: Vec::new(),
            });
        }
        // Assignments arrive oldest first: current territories end up earliest first.
        let mut current: Vec<(DateTime<Utc>, i32, usize, usize)> = Vec::new();
        for a in rows.assignments {
            let (Some(&coordinator), Some(&territory)) = (
                snapshot.coordinator_by_id.get(&a.coordinator_id),
                territory_by_id.get(&a.territory_id),
            ) else {
                continue;
            };
            let row = &mut snapshot.coordinators[coordinator];
            if a.ended_at.is_none() {
                row.territories.push(territory);
                if row.model.active {
                    current.push((a.started_at, row.model.id, territory, coordinator));
                }
            }
            row.history.insert(
                0,
                AssignmentRow {
                    territory,
                    started_at: a.started_at,
                    ended_at: a.ended_at,
                },
            );
        }
        current.sort();
        for (_, _, territory, coordinator) in current {
            let list = &mut snapshot.territories[territory].coordinators;
            if !list.contains(&coordinator) {
                list.push(coordinator);
            }
        }

        rows.themes.sort_by_key(|t| (t.position, t.id));
        snapshot.themes = rows
            .themes
            .into_iter()
            .map(|model| ThemeRow { model })
            .collect();
        snapshot
    }

    /// The territory numbered `number`.
    pub fn territory_by_number(&self, number: i32) -> Option<&TerritoryRow> {
        self.territory_by_number
            .get(&number)
            .map(|&i| &self.territories[i])
    }

    /// The coordinator with database id `id`.
    pub fn coordinator_by_id(&self, id: i32) -> Option<&CoordinatorRow> {
        self.coordinator_by_id
            .get(&id)
            .map(|&i| &self.coordinators[i])
    }

    /// The commune with INSEE code `code`.
    pub fn commune_by_insee(&self, code: &str) -> Option<usize> {
        self.commune_by_insee.get(code.trim()).copied()
    }

    /// The collège with UAI `uai` (case-insensitive).
    pub fn college_by_uai(&self, uai: &str) -> Option<usize> {
        self.college_by_uai
            .get(&uai.trim().to_ascii_uppercase())
            .copied()
    }

    /// The communes whose official name or alias is `name` once folded.
    pub fn communes_named(&self, name: &str) -> &[usize] {
        self.commune_names.exact(name)
    }

    /// Looks a commune up by name (forgiving, exact after folding) and/or INSEE code;
    /// an ambiguous name finds nothing. At least one of the two must be given.
    pub fn lookup_commune(&self, name: Option<&str>, insee_code: Option<&str>) -> CommuneLookup {
        let by_name = name.map(|name| match self.communes_named(name) {
            [one] => Some(*one),
            _ => None,
        });
        let by_code = insee_code.map(|code| self.commune_by_insee(code));
        match (by_name, by_code) {
            (Some(a), Some(b)) if a == b => a.map_or(CommuneLookup::NotFound, CommuneLookup::Found),
            (Some(_), Some(_)) => CommuneLookup::Disagree,
            (Some(Some(found)), None) | (None, Some(Some(found))) => CommuneLookup::Found(found),
            _ => CommuneLookup::NotFound,
        }
    }

    /// Communes matching `text` (name, alias or postal code), best first; every commune,
    /// by name, when `text` is blank.
    pub fn search_communes(&self, text: &str) -> Vec<Match> {
        let digits = text.trim();
        if digits.is_empty() {
            return (0..self.communes.len())
                .map(|item| Match {
                    item,
                    rank: super::MatchRank::Exact,
                })
                .collect();
        }
        let mut matches = self.commune_names.search(text);
        if digits.chars().all(|c| c.is_ascii_digit()) {
            // A postal code or its beginning: "92190", "921".
            for (index, commune) in self.communes.iter().enumerate() {
                let rank = if commune.postal_codes.iter().any(|p| p == digits)
                    || commune.insee_code == digits
                {
                    Some(super::MatchRank::Exact)
                } else if commune.postal_codes.iter().any(|p| p.starts_with(digits)) {
                    Some(super::MatchRank::Prefix)
                } else {
                    None
                };
                if let Some(rank) = rank {
                    matches.retain(|m| m.item != index);
                    matches.push(Match { item: index, rank });
                }
            }
            matches.sort_by(|a, b| b.rank.cmp(&a.rank).then(a.item.cmp(&b.item)));
        }
        matches
    }

    /// The communes with postal code `code`.
    pub fn communes_with_postal_code(&self, code: &str) -> &[usize] {
        self.commune_by_postal_code
            .get(code.trim())
            .map_or(&[], Vec::as_slice)
    }
}
