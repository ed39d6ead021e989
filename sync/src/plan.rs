//! Planning: what the import would change, computed from the valid file and the current
//! roster without writing anything — the same plan serves the dry run, the deactivation
//! guard, the report and the apply step.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::normalize::fold;
use entity::{coordinator, coordinator_assignment};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::field::{CoordinatorField, Values};
use crate::identity::{IdentityChange, Matches, match_people};
use crate::reference::Reference;
use crate::validate::ValidRoster;

/// What happens to one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    /// New in the roster.
    Added,
    /// Back in the roster after a deactivation.
    Reactivated,
    /// Changed territory (details may have changed too: see `fields`).
    Moved,
    /// Details changed (name, title, e-mail, phone, matricule).
    Updated,
    /// Missing from the file: deactivated, never deleted.
    Deactivated,
}

impl ChangeKind {
    /// French label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Added => "Ajout",
            Self::Reactivated => "Réactivation",
            Self::Moved => "Changement de territoire",
            Self::Updated => "Modification",
            Self::Deactivated => "Désactivation",
        }
    }
}

/// A field that changes, with its value before and after (null when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// The field, named as in the API (`employeeId`, `firstName`…).
    pub field: CoordinatorField,
    /// The stored value; `None` when empty.
    pub before: Option<String>,
    /// The file's value; `None` when empty.
    pub after: Option<String>,
}

impl FieldDiff {
    pub(crate) fn new(field: CoordinatorField, before: Option<&str>, after: Option<&str>) -> Self {
        Self {
            field,
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }
}

/// The values a coordinator row has after the import.
pub(crate) type Target = Values<Option<String>>;

/// One person's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonChange {
    /// What happens.
    pub kind: ChangeKind,
    /// The coordinator's id (none for an addition).
    pub coordinator_id: Option<i32>,
    /// Matricule after the import.
    pub employee_id: Option<String>,
    /// First name after the import.
    pub first_name: String,
    /// Last name after the import.
    pub last_name: String,
    /// The spreadsheet rows describing the person (none for a deactivation).
    pub rows: Vec<u32>,
    /// Changed fields.
    pub fields: Vec<FieldDiff>,
    /// Territory numbers before (current assignments).
    pub territories_before: Vec<i32>,
    /// Territory numbers after.
    pub territories_after: Vec<i32>,
    #[serde(skip)]
    pub(crate) apply: ApplyDetails,
}

/// What the apply step needs beyond the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ApplyDetails {
    /// Index into [`Current::coordinators`].
    pub current: Option<usize>,
    pub target: Option<Target>,
    /// Open assignments to close: (id, started_at).
    pub close: Vec<(i32, DateTime<Utc>)>,
    /// Territory numbers to open.
    pub open: Vec<i32>,
}

impl PersonChange {
    /// Whether the territory set changes.
    pub fn territories_changed(&self) -> bool {
        self.territories_before != self.territories_after
    }
}

/// A commune that changes territory because the file lists it under another one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommuneMove {
    /// The commune's id.
    pub commune_id: i32,
    /// Its INSEE code.
    pub insee_code: String,
    /// Its official name.
    pub name: String,
    /// Territory number before.
    pub from_territory: i32,
    /// Territory number after.
    pub to_territory: i32,
    /// The row that lists it.
    pub row: u32,
}

/// How many people each kind of change concerns. A person both moved and updated counts
/// in both `moved` and `updated`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// New people.
    pub added: u32,
    /// People whose details changed.
    pub updated: u32,
    /// People whose territories changed.
    pub moved: u32,
    /// People deactivated.
    pub deactivated: u32,
    /// People reactivated.
    pub reactivated: u32,
    /// People in the file with nothing to change.
    pub unchanged: u32,
    /// Communes moved to another territory.
    pub communes_moved: u32,
}

