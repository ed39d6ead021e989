//! Where every GraphQL error gets its `extensions.code`, in one place.
//!
//! Resolvers return [`crate::Error`] (or any error) with `?`; async-graphql keeps the
//! original error as the source of the response error. [`classify_all`], applied to every
//! response by [`super::execute`] (not an async-graphql extension: those wrap every field
//! resolution, a cost paid on each of the thousands of fields of a directory answer),
//! then rewrites each error of the response:
//! - a [`crate::Error`] gets its code (and `path` for bad input); internal ones get a
//!   fixed message, their cause being logged;
//! - any other source (a database or I/O error that escaped) is `INTERNAL`, logged;
//! - an error with no source comes from async-graphql itself: a value that does not
//!   coerce to its argument's type (a variable included) is `BAD_USER_INPUT` with the
//!   argument's `path`, as is a field-level input error or a depth or complexity limit;
//!   any other request-level error is `GRAPHQL_VALIDATION_FAILED` (syntax errors are
//!   caught before, by [`super::budget`], as `GRAPHQL_PARSE_FAILED`).

use std::sync::Arc;

use async_graphql::{Response, ServerError, Value};

use crate::error::Error;

/// The message clients get for internal errors.
const INTERNAL_MESSAGE: &str = "Internal error; it has been logged.";

/// Sets the code of every error of a response (see [`super::execute`]).
pub fn classify_all(response: &mut Response) {
    for error in &mut response.errors {
        classify(error);
    }
}

/// Sets the code (and, for internal errors, the message) of one error.
pub fn classify(error: &mut ServerError) {
    let already_coded = error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some());
    if already_coded {
        return;
    }
    let ours = error.source::<Error>().map(|ours| {
        let path = match ours {
            Error::BadUserInput { path, .. } if !path.is_empty() => Some(path.clone()),
            _ => None,
        };
        if ours.hides_details() {
            tracing::error!(error = %ours, "internal error while answering a request");
        }
        (ours.code(), path, ours.hides_details())
    });
    let (code, path) = match ours {
        Some((code, path, hide)) => {
            if hide {
                error.message = INTERNAL_MESSAGE.to_owned();
            }
            (code, path)
        }
        None if error.source.is_some() => {
            tracing::error!(error = %error.message, "unexpected error while answering a request");
            error.message = INTERNAL_MESSAGE.to_owned();
            ("INTERNAL", None)
        }
        None if !error.path.is_empty() => ("BAD_USER_INPUT", None),
        None => match coercion_path(&error.message) {
            Some(path) => ("BAD_USER_INPUT", Some(path)),
            None if is_limit(&error.message) => ("BAD_USER_INPUT", None),
            None => ("GRAPHQL_VALIDATION_FAILED", None),
        },
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    if let Some(path) = path {
        extensions.set(
            "path",
            Value::List(path.into_iter().map(Value::String).collect()),
        );
    }
}

/// The argument path of a coercion failure reported by async-graphql's validation,
/// whose message reads `Invalid value for argument "input.territories.0", expected …`.
fn coercion_path(message: &str) -> Option<Vec<String>> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    let (path, _) = rest.split_once('"')?;
    Some(path.split('.').map(str::to_owned).collect())
}

/// Whether a request-level error is one of async-graphql's depth or complexity limits
/// (coded like the budget of [`super::budget`]).
fn is_limit(message: &str) -> bool {
    message.starts_with("Query is nested too deep") || message.starts_with("Query is too complex")
}

/// A response with one error and no data, for failures before execution (database
/// unreachable when checking the directory version).
pub fn error_response(error: Error) -> Response {
    let mut server_error = ServerError::new(error.to_string(), None);
    server_error.source = Some(Arc::new(error));
    classify(&mut server_error);
    Response::from_errors(vec![server_error])
}
