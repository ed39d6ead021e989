//! `territoires token`: create, list and revoke API tokens. Administrators run it, so it
//! speaks French; the library underneath words its errors for GraphQL clients (English).

use sea_orm::DatabaseConnection;

use super::TokenCommand;
use crate::access;
use crate::error::{Error, Result};

/// Runs a token subcommand.
pub async fn run(db: &DatabaseConnection, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            role,
            name,
            expires_in,
        } => {
            let role = role.into();
            let token = access::create_token(db, &name, role, expires_in)
                .await
                .map_err(|error| in_french(error, &name))?;
            eprintln!(
                "Jeton « {} » créé (rôle {}). Conservez-le maintenant : il ne sera plus affiché.",
                name.trim(),
                entity::Labelled::code(role)
            );
            println!("{token}");
        }
        TokenCommand::List => {
            println!(
                "{:<30} {:<7} {:<26} {:<26} révoqué le",
                "nom", "rôle", "créé le", "expire le"
            );
            for t in access::list_tokens(db).await? {
                let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map_or_else(|| "-".to_owned(), territoires_sync::local_time)
                };
                println!(
                    "{:<30} {:<7} {:<26} {:<26} {}",
                    t.name,
                    entity::Labelled::code(t.role),
                    date(Some(t.created_at)),
                    date(t.expires_at),
                    date(t.revoked_at)
                );
            }
        }
        TokenCommand::Revoke { name } => {
            access::revoke_token(db, &name)
                .await
                .map_err(|error| in_french(error, &name))?;
            eprintln!("Jeton « {} » révoqué.", name.trim());
        }
    }
    Ok(())
}

/// Rewords the errors a token command expects (same variants, so the same exit codes).
fn in_french(error: Error, name: &str) -> Error {
    let name = name.trim();
    match error {
        Error::BadUserInput { path, .. } => Error::BadUserInput {
            message: "le jeton a besoin d'un nom (--name)".to_owned(),
            path,
        },
        Error::Conflict(_) => Error::Conflict(format!(
            "un jeton nommé « {name} » existe déjà : choisissez un autre nom, ou révoquez \
             l'ancien puis recréez-le sous un nouveau nom"
        )),
        Error::NotFound(_) => Error::NotFound(format!(
            "aucun jeton nommé « {name} » (territoires token list les affiche tous)"
        )),
        other => other,
    }
}