/// The whole plan of an import.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Changed people (unchanged ones are only counted).
    pub changes: Vec<PersonChange>,
    /// Communes moving between territories.
    pub commune_moves: Vec<CommuneMove>,
    /// Counts, as stored on the sync run.
    pub counts: Counts,
    /// Active coordinators before the import (the deactivation guard's base).
    pub active_before: u32,
    /// Stored people whose matricule (or e-mail) the file changes, or whose e-mail goes
    /// to someone else: errors unless the import is forced.
    #[serde(default)]
    pub identity_changes: Vec<IdentityChange>,
    /// Territories that have an active coordinator now and would have none after the
    /// import (the vacancy guard: such a file is refused unless forced).
    #[serde(default)]
    pub vacated_territories: Vec<VacatedTerritory>,
}

/// What an applied run keeps of its plan: the counts and, per changed field, how many
/// people it concerned — a few hundred bytes whatever the file's size, where the full
/// plan of a 20,000-row file weighs megabytes. The audit log already holds each change
/// with its before and after values. Dry, refused and rejected runs keep the full plan:
/// nothing else records what they would have changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompactPlan {
    /// Always `true`: tells this shape from a full plan in the stored JSON.
    pub compact: bool,
    /// Counts, as stored on the sync run.
    pub counts: Counts,
    /// Active coordinators before the import.
    pub active_before: u32,
    /// People the import changed, each once (the counts may count a person twice).
    pub people: u32,
    /// Each changed field with the number of people whose value of it changed, in field
    /// order.
    pub fields: Vec<FieldCount>,
    /// Territories left without an active coordinator (bounded by the territories).
    #[serde(default)]
    pub vacated_territories: Vec<VacatedTerritory>,
}

/// How many people one field changed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCount {
    /// The field.
    pub field: CoordinatorField,
    /// People whose value of it changed.
    pub people: u32,
}

impl CompactPlan {
    /// The compact form of `plan`.
    pub fn of(plan: &Plan) -> Self {
        let mut per_field: std::collections::BTreeMap<CoordinatorField, u32> =
            std::collections::BTreeMap::new();
        for change in &plan.changes {
            for diff in &change.fields {
                let people = per_field.entry(diff.field).or_default();
                *people = people.saturating_add(1);
            }
        }
        Self {
            compact: true,
            counts: plan.counts,
            active_before: plan.active_before,
            people: u32::try_from(plan.changes.len()).unwrap_or(u32::MAX),
            fields: per_field
                .into_iter()
                .map(|(field, people)| FieldCount { field, people })
                .collect(),
            vacated_territories: plan.vacated_territories.clone(),
        }
    }
}

/// A run's stored plan, read back from `sync_runs.plan`: full for dry, refused and
/// rejected runs, compact for applied ones.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredPlan {
    /// Every change with its values.
    Full(Plan),
    /// Counts and changed fields only (applied runs).
    Compact(CompactPlan),
}

impl StoredPlan {
    /// Reads either shape; `None` when the JSON is neither.
    pub fn parse(json: &str) -> Option<Self> {
        // The compact shape first: it requires `compact`, which a full plan lacks.
        if let Ok(compact) = serde_json::from_str::<CompactPlan>(json) {
            return Some(Self::Compact(compact));
        }
        serde_json::from_str::<Plan>(json).ok().map(Self::Full)
    }
}

/// A territory the import would leave without an active coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VacatedTerritory {
    /// Its number.
    pub number: i32,
    /// Its name ("Territoire 7").
    pub name: String,
}

impl Plan {
    /// Whether applying would change nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.commune_moves.is_empty()
    }

    /// Share of the active coordinators the plan deactivates.
    pub fn deactivation_ratio(&self) -> f64 {
        if self.active_before == 0 {
            0.0
        } else {
            f64::from(self.counts.deactivated) / f64::from(self.active_before)
        }
    }
}

/// A coordinator as stored, with their open assignments.
#[derive(Debug, Clone)]
pub(crate) struct CurrentCoordinator {
    pub model: coordinator::Model,
    /// (assignment id, territory number, started_at).
    pub open: Vec<(i32, i32, DateTime<Utc>)>,
}

impl CurrentCoordinator {
    fn territories(&self) -> Vec<i32> {
        let set: BTreeSet<i32> = self.open.iter().map(|(_, t, _)| *t).collect();
        set.into_iter().collect()
    }
}

/// The roster as stored.
#[derive(Debug, Clone, Default)]
pub(crate) struct Current {
    pub coordinators: Vec<CurrentCoordinator>,
}

