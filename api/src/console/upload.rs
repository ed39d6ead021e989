//! The console's own upload (no JavaScript needed): a `multipart/form-data` form whose
//! FIRST field is the form secret, then the file. Checked in this order, before the file
//! is read: the origin, the session, the content type, a free upload slot (the API's
//! `MAX_CONCURRENT_UPLOADS`), the form secret; then the file is read within the API's
//! limits — `SYNC_MAX_FILE_SIZE` and the body timeout — and its type checked. Nothing is
//! kept or run before every check has passed.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tokio::sync::OwnedSemaphorePermit;

use super::session::Session;
use super::{ConsoleState, csrf};
use crate::roster_files::{FileRefusal, check_roster_file};

/// The form's file field.
pub const FILE_FIELD: &str = "fichier";
/// Room for the form secret and the multipart framing around the file.
const ENVELOPE: usize = 64 * 1024;
/// Longest file name kept (characters).
const MAX_NAME_CHARS: usize = 200;

/// A file received from a signed-in administrator.
#[derive(Debug)]
pub struct Received {
    /// Its name, as the browser sent it (base name only, no control character).
    pub file_name: String,
    /// Its content, at most `SYNC_MAX_FILE_SIZE` bytes.
    pub bytes: Vec<u8>,
    /// The upload slot, held until the dry run is done.
    pub slot: OwnedSemaphorePermit,
}

/// Why an upload was not taken; nothing was kept or run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Another origin, or no form secret first, or the wrong one.
    Forged,
    /// Not a multipart form.
    NotMultipart,
    /// Every upload slot is taken.
    Busy,
    /// Over `SYNC_MAX_FILE_SIZE`.
    TooLarge,
    /// The body did not arrive within the body timeout.
    TooSlow,
    /// A form the console's page does not send.
    Malformed,
    /// The file itself (empty, wrong type).
    File(FileRefusal),
}

impl Refused {
    /// The answer's status.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Forged => StatusCode::FORBIDDEN,
            Self::NotMultipart => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooSlow => StatusCode::REQUEST_TIMEOUT,
            Self::Malformed => StatusCode::BAD_REQUEST,
            Self::File(FileRefusal::Empty) => StatusCode::BAD_REQUEST,
            Self::File(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    /// What the administrator reads (`limit` is `SYNC_MAX_FILE_SIZE`).
    pub fn message(self, limit: u64, timeout_secs: u64) -> String {
        match self {
            Self::Forged => "Le formulaire ne vient pas de la console, ou il a expiré : \
                             rechargez la page et recommencez."
                .to_owned(),
            Self::NotMultipart => {
                "Le fichier doit être envoyé par le formulaire de cette page.".to_owned()
            }
            Self::Busy => "D'autres fichiers sont en cours de traitement ; réessayez dans \
                           quelques secondes."
                .to_owned(),
            Self::TooLarge => format!(
                "Le fichier dépasse la taille maximale de {} Kio : il n'a pas été lu. \
                 Vérifiez qu'il s'agit bien de la liste des coordonnateurs.",
                limit / 1024
            ),
            Self::TooSlow => format!(
                "Le fichier n'est pas arrivé en entier dans le délai de {timeout_secs} secondes. \
                 Vérifiez la connexion et recommencez."
            ),
            Self::Malformed => "Le formulaire envoyé n'a pas pu être lu. Rechargez la page et \
                                recommencez."
                .to_owned(),
            Self::File(refusal) => refusal.message().to_owned(),
        }
    }
}

/// The base name of a submitted file name, without control characters, bounded.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    base.chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Reads the upload of `session` from `request` (origin and session already checked by
/// the caller through [`csrf::same_origin`] and the [`Session`] extractor).
pub async fn receive(
    request: Request<Body>,
    state: &ConsoleState,
    session: &Session,
) -> Result<Received, Refused> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| Refused::NotMultipart)?;
    let slot = state
        .uploads
        .clone()
        .try_acquire_owned()
        .map_err(|_| Refused::Busy)?;
    let limit = usize::try_from(state.upload_limit).unwrap_or(usize::MAX);
    let timeout = Duration::from_secs(state.body_timeout_secs.max(1));
    let read = read_fields(request.into_body(), boundary, limit, &session.csrf);
    let (file_name, bytes) = tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| Refused::TooSlow)??;
    check_roster_file(&file_name, &bytes).map_err(Refused::File)?;
    Ok(Received {
        file_name,
        bytes,
        slot,
    })
}

fn multer_refusal(error: &multer::Error) -> Refused {
    match error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            Refused::TooLarge
        }
        _ => Refused::Malformed,
    }
}

async fn read_fields(
    body: Body,
    boundary: String,
    limit: usize,
    secret: &str,
) -> Result<(String, Vec<u8>), Refused> {
    let whole = u64::try_from(limit.saturating_add(ENVELOPE)).unwrap_or(u64::MAX);
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(whole)
            .per_field(whole)
            .for_field(csrf::FIELD, 256),
    );
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    // The form secret comes first: a forged form is refused before its file is read.
    let first = multipart
        .next_field()
        .await
        .map_err(|_| Refused::Forged)?
        .ok_or(Refused::Forged)?;
    if first.name() != Some(csrf::FIELD) {
        return Err(Refused::Forged);
    }
    let sent = first.text().await.map_err(|_| Refused::Forged)?;
    if !csrf::matches(secret, Some(&sent)) {
        return Err(Refused::Forged);
    }
    let Some(mut file) = multipart
        .next_field()
        .await
        .map_err(|e| multer_refusal(&e))?
    else {
        return Err(Refused::File(FileRefusal::Empty));
    };
    if file.name() != Some(FILE_FIELD) {
        return Err(Refused::Malformed);
    }
    let file_name = clean_name(file.file_name().unwrap_or_default());
    let mut bytes = Vec::new();
    while let Some(chunk) = file.chunk().await.map_err(|e| multer_refusal(&e))? {
        if bytes.len().saturating_add(chunk.len()) > limit {
            return Err(Refused::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((file_name, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_their_base_name_only() {
        assert_eq!(clean_name("C:\\Users\\rh\\liste.xlsx"), "liste.xlsx");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\nc.csv"), "abc.csv");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
    }
}
