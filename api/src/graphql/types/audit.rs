//! `AuditEntry`: one write, as the audit log keeps it.

use crate::graphql::types::{DateTime, Json};
use async_graphql::{Enum, ID, Object, SimpleObject};
use entity::AuditAction;
use entity::audit_log::{self, AuditEntity, FieldChange};

use crate::graphql::ids;
use crate::graphql::types::Author;

/// One field changed by a write.
#[derive(SimpleObject)]
pub struct AuditChange {
    /// The field, as named in the API (`title`, `territories`…).
    pub field: String,
    /// Its value before (null when created).
    pub before: Json,
    /// Its value after (null when erased).
    pub after: Json,
}

/// The kinds of object the audit log records writes to.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditEntityKind {
    /// A project.
    Project,
    /// A local body (CLSPD, CISPD, CESC…).
    LocalBody,
    /// A partner.
    Partner,
    /// A collège.
    College,
    /// A theme.
    Theme,
    /// A coordinator (roster imports).
    Coordinator,
    /// A commune (its territory, from roster imports).
    Commune,
}

impl AuditEntityKind {
    /// The GraphQL value of `kind`; `None` for the console's own kinds (tokens, sessions,
    /// imports), which the enum has never listed: `entityKind` is null for them.
    fn of(kind: AuditEntity) -> Option<Self> {
        Some(match kind {
            AuditEntity::Project => Self::Project,
            AuditEntity::LocalBody => Self::LocalBody,
            AuditEntity::Partner => Self::Partner,
            AuditEntity::College => Self::College,
            AuditEntity::Theme => Self::Theme,
            AuditEntity::Coordinator => Self::Coordinator,
            AuditEntity::Commune => Self::Commune,
            AuditEntity::ApiToken | AuditEntity::ConsoleSession | AuditEntity::SyncRun => {
                return None;
            }
        })
    }
}

/// One write — by a token, a person or a roster import — with who, when, what, and the fields
/// before and after.
pub struct AuditEntry(pub audit_log::Model);

/// One write — by a token, a person or a roster import — with who, when, what, and the fields
/// before and after.
#[Object]
impl AuditEntry {
    /// Opaque ID of the entry.
    async fn id(&self) -> ID {
        ID(format!("AuditEntry:{}", self.0.id))
    }

    /// When the write was committed.
    async fn at(&self) -> DateTime {
        self.0.at.into()
    }

    /// Who wrote: a token's name, a person's name, or `roster-sync` for roster imports.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// Who wrote, in full: a token, a person (with the identity provider's subject and
    /// their e-mail at the time) or the service itself (roster imports).
    async fn author(&self) -> Author {
        Author::of_row(
            &self.0.actor,
            [
                self.0.author_subject.as_deref(),
                self.0.author_name.as_deref(),
                self.0.author_email.as_deref(),
            ],
            self.0.actor == territoires_sync::AUDIT_ACTOR,
        )
    }

    /// The kind of object written: `Project`, `LocalBody`, `Partner`, `College`, `Theme`,
    /// `Coordinator`, `Commune`, and the console's own `ApiToken`, `ConsoleSession`,
    /// `SyncRun`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }

    /// The kind of object written, as an enum (the same as `entity`); null for the
    /// console's own kinds (`ApiToken`, `ConsoleSession`, `SyncRun`) and for a kind this
    /// version of the API does not know yet.
    async fn entity_kind(&self) -> Option<AuditEntityKind> {
        self.0.kind().and_then(AuditEntityKind::of)
    }

    /// The global ID of the object written (usable with `node`).
    async fn entity_id(&self) -> ID {
        ids::encode(&self.0.entity, self.0.entity_id)
    }

    /// What happened.
    async fn action(&self) -> AuditAction {
        self.0.action
    }

    /// The fields changed, before and after.
    async fn changes(&self) -> Vec<AuditChange> {
        serde_json::from_str::<Vec<FieldChange>>(&self.0.changes)
            .unwrap_or_default()
            .into_iter()
            .map(|c| AuditChange {
                field: c.field,
                before: Json(c.before),
                after: Json(c.after),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::EnumType;
    use entity::Labelled;

    use super::*;

    /// `PROJECT` for `Project`, `LOCAL_BODY` for `LocalBody`.
    fn screaming(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if i > 0 && c.is_uppercase() {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }

    #[test]
    fn each_graphql_kind_is_named_after_the_stored_name_it_maps_from() {
        let mut reached = Vec::new();
        for &kind in AuditEntity::ALL {
            if let Some(value) = AuditEntityKind::of(kind) {
                let item = AuditEntityKind::items()
                    .iter()
                    .find(|item| item.value == value)
                    .map(|item| item.name);
                assert_eq!(item, Some(screaming(kind.code()).as_str()), "{kind:?}");
                reached.push(value);
            }
        }
        for item in AuditEntityKind::items() {
            assert!(
                reached.contains(&item.value),
                "{}: no stored kind maps to it",
                item.name
            );
        }
    }
}
