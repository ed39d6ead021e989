//! The one error type of the service, mapped once to GraphQL `extensions.code` (by
//! [`crate::graphql::errors`]) and to the exit codes of the command line
//! ([`Error::exit_code`]).
//!
//! Resolvers return it with `?`; internal details (SQL, I/O) are logged when the
//! response is built and never sent to clients.

use sea_orm::DbErr;
use thiserror::Error;

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the service.
#[derive(Debug, Error)]
pub enum Error {
    /// `DATABASE_URL` names a database this service does not support.
    #[error("DATABASE_URL must be a sqlite:// or postgres:// URL; this one starts with {scheme:?}")]
    UnsupportedDatabaseUrl {
        /// What the URL starts with (never the whole URL: it may hold a password).
        scheme: String,
    },
    /// The database a command works on does not exist. Only `serve` and `migrate` create
    /// one: any other command on a missing database would work on an empty directory.
    /// The message is for the administrator at the command line, hence French.
    #[error(
        "base de données introuvable : {name}. Vérifiez DATABASE_URL (ou le dossier d'où la \
         commande est lancée) : seules les commandes « serve » et « migrate » créent une base \
         SQLite ; une base PostgreSQL se crée sur le serveur (CREATE DATABASE), puis \
         « territoires migrate » la prépare."
    )]
    DatabaseNotFound {
        /// The database looked for, without any password.
        name: String,
    },
    /// The database cannot be reached or opened.
    #[error("cannot connect to the database: {0}")]
    DatabaseUnreachable(#[source] DbErr),
    /// A database statement failed (a unique constraint violation becomes
    /// [`Error::Conflict`] instead, see the `From<DbErr>` conversion).
    #[error("database error: {0}")]
    Database(#[source] DbErr),
    /// Listening, reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The client sent something invalid; `path` names the offending argument or input
    /// field.
    #[error("{message}")]
    BadUserInput {
        /// What is wrong, for the client.
        message: String,
        /// The argument or input field at fault, e.g. `["input", "territories", 0]`.
        path: Vec<String>,
    },
    /// The query document is not valid GraphQL syntax.
    #[error("{0}")]
    ParseFailed(String),
    /// The query document breaks a validation rule (found before async-graphql's own
    /// validation, e.g. a fragment cycle, which the cost check must refuse first).
    #[error("{0}")]
    ValidationFailed(String),
    /// An automatic persisted query names a hash this server does not hold (yet): the
    /// client sends the document with its hash next (Apollo's protocol expects exactly
    /// this message).
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// A setting is invalid; the message names it (read by the administrator, French).
    #[error("{0}")]
    Config(String),
    /// The request needs a valid token.
    #[error("{0}")]
    Unauthenticated(String),
    /// The token's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// What was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The object changed since the client read it.
    #[error("{0}")]
    Conflict(String),
    /// A roster import could not run (missing file, bad setting, database, another import).
    #[error("{0}")]
    Sync(#[from] territoires_sync::SyncError),
    /// The query is over the budget a request may cost (size, fragments, complexity,
    /// introspection) or its answer over the response size limit; nothing was run or sent.
    #[error("{0}")]
    TooExpensive(String),
    /// Every subscription slot is taken (`SUBSCRIPTIONS_MAX`, or
    /// `SUBSCRIPTIONS_MAX_PER_CONNECTION` on one WebSocket): the client closes one or
    /// tries again later.
    #[error("{0}")]
    TooManySubscriptions(String),
    /// The query ran longer than the configured limit.
    #[error("the query took longer than {0} seconds and was stopped; ask for less at once")]
    Timeout(u64),
    /// A bug or an impossible state; details are logged, not returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A `BAD_USER_INPUT` error about `path`.
    pub fn bad_input(message: impl Into<String>, path: &[&str]) -> Self {
        Self::BadUserInput {
            message: message.into(),
            path: path.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// The GraphQL `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput { .. } | Self::TooExpensive(_) => "BAD_USER_INPUT",
            Self::ParseFailed(_) => "GRAPHQL_PARSE_FAILED",
            Self::ValidationFailed(_) => "GRAPHQL_VALIDATION_FAILED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::TooManySubscriptions(_) => "TOO_MANY_SUBSCRIPTIONS",
            Self::UnsupportedDatabaseUrl { .. }
            | Self::DatabaseNotFound { .. }
            | Self::DatabaseUnreachable(_)
            | Self::Database(_)
            | Self::Io { .. }
            | Self::Config(_)
            | Self::Timeout(_)
            | Self::Internal(_) => "INTERNAL",
            Self::Sync(error) => match error.exit_code() {
                2 => "BAD_USER_INPUT",
                _ => "INTERNAL",
            },
        }
    }

    /// Whether the message holds internal details (SQL, paths) that clients must not
    /// see: such errors are logged and replaced by a fixed message.
    pub fn hides_details(&self) -> bool {
        self.code() == "INTERNAL" && !matches!(self, Self::Timeout(_) | Self::Config(_))
    }

    /// The exit code of the command line: 2 for a usage or configuration mistake (bad
    /// arguments, an unknown or duplicate name, a missing database), 3 for a runtime failure (database
    /// unreachable, I/O).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::UnsupportedDatabaseUrl { .. }
            | Self::DatabaseNotFound { .. }
            | Self::BadUserInput { .. }
            | Self::ParseFailed(_)
            | Self::ValidationFailed(_)
            | Self::PersistedQueryNotFound
            | Self::Config(_)
            | Self::TooExpensive(_)
            | Self::NotFound(_)
            | Self::Conflict(_) => 2,
            Self::Sync(error) => u8::try_from(error.exit_code()).unwrap_or(3),
            _ => 3,
        }
    }
}

