//! The query budget: what a GraphQL document may cost, decided *before* async-graphql
//! validates it.
//!
//! async-graphql's own checks (depth, complexity, the validation rules) walk the document
//! with every fragment spread expanded in place, so a fragment that spreads the previous
//! one twice, 29 levels deep, makes them visit 2^29 selections: a 1.3 KB query pinned a
//! core for 107 s before "too complex" could be answered. [`check`] bounds the document
//! first, in time linear in its size:
//! - lexical tokens are counted before anything is parsed;
//! - fragments, spreads and aliases are counted in the document as written;
//! - the cost of the expanded operation is computed with each fragment's cost worked out
//!   once and reused (fragments depend on nothing but their own text), so the number of
//!   selections validation will visit, the complexity (a field counts 1, a connection
//!   multiplies its selection by its page size, as the schema's own complexity rules do)
//!   and the size of the introspection answer are known without expanding anything.
//!
//! Introspection is counted by what it lists: each type, field, argument or enum value a
//! selection may return counts 1, using this schema's real totals and largest lists, so
//! the standard introspection query of tools fits while dozens of aliased `__schema`
//! selections (an answer of megabytes from a few kilobytes) do not.
//!
//! [`admit`] runs the check on the blocking thread pool: even the bounded work never
//! holds one of the runtime's workers, which keep answering `/healthz` and other
//! requests. Once admitted, the document is handed to async-graphql already parsed and
//! its own checks walk at most the budgeted number of selections.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::OnceLock;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationType, Selection,
    SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_query, parse_schema};
use async_graphql::{Value, Variables};

use crate::access::Viewer;
use crate::config::{IntrospectionPolicy, ServerConfig};
use crate::error::{Error, Result};
use crate::graphql::pagination::DEFAULT_PAGE_SIZE;

/// The limits a document is checked against (from [`ServerConfig`]).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most lexical tokens.
    pub max_tokens: usize,
    /// Most aliases.
    pub max_aliases: usize,
    /// Most fragment definitions.
    pub max_fragments: usize,
    /// Most fragment spreads.
    pub max_spreads: usize,
    /// Largest complexity, and most selections once fragments are expanded.
    pub max_complexity: usize,
    /// Largest introspection cost.
    pub max_introspection: usize,
}

impl Limits {
    /// The limits configured for the server.
    pub fn from_config(config: &ServerConfig) -> Self {
        Self {
            max_tokens: config.max_query_tokens,
            max_aliases: config.max_query_aliases,
            max_fragments: config.max_query_fragments,
            max_spreads: config.max_query_spreads,
            max_complexity: config.max_query_complexity,
            max_introspection: config.max_introspection_cost,
        }
    }
}

/// What the check found in a document that fits the budget.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// Whether the operation to run is a mutation.
    pub mutation: bool,
    /// Whether the document asks for `__schema` or `__type`.
    pub introspection: bool,
    /// The metrics label of the operation (see [`crate::metrics::operation_label_of`]).
    pub operation: String,
    /// What it was found to cost.
    pub cost: Cost,
}

/// The cost of a document, with its fragments expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Selections (fields, spreads, inline fragments) validation visits.
    pub selections: u64,
    /// The complexity, as the schema's rules count it (connections multiply their
    /// selection by their page size, at least 1).
    pub complexity: u64,
    /// An upper bound of the number of values the introspection part of the answer holds.
    pub introspection: u64,
    /// How many times `__schema` is selected.
    pub schemas: u64,
}

impl Cost {
    fn add(self, other: Self) -> Self {
        Self {
            selections: self.selections.saturating_add(other.selections),
            complexity: self.complexity.saturating_add(other.complexity),
            introspection: self.introspection.saturating_add(other.introspection),
            schemas: self.schemas.saturating_add(other.schemas),
        }
    }
}

/// Checks `request` against the budget on the blocking thread pool and, when it fits,
/// returns it with its parsed document set (async-graphql does not parse it again) and
/// what the check found.
pub async fn admit(
    request: async_graphql::Request,
    limits: Limits,
) -> Result<(async_graphql::Request, Admitted)> {
    tokio::task::spawn_blocking(move || {
        let mut request = request;
        let (document, admitted) = check(
            &request.query,
            request.operation_name.as_deref(),
            &request.variables,
            shape(),
            &limits,
        )?;
        request.set_parsed_query(document);
        Ok((request, admitted))
    })
    .await
    .map_err(|error| Error::Internal(format!("the query check did not finish: {error}")))?
}

