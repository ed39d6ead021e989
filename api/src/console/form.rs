//! Forms posted to the console: checked before they are read (origin, content type),
//! read within [`MAX_FORM_BYTES`] and the body timeout, then checked for the session's
//! secret. Handlers take a [`Posted`] and never see an unchecked form.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{Request, StatusCode, header};
use axum::response::Response;

use super::session::Session;
use super::{ConsoleState, csrf};
use crate::http::guards;

/// The largest form accepted: the console's forms hold a few short fields.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The fields of a URL-encoded form, in order.
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Reads a form body: `application/x-www-form-urlencoded`, at most
    /// [`MAX_FORM_BYTES`], within the body timeout.
    pub async fn read(request: Request<Body>, state: &ConsoleState) -> Result<Self, Response> {
        let urlencoded = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().is_some_and(|t| {
                    t.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        if !urlencoded {
            return Err(super::error_page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Formulaire illisible",
                "La console n'accepte que les formulaires de ses propres pages.",
            ));
        }
        let timeout = Duration::from_secs(state.body_timeout_secs.max(1));
        let bytes = guards::read_body(request.into_body(), MAX_FORM_BYTES, timeout).await?;
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map(Self)
            .map_err(|_| {
                super::error_page(
                    StatusCode::BAD_REQUEST,
                    "Formulaire illisible",
                    "Le formulaire envoyé n'a pas pu être lu. Revenez à la page et recommencez.",
                )
            })
    }
}

/// A form posted by a signed-in administrator from the console: same origin, valid
/// session, the session's secret in the form.
#[derive(Debug)]
pub struct Posted {
    /// The session.
    pub session: Session,
    /// The form's fields.
    pub form: Form,
}

impl FromRequest<ConsoleState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request<Body>, state: &ConsoleState) -> Result<Self, Response> {
        if !csrf::same_origin(state, request.headers()) {
            return Err(csrf::refused());
        }
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let form = Form::read(Request::from_parts(parts, body), state).await?;
        if !csrf::matches(&session.csrf, form.get(csrf::FIELD)) {
            return Err(csrf::refused());
        }
        Ok(Self { session, form })
    }
}
