//! The snapshot: every row the API reads, with the relations and indexes its queries need.
//!
//! Built by [`Snapshot::load`] from one consistent read ([`Rows::read`]), then never
//! mutated: a request holds an `Arc` to it, so it sees one data version throughout.
//! Relations are positions in the snapshot's lists, resolved once here rather than per
//! request, and typed by the list they point into ([`Ix`]): a commune's position cannot
//! stand for a territory's.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::normalize::fold;
use entity::{
    StrategicAxis, YouthEnvironment, api_token, college, coordinator, local_body, partner,
    partner_expectation, project, sync_run, theme,
};
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::Value;

use super::ix::{Ix, IxVec};
use super::matcher;
use super::matching::{KeySource, Match, MatchRank, NameIndex};
use super::order::OrderSpec;
use super::outline;
use super::projects::ProjectSort;
use super::rows::Rows;

/// A territory's position in [`Snapshot::territories`].
pub type TerritoryIx = Ix<TerritoryRow>;
/// A commune's position in [`Snapshot::communes`].
pub type CommuneIx = Ix<CommuneRow>;
/// A coordinator's position in [`Snapshot::coordinators`].
pub type CoordinatorIx = Ix<CoordinatorRow>;
/// A collège's position in [`Snapshot::colleges`].
pub type CollegeIx = Ix<CollegeRow>;
/// A theme's position in [`Snapshot::themes`].
pub type ThemeIx = Ix<ThemeRow>;
/// A local body's position in [`Snapshot::local_bodies`].
pub type LocalBodyIx = Ix<LocalBodyRow>;
/// A partner's position in [`Snapshot::partners`].
pub type PartnerIx = Ix<PartnerRow>;
/// A project's position in [`Snapshot::projects`].
pub type ProjectIx = Ix<ProjectRow>;

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
    pub communes: Vec<CommuneIx>,
    /// The collèges of its communes, by name.
    pub colleges: Vec<CollegeIx>,
    /// Its active coordinators, earliest current assignment first.
    pub coordinators: Vec<CoordinatorIx>,
    /// Its local bodies, by name.
    pub local_bodies: Vec<LocalBodyIx>,
    /// Its partners (directly or through their commune), by name.
    pub partners: Vec<PartnerIx>,
    /// Its outline (GeoJSON geometry): the union of its communes' outlines, so it
    /// follows a commune an import moves to another territory.
    pub outline: Option<Arc<Value>>,
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
    pub territory: TerritoryIx,
    /// Postal codes, ascending.
    pub postal_codes: Vec<String>,
    /// Other names people use.
    pub aliases: Vec<String>,
    /// Its collèges, by name.
    pub colleges: Vec<CollegeIx>,
    /// Its local bodies, by name.
    pub local_bodies: Vec<LocalBodyIx>,
    /// Its partners, by name.
    pub partners: Vec<PartnerIx>,
    /// Its outline (GeoJSON geometry), when the embedded map draws it.
    pub outline: Option<Arc<Value>>,
}

/// One period of a coordinator on a territory.
#[derive(Debug, Clone)]
pub struct AssignmentRow {
    /// The territory.
    pub territory: TerritoryIx,
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
    pub territories: Vec<TerritoryIx>,
    /// Every assignment, most recent first.
    pub history: Vec<AssignmentRow>,
    /// Local bodies where they represent the Département, by name.
    pub representations: Vec<LocalBodyIx>,
    /// Projects they lead, most recently updated first.
    pub projects_led: Vec<ProjectIx>,
}

/// A collège.
#[derive(Debug)]
pub struct CollegeRow {
    /// The stored row.
    pub model: college::Model,
    /// Its commune.
    pub commune: CommuneIx,
    /// Its local bodies (a CESC), by name.
    pub local_bodies: Vec<LocalBodyIx>,
}

/// A theme.
#[derive(Debug)]
pub struct ThemeRow {
    /// The stored row.
    pub model: theme::Model,
}

