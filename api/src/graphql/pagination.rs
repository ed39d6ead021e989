//! Relay connections: `first`/`after` and `last`/`before`, opaque cursors carrying the
//! sort key of their item (so a page resumes at the right place even when items changed
//! or disappeared since), `totalCount`, and a maximum page size. Lists of the snapshot
//! are paged in memory ([`paginate`]); lists read from the database by id (the audit
//! log, roster imports) with one range query ([`IdPaging`]), under the same arguments,
//! limits, cursor format and errors.

use std::borrow::Cow;

use async_graphql::connection::{Edge, EmptyFields, PageInfo};
use async_graphql::{Object, OutputType, SimpleObject, TypeName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::directory::{IdWindow, KeyPart, OrderSpec};
use crate::error::Error;

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 100;

/// The complexity of a page: the requested size (or the default) times its selection,
/// plus one for the list itself. Used in every paged field's `complexity` attribute, so
/// the query budget and the page size agree.
pub fn page_cost(requested: Option<i32>, child_complexity: usize) -> usize {
    let size = requested.map_or(DEFAULT_PAGE_SIZE, |n| usize::try_from(n).unwrap_or(0));
    size.saturating_mul(child_complexity).saturating_add(1)
}

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// How many items match, across all pages.
    pub total_count: i32,
}

/// A Relay connection with `totalCount`: one page of a list, named `<Node>Connection`
/// (async-graphql's own connection type carries no description; this one does).
pub struct Page<T: OutputType> {
    /// The page's edges (each a node and its cursor), named `<Node>Edge`.
    pub edges: Vec<Edge<String, T, EmptyFields>>,
    /// Extra fields (`totalCount`).
    pub additional_fields: ConnectionTotals,
    /// Whether items come before this page.
    pub has_previous_page: bool,
    /// Whether items come after this page.
    pub has_next_page: bool,
}

impl<T: OutputType> Page<T> {
    /// An empty page, to which edges are pushed.
    pub fn with_additional_fields(
        has_previous_page: bool,
        has_next_page: bool,
        additional_fields: ConnectionTotals,
    ) -> Self {
        Self {
            edges: Vec::new(),
            additional_fields,
            has_previous_page,
            has_next_page,
        }
    }
}

impl<T: OutputType> TypeName for Page<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// One page of a list (a Relay connection): its edges — each an item and its cursor —
/// or just the items (`nodes`), where the page sits (`pageInfo`), and how many items the
/// whole list holds (`totalCount`). Ask for the next page with `first` and `after:
/// pageInfo.endCursor`.
#[Object(name_type)]
impl<T: OutputType> Page<T> {
    /// Information to aid in pagination.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.clone()),
        }
    }

    /// A list of edges.
    async fn edges(&self) -> &[Edge<String, T, EmptyFields>] {
        &self.edges
    }

    /// A list of nodes.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    #[graphql(flatten)]
    async fn additional_fields(&self) -> &ConnectionTotals {
        &self.additional_fields
    }
}

/// The pagination arguments of a connection field.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    /// Items after this cursor.
    pub after: Option<String>,
    /// Items before this cursor.
    pub before: Option<String>,
    /// The first n items (after `after`).
    pub first: Option<i32>,
    /// The last n items (before `before`).
    pub last: Option<i32>,
}

impl PageArgs {
    /// Forward pagination only.
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Self {
            first,
            after,
            ..Self::default()
        }
    }
}

fn page_size(value: Option<i32>, argument: &str) -> Result<Option<usize>, Error> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(Error::bad_input(
            format!("{argument} cannot be negative"),
            &[argument],
        )),
        Some(n) if n as usize > MAX_PAGE_SIZE => Err(Error::bad_input(
            format!("{argument} cannot exceed {MAX_PAGE_SIZE}"),
            &[argument],
        )),
        Some(n) => Ok(Some(n as usize)),
    }
}

/// Separates the parts of a cursor (sort keys are folded texts and numbers: they never
/// contain it).
const SEPARATOR: char = '\u{1f}';

/// The cursor of an item with sort key `key` in ordering `spec`: the ordering's name and
/// each key part (`i` number, `t` text, `n` none), base64url. Written by hand rather than
/// as JSON: a page of a connection makes one per edge.
pub fn encode_cursor(spec: &OrderSpec, key: &[KeyPart]) -> String {
    let mut text = String::with_capacity(64);
    text.push_str(spec.name);
    for part in key {
        text.push(SEPARATOR);
        match part {
            KeyPart::Int(n) => {
                text.push('i');
                text.push_str(&n.to_string());
            }
            KeyPart::Text(t) => {
                text.push('t');
                text.push_str(t);
            }
            KeyPart::Null => text.push('n'),
        }
    }
    URL_SAFE_NO_PAD.encode(text)
}

