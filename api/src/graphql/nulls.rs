//! Null propagation as the GraphQL specification wants it (section 6.4.4, "Handling
//! Field Errors"): a field that fails is `null` in the answer, its key present, and the
//! `null` climbs to the nearest nullable parent when the field itself is non-null.
//!
//! async-graphql 7.2 does neither, and has no setting for it: a failed field's key is
//! left out of its object, and an object all of whose fields failed becomes `null`
//! itself, whatever its type says (so an anonymous caller asking only an admin-only
//! `fileName` loses the whole run). [`propagate`] repairs the answer after execution,
//! from the errors' paths: it costs nothing when a response has no field error, and when
//! it has one, only a parse of the (already budgeted) document and a walk along each
//! error's path. Doing it per field instead (an extension, or a guard answering `null`)
//! would wrap each of the thousands of field resolutions of a directory answer.

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationType, Selection,
    SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{parse_query, parse_schema};
use async_graphql::{Name, PathSegment, Response, Value};

/// Deepest fragment nesting followed when looking a field up (validation refuses
/// cycles before execution; this only keeps a bug from recursing without end).
const MAX_FRAGMENT_DEPTH: usize = 64;

/// The output fields of the schema's objects and interfaces, with their full types.
#[derive(Debug, Default)]
pub struct FieldTypes {
    types: HashMap<String, HashMap<String, Type>>,
}

impl FieldTypes {
    /// The field types of the schema whose SDL is `sdl` (empty if it does not parse, a
    /// bug: answers are then left as async-graphql made them).
    pub fn from_sdl(sdl: &str) -> Self {
        let Ok(document) = parse_schema(sdl) else {
            tracing::error!("the schema's own SDL does not parse; null propagation is off");
            return Self::default();
        };
        let mut types = HashMap::new();
        for definition in &document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let fields = match &definition.node.kind {
                TypeKind::Object(object) => &object.fields,
                TypeKind::Interface(interface) => &interface.fields,
                _ => continue,
            };
            let fields = fields
                .iter()
                .map(|field| (field.node.name.node.to_string(), field.node.ty.node.clone()))
                .collect();
            types.insert(definition.node.name.node.to_string(), fields);
        }
        Self { types }
    }

    fn field(&self, ty: &str, name: &str) -> Option<&Type> {
        self.types.get(ty)?.get(name)
    }
}

/// The field types of this binary's schema, read from its SDL on first use.
fn field_types() -> &'static FieldTypes {
    static TYPES: OnceLock<FieldTypes> = OnceLock::new();
    TYPES.get_or_init(|| FieldTypes::from_sdl(&super::sdl()))
}

/// Reads the field types now, so that the first failing request does not pay for it.
pub fn warm_up() {
    field_types();
}

/// Repairs `response`, the answer to `query` (operation `operation_name`), so that every
/// failed field is `null` with its key present and non-null failures reach the nearest
/// nullable parent (the whole `data` when there is none).
pub fn propagate(response: &mut Response, query: &str, operation_name: Option<&str>) {
    propagate_with(field_types(), response, query, operation_name);
}

/// [`propagate`] against the given schema types.
pub fn propagate_with(
    types: &FieldTypes,
    response: &mut Response,
    query: &str,
    operation_name: Option<&str>,
) {
    if response.errors.iter().all(|error| error.path.is_empty()) {
        return;
    }
    let Ok(document) = parse_query(query) else {
        return;
    };
    let Some((root, selection_set)) = operation(&document, operation_name) else {
        return;
    };
    let walker = Walker {
        types,
        document: &document,
    };
    // Where a null goes for each failed field: `None` is the whole `data`.
    let mut targets: Vec<Option<&[PathSegment]>> = Vec::new();
    for error in &response.errors {
        let path = error.path.as_slice();
        if path.is_empty() {
            continue;
        }
        let Some(nullable) = walker.nullability(root, selection_set, path) else {
            continue;
        };
        reopen(&mut response.data, path);
        targets.push(
            nullable
                .iter()
                .rposition(|nullable| *nullable)
                .and_then(|last| path.get(..=last)),
        );
    }
    // Shortest first: a null set on a parent makes those below it moot.
    targets.sort_by_key(|target| target.map_or(0, <[PathSegment]>::len));
    for target in targets {
        match target {
            None => {
                response.data = Value::Null;
                return;
            }
            Some(path) => set_null(&mut response.data, path),
        }
    }
}

