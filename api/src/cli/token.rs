//! `territoires token`: create, list and revoke API tokens.

use sea_orm::DatabaseConnection;

use super::TokenCommand;
use crate::access;
use crate::error::Result;

/// Runs a token subcommand.
pub async fn run(db: &DatabaseConnection, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            role,
            name,
            expires_in,
        } => {
            let token = access::create_token(db, &name, role.into(), expires_in).await?;
            eprintln!("Token {name:?} created. Store it now: it will not be shown again.");
            println!("{token}");
        }
        TokenCommand::List => {
            println!(
                "{:<30} {:<7} {:<20} {:<20} revoked",
                "name", "role", "created", "expires"
            );
            for t in access::list_tokens(db).await? {
                let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map_or_else(|| "-".to_owned(), territoires_sync::local_time)
                };
                println!(
                    "{:<30} {:<7} {:<20} {:<20} {}",
                    t.name,
                    entity::Labelled::code(t.role),
                    date(Some(t.created_at)),
                    date(t.expires_at),
                    date(t.revoked_at)
                );
            }
        }
        TokenCommand::Revoke { name } => {
            access::revoke_token(db, &name).await?;
            eprintln!("Token {name:?} revoked.");
        }
    }
    Ok(())
}