/// Refuses introspection to a caller `policy` does not allow it.
pub fn allow_introspection(policy: IntrospectionPolicy, viewer: &Viewer) -> Result<()> {
    match policy {
        IntrospectionPolicy::Public => Ok(()),
        IntrospectionPolicy::Authenticated if viewer.is_authenticated() => Ok(()),
        IntrospectionPolicy::Authenticated => Err(Error::Unauthenticated(
            "introspection (__schema, __type) needs an API token or an access token on this \
             server (Authorization: Bearer …)"
                .to_owned(),
        )),
        IntrospectionPolicy::Off => Err(Error::Forbidden(
            "introspection (__schema, __type) is turned off on this server".to_owned(),
        )),
    }
}

/// `response` as JSON, or an error when it would be larger than `limit` bytes: the body
/// is written into a buffer that stops growing at the limit, so an oversized answer is
/// never held twice nor sent cut short.
pub fn serialize_bounded(response: &async_graphql::Response, limit: usize) -> Result<Vec<u8>> {
    let mut writer = BoundedWriter {
        buffer: Vec::new(),
        limit,
    };
    match serde_json::to_writer(&mut writer, response) {
        Ok(()) => Ok(writer.buffer),
        Err(error) if error.is_io() => Err(Error::TooExpensive(format!(
            "the answer is larger than {limit} bytes (GRAPHQL_MAX_RESPONSE_BYTES); ask for \
             fewer fields or smaller pages"
        ))),
        Err(error) => Err(Error::Internal(error.to_string())),
    }
}

/// A `Vec` writer that refuses to grow past `limit`.
struct BoundedWriter {
    buffer: Vec<u8>,
    limit: usize,
}

impl Write for BoundedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buffer.len().saturating_add(bytes.len()) > self.limit {
            return Err(std::io::Error::other("response size limit"));
        }
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Checks the document `query` against `limits` without expanding its fragments;
/// returns it parsed, with what was found.
pub fn check(
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
    shape: &SchemaShape,
    limits: &Limits,
) -> Result<(ExecutableDocument, Admitted)> {
    if count_tokens(query, limits.max_tokens) > limits.max_tokens {
        return Err(too_complex(format!(
            "it has more than {} tokens (GRAPHQL_MAX_TOKENS)",
            limits.max_tokens
        )));
    }
    let document = parse_query(query).map_err(|error| Error::ParseFailed(error.to_string()))?;
    if document.fragments.len() > limits.max_fragments {
        return Err(too_complex(format!(
            "it defines {} fragments, more than the {} allowed (GRAPHQL_MAX_FRAGMENTS)",
            document.fragments.len(),
            limits.max_fragments
        )));
    }
    let written = Written::count(&document);
    if written.aliases > limits.max_aliases {
        return Err(too_complex(format!(
            "it has {} aliases, more than the {} allowed (GRAPHQL_MAX_ALIASES)",
            written.aliases, limits.max_aliases
        )));
    }
    if written.spreads > limits.max_spreads {
        return Err(too_complex(format!(
            "it has {} fragment spreads, more than the {} allowed (GRAPHQL_MAX_SPREADS)",
            written.spreads, limits.max_spreads
        )));
    }
    let variables = with_defaults(&document, variables);
    let cost = Walker::new(&document, shape, &variables).document()?;
    let max_complexity = u64::try_from(limits.max_complexity).unwrap_or(u64::MAX);
    if cost.selections > max_complexity {
        return Err(too_complex(format!(
            "its fragments expand to more than {max_complexity} selections \
             (GRAPHQL_MAX_COMPLEXITY)"
        )));
    }
    if cost.complexity > max_complexity {
        return Err(too_complex(format!(
            "its complexity is over {max_complexity} (GRAPHQL_MAX_COMPLEXITY); a connection \
             multiplies its selection by its page size"
        )));
    }
    if cost.schemas > 1 {
        return Err(too_complex(format!(
            "it selects __schema {} times; the schema is the same each time, ask for it once",
            cost.schemas
        )));
    }
    let max_introspection = u64::try_from(limits.max_introspection).unwrap_or(u64::MAX);
    if cost.introspection > max_introspection {
        return Err(too_complex(format!(
            "its introspection may list more than {max_introspection} schema elements \
             (GRAPHQL_MAX_INTROSPECTION_COST); ask for the schema once"
        )));
    }
    let admitted = Admitted {
        mutation: runs_mutation(&document, operation_name),
        introspection: written.introspection,
        operation: crate::metrics::operation_label_of(&document, operation_name),
        cost,
    };
    Ok((document, admitted))
}

