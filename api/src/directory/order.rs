//! Stable orderings of lists, expressed as sort keys, shared by the snapshot (which keeps
//! lists pre-sorted) and by cursors (which carry the key of the last item seen, so a page
//! resumes at the right place even when items changed or disappeared since).

use std::cmp::Ordering;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};

/// One component of a sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyPart {
    /// A number (an id, a time in microseconds, a day number).
    Int(i64),
    /// A folded text.
    Text(String),
    /// No value: sorts last whatever the direction.
    Null,
}

/// How a list is ordered: a name (carried by cursors, so a cursor from one ordering is
/// refused by another) and, for each key part, whether it is descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSpec {
    /// Stable name, e.g. `projects.updated_at.desc`.
    pub name: &'static str,
    /// Descending flag of each key part.
    pub descending: &'static [bool],
}

impl OrderSpec {
    /// Compares two keys under this ordering.
    pub fn compare(&self, a: &[KeyPart], b: &[KeyPart]) -> Ordering {
        for (index, (x, y)) in a.iter().zip(b).enumerate() {
            let descending = self.descending.get(index).copied().unwrap_or(false);
            let ordering = match (x, y) {
                (KeyPart::Null, KeyPart::Null) => Ordering::Equal,
                (KeyPart::Null, _) => Ordering::Greater,
                (_, KeyPart::Null) => Ordering::Less,
                (KeyPart::Int(x), KeyPart::Int(y)) => directed(x.cmp(y), descending),
                (KeyPart::Text(x), KeyPart::Text(y)) => directed(x.cmp(y), descending),
                (KeyPart::Int(_), KeyPart::Text(_)) => Ordering::Less,
                (KeyPart::Text(_), KeyPart::Int(_)) => Ordering::Greater,
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a.len().cmp(&b.len())
    }

    /// `items` sorted by the key of each (stable).
    pub fn sorted<T>(&self, items: Vec<T>, key: impl Fn(&T) -> Vec<KeyPart>) -> Vec<T> {
        let mut keyed: Vec<(Vec<KeyPart>, T)> =
            items.into_iter().map(|item| (key(&item), item)).collect();
        keyed.sort_by(|(a, _), (b, _)| self.compare(a, b));
        keyed.into_iter().map(|(_, item)| item).collect()
    }
}

/// One page's worth of rows of a database list ordered by its integer primary key (the
/// audit log, roster imports: append-only, so the id is also the time order). The cursors
/// of such a list carry the id; what lies between them is read with one indexed range
/// query, whatever the page's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdWindow {
    /// Whether the list runs by increasing ids (oldest first) rather than decreasing.
    pub ascending: bool,
    /// Only the rows after this id, in the list's order.
    pub after: Option<i64>,
    /// Only the rows before this id, in the list's order.
    pub before: Option<i64>,
    /// Read from the end of the window backwards (a `last` page) rather than from its
    /// start.
    pub from_end: bool,
    /// How many rows to read (one more than the page, to tell whether more follow).
    pub limit: u64,
}

impl IdWindow {
    /// `select` restricted to the window and ordered as it is read, on the key `id`.
    pub fn apply<E: EntityTrait, C: ColumnTrait>(&self, mut select: Select<E>, id: C) -> Select<E> {
        if let Some(after) = self.after {
            select = select.filter(if self.ascending {
                id.gt(after)
            } else {
                id.lt(after)
            });
        }
        if let Some(before) = self.before {
            select = select.filter(if self.ascending {
                id.lt(before)
            } else {
                id.gt(before)
            });
        }
        let select = if self.ascending != self.from_end {
            select.order_by_asc(id)
        } else {
            select.order_by_desc(id)
        };
        select.limit(self.limit)
    }
}

fn directed(ordering: Ordering, descending: bool) -> Ordering {
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: OrderSpec = OrderSpec {
        name: "test",
        descending: &[true, false],
    };

    #[test]
    fn descending_parts_and_nulls_last() {
        let items = vec![
            (Some(1), 3),
            (None, 1),
            (Some(5), 2),
            (Some(5), 1),
            (None, 0),
        ];
        let items = SPEC.sorted(items, |(value, id)| {
            vec![value.map_or(KeyPart::Null, KeyPart::Int), KeyPart::Int(*id)]
        });
        assert_eq!(
            items,
            vec![
                (Some(5), 1),
                (Some(5), 2),
                (Some(1), 3),
                (None, 0),
                (None, 1)
            ]
        );
    }

    #[test]
    fn keys_round_trip_through_json() {
        let key = vec![KeyPart::Int(-4), KeyPart::Text("a b".into()), KeyPart::Null];
        let json = serde_json::to_string(&key).unwrap_or_default();
        let back: Vec<KeyPart> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, key);
    }
}