/// The sort key carried by a cursor of ordering `spec`; anything else is
/// `BAD_USER_INPUT` about `argument`.
pub fn decode_cursor(
    cursor: &str,
    spec: &OrderSpec,
    argument: &str,
) -> Result<Vec<KeyPart>, Error> {
    let invalid = || {
        Error::bad_input(
            format!(
                "{argument} is not a cursor of this list (cursors are opaque: use one returned by this connection)"
            ),
            &[argument],
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.split(SEPARATOR);
    if parts.next() != Some(spec.name) {
        return Err(invalid());
    }
    let key = parts
        .map(|part| match part.split_at_checked(1) {
            Some(("i", number)) => number.parse().map(KeyPart::Int).map_err(|_| invalid()),
            Some(("t", text)) => Ok(KeyPart::Text(text.to_owned())),
            Some(("n", "")) => Ok(KeyPart::Null),
            _ => Err(invalid()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if key.len() != spec.descending.len() {
        return Err(invalid());
    }
    Ok(key)
}

/// The page sizes asked, checked: `first` (the default when neither is given) and
/// `last`.
fn page_sizes(args: &PageArgs) -> Result<(Option<usize>, Option<usize>), Error> {
    let first = page_size(args.first, "first")?;
    let last = page_size(args.last, "last")?;
    let first = match (first, last) {
        (None, None) => Some(DEFAULT_PAGE_SIZE),
        (first, _) => first,
    };
    Ok((first, last))
}

/// One page of `items` (already in the order `spec`), as a connection of the nodes
/// `node` makes. `I` is whatever names an item: a typed position in the snapshot.
pub fn paginate<I: Copy, T: OutputType>(
    items: &[I],
    spec: &OrderSpec,
    key: impl Fn(I) -> Vec<KeyPart>,
    args: &PageArgs,
    node: impl Fn(I) -> Option<T>,
) -> Result<Page<T>, Error> {
    let (first, last) = page_sizes(args)?;
    let mut start = 0;
    let mut end = items.len();
    if let Some(after) = &args.after {
        let after = decode_cursor(after, spec, "after")?;
        start = items.partition_point(|&i| spec.compare(&key(i), &after).is_le());
    }
    if let Some(before) = &args.before {
        let before = decode_cursor(before, spec, "before")?;
        end = items.partition_point(|&i| spec.compare(&key(i), &before).is_lt());
    }
    let end = end.max(start);
    let (mut from, mut to) = (start, end);
    if let Some(first) = first {
        to = to.min(from + first);
    }
    if let Some(last) = last {
        from = from.max(to.saturating_sub(last));
    }
    let mut connection = Page::with_additional_fields(
        from > 0,
        to < items.len(),
        ConnectionTotals {
            total_count: i32::try_from(items.len()).unwrap_or(i32::MAX),
        },
    );
    for &item in &items[from..to] {
        if let Some(node) = node(item) {
            connection
                .edges
                .push(Edge::new(encode_cursor(spec, &key(item)), node));
        }
    }
    Ok(connection)
}

/// One page of a database list ordered by id (`spec` has a single key part, the id):
/// the checked arguments and the [`IdWindow`] the domain reads, then the page made of
/// what it read.
///
/// `hasPreviousPage` is true when rows were left out before the page or an `after`
/// cursor was given, `hasNextPage` when rows were left out after it or a `before`
/// cursor was given: exact as long as the cursors' rows exist, which they do in these
/// append-only lists.
#[derive(Debug, Clone)]
pub struct IdPaging {
    spec: OrderSpec,
    first: Option<usize>,
    last: Option<usize>,
    /// What to read.
    pub window: IdWindow,
}

impl IdPaging {
    /// Checks `args` against the ordering `spec` (sizes, cursors of this ordering).
    pub fn new(args: &PageArgs, spec: OrderSpec) -> Result<Self, Error> {
        let (first, last) = page_sizes(args)?;
        let id = |cursor: &Option<String>, argument: &str| -> Result<Option<i64>, Error> {
            let Some(cursor) = cursor else {
                return Ok(None);
            };
            match decode_cursor(cursor, &spec, argument)?.as_slice() {
                [KeyPart::Int(id)] => Ok(Some(*id)),
                _ => Err(Error::bad_input(
                    format!("{argument} is not a cursor of this list"),
                    &[argument],
                )),
            }
        };
        let (from_end, size) = match (first, last) {
            (Some(first), _) => (false, first),
            (None, last) => (true, last.unwrap_or(DEFAULT_PAGE_SIZE)),
        };
        let window = IdWindow {
            ascending: !spec.descending.first().copied().unwrap_or(false),
            after: id(&args.after, "after")?,
            before: id(&args.before, "before")?,
            from_end,
            limit: size as u64 + 1,
        };
        Ok(Self {
            spec,
            first,
            last,
            window,
        })
    }

    /// The page of `rows`, read through [`Self::window`] (in its reading order), out of
    /// `total` rows; `id` is a row's key, `node` makes its node.
    pub fn page<R, T: OutputType>(
        &self,
        mut rows: Vec<R>,
        total: u64,
        id: impl Fn(&R) -> i64,
        node: impl Fn(R) -> T,
    ) -> Page<T> {
        let mut left_before = false;
        let mut left_after = false;
        if self.window.from_end {
            let size = self.last.unwrap_or(DEFAULT_PAGE_SIZE);
            left_before = rows.len() > size;
            rows.truncate(size);
            rows.reverse();
        } else {
            let size = self.first.unwrap_or(DEFAULT_PAGE_SIZE);
            left_after = rows.len() > size;
            rows.truncate(size);
            if let Some(last) = self.last
                && rows.len() > last
            {
                rows.drain(..rows.len() - last);
                left_before = true;
            }
        }
        let mut connection = Page::with_additional_fields(
            left_before || self.window.after.is_some(),
            left_after || self.window.before.is_some(),
            ConnectionTotals {
                total_count: i32::try_from(total).unwrap_or(i32::MAX),
            },
        );
        connection.edges.extend(rows.into_iter().map(|row| {
            let cursor = encode_cursor(&self.spec, &[KeyPart::Int(id(&row))]);
            Edge::new(cursor, node(row))
        }));
        connection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: OrderSpec = OrderSpec {
        name: "numbers",
        descending: &[false],
    };

    fn key(i: usize) -> Vec<KeyPart> {
        vec![KeyPart::Int(i as i64 * 10)]
    }

    fn page(items: &[usize], args: PageArgs) -> Result<(Vec<usize>, bool, bool), Error> {
        let connection = paginate(items, &SPEC, key, &args, |i| Some(i as i32))?;
        Ok((
            connection.edges.iter().map(|e| e.node as usize).collect(),
            connection.has_previous_page,
            connection.has_next_page,
        ))
    }

    #[test]
    fn forward_and_backward_pages() -> Result<(), Error> {
        let items: Vec<usize> = (0..5).collect();
        assert_eq!(
            page(&items, PageArgs::forward(Some(2), None))?,
            (vec![0, 1], false, true)
        );
        let after = encode_cursor(&SPEC, &key(1));
        assert_eq!(
            page(&items, PageArgs::forward(Some(2), Some(after)))?,
            (vec![2, 3], true, true)
        );
        let after = encode_cursor(&SPEC, &key(3));
        assert_eq!(
            page(&items, PageArgs::forward(Some(2), Some(after)))?,
            (vec![4], true, false)
        );
        let before = encode_cursor(&SPEC, &key(3));
        let args = PageArgs {
            last: Some(2),
            before: Some(before),
            ..Default::default()
        };
        assert_eq!(page(&items, args)?, (vec![1, 2], true, true));
        assert_eq!(page(&[], PageArgs::default())?, (vec![], false, false));
        Ok(())
    }

    #[test]
    fn cursors_round_trip_every_kind_of_key_part() -> Result<(), Error> {
        let spec = OrderSpec {
            name: "mixed",
            descending: &[false, true, false],
        };
        let key = vec![
            KeyPart::Text("ville d avray".into()),
            KeyPart::Int(-42),
            KeyPart::Null,
        ];
        assert_eq!(
            decode_cursor(&encode_cursor(&spec, &key), &spec, "after")?,
            key
        );
        Ok(())
    }

    #[test]
    fn a_cursor_survives_the_removal_of_its_item() -> Result<(), Error> {
        let after = encode_cursor(&SPEC, &key(2));
        assert_eq!(
            page(&[0, 1, 3, 4], PageArgs::forward(Some(5), Some(after)))?.0,
            vec![3, 4]
        );
        Ok(())
    }

    /// What the database answers to `window` over rows with ids `ids` (ascending).
    fn read(ids: &[i64], window: &IdWindow) -> Vec<i64> {
        let after = |id: i64| match window.after {
            None => true,
            Some(a) if window.ascending => id > a,
            Some(a) => id < a,
        };
        let before = |id: i64| match window.before {
            None => true,
            Some(b) if window.ascending => id < b,
            Some(b) => id > b,
        };
        let mut rows: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|&id| after(id) && before(id))
            .collect();
        if window.ascending == window.from_end {
            rows.reverse();
        }
        rows.truncate(window.limit as usize);
        rows
    }

    fn nodes<T: OutputType + Copy>(page: &Page<T>) -> Vec<T> {
        page.edges.iter().map(|e| e.node).collect()
    }

    #[test]
    fn id_pages_agree_with_in_memory_pages() -> Result<(), Error> {
        let ids: Vec<i64> = vec![3, 5, 8, 13, 21, 34, 55];
        for descending in [false, true] {
            let spec = OrderSpec {
                name: if descending { "ids.desc" } else { "ids.asc" },
                descending: if descending { &[true] } else { &[false] },
            };
            let mut in_order = ids.clone();
            if descending {
                in_order.reverse();
            }
            let positions: Vec<usize> = (0..in_order.len()).collect();
            let cursor = |i: usize| encode_cursor(&spec, &[KeyPart::Int(in_order[i])]);
            let sizes = [None, Some(0), Some(2), Some(7), Some(9)];
            let cursors = [None, Some(0), Some(2), Some(6)];
            for first in sizes {
                for last in sizes {
                    for after in cursors {
                        for before in cursors {
                            let args = PageArgs {
                                first: first.map(|n: i32| n),
                                last,
                                after: after.map(cursor),
                                before: before.map(cursor),
                            };
                            let memory = paginate(
                                &positions,
                                &spec,
                                |i| vec![KeyPart::Int(in_order[i])],
                                &args,
                                |i| Some(in_order[i]),
                            )?;
                            let paging = IdPaging::new(&args, spec)?;
                            let rows = read(&ids, &paging.window);
                            let database = paging.page(rows, ids.len() as u64, |&id| id, |id| id);
                            assert_eq!(nodes(&database), nodes(&memory), "{args:?} {spec:?}");
                            assert_eq!(
                                database.edges.first().map(|e| &e.cursor),
                                memory.edges.first().map(|e| &e.cursor)
                            );
                            assert_eq!(database.additional_fields.total_count, 7);
                            // Exact whenever the page does not touch a cursor's end of
                            // the list; with a cursor the database side says "more"
                            // (the cursor's row is there).
                            if after.is_none() {
                                assert_eq!(
                                    database.has_previous_page, memory.has_previous_page,
                                    "{args:?}"
                                );
                            }
                            if before.is_none() {
                                assert_eq!(
                                    database.has_next_page, memory.has_next_page,
                                    "{args:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn id_paging_refuses_what_paginate_refuses() {
        let spec = OrderSpec {
            name: "ids.desc",
            descending: &[true],
        };
        let other = OrderSpec {
            name: "ids.asc",
            descending: &[false],
        };
        let foreign = encode_cursor(&other, &[KeyPart::Int(3)]);
        let two_parts = encode_cursor(
            &OrderSpec {
                name: "ids.desc",
                descending: &[true, true],
            },
            &[KeyPart::Int(1), KeyPart::Int(2)],
        );
        for args in [
            PageArgs::forward(Some(101), None),
            PageArgs {
                last: Some(101),
                ..PageArgs::default()
            },
            PageArgs {
                last: Some(-1),
                ..PageArgs::default()
            },
            PageArgs::forward(None, Some(foreign.clone())),
            PageArgs {
                before: Some(foreign),
                ..PageArgs::default()
            },
            PageArgs::forward(None, Some(two_parts)),
            PageArgs::forward(None, Some("audit:12".into())),
        ] {
            assert!(IdPaging::new(&args, spec).is_err(), "{args:?}");
        }
    }

    #[test]
    fn refuses_bad_sizes_and_foreign_cursors() {
        assert!(page(&[1], PageArgs::forward(Some(101), None)).is_err());
        assert!(page(&[1], PageArgs::forward(Some(-1), None)).is_err());
        assert!(page(&[1], PageArgs::forward(None, Some("garbage".into()))).is_err());
        let other = OrderSpec {
            name: "other",
            descending: &[false],
        };
        let foreign = encode_cursor(&other, &key(0));
        assert!(page(&[1], PageArgs::forward(None, Some(foreign))).is_err());
    }
}