/// The variables sent, completed by the defaults the document declares
/// (`query($n: Int = 100)`): a page size left to its default is counted at that default.
fn with_defaults(document: &ExecutableDocument, variables: &Variables) -> Variables {
    let mut all = variables.clone();
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values().collect(),
    };
    for operation in operations {
        for definition in &operation.node.variable_definitions {
            let name = &definition.node.name.node;
            if let Some(default) = &definition.node.default_value
                && !all.contains_key(name)
            {
                all.insert(name.clone(), default.node.clone());
            }
        }
    }
    all
}

fn too_complex(why: String) -> Error {
    Error::TooExpensive(format!("the query is too complex: {why}"))
}

/// Whether the operation to run is a mutation (none chosen or unknown: not one).
fn runs_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let is_mutation = |op: &Positioned<async_graphql::parser::types::OperationDefinition>| {
        op.node.ty == OperationType::Mutation
    };
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => is_mutation(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).is_some_and(is_mutation),
        (DocumentOperations::Multiple(ops), None) => {
            ops.len() == 1 && ops.values().all(is_mutation)
        }
    }
}

/// The lexical tokens of `query`, counted up to one past `max` (the rest is not read).
/// Approximate where the document is not valid GraphQL: the parser reports those.
fn count_tokens(query: &str, max: usize) -> usize {
    let bytes = query.as_bytes();
    let mut at = 0;
    let mut tokens = 0;
    while at < bytes.len() && tokens <= max {
        let byte = bytes[at];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                at += 3;
                while at < bytes.len() && !bytes[at..].starts_with(b"\"\"\"") {
                    at += if bytes[at..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                at += 3;
            }
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            b'-' | b'0'..=b'9' => {
                at += 1;
                while at < bytes.len()
                    && matches!(bytes[at], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    at += 1;
                }
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                while at < bytes.len()
                    && matches!(bytes[at], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9')
                {
                    at += 1;
                }
            }
            _ => at += 1,
        }
        tokens += 1;
    }
    tokens
}

/// What the document holds as written (each selection set once, fragments unexpanded).
#[derive(Debug, Default)]
struct Written {
    aliases: usize,
    spreads: usize,
    introspection: bool,
}

impl Written {
    fn count(document: &ExecutableDocument) -> Self {
        let mut written = Self::default();
        for (_, operation) in document.operations.iter() {
            written.selection_set(&operation.node.selection_set.node);
        }
        for fragment in document.fragments.values() {
            written.selection_set(&fragment.node.selection_set.node);
        }
        written
    }

    fn selection_set(&mut self, set: &SelectionSet) {
        // The parser bounds nesting, so this recursion is bounded too.
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.aliases += usize::from(field.alias.is_some());
                    self.introspection |= matches!(field.name.node.as_str(), "__schema" | "__type");
                    self.selection_set(&field.selection_set.node);
                }
                Selection::FragmentSpread(_) => self.spreads += 1,
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node);
                }
            }
        }
    }
}

/// What the budget needs to know of the schema: each object's and interface's fields
/// (their type, and whether they are connections), and the sizes of what introspection
/// lists. Read from the schema's SDL once, when the schema is built.
#[derive(Debug, Default)]
pub struct SchemaShape {
    types: HashMap<String, HashMap<String, FieldShape>>,
    lists: Lists,
}

/// A field of the schema, as the budget sees it.
#[derive(Debug)]
struct FieldShape {
    /// The named type it returns (lists and non-null unwrapped).
    ty: String,
    /// Whether it is a Relay connection (its selection repeats up to its page size).
    connection: bool,
}

/// Totals and largest lists of the schema, as introspection returns them.
#[derive(Debug, Default, Clone, Copy)]
struct Lists {
    types: u64,
    fields: u64,
    max_fields: u64,
    input_values: u64,
    max_arguments: u64,
    max_input_fields: u64,
    enum_values: u64,
    max_enum_values: u64,
    interfaces: u64,
    max_interfaces: u64,
    possible_types: u64,
    max_possible_types: u64,
    directives: u64,
}

/// What introspection adds to the SDL's counts: the built-in scalars (5) and
/// introspection types (8: `__Schema`, `__Type`, `__Field`, `__InputValue`,
/// `__EnumValue`, `__Directive`, `__TypeKind`, `__DirectiveLocation`), their fields (at
/// most 12 per type, 41 in all), arguments (4 `includeDeprecated`), enum values (8 kinds
/// and 19 locations) and the built-in directives the SDL may leave out (5). Rounded up:
/// the budget must never count less than the answer holds.
const BUILT_IN: Lists = Lists {
    types: 16,
    fields: 48,
    max_fields: 12,
    input_values: 12,
    max_arguments: 1,
    max_input_fields: 0,
    enum_values: 32,
    max_enum_values: 19,
    interfaces: 0,
    max_interfaces: 0,
    possible_types: 0,
    max_possible_types: 0,
    directives: 6,
};

