//! `Coordinator`: a territory coordinator, as the HR roster describes them.

use async_graphql::{ID, Object};
use entity::normalize::display_phone;

use super::{Territory, ids};
use crate::directory::{CoordinatorRow, Snapshot};

/// A territory coordinator (*coordonnateur / coordonnatrice de territoire*).
///
/// Identity, contact and territory come from the HR roster, imported every night: the
/// API does not edit them (the next import would undo it). The e-mail and phone are
/// professional contacts the Département publishes; they are hidden as soon as the
/// person leaves the roster.
pub struct Coordinator<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a CoordinatorRow,
}

impl<'a> Coordinator<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: usize) -> Option<Self> {
        dir.coordinators.get(index).map(|row| Self { dir, row })
    }

    /// Contacts are public only while the person is in the roster.
    fn contact_visible(&self) -> bool {
        self.row.model.active
    }
}

#[Object]
impl<'a> Coordinator<'a> {
    /// Opaque global ID (see `node`).
    async fn id(&self) -> ID {
        ids::encode("Coordinator", self.row.model.id)
    }

    /// First name, as written by HR.
    async fn first_name(&self) -> &str {
        &self.row.model.first_name
    }

    /// Last name, as written by HR (often upper case: "LARA").
    async fn last_name(&self) -> &str {
        &self.row.model.last_name
    }

    /// First and last name, e.g. "Sandrine LARA".
    async fn full_name(&self) -> String {
        format!("{} {}", self.row.model.first_name, self.row.model.last_name)
    }

    /// Job title, e.g. "Coordonnatrice de territoire 1".
    async fn title(&self) -> Option<&str> {
        self.row.model.title.as_deref()
    }

    /// Professional e-mail, lower case; null once the person has left the roster.
    async fn email(&self) -> Option<&str> {
        self.contact_visible()
            .then_some(self.row.model.email.as_deref())
            .flatten()
    }

    /// Professional phone as the Département publishes it, e.g. "07 60 77 99 05";
    /// null once the person has left the roster.
    async fn phone(&self) -> Option<String> {
        self.contact_visible()
            .then_some(self.row.model.phone.as_deref())
            .flatten()
            .map(display_phone)
    }

    /// The same phone in E.164, for `tel:` links, e.g. "+33760779905".
    async fn phone_e164(&self) -> Option<&str> {
        self.contact_visible()
            .then_some(self.row.model.phone.as_deref())
            .flatten()
    }

    /// Whether the person is in the current HR roster.
    async fn active(&self) -> bool {
        self.row.model.active
    }

    /// The person's main territory: the earliest of their current assignments; null if
    /// they have none.
    async fn territory(&self) -> Option<Territory<'a>> {
        self.row
            .territories
            .first()
            .and_then(|&i| Territory::at(self.dir, i))
    }

    /// Every territory the person currently covers (two during an interim).
    async fn territories(&self) -> Vec<Territory<'a>> {
        self.row
            .territories
            .iter()
            .filter_map(|&i| Territory::at(self.dir, i))
            .collect()
    }
}
