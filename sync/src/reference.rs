//! The reference data a roster is checked against: territories and communes (with their
//! aliases), looked up exactly as the API's `commune(name:)` does — the folded official
//! name or alias; several communes behind one name is ambiguous, none is unknown.

use std::collections::{BTreeMap, HashMap};

use entity::normalize::fold;
use entity::{commune, commune_alias, territory};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

/// A territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TerritoryRef {
    pub id: i32,
    pub number: i32,
    pub name: String,
}

/// A commune and its current territory (by number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommuneRef {
    pub id: i32,
    pub insee_code: String,
    pub name: String,
    pub territory: i32,
}

/// What a commune name designates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CommuneLookup {
    /// One commune (index into [`Reference::communes`]).
    Found(usize),
    /// No commune.
    Unknown,
    /// Several communes (indexes).
    Ambiguous(Vec<usize>),
}

/// Territories and communes, indexed for the checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reference {
    /// Territories by number.
    pub territories: BTreeMap<i32, TerritoryRef>,
    /// Communes, by official name.
    pub communes: Vec<CommuneRef>,
    /// Folded official names and aliases → commune indexes.
    names: HashMap<String, Vec<usize>>,
}

impl Reference {
    /// Builds the indexes. `aliases` are `(commune id, alias)`.
    pub fn new(
        territories: Vec<TerritoryRef>,
        mut communes: Vec<CommuneRef>,
        aliases: &[(i32, String)],
    ) -> Self {
        communes.sort_by_cached_key(|c| (fold(&c.name), c.id));
        let mut names: HashMap<String, Vec<usize>> = HashMap::new();
        let by_id: HashMap<i32, usize> = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let official = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.name.as_str()));
        let alias_names = aliases
            .iter()
            .filter_map(|(id, alias)| by_id.get(id).map(|i| (*i, alias.as_str())));
        for (index, name) in official.chain(alias_names) {
            let key = fold(name);
            if key.is_empty() {
                continue;
            }
            let entry = names.entry(key).or_default();
            if !entry.contains(&index) {
                entry.push(index);
            }
        }
        Self {
            territories: territories.into_iter().map(|t| (t.number, t)).collect(),
            communes,
            names,
        }
    }

    /// Loads territories, communes and aliases.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let territories: Vec<TerritoryRef> = territory::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|t| TerritoryRef {
                id: t.id,
                number: t.number,
                name: t.name,
            })
            .collect();
        let number_by_id: HashMap<i32, i32> =
            territories.iter().map(|t| (t.id, t.number)).collect();
        let communes = commune::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|c| CommuneRef {
                id: c.id,
                insee_code: c.insee_code,
                name: c.name,
                territory: number_by_id
                    .get(&c.territory_id)
                    .copied()
                    .unwrap_or_default(),
            })
            .collect();
        let aliases: Vec<(i32, String)> = commune_alias::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.commune_id, a.alias))
            .collect();
        Ok(Self::new(territories, communes, &aliases))
    }

    /// The commune `name` designates.
    pub fn commune_named(&self, name: &str) -> CommuneLookup {
        match self.names.get(&fold(name)).map(Vec::as_slice) {
            Some([one]) => CommuneLookup::Found(*one),
            Some(several) if several.len() > 1 => CommuneLookup::Ambiguous(several.to_vec()),
            _ => CommuneLookup::Unknown,
        }
    }

    /// The id of territory `number`.
    pub fn territory_id(&self, number: i32) -> Option<i32> {
        self.territories.get(&number).map(|t| t.id)
    }

    /// "Territoire 3" (the stored name), or a generic one for an unknown number.
    pub fn territory_name(&self, number: i32) -> String {
        self.territories
            .get(&number)
            .map_or_else(|| format!("Territoire {number}"), |t| t.name.clone())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small département: 3 territories, a few communes, the seed's aliases.
    pub(crate) fn sample() -> Reference {
        let territories = (1..=3)
            .map(|n| TerritoryRef {
                id: n * 10,
                number: n,
                name: format!("Territoire {n}"),
            })
            .collect();
        let communes = [
            (1, "92004", "Asnières-sur-Seine", 1),
            (2, "92036", "Gennevilliers", 1),
            (3, "92078", "Villeneuve-la-Garenne", 1),
            (4, "92035", "La Garenne-Colombes", 2),
            (5, "92025", "Colombes", 2),
            (6, "92024", "Clichy", 3),
            (7, "92064", "Saint-Cloud", 3),
            (8, "92077", "Ville-d'Avray", 3),
        ]
        .into_iter()
        .map(|(id, code, name, territory)| CommuneRef {
            id,
            insee_code: code.into(),
            name: name.into(),
            territory,
        })
        .collect();
        let aliases = [
            (1, "Asnières".to_owned()),
            (4, "La Garenne".to_owned()),
            (3, "Villeneuve".to_owned()),
            (7, "St-Cloud".to_owned()),
            // Deliberately ambiguous: "Garenne" for two communes.
            (3, "Garenne".to_owned()),
            (4, "Garenne".to_owned()),
        ];
        Reference::new(territories, communes, &aliases)
    }

    #[test]
    fn communes_are_found_like_the_api_finds_them() {
        let reference = sample();
        let name = |lookup: CommuneLookup| match lookup {
            CommuneLookup::Found(i) => reference.communes[i].name.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            name(reference.commune_named("Asnières")),
            "Asnières-sur-Seine"
        );
        assert_eq!(
            name(reference.commune_named("asnieres sur seine")),
            "Asnières-sur-Seine"
        );
        assert_eq!(
            name(reference.commune_named("ville d'avray")),
            "Ville-d'Avray"
        );
        assert_eq!(name(reference.commune_named("Saint Cloud")), "Saint-Cloud");
        assert_eq!(name(reference.commune_named("st cloud")), "Saint-Cloud");
        assert_eq!(reference.commune_named("Paris"), CommuneLookup::Unknown);
        assert_eq!(reference.commune_named(""), CommuneLookup::Unknown);
        assert!(matches!(
            reference.commune_named("garenne"),
            CommuneLookup::Ambiguous(v) if v.len() == 2
        ));
    }
}