/// Most values of `__Directive.locations`.
const DIRECTIVE_LOCATIONS: u64 = 19;

/// The shape of this binary's schema, read from its SDL on first use.
pub fn shape() -> &'static SchemaShape {
    static SHAPE: OnceLock<SchemaShape> = OnceLock::new();
    SHAPE.get_or_init(|| SchemaShape::from_sdl(&super::sdl()))
}

impl SchemaShape {
    /// The shape of the schema whose SDL is `sdl`; an SDL that does not parse (a bug)
    /// gives an empty shape, whose budget still bounds selections and introspection.
    pub fn from_sdl(sdl: &str) -> Self {
        let Ok(document) = parse_schema(sdl) else {
            tracing::error!("the schema's own SDL does not parse; the query budget knows no types");
            return Self::default();
        };
        let mut shape = Self::default();
        let mut lists = BUILT_IN;
        let mut possible: HashMap<String, u64> = HashMap::new();
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Type(definition) => {
                    let definition = &definition.node;
                    lists.types += 1;
                    let fields = match &definition.kind {
                        TypeKind::Object(object) => {
                            lists.interfaces += len(&object.implements);
                            lists.max_interfaces =
                                lists.max_interfaces.max(len(&object.implements));
                            for interface in &object.implements {
                                *possible.entry(interface.node.to_string()).or_default() += 1;
                            }
                            Some(&object.fields)
                        }
                        TypeKind::Interface(interface) => {
                            lists.interfaces += len(&interface.implements);
                            lists.max_interfaces =
                                lists.max_interfaces.max(len(&interface.implements));
                            Some(&interface.fields)
                        }
                        TypeKind::Union(union) => {
                            lists.possible_types += len(&union.members);
                            lists.max_possible_types =
                                lists.max_possible_types.max(len(&union.members));
                            None
                        }
                        TypeKind::Enum(enumeration) => {
                            lists.enum_values += len(&enumeration.values);
                            lists.max_enum_values =
                                lists.max_enum_values.max(len(&enumeration.values));
                            None
                        }
                        TypeKind::InputObject(input) => {
                            lists.input_values += len(&input.fields);
                            lists.max_input_fields = lists.max_input_fields.max(len(&input.fields));
                            None
                        }
                        TypeKind::Scalar => None,
                    };
                    let Some(fields) = fields else { continue };
                    lists.fields += len(fields);
                    lists.max_fields = lists.max_fields.max(len(fields));
                    let entry = shape
                        .types
                        .entry(definition.name.node.to_string())
                        .or_default();
                    for field in fields {
                        let field = &field.node;
                        lists.input_values += len(&field.arguments);
                        lists.max_arguments = lists.max_arguments.max(len(&field.arguments));
                        let ty = named_type(&field.ty.node).to_owned();
                        let connection = ty.ends_with("Connection")
                            && field.arguments.iter().any(|a| a.node.name.node == "first");
                        entry.insert(field.name.node.to_string(), FieldShape { ty, connection });
                    }
                }
                TypeSystemDefinition::Directive(directive) => {
                    lists.directives += 1;
                    lists.input_values += len(&directive.node.arguments);
                    lists.max_arguments = lists.max_arguments.max(len(&directive.node.arguments));
                }
                TypeSystemDefinition::Schema(_) => {}
            }
        }
        for implementations in possible.into_values() {
            lists.possible_types += implementations;
            lists.max_possible_types = lists.max_possible_types.max(implementations);
        }
        shape.lists = lists;
        shape
    }

    fn field(&self, ty: Option<&str>, name: &str) -> Option<&FieldShape> {
        self.types.get(ty?)?.get(name)
    }
}

fn len<T>(items: &[T]) -> u64 {
    u64::try_from(items.len()).unwrap_or(u64::MAX)
}

fn named_type(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named_type(inner),
    }
}

/// What a selection set is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Context {
    /// The data of the schema.
    Data,
    /// An introspection object; `canonical` when the selection runs once over all the
    /// objects of that kind in the schema (`__schema { types { fields } }`: every field
    /// once), so its cost is the total of the kind, not a count times the largest list.
    Introspection { kind: Kind, canonical: bool },
}

/// The introspection objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Schema,
    Type,
    Field,
    InputValue,
    EnumValue,
    Directive,
}

/// How many objects an introspection field returns.
enum Fanout {
    /// Every object of the kind once (a canonical context).
    All(Kind),
    /// At most this many objects per parent object, in a non-canonical context.
    PerParent(Kind, u64),
    /// At most this many objects in all, below a canonical parent.
    Total(Kind, u64),
    /// Scalar values, at most this many per parent.
    Leaf(u64),
}