/// A local body.
#[derive(Debug)]
pub struct LocalBodyRow {
    /// The stored row.
    pub model: local_body::Model,
    /// Its territory.
    pub territory: TerritoryIx,
    /// Its commune, if any.
    pub commune: Option<CommuneIx>,
    /// Its collège, if any.
    pub college: Option<CollegeIx>,
    /// Coordinators representing the Département, by name.
    pub representatives: Vec<CoordinatorIx>,
}

/// A partner.
#[derive(Debug)]
pub struct PartnerRow {
    /// The stored row.
    pub model: partner::Model,
    /// Its territory: set on the partner, or its commune's.
    pub territory: Option<TerritoryIx>,
    /// Its commune, if any.
    pub commune: Option<CommuneIx>,
    /// Recorded expectations, oldest first.
    pub expectations: Vec<partner_expectation::Model>,
    /// Projects it takes part in, most recently updated first.
    pub projects: Vec<ProjectIx>,
}

/// A project and its links.
#[derive(Debug)]
pub struct ProjectRow {
    /// The stored row.
    pub model: project::Model,
    /// Strategic axes.
    pub axes: Vec<StrategicAxis>,
    /// Youth environments.
    pub environments: Vec<YouthEnvironment>,
    /// Themes, by position.
    pub themes: Vec<ThemeIx>,
    /// Territories linked directly, by number.
    pub direct_territories: Vec<TerritoryIx>,
    /// Communes, by name.
    pub communes: Vec<CommuneIx>,
    /// Collèges, by name.
    pub colleges: Vec<CollegeIx>,
    /// Partners, by name.
    pub partners: Vec<PartnerIx>,
    /// Every territory it belongs to: direct, or through a commune or a collège.
    pub territories: Vec<TerritoryIx>,
    /// The lead coordinator.
    pub lead: Option<CoordinatorIx>,
    /// Title and summary folded, for text filters.
    pub text: String,
}

/// The outcome of a commune lookup by name and/or INSEE code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommuneLookup {
    /// Exactly one commune.
    Found(CommuneIx),
    /// No commune, or a name shared by several.
    NotFound,
    /// The name and the INSEE code name different communes.
    Disagree,
}

/// Everything the API reads, at one data version.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The data version this snapshot was read at.
    pub version: i64,
    /// Territories by number.
    pub territories: IxVec<TerritoryRow>,
    /// Communes by name.
    pub communes: IxVec<CommuneRow>,
    /// Coordinators by last name, first name.
    pub coordinators: IxVec<CoordinatorRow>,
    /// Collèges by name.
    pub colleges: IxVec<CollegeRow>,
    /// Themes by position.
    pub themes: IxVec<ThemeRow>,
    /// Local bodies by name.
    pub local_bodies: IxVec<LocalBodyRow>,
    /// Partners by name.
    pub partners: IxVec<PartnerRow>,
    /// Projects by id (see [`Snapshot::projects_in_order`] for orderings).
    pub projects: IxVec<ProjectRow>,
    /// The last applied roster import.
    pub last_roster_import: Option<sync_run::Model>,
    /// The territories as one GeoJSON FeatureCollection (outline, number, name, active
    /// coordinators' names), built once per data version.
    pub territories_geojson: Arc<Value>,
    tokens: HashMap<String, api_token::Model>,
    project_orders: HashMap<(ProjectSort, bool), Vec<ProjectIx>>,
    territory_by_number: HashMap<i32, TerritoryIx>,
    territory_by_id: HashMap<i32, TerritoryIx>,
    commune_by_id: HashMap<i32, CommuneIx>,
    commune_by_insee: HashMap<String, CommuneIx>,
    commune_by_postal_code: HashMap<String, Vec<CommuneIx>>,
    coordinator_by_id: HashMap<i32, CoordinatorIx>,
    college_by_id: HashMap<i32, CollegeIx>,
    college_by_uai: HashMap<String, CollegeIx>,
    theme_by_id: HashMap<i32, ThemeIx>,
    theme_by_code: HashMap<String, ThemeIx>,
    theme_by_label: HashMap<String, ThemeIx>,
    local_body_by_id: HashMap<i32, LocalBodyIx>,
    partner_by_id: HashMap<i32, PartnerIx>,
    project_by_id: HashMap<i32, ProjectIx>,
    /// Search keys of each kind.
    pub(crate) names: Names,
    /// The communes' names and aliases, for the forgiving matcher.
    pub(crate) commune_matcher: matcher::Index,
}