impl Current {
    /// Loads every coordinator (active or not) and their open assignments.
    pub async fn load(db: &impl ConnectionTrait, reference: &Reference) -> Result<Self, DbErr> {
        let number_by_id: HashMap<i32, i32> = reference
            .territories
            .values()
            .map(|t| (t.id, t.number))
            .collect();
        let mut open: HashMap<i32, Vec<(i32, i32, DateTime<Utc>)>> = HashMap::new();
        for a in coordinator_assignment::Entity::find()
            .filter(coordinator_assignment::Column::EndedAt.is_null())
            .all(db)
            .await?
        {
            let number = number_by_id
                .get(&a.territory_id)
                .copied()
                .unwrap_or_default();
            open.entry(a.coordinator_id)
                .or_default()
                .push((a.id, number, a.started_at));
        }
        let coordinators = coordinator::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|model| CurrentCoordinator {
                open: open.remove(&model.id).unwrap_or_default(),
                model,
            })
            .collect();
        Ok(Self { coordinators })
    }

    /// Active coordinators.
    pub fn active_count(&self) -> u32 {
        let count = self.coordinators.iter().filter(|c| c.model.active).count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}

/// Computes the plan.
pub(crate) fn plan(roster: &ValidRoster, current: &Current, reference: &Reference) -> Plan {
    let Matches {
        slots: matched,
        changes: identity_changes,
    } = match_people(&roster.persons, current);
    let taken: HashSet<usize> = matched.iter().flatten().copied().collect();

    // A stored coordinator who leaves the roster gives up their e-mail if a person of the
    // file takes it (the e-mail is unique even among inactive rows).
    let email_holders: HashMap<&str, usize> = current
        .coordinators
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.model.email.as_deref().map(|e| (e, i)))
        .collect();
    let mut released: HashSet<usize> = HashSet::new();
    for (person, slot) in roster.persons.iter().zip(&matched) {
        if let Some(&holder) = email_holders.get(person.email.as_str())
            && Some(holder) != *slot
            && !taken.contains(&holder)
        {
            released.insert(holder);
        }
    }

    let mut plan = Plan {
        active_before: current.active_count(),
        identity_changes,
        ..Plan::default()
    };
    for (person, slot) in roster.persons.iter().zip(&matched) {
        let after: Vec<i32> = person.territories.iter().copied().collect();
        match slot.and_then(|i| current.coordinators.get(i).map(|c| (i, c))) {
            None => {
                let target = Target::from_fn(|field| person.value(field).flatten());
                let fields = diff(None, &target);
                plan.counts.added += 1;
                plan.changes.push(PersonChange {
                    kind: ChangeKind::Added,
                    coordinator_id: None,
                    employee_id: target.text(CoordinatorField::EmployeeId).map(str::to_owned),
                    first_name: target
                        .text(CoordinatorField::FirstName)
                        .unwrap_or_default()
                        .to_owned(),
                    last_name: target
                        .text(CoordinatorField::LastName)
                        .unwrap_or_default()
                        .to_owned(),
                    rows: person.rows.clone(),
                    fields,
                    territories_before: Vec::new(),
                    territories_after: after.clone(),
                    apply: ApplyDetails {
                        current: None,
                        target: Some(target),
                        close: Vec::new(),
                        open: after,
                    },
                });
            }
            Some((index, stored)) => {
                let model = &stored.model;
                let target = Target::from_fn(|field| {
                    person
                        .value(field)
                        .unwrap_or_else(|| field.get(model).map(str::to_owned))
                });
                let fields = diff(Some(model), &target);
                let before = stored.territories();
                let close: Vec<(i32, DateTime<Utc>)> = stored
                    .open
                    .iter()
                    .filter(|(_, t, _)| !person.territories.contains(t))
                    .map(|(id, _, started)| (*id, *started))
                    .collect();
                let open: Vec<i32> = after
                    .iter()
                    .copied()
                    .filter(|t| !before.contains(t))
                    .collect();
                let kind = if !model.active {
                    plan.counts.reactivated += 1;
                    ChangeKind::Reactivated
                } else if before != after {
                    plan.counts.moved += 1;
                    if !fields.is_empty() {
                        plan.counts.updated += 1;
                    }
                    ChangeKind::Moved
                } else if !fields.is_empty() {
                    plan.counts.updated += 1;
                    ChangeKind::Updated
                } else {
                    plan.counts.unchanged += 1;
                    continue;
                };
                plan.changes.push(PersonChange {
                    kind,
                    coordinator_id: Some(model.id),
                    employee_id: target.text(CoordinatorField::EmployeeId).map(str::to_owned),
                    first_name: target
                        .text(CoordinatorField::FirstName)
                        .unwrap_or_default()
                        .to_owned(),
                    last_name: target
                        .text(CoordinatorField::LastName)
                        .unwrap_or_default()
                        .to_owned(),
                    rows: person.rows.clone(),
                    fields,
                    territories_before: before,
                    territories_after: after,
                    apply: ApplyDetails {
                        current: Some(index),
                        target: Some(target),
                        close,
                        open,
                    },
                });
            }
        }
    }

    for (index, stored) in current.coordinators.iter().enumerate() {
        if taken.contains(&index) {
            continue;
        }
        let model = &stored.model;
        let release = released.contains(&index);
        if !model.active && !release {
            continue;
        }
        let mut target = Target::of(model);
        if release {
            target.set(CoordinatorField::Email, None);
        }
        let fields = diff(Some(model), &target);
        let kind = if model.active {
            plan.counts.deactivated += 1;
            ChangeKind::Deactivated
        } else {
            plan.counts.updated += 1;
            ChangeKind::Updated
        };
        plan.changes.push(PersonChange {
            kind,
            coordinator_id: Some(model.id),
            employee_id: model.employee_id.clone(),
            first_name: model.first_name.clone(),
            last_name: model.last_name.clone(),
            rows: Vec::new(),
            fields,
            territories_before: stored.territories(),
            territories_after: Vec::new(),
            apply: ApplyDetails {
                current: Some(index),
                target: Some(target),
                close: stored.open.iter().map(|(id, _, s)| (*id, *s)).collect(),
                open: Vec::new(),
            },
        });
    }
    plan.changes.sort_by_cached_key(|c| {
        (
            c.kind,
            fold(&c.last_name),
            fold(&c.first_name),
            c.coordinator_id,
        )
    });

    for claim in &roster.claims {
        let Some(commune) = reference.communes.get(claim.commune) else {
            continue;
        };
        if commune.territory != claim.territory {
            plan.commune_moves.push(CommuneMove {
                commune_id: commune.id,
                insee_code: commune.insee_code.clone(),
                name: commune.name.clone(),
                from_territory: commune.territory,
                to_territory: claim.territory,
                row: claim.row,
            });
        }
    }
    plan.counts.communes_moved = u32::try_from(plan.commune_moves.len()).unwrap_or(u32::MAX);
    plan
}