/// Deepest recursion of the walk (selection nesting plus fragment chains); the parser
/// bounds nesting and `GRAPHQL_MAX_FRAGMENTS` the chains, this keeps the stack safe even
/// if those limits are raised.
const MAX_WALK_DEPTH: usize = 1_000;

/// Computes the cost of a document, each fragment's once per context.
struct Walker<'a> {
    document: &'a ExecutableDocument,
    shape: &'a SchemaShape,
    variables: &'a Variables,
    memo: HashMap<(&'a str, Context), Cost>,
    open: HashSet<&'a str>,
    depth: usize,
}

impl<'a> Walker<'a> {
    fn new(
        document: &'a ExecutableDocument,
        shape: &'a SchemaShape,
        variables: &'a Variables,
    ) -> Self {
        Self {
            document,
            shape,
            variables,
            memo: HashMap::new(),
            open: HashSet::new(),
            depth: 0,
        }
    }

    /// The cost of every operation (async-graphql validates them all, whichever runs).
    fn document(&mut self) -> Result<Cost> {
        let mut total = Cost::default();
        for (_, operation) in self.document.operations.iter() {
            let root = match operation.node.ty {
                OperationType::Query => "Query",
                OperationType::Mutation => "Mutation",
                OperationType::Subscription => "Subscription",
            };
            let cost = self.selection_set(
                &operation.node.selection_set.node,
                Context::Data,
                Some(root),
            )?;
            total = total.add(cost);
        }
        // Validation also visits fragments no operation spreads (to report them); their
        // selections count, once.
        for name in self.document.fragments.keys() {
            let name = name.as_str();
            if self.memo.keys().any(|(used, _)| *used == name) {
                continue;
            }
            let cost = self.fragment(name, Context::Data)?;
            total.selections = total.selections.saturating_add(cost.selections);
        }
        Ok(total)
    }

    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        context: Context,
        ty: Option<&'a str>,
    ) -> Result<Cost> {
        self.depth += 1;
        if self.depth > MAX_WALK_DEPTH {
            return Err(too_complex(format!(
                "its selections and fragments nest more than {MAX_WALK_DEPTH} levels deep"
            )));
        }
        let mut total = Cost::default();
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => self.field(&field.node, context, ty)?,
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    Cost {
                        selections: 1,
                        ..Cost::default()
                    }
                    .add(self.fragment(name, context)?)
                }
                Selection::InlineFragment(inline) => {
                    let inner_ty = match (&inline.node.type_condition, context) {
                        (Some(condition), Context::Data) => Some(condition.node.on.node.as_str()),
                        _ => ty,
                    };
                    Cost {
                        selections: 1,
                        ..Cost::default()
                    }
                    .add(self.selection_set(
                        &inline.node.selection_set.node,
                        context,
                        inner_ty,
                    )?)
                }
            };
            total = total.add(cost);
        }
        self.depth -= 1;
        Ok(total)
    }

    /// A fragment's cost in `context`, computed once.
    fn fragment(&mut self, name: &'a str, context: Context) -> Result<Cost> {
        if let Some(cost) = self.memo.get(&(name, context)) {
            return Ok(*cost);
        }
        // An unknown fragment costs nothing here; validation rejects it.
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Cost::default());
        };
        if !self.open.insert(name) {
            return Err(Error::ValidationFailed(format!(
                "the fragment {name} spreads itself"
            )));
        }
        let ty = fragment.node.type_condition.node.on.node.as_str();
        let cost = self.selection_set(&fragment.node.selection_set.node, context, Some(ty))?;
        self.open.remove(name);
        self.memo.insert((name, context), cost);
        Ok(cost)
    }

    fn field(&mut self, field: &'a Field, context: Context, ty: Option<&'a str>) -> Result<Cost> {
        let name = field.name.node.as_str();
        let children = &field.selection_set.node;
        match context {
            Context::Data => match name {
                "__schema" | "__type" => {
                    let kind = if name == "__schema" {
                        Kind::Schema
                    } else {
                        Kind::Type
                    };
                    let inner = Context::Introspection {
                        kind,
                        canonical: kind == Kind::Schema,
                    };
                    let cost = self.selection_set(children, inner, None)?;
                    Ok(Cost {
                        selections: 1 + cost.selections,
                        complexity: 1 + cost.complexity,
                        introspection: 1 + cost.introspection,
                        schemas: cost.schemas + u64::from(kind == Kind::Schema),
                    })
                }
                // Validation and complexity skip `__typename`; it is still a selection.
                "__typename" => Ok(Cost {
                    selections: 1,
                    ..Cost::default()
                }),
                _ => {
                    let shape = self.shape.field(ty, name);
                    let inner_ty = shape.map(|s| s.ty.as_str());
                    let cost = self.selection_set(children, Context::Data, inner_ty)?;
                    let page = if shape.is_some_and(|s| s.connection) {
                        self.page_size(field)
                    } else {
                        1
                    };
                    Ok(Cost {
                        complexity: cost.complexity.saturating_mul(page).saturating_add(1),
                        selections: 1 + cost.selections,
                        ..cost
                    })
                }
            },
            Context::Introspection { kind, canonical } => {
                let lists = self.shape.lists;
                // How many parent objects this field is evaluated on: in a canonical
                // context the whole kind, otherwise the cost is per parent object.
                let parents = if canonical { total(&lists, kind) } else { 1 };
                let fanout = fanout(&lists, kind, canonical, name);
                let own = match fanout {
                    Fanout::Leaf(count) => parents.saturating_mul(count),
                    _ => parents,
                };
                let (inner, objects) = match fanout {
                    Fanout::All(kind) => (
                        Some(Context::Introspection {
                            kind,
                            canonical: true,
                        }),
                        1,
                    ),
                    Fanout::PerParent(kind, count) => (
                        Some(Context::Introspection {
                            kind,
                            canonical: false,
                        }),
                        parents.saturating_mul(count),
                    ),
                    Fanout::Total(kind, count) => (
                        Some(Context::Introspection {
                            kind,
                            canonical: false,
                        }),
                        count,
                    ),
                    Fanout::Leaf(count) => (None, parents.saturating_mul(count)),
                };
                let cost = match inner {
                    Some(inner) => self.selection_set(children, inner, None)?,
                    // A scalar: any selection below it is invalid, counted all the same.
                    None => self.selection_set(children, context, None)?,
                };
                Ok(Cost {
                    selections: 1 + cost.selections,
                    complexity: 1 + cost.complexity,
                    introspection: own
                        .saturating_add(cost.introspection.saturating_mul(objects.max(1))),
                    schemas: cost.schemas,
                })
            }
        }
    }

    /// The page size of a connection field, as its complexity rule reads it (`first`,
    /// else `last`, else the default), at least 1: an empty page still has its
    /// selection validated.
    fn page_size(&self, field: &Field) -> u64 {
        let argument = |name: &str| {
            let value = field
                .arguments
                .iter()
                .find(|(argument, _)| argument.node == name)
                .map(|(_, value)| &value.node)?;
            // Resolves a variable; a value with none (or a list, an object) gives no
            // page size.
            let value = value
                .clone()
                .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                .ok()?;
            match value {
                Value::Number(number) => number.as_i64(),
                _ => None,
            }
        };
        let page = argument("first")
            .or_else(|| argument("last"))
            .unwrap_or(i64::try_from(DEFAULT_PAGE_SIZE).unwrap_or(i64::MAX));
        u64::try_from(page).unwrap_or(0).max(1)
    }
}

