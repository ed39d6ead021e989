//! The public directory: territories, communes, coordinators, collèges, themes.

use async_graphql::{Context, ID, Object, Result};

use crate::directory::CommuneLookup;
use crate::error::Error;
use crate::graphql::inputs::{self, include_hidden};
use crate::graphql::types::{
    College, Commune, CommuneLookupResult, Coordinator, GeoJson, Saec, Territory, Theme, Vocabulary,
};
use crate::graphql::{ids, snapshot};

/// Queries of the public directory ("who coordinates my commune?").
#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// The SAEC, the service the coordinators belong to: its full name, direction,
    /// mission, the coordinators' functions and example actions, in French.
    async fn saec(&self) -> Saec {
        Saec(crate::directory::SAEC)
    }

    /// Every territory, by number.
    async fn territories<'a>(&self, ctx: &Context<'a>) -> Result<Vec<Territory<'a>>> {
        let dir = snapshot(ctx)?;
        Ok(dir
            .territories
            .indices()
            .filter_map(|i| Territory::at(dir, i))
            .collect())
    }

    /// Every territory on one map: a GeoJSON `FeatureCollection` with one feature per
    /// territory (`id` and `properties.number` its number, `properties.name`,
    /// `properties.coordinators` its active coordinators' names), ready for Leaflet or
    /// MapLibre. Simplified outlines: for drawing, not for locating an address.
    async fn territories_geo_json<'a>(&self, ctx: &Context<'a>) -> Result<GeoJson> {
        Ok(GeoJson(snapshot(ctx)?.territories_geojson.clone()))
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
            .and_then(|i| Territory::at(dir, i)))
    }

    /// One commune, by name or INSEE code (or both, which must agree).
    ///
    /// The name goes through the forgiving matcher of `communeLookup`: case, accents,
    /// hyphens, apostrophes, glued or split words, typos, the names people use and
    /// postal codes ("sevres", "Asnières", "villedavray", "nantere", "92 130",
    /// "st cloud 92210") all work. The commune `communeLookup` would give as `match`,
    /// else null (unknown, ambiguous, outside the département: `communeLookup` says
    /// which). Neither argument, or two that name different communes: `BAD_USER_INPUT`.
    async fn commune<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Name as people write it.", validator(chars_max_length = 200))]
        name: Option<String>,
        #[graphql(
            desc = "Official INSEE code, e.g. \"92004\".",
            validator(chars_max_length = 200)
        )]
        insee_code: Option<String>,
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

    /// Looks up what a resident typed for their commune and explains the answer: the
    /// commune of the département if the text designates one, ranked candidates from
    /// all of France (typos, glued words, aliases, postal codes with any separator, a
    /// name and a postal code together), a `reason` and a French `message` ("Paris
    /// n'est pas dans les Hauts-de-Seine."). Longer than 200 characters:
    /// `BAD_USER_INPUT`.
    async fn commune_lookup<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "What the resident typed: a name, a postal code, or both.",
            validator(chars_max_length = 200)
        )]
        text: String,
    ) -> Result<CommuneLookupResult<'a>> {
        let dir = snapshot(ctx)?;
        Ok(CommuneLookupResult::new(dir, &text))
    }

    /// Communes, by name; with `search`, the ones matching it best first (exact, then
    /// starting with it, then containing it, then all its words in any order; case,
    /// accents and punctuation ignored; postal codes and their beginning match too).
    async fn communes<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Part of a name, alias or postal code.",
            validator(chars_max_length = 200)
        )]
        search: Option<String>,
        #[graphql(desc = "Only the communes of this territory number.")] territory: Option<i32>,
        #[graphql(
            desc = "Only the communes with this postal code.",
            validator(chars_max_length = 200)
        )]
        postal_code: Option<String>,
    ) -> Result<Vec<Commune<'a>>> {
        let dir = snapshot(ctx)?;
        let territory = inputs::territory(dir, territory, &["territory"])?;
        let postal = postal_code
            .as_deref()
            .map(|code| dir.communes_with_postal_code(code));
        Ok(dir
            .search_communes(search.as_deref().unwrap_or_default())
            .into_iter()
            .filter(|m| postal.is_none_or(|list| list.contains(&m.item)))
            .filter_map(|m| Commune::at(dir, m.item))
            .filter(|c| territory.is_none_or(|t| c.row.territory == t))
            .collect())
    }

    /// Coordinators, by last name: the active ones, of one territory if asked.
    async fn coordinators<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Only the coordinators currently covering this territory number.")]
        territory: Option<i32>,
        #[graphql(
            desc = "Also the people who left the roster (EDITOR token).",
            default_with = "Some(false)"
        )]
        include_inactive: Option<bool>,
    ) -> Result<Vec<Coordinator<'a>>> {
        let dir = snapshot(ctx)?;
        let territory = inputs::territory(dir, territory, &["territory"])?;
        let include_inactive = include_hidden(ctx, include_inactive)?;
        Ok(dir
            .coordinators
            .indices()
            .filter_map(|i| Coordinator::at(dir, i))
            .filter(|c| include_inactive || c.row.model.active)
            .filter(|c| territory.is_none_or(|t| c.row.territories.contains(&t)))
            .collect())
    }

    /// One coordinator by ID; null if unknown, or if they left the roster and the request
    /// has no EDITOR token.
    async fn coordinator<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Its ID.")] id: ID,
    ) -> Result<Option<Coordinator<'a>>> {
        let dir = snapshot(ctx)?;
        let id = ids::decode_as(&id, ids::COORDINATOR, "id")?;
        Ok(dir
            .coordinator_by_id(id)
            .and_then(|i| Coordinator::seen_by(ctx, dir, i)))
    }

    /// Public collèges, by name: of a territory, or of a commune.
    async fn colleges<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Only the collèges of this territory number.")] territory: Option<i32>,
        #[graphql(
            desc = "Only the collèges of this commune (INSEE code or name).",
            validator(chars_max_length = 200)
        )]
        commune: Option<String>,
    ) -> Result<Vec<College<'a>>> {
        let dir = snapshot(ctx)?;
        let territory = inputs::territory(dir, territory, &["territory"])?;
        let commune = inputs::commune(dir, commune.as_deref(), &["commune"])?;
        Ok(dir
            .colleges
            .indices()
            .filter_map(|i| College::at(dir, i))
            .filter(|c| c.row.model.archived_at.is_none())
            .filter(|c| commune.is_none_or(|m| c.row.commune == m))
            .filter(|c| territory.is_none_or(|t| dir.communes[c.row.commune].territory == t))
            .collect())
    }

    /// The themes projects are filed under, in display order.
    async fn themes<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Archived themes too (EDITOR token).",
            default_with = "Some(false)"
        )]
        include_archived: Option<bool>,
    ) -> Result<Vec<Theme<'a>>> {
        let dir = snapshot(ctx)?;
        let include_archived = include_hidden(ctx, include_archived)?;
        Ok(dir
            .themes
            .indices()
            .filter(|&i| include_archived || dir.themes[i].model.archived_at.is_none())
            .filter_map(|i| Theme::at(dir, i))
            .collect())
    }

    /// Every enum value with its French label, and the themes: what a client needs to
    /// show codes to people without hard-coding labels.
    async fn vocabulary(&self) -> Vocabulary {
        Vocabulary
    }
}
