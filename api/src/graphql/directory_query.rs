//! The directory queries: territories, communes, coordinators.

use async_graphql::{Context, Object, Result};

use super::{Commune, Coordinator, Territory, snapshot};
use crate::directory::CommuneLookup;
use crate::error::Error;

/// Queries of the public directory ("who coordinates my commune?").
#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Every territory, by number.
    async fn territories<'a>(&self, ctx: &Context<'a>) -> Result<Vec<Territory<'a>>> {
        let dir = snapshot(ctx)?;
        Ok((0..dir.territories.len())
            .filter_map(|i| Territory::at(dir, i))
            .collect())
    }

    /// The territory numbered `number`; null if there is none.
    async fn territory<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Territory number, 1 to 7.")] number: i32,
    ) -> Result<Option<Territory<'a>>> {
        let dir = snapshot(ctx)?;
        Ok(dir
            .territory_by_number(number)
            .map(|row| Territory { dir, row }))
    }

    /// One commune, by name or INSEE code (or both, which must agree).
    ///
    /// The name is matched exactly after folding case, accents, hyphens, apostrophes and
    /// spaces, against the official name and the names people use: "sevres",
    /// "Asnières", "ville d avray", "St-Cloud" all work. No match, or a name shared by
    /// several communes, gives null; for partial matching use `communes(search:)`.
    /// Neither argument, or two that name different communes: `BAD_USER_INPUT`.
    async fn commune<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Name as people write it.")] name: Option<String>,
        #[graphql(desc = "Official INSEE code, e.g. \"92004\".")] insee_code: Option<String>,
    ) -> Result<Option<Commune<'a>>> {
        let dir = snapshot(ctx)?;
        if name.is_none() && insee_code.is_none() {
            return Err(Error::bad_input("give a commune name or an INSEE code", &["name"]).into());
        }
        match dir.lookup_commune(name.as_deref(), insee_code.as_deref()) {
            CommuneLookup::Found(index) => Ok(Commune::at(dir, index)),
            CommuneLookup::NotFound => Ok(None),
            CommuneLookup::Disagree => Err(Error::bad_input(
                "the name and the INSEE code designate different communes",
                &["inseeCode"],
            )
            .into()),
        }
    }

    /// Communes, by name; with `search`, the ones matching it best first (exact, then
    /// starting with, then containing it, ignoring case, accents, punctuation and word
    /// order; postal codes match too).
    async fn communes<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Part of a name, alias or postal code.")] search: Option<String>,
        #[graphql(desc = "Only the communes of this territory number.")] territory: Option<i32>,
        #[graphql(desc = "Only the communes with this postal code.")] postal_code: Option<String>,
    ) -> Result<Vec<Commune<'a>>> {
        let dir = snapshot(ctx)?;
        let territory = match territory {
            Some(number) => match dir.territory_by_number(number) {
                Some(row) => Some(row.id),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let postal = postal_code
            .as_deref()
            .map(|code| dir.communes_with_postal_code(code));
        Ok(dir
            .search_communes(search.as_deref().unwrap_or_default())
            .into_iter()
            .filter(|m| postal.is_none_or(|list| list.contains(&m.item)))
            .filter_map(|m| Commune::at(dir, m.item))
            .filter(|c| territory.is_none_or(|id| dir.territories[c.row.territory].id == id))
            .collect())
    }

    /// Coordinators, by last name: the active ones, of one territory if asked.
    async fn coordinators<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Only the coordinators currently covering this territory number.")]
        territory: Option<i32>,
        #[graphql(
            desc = "Also the people who left the roster (their contacts stay hidden).",
            default = false
        )]
        include_inactive: bool,
    ) -> Result<Vec<Coordinator<'a>>> {
        let dir = snapshot(ctx)?;
        let territory = match territory {
            Some(number) => match dir.territory_by_number(number) {
                Some(row) => Some(row.number),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        Ok((0..dir.coordinators.len())
            .filter_map(|i| Coordinator::at(dir, i))
            .filter(|c| include_inactive || c.row.model.active)
            .filter(|c| {
                territory.is_none_or(|number| {
                    c.row
                        .territories
                        .iter()
                        .any(|&t| dir.territories[t].number == number)
                })
            })
            .collect())
    }
}