/// The root type and selection of the operation that ran.
fn operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<(&'static str, &'a SelectionSet)> {
    let definition = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    let root = match definition.node.ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    Some((root, &definition.node.selection_set.node))
}

/// Reads the executed document along error paths.
struct Walker<'a> {
    types: &'a FieldTypes,
    document: &'a ExecutableDocument,
}

impl<'a> Walker<'a> {
    /// Whether each value along `path` may be null (one entry per segment), or `None`
    /// when the path does not match the document (it is then left alone).
    fn nullability(
        &self,
        root: &str,
        selection_set: &'a SelectionSet,
        path: &[PathSegment],
    ) -> Option<Vec<bool>> {
        let mut sets = vec![selection_set];
        let mut parent = root.to_owned();
        let mut current: Option<&Type> = None;
        let mut nullable = Vec::new();
        for segment in path {
            match segment {
                PathSegment::Field(key) => {
                    let mut found = Vec::new();
                    for set in &sets {
                        self.collect(set, key, None, 0, &mut found);
                    }
                    let (first, condition) = found.first()?;
                    let name = first.name.node.as_str();
                    let ty = condition
                        .and_then(|condition| self.types.field(condition, name))
                        .or_else(|| self.types.field(&parent, name))?;
                    nullable.push(ty.nullable);
                    parent = named(ty).to_owned();
                    current = Some(ty);
                    sets = found
                        .iter()
                        .map(|(field, _)| &field.selection_set.node)
                        .collect();
                }
                PathSegment::Index(_) => {
                    let BaseType::List(item) = &current?.base else {
                        return None;
                    };
                    nullable.push(item.nullable);
                    current = Some(item);
                }
            }
        }
        Some(nullable)
    }