impl Error {
    /// The message for an administrator at the command line, in French. `Display` stays
    /// English: it goes to the logs and to GraphQL clients, whose `extensions.code` (like
    /// the codes printed beside this message) never changes with the language. Variants
    /// that carry their caller's text return it as given: the commands an administrator
    /// runs word those in French themselves.
    pub fn in_french(&self) -> String {
        match self {
            Self::UnsupportedDatabaseUrl { scheme } => format!(
                "DATABASE_URL doit être une URL sqlite:// ou postgres:// ; celle-ci commence \
                 par « {scheme} »"
            ),
            Self::DatabaseNotFound { .. } => self.to_string(),
            Self::DatabaseUnreachable(error) => {
                format!("impossible de se connecter à la base de données : {error}")
            }
            Self::Database(error) => format!("erreur de la base de données : {error}"),
            Self::Io { context, source } => {
                format!(
                    "{context} : {}",
                    territoires_sync::io_error_in_french(source)
                )
            }
            Self::PersistedQueryNotFound => "requête persistée inconnue de ce serveur".to_owned(),
            Self::Sync(error) => error.in_french(),
            Self::Timeout(secs) => {
                format!("la requête a duré plus de {secs} secondes et a été arrêtée")
            }
            Self::Internal(detail) => format!("erreur interne : {detail}"),
            Self::BadUserInput { message, .. }
            | Self::ParseFailed(message)
            | Self::ValidationFailed(message)
            | Self::Config(message)
            | Self::Unauthenticated(message)
            | Self::Forbidden(message)
            | Self::NotFound(message)
            | Self::Conflict(message)
            | Self::TooExpensive(message)
            | Self::TooManySubscriptions(message) => message.clone(),
        }
    }
}

impl From<DbErr> for Error {
    /// A unique constraint violation is a write that raced another one creating the same
    /// thing (both passed the "already exists" check before either committed): the
    /// client retries or rereads, so it is a `CONFLICT`, not an internal error.
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::debug!(%detail, "unique constraint violation answered as a conflict");
                Self::Conflict(
                    "an object with the same unique value was created at the same time; \
                     read again and retry"
                        .to_owned(),
                )
            }
            _ => Self::Database(error),
        }
    }
}
