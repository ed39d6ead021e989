//! `Author` and `AuthorKind`: who wrote, imported or is asking — an API token, a
//! person signed in with the identity provider, or the service itself.

use async_graphql::{Enum, SimpleObject};
use entity::SyncTrigger;

/// What kind of author a write, an import or a request has.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorKind {
    /// An API token (machines, or writes made before people signed in).
    Token,
    /// A person, with their identity provider's access token.
    Person,
    /// The service itself: roster imports' changes, the nightly schedule, the command
    /// line.
    System,
}

/// Who wrote or imported: `name` is what `actor` shows; a person also has the identity
/// provider's stable `subject` and their e-mail at the time.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// Token, person or the service itself.
    pub kind: AuthorKind,
    /// The token's name, the person's name (else e-mail, else subject), or the service's
    /// name (`roster-sync`, `schedule`, `cli`).
    pub name: String,
    /// The person's identifier at the identity provider (`sub`): stable when their name
    /// or e-mail changes. Null for tokens and the service.
    pub subject: Option<String>,
    /// The person's e-mail as their token gave it. Null for tokens and the service.
    pub email: Option<String>,
}

impl Author {
    /// The author of a row with `actor` and the person columns; `system` tells rows
    /// the service wrote. A row with a person is the person's, under their name (a
    /// roster import's changes keep `roster-sync` as `actor`, its author is who started
    /// it).
    pub fn of_row(actor: &str, person: [Option<&str>; 3], system: bool) -> Self {
        let [subject, name, email] = person;
        let kind = match subject {
            Some(_) => AuthorKind::Person,
            None if system => AuthorKind::System,
            None => AuthorKind::Token,
        };
        let name = match subject {
            Some(subject) => name.or(email).unwrap_or(subject),
            None => actor,
        };
        Self {
            kind,
            name: name.to_owned(),
            subject: subject.map(str::to_owned),
            email: email.map(str::to_owned),
        }
    }

    /// Whether a sync run without a person was started by the service itself.
    pub fn system_trigger(trigger: SyncTrigger) -> bool {
        matches!(trigger, SyncTrigger::Schedule | SyncTrigger::Cli)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_say_whether_a_token_a_person_or_the_service_wrote() {
        let token = Author::of_row("intranet", [None, None, None], false);
        assert_eq!(
            (token.kind, token.name.as_str()),
            (AuthorKind::Token, "intranet")
        );
        let system = Author::of_row("roster-sync", [None, None, None], true);
        assert_eq!(system.kind, AuthorKind::System);
        let person = Author::of_row("roster-sync", [Some("s-1"), Some("Camille"), None], true);
        assert_eq!(
            (person.kind, person.name.as_str(), person.subject.as_deref()),
            (AuthorKind::Person, "Camille", Some("s-1"))
        );
        let nameless = Author::of_row("x", [Some("s-2"), None, Some("c@d.fr")], false);
        assert_eq!(nameless.name, "c@d.fr");
        assert!(Author::system_trigger(SyncTrigger::Schedule));
        assert!(!Author::system_trigger(SyncTrigger::Upload));
    }
}