/// Search keys of each kind of item.
#[derive(Debug, Default)]
pub(crate) struct Names {
    pub communes: NameIndex<CommuneRow>,
    pub coordinators: NameIndex<CoordinatorRow>,
    pub colleges: NameIndex<CollegeRow>,
    pub local_bodies: NameIndex<LocalBodyRow>,
    pub partners: NameIndex<PartnerRow>,
    pub projects: NameIndex<ProjectRow>,
    /// Themes by French label and code.
    pub themes: NameIndex<ThemeRow>,
    /// Territories by name and number ("Territoire 3", "T3").
    pub territories: NameIndex<TerritoryRow>,
}

/// One project's link rows as read, database ids not yet resolved to positions: named
/// fields rather than an array of five lists, so a theme id cannot be resolved as a
/// territory's.
#[derive(Debug, Default, Clone)]
struct GatheredLinks {
    axes: Vec<StrategicAxis>,
    environments: Vec<YouthEnvironment>,
    themes: Vec<i32>,
    territories: Vec<i32>,
    communes: Vec<i32>,
    colleges: Vec<i32>,
    partners: Vec<i32>,
}

impl GatheredLinks {
    /// The links gathered for project `id` in `gathered`, which follows the order of
    /// the projects (so a project's position also indexes it).
    fn of<'g>(
        gathered: &'g mut [GatheredLinks],
        by_id: &HashMap<i32, ProjectIx>,
        id: i32,
    ) -> Option<&'g mut GatheredLinks> {
        by_id.get(&id).and_then(|ix| gathered.get_mut(ix.raw()))
    }
}

/// Sorts rows by a French-friendly key (accents and case folded), then by id.
fn sort_by_name<T>(rows: &mut [T], name: impl Fn(&T) -> String, id: impl Fn(&T) -> i32) {
    rows.sort_by_cached_key(|row| (fold(&name(row)), id(row)));
}

