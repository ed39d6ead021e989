//! Opaque, stable global IDs: `base64url("Type:id")`. Clients must not parse them; the
//! server decodes them for `node(id:)` and for arguments taking an `ID`.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Error;

/// Type names in global IDs.
pub const TERRITORY: &str = "Territory";
/// Type name of communes.
pub const COMMUNE: &str = "Commune";
/// Type name of coordinators.
pub const COORDINATOR: &str = "Coordinator";
/// Type name of collèges.
pub const COLLEGE: &str = "College";
/// Type name of local bodies.
pub const LOCAL_BODY: &str = "LocalBody";
/// Type name of partners.
pub const PARTNER: &str = "Partner";
/// Type name of recorded partner expectations.
pub const PARTNER_EXPECTATION: &str = "PartnerExpectation";
/// Type name of projects.
pub const PROJECT: &str = "Project";
/// Type name of themes.
pub const THEME: &str = "Theme";
/// Type name of roster imports.
pub const SYNC_RUN: &str = "SyncRun";

/// Encodes the global ID of the object of type `kind` with database id `id`.
pub fn encode(kind: &str, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

/// Decodes a global ID into its type name and database id; anything else is
/// `BAD_USER_INPUT` about `argument`.
pub fn decode(id: &str, argument: &str) -> Result<(String, i32), Error> {
    let invalid = || Error::bad_input(format!("{argument} is not a valid ID"), &[argument]);
    let bytes = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (kind, number) = text.split_once(':').ok_or_else(invalid)?;
    let number = number.parse::<i32>().map_err(|_| invalid())?;
    Ok((kind.to_owned(), number))
}

/// Decodes a global ID that must be of type `kind`.
pub fn decode_as(id: &str, kind: &str, argument: &str) -> Result<i32, Error> {
    match decode(id, argument)? {
        (found, number) if found == kind => Ok(number),
        _ => Err(Error::bad_input(
            format!("{argument} is not the ID of a {kind}"),
            &[argument],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() -> Result<(), Error> {
        let id = encode("Commune", 12);
        assert_eq!(decode(&id, "id")?, ("Commune".to_owned(), 12));
        assert_eq!(decode_as(&id, "Commune", "id")?, 12);
        assert!(decode_as(&id, "Territory", "id").is_err());
        for bad in ["", "!!", "Q29tbXVuZQ", "Q29tbXVuZTp4"] {
            assert!(decode(bad, "id").is_err(), "{bad}");
        }
        Ok(())
    }
}