/// How many objects of `kind` the schema holds.
fn total(lists: &Lists, kind: Kind) -> u64 {
    match kind {
        Kind::Schema => 1,
        Kind::Type => lists.types,
        Kind::Field => lists.fields,
        Kind::InputValue => lists.input_values,
        Kind::EnumValue => lists.enum_values,
        Kind::Directive => lists.directives,
    }
}

/// What the introspection field `name` of an object of `kind` returns. In a canonical
/// context (each object of the kind once), a list of owned objects is again every object
/// of its kind once; a reference to types (`type`, `interfaces`) repeats types, so it is
/// counted as a total number of objects.
fn fanout(lists: &Lists, kind: Kind, canonical: bool, name: &str) -> Fanout {
    let owned = |child: Kind, per_parent: u64| {
        if canonical {
            Fanout::All(child)
        } else {
            Fanout::PerParent(child, per_parent)
        }
    };
    let referenced = |per_parent: u64, in_all: u64| {
        if canonical {
            Fanout::Total(Kind::Type, in_all)
        } else {
            Fanout::PerParent(Kind::Type, per_parent)
        }
    };
    match (kind, name) {
        (Kind::Schema, "types") => owned(Kind::Type, lists.types),
        (Kind::Schema, "directives") => owned(Kind::Directive, lists.directives),
        (Kind::Schema, "queryType" | "mutationType" | "subscriptionType") => {
            Fanout::PerParent(Kind::Type, 1)
        }
        (Kind::Type, "fields") => owned(Kind::Field, lists.max_fields),
        (Kind::Type, "inputFields") => owned(Kind::InputValue, lists.max_input_fields),
        (Kind::Type, "enumValues") => owned(Kind::EnumValue, lists.max_enum_values),
        (Kind::Type, "interfaces") => referenced(lists.max_interfaces, lists.interfaces),
        (Kind::Type, "possibleTypes") => referenced(lists.max_possible_types, lists.possible_types),
        (Kind::Type, "ofType") => referenced(1, lists.types),
        (Kind::Field | Kind::Directive, "args") => owned(Kind::InputValue, lists.max_arguments),
        (Kind::Field, "type") => referenced(1, lists.fields),
        (Kind::InputValue, "type") => referenced(1, lists.input_values),
        (Kind::Directive, "locations") => Fanout::Leaf(DIRECTIVE_LOCATIONS),
        _ => Fanout::Leaf(1),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_tokens: 15_000,
            max_aliases: 200,
            max_fragments: 100,
            max_spreads: 500,
            max_complexity: 5_000,
            max_introspection: 100_000,
        }
    }

    fn cost(query: &str) -> Result<Cost> {
        check(query, None, &Variables::default(), shape(), &limits()).map(|(_, a)| a.cost)
    }

    /// `fragment T0 on Territory { number }`, then each level spreads the previous twice.
    fn doubling(levels: usize) -> String {
        let mut query = String::from("fragment T0 on Territory { number name }\n");
        for level in 1..=levels {
            let previous = level - 1;
            query.push_str(&format!(
                "fragment T{level} on Territory {{ ...T{previous} ...T{previous} }}\n"
            ));
        }
        query.push_str(&format!("{{ territories {{ ...T{levels} }} }}"));
        query
    }

    #[test]
    fn fragment_costs_are_computed_without_expanding_them() {
        // 2^k copies of two fields: the walk is linear, the count exact.
        let small = cost(&doubling(5)).unwrap();
        // territories (1) + spreads (1 + 2 + 4 + … + 32 = 63) + 32 copies of 2 fields.
        assert_eq!(small.selections, 1 + 63 + 64);
        assert_eq!(small.complexity, 1 + 64);

        let started = std::time::Instant::now();
        let error = cost(&doubling(60)).unwrap_err();
        let elapsed = started.elapsed();
        eprintln!("doubling fragments, 60 levels: checked in {elapsed:?}");
        // The target is 50 ms (about 14 ms measured on a loaded debug build); the bound
        // asserted is generous so that a busy CI machine cannot make it flaky, and still
        // fails by orders of magnitude if the fragments were expanded.
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
        assert_eq!(error.code(), "BAD_USER_INPUT");
        assert!(error.to_string().contains("too complex"), "{error}");
    }

    #[test]
    fn connections_multiply_their_selection_by_their_page_size() {
        let query = "{ projects(first: 10) { edges { node { title } } } }";
        // projects: 10 × (edges 1 + node 1 + title 1) + 1.
        assert_eq!(cost(query).unwrap().complexity, 31);
        let default_page = "{ projects { edges { node { title } } } }";
        assert_eq!(cost(default_page).unwrap().complexity, 61);
        let variables: Variables = serde_json::from_value(serde_json::json!({ "n": 100 })).unwrap();
        let with_variable = check(
            "query($n: Int) { projects(first: $n) { edges { node { title } } } }",
            None,
            &variables,
            shape(),
            &limits(),
        )
        .unwrap();
        assert_eq!(with_variable.1.cost.complexity, 301);
        // An empty page still counts its selection once.
        assert_eq!(
            cost("{ projects(first: 0) { edges { node { title } } } }")
                .unwrap()
                .complexity,
            4
        );
    }

    #[test]
    fn a_page_size_left_to_its_variable_default_is_counted_at_that_default() {
        let query = "query($n: Int = 100) { projects(first: $n) { edges { node { title } } } }";
        assert_eq!(cost(query).unwrap().complexity, 301);
    }

    #[test]
    fn caps_on_tokens_aliases_fragments_and_spreads() {
        let aliases: String = (0..201).map(|i| format!("a{i}: __typename ")).collect();
        let error = cost(&format!("{{ {aliases} }}")).unwrap_err();
        assert!(error.to_string().contains("GRAPHQL_MAX_ALIASES"), "{error}");

        let fragments: String = (0..101)
            .map(|i| format!("fragment F{i} on Query {{ __typename }} "))
            .collect();
        let error = cost(&format!("{{ __typename }} {fragments}")).unwrap_err();
        assert!(
            error.to_string().contains("GRAPHQL_MAX_FRAGMENTS"),
            "{error}"
        );

        let spreads = "...F ".repeat(501);
        let error = cost(&format!(
            "{{ {spreads} }} fragment F on Query {{ __typename }}"
        ))
        .unwrap_err();
        assert!(error.to_string().contains("GRAPHQL_MAX_SPREADS"), "{error}");

        let tokens = "__typename ".repeat(15_001);
        let error = cost(&format!("{{ {tokens} }}")).unwrap_err();
        assert!(error.to_string().contains("GRAPHQL_MAX_TOKENS"), "{error}");
    }

    #[test]
    fn tokens_are_counted_as_graphql_reads_them() {
        assert_eq!(count_tokens("{ a(b: \"x y, z\") }", 100), 8);
        assert_eq!(count_tokens("# comment\n{ ...F }", 100), 4);
        assert_eq!(
            count_tokens("\"\"\"block \\\"\"\" text\"\"\" query", 100),
            2
        );
        assert_eq!(count_tokens("{ a(n: -1.5e3) }", 100), 8);
        assert_eq!(count_tokens(&"a ".repeat(1_000), 10), 11);
    }

    #[test]
    fn fragment_cycles_are_refused_not_followed() {
        let error =
            cost("fragment A on Query { ...B } fragment B on Query { ...A } { ...A }").unwrap_err();
        assert_eq!(error.code(), "GRAPHQL_VALIDATION_FAILED");
    }

    #[test]
    fn introspection_is_counted_by_what_it_lists() {
        let lists = shape().lists;
        let names = cost("{ __schema { types { name } } }").unwrap();
        // __schema (1) + types (1) + each type's name.
        assert_eq!(names.introspection, 2 + lists.types);
        let fields = cost("{ __schema { types { fields { name } } } }").unwrap();
        // … + `fields` once per type + each field's name.
        assert_eq!(fields.introspection, 2 + lists.types + lists.fields);
        // Nested references multiply by the largest lists.
        let nested =
            cost("{ __type(name: \"Query\") { fields { type { fields { name } } } } }").unwrap();
        assert_eq!(
            nested.introspection,
            1 + 1 + lists.max_fields * (1 + 1 + lists.max_fields)
        );
        let one = names.introspection;
        let aliased: String = (0..60)
            .map(|i| {
                format!("s{i}: __schema {{ types {{ name fields {{ name description }} }} }} ")
            })
            .collect();
        let error = cost(&format!("{{ {aliased} }}")).unwrap_err();
        assert!(error.to_string().contains("__schema 60 times"), "{error}");
        // Twice through a fragment is twice too.
        let error = cost("{ a: __schema { ...S } b: __schema { ...S } } fragment S on __Schema { types { name } }").unwrap_err();
        assert!(error.to_string().contains("__schema 2 times"), "{error}");
        // Nested type references multiply by the largest lists, past the cost limit.
        let mut deep = String::from("name");
        for _ in 0..5 {
            deep = format!("fields {{ type {{ ofType {{ {deep} }} }} }}");
        }
        let error = cost(&format!("{{ __type(name: \"Query\") {{ {deep} }} }}")).unwrap_err();
        assert!(
            error.to_string().contains("GRAPHQL_MAX_INTROSPECTION_COST"),
            "{error} ({one} for the names of all types)"
        );
    }

    #[test]
    fn the_standard_introspection_query_fits() {
        let query = include_str!("../../../tests/fixtures/graphql/introspection-query.graphql");
        let (_, admitted) = check(query, None, &Variables::default(), shape(), &limits()).unwrap();
        assert!(admitted.introspection);
        assert!(!admitted.mutation);
        println!("standard introspection query: {:?}", admitted.cost);
        assert_eq!(admitted.cost.schemas, 1);
        assert!(admitted.cost.introspection < 100_000 / 2);
    }

    #[test]
    fn the_operation_to_run_decides_whether_it_is_a_mutation() {
        let run = |query: &str, name: Option<&str>| {
            check(query, name, &Variables::default(), shape(), &limits())
                .unwrap()
                .1
                .mutation
        };
        assert!(!run("{ territories { number } }", None));
        assert!(run("mutation { __typename }", None));
        let both = "query A { __typename } mutation B { __typename }";
        assert!(run(both, Some("B")));
        assert!(!run(both, Some("A")));
        assert!(!run(both, None));
    }

    #[test]
    fn oversized_answers_become_an_error() {
        let response = async_graphql::Response::new(Value::String("x".repeat(1_000)));
        assert!(serialize_bounded(&response, 2_000).is_ok());
        let error = serialize_bounded(&response, 500).unwrap_err();
        assert!(error.to_string().contains("GRAPHQL_MAX_RESPONSE_BYTES"));
    }
}
