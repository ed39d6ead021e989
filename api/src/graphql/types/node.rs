//! The `Node` interface (Relay global object identification) and the `SearchHit` union.

use async_graphql::{ID, Interface, Union};

use super::{
    College, Commune, Coordinator, LocalBody, Partner, Project, SyncRun, Territory, Theme,
};

/// An object with a global ID, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global ID."))]
pub enum Node<'a> {
    /// A territory.
    Territory(Territory<'a>),
    /// A commune.
    Commune(Commune<'a>),
    /// A coordinator.
    Coordinator(Coordinator<'a>),
    /// A collège.
    College(College<'a>),
    /// A local body.
    LocalBody(LocalBody<'a>),
    /// A partner.
    Partner(Partner<'a>),
    /// A project.
    Project(Project<'a>),
    /// A theme.
    Theme(Theme<'a>),
    /// A roster import (ADMIN token).
    SyncRun(SyncRun),
}

/// One result of `search`.
#[derive(Union)]
pub enum SearchHit<'a> {
    /// A commune.
    Commune(Commune<'a>),
    /// A coordinator.
    Coordinator(Coordinator<'a>),
    /// A collège.
    College(College<'a>),
    /// A local body.
    LocalBody(LocalBody<'a>),
    /// A partner.
    Partner(Partner<'a>),
    /// A project.
    Project(Project<'a>),
    /// A theme (only when `kinds` asks for THEME).
    Theme(Theme<'a>),
    /// A territory (only when `kinds` asks for TERRITORY).
    Territory(Territory<'a>),
}
