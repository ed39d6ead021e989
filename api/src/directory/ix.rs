//! Typed positions into the snapshot's lists.
//!
//! The snapshot links its rows by position (a commune's territory, a project's
//! partners…). As bare `usize`s, a commune's position could index the territories and
//! compile, and answer with the wrong row. [`Ix<T>`] is a position in a list of `T`
//! only, and [`IxVec<T>`] is a list indexed by it alone: the compiler now checks every
//! link. Both are free at run time: `Ix<T>` is a `usize` (`#[repr(transparent)]`),
//! `IxVec<T>` a `Vec<T>`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A position in an [`IxVec<T>`]: the row type in the type, so a position in one list
/// cannot be used in another.
///
/// ```compile_fail
/// use territoires::directory::{CommuneIx, Snapshot};
/// // A commune's position does not index the territories.
/// fn number(dir: &Snapshot, commune: CommuneIx) -> i32 {
///     dir.territories[commune].number
/// }
/// ```
///
/// ```
/// use territoires::directory::{CommuneIx, Snapshot};
/// fn number(dir: &Snapshot, commune: CommuneIx) -> i32 {
///     dir.territories[dir.communes[commune].territory].number
/// }
/// ```
#[repr(transparent)]
pub struct Ix<T> {
    raw: usize,
    /// `fn() -> T`: the index neither owns nor borrows a `T`, so it stays `Send`, `Sync`
    /// and `Copy` whatever `T` is.
    row: PhantomData<fn() -> T>,
}

impl<T> Ix<T> {
    /// The position `raw`: only for positions read from the same list (the snapshot's
    /// build, matcher entries); elsewhere positions come from [`IxVec`].
    pub(crate) const fn new(raw: usize) -> Self {
        Self {
            raw,
            row: PhantomData,
        }
    }

    /// The bare position, for code that needs a number (a tie-break, a test).
    pub const fn raw(self) -> usize {
        self.raw
    }
}

// Written by hand: derives would require `T` itself to be `Clone`, `Eq`…
impl<T> Clone for Ix<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Ix<T> {}

impl<T> PartialEq for Ix<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<T> Eq for Ix<T> {}

impl<T> PartialOrd for Ix<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Ix<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.raw.cmp(&other.raw)
    }
}

impl<T> Hash for Ix<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}

impl<T> fmt::Debug for Ix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ix({})", self.raw)
    }
}

/// A list indexed by [`Ix<T>`] only (no `usize` indexing, no `Deref` to a slice), so
/// a position of another list is refused by the compiler.
#[derive(Debug)]
pub struct IxVec<T> {
    rows: Vec<T>,
}

impl<T> Default for IxVec<T> {
    fn default() -> Self {
        Self { rows: Vec::new() }
    }
}

impl<T> IxVec<T> {
    /// The row at `ix`, if any (an index of this list always has one; `get` serves
    /// resolvers that must not panic).
    pub fn get(&self, ix: Ix<T>) -> Option<&T> {
        self.rows.get(ix.raw)
    }

    /// Appends `row` and returns its position.
    pub(crate) fn push(&mut self, row: T) -> Ix<T> {
        let ix = self.next_ix();
        self.rows.push(row);
        ix
    }

    /// The position the next [`IxVec::push`] will return.
    pub(crate) fn next_ix(&self) -> Ix<T> {
        Ix::new(self.rows.len())
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, in list order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.rows.iter()
    }

    /// The rows, in list order, mutably (the snapshot's last build steps).
    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.rows.iter_mut()
    }

    /// Every position, in list order.
    pub fn indices(&self) -> impl DoubleEndedIterator<Item = Ix<T>> + ExactSizeIterator + use<T> {
        (0..self.rows.len()).map(Ix::new)
    }

    /// The rows with their positions, in list order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (Ix<T>, &T)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(raw, row)| (Ix::new(raw), row))
    }
}

impl<T> Index<Ix<T>> for IxVec<T> {
    type Output = T;

    /// Panics only on a position from another snapshot: every `Ix<T>` the snapshot
    /// holds was returned by this list's [`IxVec::push`] or [`IxVec::indices`].
    fn index(&self, ix: Ix<T>) -> &T {
        &self.rows[ix.raw]
    }
}

impl<T> IndexMut<Ix<T>> for IxVec<T> {
    /// Panics only on a position from another snapshot, as [`Index`] does; used only
    /// while the snapshot is built (it is immutable afterwards).
    fn index_mut(&mut self, ix: Ix<T>) -> &mut T {
        &mut self.rows[ix.raw]
    }
}

impl<'a, T> IntoIterator for &'a IxVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A;

    #[test]
    fn a_position_is_a_bare_usize_and_finds_the_row_pushed() {
        assert_eq!(size_of::<Ix<A>>(), size_of::<usize>());
        assert_eq!(size_of::<Option<Ix<A>>>(), size_of::<Option<usize>>());
        let mut list = IxVec::default();
        let first = list.push("first");
        let second = list.push("second");
        assert_eq!((list[first], list[second]), ("first", "second"));
        assert!(first < second);
        assert_eq!(list.indices().collect::<Vec<_>>(), vec![first, second]);
        assert_eq!(list.get(Ix::new(2)), None);
    }
}