/// Positions of `ids` through `index`, skipping unknown ones, sorted and deduplicated.
fn positions<T>(ids: impl IntoIterator<Item = i32>, index: &HashMap<i32, Ix<T>>) -> Vec<Ix<T>> {
    let mut found: Vec<Ix<T>> = ids
        .into_iter()
        .filter_map(|id| index.get(&id).copied())
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

impl Snapshot {
    /// Reads the database and builds a snapshot.
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Ok(Self::build(Rows::read(db).await?))
    }

    /// Builds the snapshot and its indexes. Rows pointing at missing rows (which foreign
    /// keys forbid) are left out rather than trusted.
    pub fn build(mut rows: Rows) -> Self {
        let mut s = Snapshot {
            version: rows.version,
            last_roster_import: rows.last_roster_import.take(),
            ..Default::default()
        };
        s.build_directory(&mut rows);
        s.build_work(&mut rows);
        s.build_outlines();
        s.tokens = rows
            .tokens
            .drain(..)
            .map(|t| (t.token_hash.clone(), t))
            .collect();
        s
    }

    /// Each territory's outline from its communes', and the map of them all.
    fn build_outlines(&mut self) {
        let mut features = Vec::with_capacity(self.territories.len());
        for territory in self.territories.iter_mut() {
            let codes = territory
                .communes
                .iter()
                .filter_map(|&c| self.communes.get(c))
                .map(|c| c.insee_code.as_str());
            let geometry = outline::union(codes).map(|o| Arc::new(o.to_geojson()));
            let coordinators: Vec<String> = territory
                .coordinators
                .iter()
                .filter_map(|&c| self.coordinators.get(c))
                .map(|c| format!("{} {}", c.model.first_name, c.model.last_name))
                .collect();
            features.push(serde_json::json!({
                "type": "Feature",
                "id": territory.number,
                "properties": {
                    "number": territory.number,
                    "name": territory.name,
                    "coordinators": coordinators,
                },
                "geometry": geometry.as_deref().cloned().unwrap_or(Value::Null),
            }));
            territory.outline = geometry;
        }
        self.territories_geojson = Arc::new(serde_json::json!({
            "type": "FeatureCollection",
            "features": features,
        }));
    }

    /// Territories, communes, collèges, coordinators, themes.
    fn build_directory(&mut self, rows: &mut Rows) {
        rows.territories.sort_by_key(|t| (t.number, t.id));
        for t in rows.territories.drain(..) {
            let index = self.territories.next_ix();
            self.territory_by_id.insert(t.id, index);
            self.territory_by_number.insert(t.number, index);
            let names = &mut self.names.territories;
            names.insert(index, &t.name);
            names.insert_as(index, &format!("Territoire {}", t.number), KeySource::Code);
            names.insert_as(index, &format!("T{}", t.number), KeySource::Code);
            names.insert_as(index, &format!("T {}", t.number), KeySource::Code);
            self.territories.push(TerritoryRow {
                id: t.id,
                number: t.number,
                name: t.name,
                communes: Vec::new(),
                colleges: Vec::new(),
                coordinators: Vec::new(),
                local_bodies: Vec::new(),
                partners: Vec::new(),
                outline: None,
            });
        }

        sort_by_name(&mut rows.communes, |c| c.name.clone(), |c| c.id);
        for c in rows.communes.drain(..) {
            let Some(&territory) = self.territory_by_id.get(&c.territory_id) else {
                continue;
            };
            let index = self.communes.next_ix();
            self.commune_by_id.insert(c.id, index);
            self.commune_by_insee.insert(c.insee_code.clone(), index);
            self.names.communes.insert(index, &c.name);
            self.territories[territory].communes.push(index);
            let outline = outline::commune_geojson(&c.insee_code);
            self.communes.push(CommuneRow {
                id: c.id,
                insee_code: c.insee_code,
                name: c.name,
                territory,
                postal_codes: Vec::new(),
                aliases: Vec::new(),
                colleges: Vec::new(),
                local_bodies: Vec::new(),
                partners: Vec::new(),
                outline,
            });
        }
        rows.postal_codes
            .sort_by(|a, b| a.postal_code.cmp(&b.postal_code));
        for p in rows.postal_codes.drain(..) {
            if let Some(&index) = self.commune_by_id.get(&p.commune_id) {
                self.commune_by_postal_code
                    .entry(p.postal_code.clone())
                    .or_default()
                    .push(index);
                self.communes[index].postal_codes.push(p.postal_code);
            }
        }
        rows.aliases.sort_by(|a, b| a.alias.cmp(&b.alias));
        for a in rows.aliases.drain(..) {
            if let Some(&index) = self.commune_by_id.get(&a.commune_id) {
                self.names
                    .communes
                    .insert_as(index, &a.alias, KeySource::Alias);
                self.communes[index].aliases.push(a.alias);
            }
        }
        self.commune_matcher =
            matcher::Index::build(self.communes.iter_enumerated().flat_map(|(index, c)| {
                std::iter::once(&c.name)
                    .chain(&c.aliases)
                    .enumerate()
                    .map(move |(source, name)| {
                        (matcher::glue(name), index.raw() as u32, source as u32)
                    })
            }));

        sort_by_name(&mut rows.colleges, |c| c.name.clone(), |c| c.id);
        for model in rows.colleges.drain(..) {
            let Some(&commune) = self.commune_by_id.get(&model.commune_id) else {
                continue;
            };
            let index = self.colleges.next_ix();
            self.college_by_id.insert(model.id, index);
            self.college_by_uai.insert(model.uai.clone(), index);
            self.names.colleges.insert(index, &model.name);
            self.names
                .colleges
                .insert_as(index, &model.uai, KeySource::Code);
            self.communes[commune].colleges.push(index);
            let territory = self.communes[commune].territory;
            self.territories[territory].colleges.push(index);
            self.colleges.push(CollegeRow {
                model,
                commune,
                local_bodies: Vec::new(),
            });
        }

        sort_by_name(
            &mut rows.coordinators,
            |c| format!("{} {}", c.last_name, c.first_name),
            |c| c.id,
        );
        for model in rows.coordinators.drain(..) {
            let index = self.coordinators.next_ix();
            self.coordinator_by_id.insert(model.id, index);
            self.names
                .coordinators
                .insert(index, &format!("{} {}", model.first_name, model.last_name));
            self.names
                .coordinators
                .insert(index, &format!("{} {}", model.last_name, model.first_name));
            // What people also type: a glued surname ("vanderheyden"), the e-mail
            // address, the title.
            self.names.coordinators.insert_as(
                index,
                &matcher::glue(&model.last_name),
                KeySource::Alias,
            );
            self.names.coordinators.insert_as(
                index,
                &matcher::glue(&format!("{} {}", model.first_name, model.last_name)),
                KeySource::Alias,
            );
            for (extra, on) in [
                (&model.email, KeySource::Email),
                (&model.title, KeySource::Title),
            ] {
                if let Some(extra) = extra {
                    self.names.coordinators.insert_as(index, extra, on);
                }
            }
            self.coordinators.push(CoordinatorRow {
                model,
                territories: Vec::new(),
                history: Vec::new(),
                representations: Vec::new(),
                projects_led: Vec::new(),
            });
        }
        // Assignments arrive oldest first: current territories end up earliest first.
        let mut current: Vec<(DateTime<Utc>, i32, TerritoryIx, CoordinatorIx)> = Vec::new();
        for a in rows.assignments.drain(..) {
            let (Some(&coordinator), Some(&territory)) = (
                self.coordinator_by_id.get(&a.coordinator_id),
                self.territory_by_id.get(&a.territory_id),
            ) else {
                continue;
            };
            let row = &mut self.coordinators[coordinator];
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
            let list = &mut self.territories[territory].coordinators;
            if !list.contains(&coordinator) {
                list.push(coordinator);
            }
        }

        rows.themes.sort_by_key(|t| (t.position, t.id));
        for model in rows.themes.drain(..) {
            let index = self.themes.next_ix();
            self.theme_by_id.insert(model.id, index);
            self.theme_by_code.insert(model.code.clone(), index);
            self.theme_by_label.insert(fold(&model.label), index);
            self.names.themes.insert(index, &model.label);
            self.names
                .themes
                .insert_as(index, &model.code, KeySource::Code);
            self.themes.push(ThemeRow { model });
        }
    }

    /// Local bodies, partners, projects.
    fn build_work(&mut self, rows: &mut Rows) {
        let mut representatives: HashMap<i32, Vec<i32>> = HashMap::new();
        for r in rows.representatives.drain(..) {
            representatives
                .entry(r.local_body_id)
                .or_default()
                .push(r.coordinator_id);
        }
        sort_by_name(&mut rows.local_bodies, |b| b.name.clone(), |b| b.id);
        for model in rows.local_bodies.drain(..) {
            let Some(&territory) = self.territory_by_id.get(&model.territory_id) else {
                continue;
            };
            let index = self.local_bodies.next_ix();
            let commune = model
                .commune_id
                .and_then(|id| self.commune_by_id.get(&id).copied());
            let college = model
                .college_id
                .and_then(|id| self.college_by_id.get(&id).copied());
            let representatives = positions(
                representatives.remove(&model.id).unwrap_or_default(),
                &self.coordinator_by_id,
            );
            self.local_body_by_id.insert(model.id, index);
            self.names.local_bodies.insert(index, &model.name);
            self.territories[territory].local_bodies.push(index);
            if let Some(commune) = commune {
                self.communes[commune].local_bodies.push(index);
            }
            if let Some(college) = college {
                self.colleges[college].local_bodies.push(index);
            }
            for &coordinator in &representatives {
                self.coordinators[coordinator].representations.push(index);
            }
            self.local_bodies.push(LocalBodyRow {
                model,
                territory,
                commune,
                college,
                representatives,
            });
        }

        let mut expectations: HashMap<i32, Vec<partner_expectation::Model>> = HashMap::new();
        for e in rows.expectations.drain(..) {
            expectations.entry(e.partner_id).or_default().push(e);
        }
        sort_by_name(&mut rows.partners, |p| p.name.clone(), |p| p.id);
        for model in rows.partners.drain(..) {
            let index = self.partners.next_ix();
            let commune = model
                .commune_id
                .and_then(|id| self.commune_by_id.get(&id).copied());
            let territory = model
                .territory_id
                .and_then(|id| self.territory_by_id.get(&id).copied())
                .or_else(|| commune.map(|c| self.communes[c].territory));
            self.partner_by_id.insert(model.id, index);
            self.names.partners.insert(index, &model.name);
            if let Some(territory) = territory {
                self.territories[territory].partners.push(index);
            }
            if let Some(commune) = commune {
                self.communes[commune].partners.push(index);
            }
            self.partners.push(PartnerRow {
                expectations: expectations.remove(&model.id).unwrap_or_default(),
                model,
                territory,
                commune,
                projects: Vec::new(),
            });
        }

        self.build_projects(rows);
    }

    /// Projects, their links resolved to positions, their orderings, and the lists of
    /// projects each coordinator leads and each partner takes part in.
    fn build_projects(&mut self, rows: &mut Rows) {
        rows.projects.sort_by_key(|p| p.id);
        // Projects are pushed below in this order, so their positions are known now and
        // the link rows can be gathered per project before the projects are built.
        for (raw, p) in rows.projects.iter().enumerate() {
            self.project_by_id.insert(p.id, Ix::new(raw));
        }
        let mut gathered = vec![GatheredLinks::default(); rows.projects.len()];
        let by_id = &self.project_by_id;
        for l in rows.project_axes.drain(..) {
            if let Some(g) = GatheredLinks::of(&mut gathered, by_id, l.project_id) {
                g.axes.push(l.axis);
            }
        }
        for l in rows.project_environments.drain(..) {
            if let Some(g) = GatheredLinks::of(&mut gathered, by_id, l.project_id) {
                g.environments.push(l.environment);
            }
        }
        for l in rows.project_themes.drain(..) {
            if let Some(g) = GatheredLinks::of(&mut gathered, by_id, l.project_id) {
                g.themes.push(l.theme_id);
            }
        }
        for l in rows.project_territories.drain(..) {
            if let Some(g) = GatheredLinks::of(&mut gathered, by_id, l.project_id) {
                g.territories.push(l.territory_id);
            }
        }
        for l in rows.project_communes.drain(..) {
            if let Some(g) = GatheredLinks::of(&mut gathered, by_id, l.project_id) {
                g.communes.push(l.commune_id);
            }
        }
        for l in rows.project_colleges.drain(..) {
            if let Some(g) = GatheredLinks::of(&mut gathered, by_id, l.project_id) {
                g.colleges.push(l.college_id);
            }
        }
        for l in rows.project_partners.drain(..) {
            if let Some(g) = GatheredLinks::of(&mut gathered, by_id, l.project_id) {
                g.partners.push(l.partner_id);
            }
        }

        for (model, links) in rows.projects.drain(..).zip(gathered) {
            let GatheredLinks {
                mut axes,
                mut environments,
                themes,
                territories: direct_territories,
                communes,
                colleges,
                partners,
            } = links;
            axes.sort();
            environments.sort();
            let themes = positions(themes, &self.theme_by_id);
            let direct_territories = positions(direct_territories, &self.territory_by_id);
            let communes = positions(communes, &self.commune_by_id);
            let colleges = positions(colleges, &self.college_by_id);
            let partners = positions(partners, &self.partner_by_id);
            let mut territories = direct_territories.clone();
            territories.extend(communes.iter().map(|&c| self.communes[c].territory));
            territories.extend(
                colleges
                    .iter()
                    .map(|&c| self.communes[self.colleges[c].commune].territory),
            );
            territories.sort_unstable();
            territories.dedup();
            let lead = model
                .lead_coordinator_id
                .and_then(|id| self.coordinator_by_id.get(&id).copied());
            let text = fold(&format!(
                "{} {}",
                model.title,
                model.summary.as_deref().unwrap_or_default()
            ));
            let index = self.projects.next_ix();
            self.names.projects.insert(index, &model.title);
            for &theme in &themes {
                self.names.projects.insert_as(
                    index,
                    &self.themes[theme].model.label,
                    KeySource::ThemeLabel,
                );
            }
            self.projects.push(ProjectRow {
                model,
                axes,
                environments,
                themes,
                direct_territories,
                communes,
                colleges,
                partners,
                territories,
                lead,
                text,
            });
        }

        for sort in ProjectSort::ALL {
            for descending in [false, true] {
                let spec = sort.spec(descending);
                let order = spec.sorted(self.projects.indices().collect(), |&i| {
                    sort.key(&self.projects[i])
                });
                self.project_orders.insert((sort, descending), order);
            }
        }
        let by_update = self
            .project_orders
            .get(&(ProjectSort::UpdatedAt, true))
            .cloned()
            .unwrap_or_default();
        for &p in &by_update {
            let project = &self.projects[p];
            if let Some(lead) = project.lead {
                self.coordinators[lead].projects_led.push(p);
            }
            for &partner in &project.partners {
                self.partners[partner].projects.push(p);
            }
        }
    }

    /// Every project (archived too) in the order `sort`, descending or not.
    pub fn projects_in_order(&self, sort: ProjectSort, descending: bool) -> &[ProjectIx] {
        self.project_orders
            .get(&(sort, descending))
            .map_or(&[], Vec::as_slice)
    }

    /// The ordering of projects by `sort`.
    pub fn project_order_spec(sort: ProjectSort, descending: bool) -> OrderSpec {
        sort.spec(descending)
    }

    /// The territory numbered `number`.
    pub fn territory_by_number(&self, number: i32) -> Option<TerritoryIx> {
        self.territory_by_number.get(&number).copied()
    }

    /// The territory with database id `id`.
    pub fn territory_by_id(&self, id: i32) -> Option<TerritoryIx> {
        self.territory_by_id.get(&id).copied()
    }

    /// The commune with database id `id`.
    pub fn commune_by_id(&self, id: i32) -> Option<CommuneIx> {
        self.commune_by_id.get(&id).copied()
    }

    /// The coordinator with database id `id`.
    pub fn coordinator_by_id(&self, id: i32) -> Option<CoordinatorIx> {
        self.coordinator_by_id.get(&id).copied()
    }

    /// The collège with database id `id`.
    pub fn college_by_id(&self, id: i32) -> Option<CollegeIx> {
        self.college_by_id.get(&id).copied()
    }

    /// The theme with database id `id`.
    pub fn theme_by_id(&self, id: i32) -> Option<ThemeIx> {
        self.theme_by_id.get(&id).copied()
    }

    /// The theme with code `code` (case-insensitive).
    pub fn theme_by_code(&self, code: &str) -> Option<ThemeIx> {
        self.theme_by_code
            .get(&code.trim().to_ascii_uppercase())
            .copied()
    }

    /// The theme with code or French label `text` (label folded: "sante mentale").
    pub fn theme_by_code_or_label(&self, text: &str) -> Option<ThemeIx> {
        self.theme_by_code(text)
            .or_else(|| self.theme_by_label.get(&fold(text)).copied())
    }

    /// The local body with database id `id`.
    pub fn local_body_by_id(&self, id: i32) -> Option<LocalBodyIx> {
        self.local_body_by_id.get(&id).copied()
    }

    /// The partner with database id `id`.
    pub fn partner_by_id(&self, id: i32) -> Option<PartnerIx> {
        self.partner_by_id.get(&id).copied()
    }

    /// The project with database id `id`.
    pub fn project_by_id(&self, id: i32) -> Option<ProjectIx> {
        self.project_by_id.get(&id).copied()
    }

    /// The API token whose SHA-256 (hex) is `hash`.
    pub fn token_by_hash(&self, hash: &str) -> Option<&api_token::Model> {
        self.tokens.get(hash)
    }

    /// The commune with INSEE code `code`.
    pub fn commune_by_insee(&self, code: &str) -> Option<CommuneIx> {
        self.commune_by_insee.get(code.trim()).copied()
    }

    /// The collège with UAI `uai` (case-insensitive).
    pub fn college_by_uai(&self, uai: &str) -> Option<CollegeIx> {
        self.college_by_uai
            .get(&uai.trim().to_ascii_uppercase())
            .copied()
    }

    /// The collège named `name` (forgiving, exact after folding) or with UAI `name`; an
    /// ambiguous name finds nothing.
    pub fn college_named(&self, name: &str) -> Option<CollegeIx> {
        self.college_by_uai(name)
            .or_else(|| match self.names.colleges.exact(name) {
                [one] => Some(*one),
                _ => None,
            })
    }

    /// The communes whose official name or alias is `name` once folded.
    pub fn communes_named(&self, name: &str) -> &[CommuneIx] {
        self.names.communes.exact(name)
    }

    /// A commune by INSEE code or by name (forgiving); `None` if unknown or ambiguous.
    pub fn commune_by_code_or_name(&self, text: &str) -> Option<CommuneIx> {
        self.commune_by_insee(text)
            .or_else(|| match self.communes_named(text) {
                [one] => Some(*one),
                _ => None,
            })
    }

    /// Looks a commune up by name (through the forgiving matcher: typos, aliases, postal
    /// codes) and/or INSEE code; an ambiguous name, or one outside the département,
    /// finds nothing.
    pub fn lookup_commune(&self, name: Option<&str>, insee_code: Option<&str>) -> CommuneLookup {
        let by_name = name.map(|name| matcher::lookup(self, name).found);
        let by_code = insee_code.map(|code| self.commune_by_insee(code));
        match (by_name, by_code) {
            (Some(a), Some(b)) if a == b => a.map_or(CommuneLookup::NotFound, CommuneLookup::Found),
            (Some(_), Some(_)) => CommuneLookup::Disagree,
            (Some(Some(found)), None) | (None, Some(Some(found))) => CommuneLookup::Found(found),
            _ => CommuneLookup::NotFound,
        }
    }

    /// Communes matching `text` (name, alias, postal code or its beginning, INSEE code),
    /// best first; every commune, by name, when `text` is blank.
    pub fn search_communes(&self, text: &str) -> Vec<Match<CommuneIx>> {
        let digits = text.trim();
        if digits.is_empty() {
            return self
                .communes
                .indices()
                .map(|item| Match::bare(item, MatchRank::Exact, KeySource::Name))
                .collect();
        }
        let mut matches = self.names.communes.search(text);
        // Postal codes as people write them: "92 130", "92-130", "92.130".
        let digits: String = digits
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.'))
            .collect();
        let digits = digits.as_str();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            for (index, commune) in self.communes.iter_enumerated() {
                let rank = if commune.postal_codes.iter().any(|p| p == digits)
                    || commune.insee_code == digits
                {
                    Some(MatchRank::Exact)
                } else if commune.postal_codes.iter().any(|p| p.starts_with(digits)) {
                    Some(MatchRank::Prefix)
                } else {
                    None
                };
                if let Some(rank) = rank {
                    matches.retain(|m| m.item != index);
                    matches.push(Match::bare(index, rank, KeySource::PostalCode));
                }
            }
            matches.sort_by(|a, b| b.rank.cmp(&a.rank).then(a.item.cmp(&b.item)));
        }
        matches
    }

    /// The communes with postal code `code`.
    pub fn communes_with_postal_code(&self, code: &str) -> &[CommuneIx] {
        self.commune_by_postal_code
            .get(code.trim())
            .map_or(&[], Vec::as_slice)
    }
}