    /// The fields of `set` answered under `key`, fragments included, each with the type
    /// condition of the fragment it sits in.
    fn collect(
        &self,
        set: &'a SelectionSet,
        key: &str,
        condition: Option<&'a str>,
        depth: usize,
        found: &mut Vec<(&'a Field, Option<&'a str>)>,
    ) {
        if depth > MAX_FRAGMENT_DEPTH {
            return;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if field.node.response_key().node.as_str() == key {
                        found.push((&field.node, condition));
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let inner = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|condition| condition.node.on.node.as_str())
                        .or(condition);
                    self.collect(
                        &fragment.node.selection_set.node,
                        key,
                        inner,
                        depth + 1,
                        found,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    else {
                        continue;
                    };
                    self.collect(
                        &fragment.node.selection_set.node,
                        key,
                        Some(fragment.node.type_condition.node.on.node.as_str()),
                        depth + 1,
                        found,
                    );
                }
            }
        }
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// Turns back into objects the `null`s async-graphql left where every field of an object
/// failed (a value that resolved to `null` has no field below it, so no error path goes
/// through it).
fn reopen(data: &mut Value, path: &[PathSegment]) {
    let mut value = data;
    for segment in path {
        if matches!(value, Value::Null) {
            *value = Value::Object(Default::default());
        }
        let next = match (value, segment) {
            (Value::Object(object), PathSegment::Field(key)) => object.get_mut(key.as_str()),
            (Value::List(list), PathSegment::Index(index)) => list.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => value = next,
            None => return,
        }
    }
}

/// Sets the value at `path` to `null` (its key added if missing), unless a parent on
/// the way is already `null`.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut value = data;
    for segment in parents {
        let next = match (value, segment) {
            (Value::Object(object), PathSegment::Field(key)) => object.get_mut(key.as_str()),
            (Value::List(list), PathSegment::Index(index)) => list.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => value = next,
            None => return,
        }
    }
    match (value, last) {
        (Value::Object(object), PathSegment::Field(key)) => {
            object.insert(Name::new(key), Value::Null);
        }
        (Value::List(list), PathSegment::Index(index)) => {
            if let Some(item) = list.get_mut(*index) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{ServerError, value};

    use super::*;

    const SDL: &str = "
        type Query { run: Run, runs: [Run!]!, strict: Run!, items: [Run]! }
        type Run { id: ID!, fileName: String, plan: String!, inner: Inner }
        type Inner { must: String! }
    ";

    fn repaired(query: &str, data: Value, paths: &[&[PathSegment]]) -> Value {
        let types = FieldTypes::from_sdl(SDL);
        let mut response = Response::new(data);
        for path in paths {
            let mut error = ServerError::new("refused", None);
            error.path = path.to_vec();
            response.errors.push(error);
        }
        propagate_with(&types, &mut response, query, None);
        response.data
    }

    fn field(name: &str) -> PathSegment {
        PathSegment::Field(name.to_owned())
    }

    #[test]
    fn a_failed_nullable_field_is_null_with_its_key() {
        let data = repaired(
            "{ run { id fileName } }",
            value!({ "run": { "id": "1" } }),
            &[&[field("run"), field("fileName")]],
        );
        assert_eq!(data, value!({ "run": { "id": "1", "fileName": null } }));
    }

    #[test]
    fn an_object_whose_only_field_failed_is_kept() {
        let data = repaired(
            "{ run { fileName } }",
            value!({ "run": null }),
            &[&[field("run"), field("fileName")]],
        );
        assert_eq!(data, value!({ "run": { "fileName": null } }));
    }

    #[test]
    fn aliases_and_fragments_are_followed() {
        let data = repaired(
            "query { r: run { ...F } } fragment F on Run { ... on Run { name: fileName } }",
            value!({ "r": null }),
            &[&[field("r"), field("name")]],
        );
        assert_eq!(data, value!({ "r": { "name": null } }));
    }

    #[test]
    fn a_non_null_failure_nulls_the_nearest_nullable_parent() {
        let data = repaired(
            "{ run { id plan } items { id plan } }",
            value!({ "run": { "id": "1" }, "items": [{ "id": "2" }, { "id": "3", "plan": "p" }] }),
            &[
                &[field("run"), field("plan")],
                &[field("items"), PathSegment::Index(0), field("plan")],
            ],
        );
        assert_eq!(
            data,
            value!({ "run": null, "items": [null, { "id": "3", "plan": "p" }] })
        );
    }

    #[test]
    fn a_failure_with_no_nullable_parent_nulls_the_data() {
        let data = repaired(
            "{ run { id } strict { inner { must } } }",
            value!({ "run": { "id": "1" }, "strict": { "inner": null } }),
            &[&[field("strict"), field("inner"), field("must")]],
        );
        assert_eq!(
            data,
            value!({ "run": { "id": "1" }, "strict": { "inner": null } })
        );
        let data = repaired(
            "{ run { id } runs { plan } }",
            value!({ "run": { "id": "1" }, "runs": [null] }),
            &[&[field("runs"), PathSegment::Index(0), field("plan")]],
        );
        assert_eq!(data, Value::Null);
    }

    #[test]
    fn paths_that_do_not_match_the_document_are_left_alone() {
        let data = repaired(
            "{ run { id } }",
            value!({ "run": { "id": "1" } }),
            &[
                &[field("nope"), field("id")],
                &[field("run"), PathSegment::Index(3)],
                &[PathSegment::Index(0)],
            ],
        );
        assert_eq!(data, value!({ "run": { "id": "1" } }));
    }
}