/// The territories that have an active coordinator now and would have none once
/// `roster` is applied. Everyone in the file is active afterwards, on exactly the
/// territories the file gives them, so this needs no matching: a territory already
/// vacant before the import is never listed (it must not block every night).
pub(crate) fn vacated_territories(
    roster: &ValidRoster,
    current: &Current,
    reference: &Reference,
) -> Vec<VacatedTerritory> {
    let covered_after: HashSet<i32> = roster
        .persons
        .iter()
        .flat_map(|p| p.territories.iter().copied())
        .collect();
    let covered_before: BTreeSet<i32> = current
        .coordinators
        .iter()
        .filter(|c| c.model.active)
        .flat_map(|c| c.open.iter().map(|(_, number, _)| *number))
        .collect();
    covered_before
        .into_iter()
        .filter(|number| !covered_after.contains(number))
        .map(|number| VacatedTerritory {
            number,
            name: reference.territory_name(number),
        })
        .collect()
}

/// The fields that differ between the stored row (none for an addition) and the target.
fn diff(stored: Option<&coordinator::Model>, target: &Target) -> Vec<FieldDiff> {
    CoordinatorField::ALL
        .into_iter()
        .filter_map(|field| {
            let before = stored.and_then(|m| field.get(m));
            let after = target.text(field);
            (before != after).then(|| FieldDiff::new(field, before, after))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::identity::IdentityChangeKind;
    use crate::reference::tests::sample;
    use crate::validate::{CommuneClaim, Key, Person};

    fn stored(
        id: i32,
        matricule: Option<&str>,
        email: &str,
        active: bool,
        territories: &[i32],
    ) -> CurrentCoordinator {
        let now = Utc::now();
        CurrentCoordinator {
            model: coordinator::Model {
                id,
                employee_id: matricule.map(str::to_owned),
                first_name: format!("P{id}"),
                last_name: format!("N{id}"),
                title: None,
                email: Some(email.to_owned()),
                phone: None,
                landline: None,
                active,
                deactivated_at: None,
                contact_erased_at: None,
                created_at: now,
                updated_at: now,
                version: 1,
            },
            open: territories
                .iter()
                .map(|t| (id * 100 + t, *t, now))
                .collect(),
        }
    }

    fn person(id: i32, matricule: Option<&str>, email: &str, territories: &[i32]) -> Person {
        Person {
            key: match matricule {
                Some(m) => Key::EmployeeId(m.to_owned()),
                None => Key::Email(email.to_owned()),
            },
            employee_id: matricule.map(str::to_owned),
            last_name: format!("N{id}"),
            first_name: format!("P{id}"),
            email: email.to_owned(),
            details: Values::default(),
            territories: territories.iter().copied().collect(),
            rows: vec![u32::try_from(id).unwrap() + 1],
        }
    }

    #[test]
    fn people_known_by_email_gain_a_matricule() {
        let current = Current {
            coordinators: vec![
                stored(1, None, "a@x.fr", true, &[1]),
                stored(2, None, "b@x.fr", true, &[2]),
            ],
        };
        let roster = ValidRoster {
            persons: vec![
                person(1, Some("0042"), "a@x.fr", &[1]),
                person(2, None, "b@x.fr", &[2]),
            ],
            claims: vec![],
        };
        let plan = plan(&roster, &current, &sample());
        assert_eq!(plan.counts.updated, 1);
        assert_eq!(plan.counts.unchanged, 1);
        assert_eq!(
            plan.changes[0].fields,
            vec![FieldDiff::new(
                CoordinatorField::EmployeeId,
                None,
                Some("0042")
            )]
        );
    }

    #[test]
    fn moves_interims_deactivations_and_reactivations() {
        let current = Current {
            coordinators: vec![
                stored(1, Some("1"), "a@x.fr", true, &[1]),
                stored(2, Some("2"), "b@x.fr", true, &[2]),
                stored(3, Some("3"), "c@x.fr", true, &[3]),
                stored(4, Some("4"), "d@x.fr", false, &[]),
            ],
        };
        let roster = ValidRoster {
            persons: vec![
                person(1, Some("1"), "a@x.fr", &[2]),
                person(2, Some("2"), "b@x.fr", &[2, 3]),
                person(4, Some("4"), "d@x.fr", &[3]),
                person(5, Some("5"), "e@x.fr", &[1]),
            ],
            claims: vec![CommuneClaim {
                commune: 0,
                territory: 2,
                row: 2,
            }],
        };
        let plan = plan(&roster, &current, &sample());
        let kinds: Vec<(ChangeKind, Option<i32>)> = plan
            .changes
            .iter()
            .map(|c| (c.kind, c.coordinator_id))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Added, None),
                (ChangeKind::Reactivated, Some(4)),
                (ChangeKind::Moved, Some(1)),
                (ChangeKind::Moved, Some(2)),
                (ChangeKind::Deactivated, Some(3)),
            ]
        );
        let interim = &plan.changes[3];
        assert_eq!(interim.territories_after, vec![2, 3]);
        assert!(interim.apply.close.is_empty());
        assert_eq!(interim.apply.open, vec![3]);
        assert_eq!(plan.counts.deactivated, 1);
        assert_eq!(plan.active_before, 3);
        assert!((plan.deactivation_ratio() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(plan.commune_moves.len(), 1);
        assert_eq!(plan.commune_moves[0].name, "Asnières-sur-Seine");
    }

    #[test]
    fn a_leaver_gives_up_an_email_a_newcomer_takes() {
        let current = Current {
            coordinators: vec![stored(1, Some("1"), "t3@x.fr", true, &[3])],
        };
        let roster = ValidRoster {
            persons: vec![person(2, Some("2"), "t3@x.fr", &[3])],
            claims: vec![],
        };
        let plan = plan(&roster, &current, &sample());
        let leaver = plan
            .changes
            .iter()
            .find(|c| c.kind == ChangeKind::Deactivated)
            .unwrap();
        assert_eq!(
            leaver.fields,
            vec![FieldDiff::new(
                CoordinatorField::Email,
                Some("t3@x.fr"),
                None
            )]
        );
        assert_eq!(plan.counts.added, 1);
        // Never silently: the import must be forced to hand the address over.
        let kinds: Vec<_> = plan.identity_changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![IdentityChangeKind::AddressTakenOver]);
    }

    #[test]
    fn a_mistyped_matricule_keeps_the_person_and_is_reported() {
        let current = Current {
            coordinators: vec![stored(1, Some("104214"), "a@x.fr", true, &[3])],
        };
        let roster = ValidRoster {
            persons: vec![person(1, Some("104215"), "a@x.fr", &[3])],
            claims: vec![],
        };
        let plan = plan(&roster, &current, &sample());
        assert_eq!((plan.counts.added, plan.counts.deactivated), (0, 0));
        assert_eq!(plan.changes.len(), 1);
        assert_eq!(plan.changes[0].coordinator_id, Some(1));
        assert_eq!(
            plan.changes[0].fields,
            vec![FieldDiff::new(
                CoordinatorField::EmployeeId,
                Some("104214"),
                Some("104215")
            )]
        );
        let change = &plan.identity_changes[0];
        assert_eq!(change.kind, IdentityChangeKind::MatriculeChange);
        assert_eq!(
            (
                change.stored_employee_id.as_deref(),
                change.file_employee_id.as_deref()
            ),
            (Some("104214"), Some("104215"))
        );
    }

    #[test]
    fn a_new_address_under_the_same_name_and_territory_keeps_the_person() {
        let current = Current {
            coordinators: vec![
                stored(1, None, "a@x.fr", true, &[3]),
                // Same name elsewhere: not the same person.
                stored(2, None, "b@x.fr", true, &[4]),
            ],
        };
        let mut moved = person(1, None, "new@x.fr", &[3]);
        moved.last_name = "n1".into();
        let mut other = person(2, None, "other@x.fr", &[5]);
        other.last_name = "N2".into();
        let roster = ValidRoster {
            persons: vec![moved, other],
            claims: vec![],
        };
        let plan = plan(&roster, &current, &sample());
        let kinds: Vec<_> = plan
            .identity_changes
            .iter()
            .map(|c| (c.kind, c.coordinator_id))
            .collect();
        assert_eq!(kinds, vec![(IdentityChangeKind::EmailChange, 1)]);
        assert_eq!((plan.counts.added, plan.counts.deactivated), (1, 1));
        let kept = plan.changes.iter().find(|c| c.coordinator_id == Some(1));
        assert_eq!(kept.map(|c| c.kind), Some(ChangeKind::Updated));
    }

    #[test]
    fn only_territories_covered_now_and_not_after_are_vacated() {
        // Territory 1 loses its coordinator; 2 keeps one; 3 was vacant already (its only
        // coordinator is inactive, with a stale open assignment).
        let current = Current {
            coordinators: vec![
                stored(1, None, "a@x.fr", true, &[1]),
                stored(2, None, "b@x.fr", true, &[2]),
                stored(3, None, "c@x.fr", false, &[3]),
            ],
        };
        let roster = ValidRoster {
            persons: vec![person(2, None, "b@x.fr", &[2])],
            claims: vec![],
        };
        let vacated = vacated_territories(&roster, &current, &sample());
        assert_eq!(vacated.iter().map(|t| t.number).collect::<Vec<_>>(), [1]);
        // Someone else taking territory 1 over leaves nothing vacant.
        let roster = ValidRoster {
            persons: vec![person(2, None, "b@x.fr", &[1, 2])],
            claims: vec![],
        };
        assert!(vacated_territories(&roster, &current, &sample()).is_empty());
    }
}
