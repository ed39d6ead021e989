//! The audit log: every write, by a token or by a roster import — who, when, what, and
//! the fields before and after.

use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{AuditAction, Labelled};

/// The kinds of object the audit log records writes to: the one list the API, the roster
/// sync and the console share, so a new kind cannot be stored without a name to filter by
/// and a label to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuditEntity {
    /// A project.
    Project,
    /// A local body (CLSPD, CISPD, CESC…).
    LocalBody,
    /// A partner (its recorded expectations included).
    Partner,
    /// A collège.
    College,
    /// A theme.
    Theme,
    /// A coordinator (roster imports).
    Coordinator,
    /// A commune (its territory, from roster imports).
    Commune,
    /// An API token (created or revoked in the console).
    ApiToken,
    /// A console session (sign-in, sign-out).
    ConsoleSession,
    /// A roster import started from the console.
    SyncRun,
}

impl Labelled for AuditEntity {
    const ALL: &'static [Self] = &[
        Self::Project,
        Self::LocalBody,
        Self::Partner,
        Self::College,
        Self::Theme,
        Self::Coordinator,
        Self::Commune,
        Self::ApiToken,
        Self::ConsoleSession,
        Self::SyncRun,
    ];

    /// The name stored in `audit_log.entity` (and the type name in global IDs): never
    /// change one, rows already hold it.
    fn code(self) -> &'static str {
        match self {
            Self::Project => "Project",
            Self::LocalBody => "LocalBody",
            Self::Partner => "Partner",
            Self::College => "College",
            Self::Theme => "Theme",
            Self::Coordinator => "Coordinator",
            Self::Commune => "Commune",
            Self::ApiToken => "ApiToken",
            Self::ConsoleSession => "ConsoleSession",
            Self::SyncRun => "SyncRun",
        }
    }

    /// What the console's journal calls the kind.
    fn label(self) -> &'static str {
        match self {
            Self::Project => "Projet",
            Self::LocalBody => "Instance locale",
            Self::Partner => "Acteur local",
            Self::College => "Collège",
            Self::Theme => "Thème",
            Self::Coordinator => "Coordonnateur",
            Self::Commune => "Commune",
            Self::ApiToken => "Jeton d'accès",
            Self::ConsoleSession => "Session de la console",
            Self::SyncRun => "Import",
        }
    }
}

impl AuditEntity {
    /// The kind stored as `name`; `None` for a name this version does not know (a row
    /// written by a newer version), which readers show as stored rather than refuse.
    pub fn from_stored(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.code() == name)
    }
}

/// An audit entry row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Surrogate key, increasing with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the write was committed (its transaction's time).
    pub at: DateTimeUtc,
    /// Who wrote: a token's name, a person's name, or `roster-sync` for roster imports.
    pub actor: String,
    /// The person who wrote, by the identity provider's stable subject (`sub`); null
    /// for API tokens, roster imports and rows written before people signed in.
    pub author_subject: Option<String>,
    /// The person's name as their token gave it at the time.
    pub author_name: Option<String>,
    /// The person's e-mail as their token gave it at the time.
    pub author_email: Option<String>,
    /// The entity written, e.g. `Project`, `Coordinator`: an [`AuditEntity`]'s stored
    /// name (text, so a row from a newer version still reads).
    pub entity: String,
    /// Its database id.
    pub entity_id: i32,
    /// What happened.
    pub action: AuditAction,
    /// The changed fields, as JSON: `[{"field": …, "before": …, "after": …}]`.
    pub changes: String,
}

/// An audit entry has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The kind of object written; `None` for a kind this version does not know.
    pub fn kind(&self) -> Option<AuditEntity> {
        AuditEntity::from_stored(&self.entity)
    }
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name as in the API (`title`, `territory`).
    pub field: String,
    /// Value before (null when created).
    pub before: serde_json::Value,
    /// Value after (null when erased).
    pub after: serde_json::Value,
}

impl FieldChange {
    /// A change of `field` from `before` to `after`.
    pub fn new(
        field: impl Into<String>,
        before: impl Into<serde_json::Value>,
        after: impl Into<serde_json::Value>,
    ) -> Self {
        Self {
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// An entry to record.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The kind of object written.
    pub entity: AuditEntity,
    /// Its database id.
    pub entity_id: i32,
    /// What happened.
    pub action: AuditAction,
    /// The changed fields.
    pub changes: Vec<FieldChange>,
}

/// A person known from an identity provider's token: who wrote, beyond the name shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The provider's stable identifier of the person (`sub`); names and e-mails change.
    pub subject: String,
    /// Their display name (`name`, else `preferred_username`), when the token has one.
    pub name: Option<String>,
    /// Their e-mail (`email`), when the token has one.
    pub email: Option<String>,
}

impl Person {
    /// What the audit log's `actor` shows for the person: their name, else their
    /// e-mail, else their subject.
    pub fn display(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or(&self.subject)
    }
}

/// Rows per INSERT: 9 parameters each, far under SQLite's limit.
const CHUNK: usize = 1000;

/// Records entries written by `actor` (the person `person`, when a person wrote) at
/// `at`, in the caller's transaction, so the log and the write commit (or roll back)
/// together.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &str,
    person: Option<&Person>,
    at: DateTimeUtc,
    entries: Vec<NewEntry>,
) -> Result<(), DbErr> {
    for chunk in entries.chunks(CHUNK) {
        let models = chunk.iter().map(|entry| ActiveModel {
            at: Set(at),
            actor: Set(actor.to_owned()),
            author_subject: Set(person.map(|p| p.subject.clone())),
            author_name: Set(person.and_then(|p| p.name.clone())),
            author_email: Set(person.and_then(|p| p.email.clone())),
            entity: Set(entry.entity.code().to_owned()),
            entity_id: Set(entry.entity_id),
            action: Set(entry.action),
            changes: Set(serde_json::to_string(&entry.changes).unwrap_or_else(|_| "[]".to_owned())),
            ..Default::default()
        });
        Entity::insert_many(models).exec(db).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_stored_name_and_has_a_label() {
        let mut names = std::collections::BTreeSet::new();
        for &kind in AuditEntity::ALL {
            assert_eq!(
                AuditEntity::from_stored(kind.code()),
                Some(kind),
                "{kind:?}"
            );
            assert!(
                names.insert(kind.code()),
                "{kind:?}: stored name used twice"
            );
            assert!(!kind.label().trim().is_empty(), "{kind:?}: no label");
        }
    }

    #[test]
    fn the_names_stored_so_far_and_the_journal_labels_are_kept() {
        let pairs: Vec<_> = AuditEntity::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Project", "Projet"),
                ("LocalBody", "Instance locale"),
                ("Partner", "Acteur local"),
                ("College", "Collège"),
                ("Theme", "Thème"),
                ("Coordinator", "Coordonnateur"),
                ("Commune", "Commune"),
                ("ApiToken", "Jeton d'accès"),
                ("ConsoleSession", "Session de la console"),
                ("SyncRun", "Import"),
            ]
        );
    }

    #[test]
    fn unknown_stored_names_read_as_none() {
        for name in [
            "",
            "project",
            "PROJECT",
            "PartnerExpectation",
            "Territory",
            "Project ",
        ] {
            assert_eq!(AuditEntity::from_stored(name), None, "{name:?}");
        }
    }
}
