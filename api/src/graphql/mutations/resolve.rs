//! Turning the names and IDs of mutation inputs into database ids, against the request's
//! snapshot, with `BAD_USER_INPUT` naming the input path of anything unknown or archived.

use async_graphql::ID;

use crate::directory::Snapshot;
use crate::error::{Error, Result};
use crate::graphql::ids;

/// An input path such as `["input", "communes", "2"]`.
fn path<'p>(field: &'p str, index: Option<&'p str>) -> Vec<&'p str> {
    let mut path = vec!["input", field];
    path.extend(index);
    path
}

fn each<T, R>(
    values: &[T],
    field: &str,
    resolve: impl Fn(&T, &[&str]) -> Result<R>,
) -> Result<Vec<R>> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let index = i.to_string();
            resolve(value, &path(field, Some(&index)))
        })
        .collect()
}

/// Territory numbers → territory ids.
pub fn territories(dir: &Snapshot, numbers: &[i32], field: &str) -> Result<Vec<i32>> {
    each(numbers, field, |&n, path| territory(dir, n, path))
}

/// A territory number → its id.
pub fn territory(dir: &Snapshot, number: i32, path: &[&str]) -> Result<i32> {
    dir.territory_by_number(number)
        .map(|t| dir.territories[t].id)
        .ok_or_else(|| Error::bad_input(format!("there is no territory {number}"), path))
}

/// Communes (INSEE codes or names) → commune ids.
pub fn communes(dir: &Snapshot, names: &[String], field: &str) -> Result<Vec<i32>> {
    each(names, field, |name, path| commune(dir, name, path))
}

/// A commune (INSEE code or name) → its id.
pub fn commune(dir: &Snapshot, name: &str, path: &[&str]) -> Result<i32> {
    dir.commune_by_code_or_name(name)
        .map(|c| dir.communes[c].id)
        .ok_or_else(|| {
            Error::bad_input(
                format!("no commune is called {name:?} (give its INSEE code or official name)"),
                path,
            )
        })
}

/// Collèges (UAI or names) → collège ids; archived ones are refused.
pub fn colleges(dir: &Snapshot, names: &[String], field: &str) -> Result<Vec<i32>> {
    each(names, field, |name, path| college(dir, name, path))
}

/// A collège (UAI or name) → its id.
pub fn college(dir: &Snapshot, name: &str, path: &[&str]) -> Result<i32> {
    let index = dir.college_named(name).ok_or_else(|| {
        Error::bad_input(format!("no collège has the UAI or name {name:?}"), path)
    })?;
    let model = &dir.colleges[index].model;
    if model.archived_at.is_some() {
        return Err(Error::bad_input(
            format!("the collège {:?} is archived", model.name),
            path,
        ));
    }
    Ok(model.id)
}

/// Theme codes → theme ids; archived themes are refused.
pub fn themes(dir: &Snapshot, codes: &[String], field: &str) -> Result<Vec<i32>> {
    each(codes, field, |code, path| {
        let index = dir
            .theme_by_code(code)
            .ok_or_else(|| Error::bad_input(format!("there is no theme {code:?}"), path))?;
        let model = &dir.themes[index].model;
        if model.archived_at.is_some() {
            return Err(Error::bad_input(
                format!("the theme {} is archived", model.code),
                path,
            ));
        }
        Ok(model.id)
    })
}

/// Partner IDs → partner ids; archived partners are refused.
pub fn partners(dir: &Snapshot, partner_ids: &[ID], field: &str) -> Result<Vec<i32>> {
    each(partner_ids, field, |id, path| {
        let id = ids::decode_as(id, ids::PARTNER, field)
            .map_err(|_| Error::bad_input("not a partner ID", path))?;
        let index = dir
            .partner_by_id(id)
            .ok_or_else(|| Error::bad_input("no partner has this ID", path))?;
        if dir.partners[index].model.archived_at.is_some() {
            return Err(Error::bad_input("this partner is archived", path));
        }
        Ok(id)
    })
}

/// Coordinator IDs → ids of coordinators in the roster.
pub fn coordinators(dir: &Snapshot, coordinator_ids: &[ID], field: &str) -> Result<Vec<i32>> {
    each(coordinator_ids, field, |id, path| {
        coordinator(dir, id, path)
    })
}

/// A coordinator ID → the id of a coordinator in the roster.
pub fn coordinator(dir: &Snapshot, id: &ID, path: &[&str]) -> Result<i32> {
    let id = ids::decode_as(id, ids::COORDINATOR, "id")
        .map_err(|_| Error::bad_input("not a coordinator ID", path))?;
    let index = dir
        .coordinator_by_id(id)
        .ok_or_else(|| Error::bad_input("no coordinator has this ID", path))?;
    if !dir.coordinators[index].model.active {
        return Err(Error::bad_input(
            "this coordinator has left the roster",
            path,
        ));
    }
    Ok(id)
}
