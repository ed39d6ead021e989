//! Bounded Damerau-Levenshtein distance (optimal string alignment) and the typo
//! tolerance people's spelling deserves at each length.

/// How many edits a name of `len` folded letters tolerates: none below 4 letters (too
/// many short names lie one letter apart), 1 up to 7, 2 beyond.
pub fn tolerance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions, adjacent transpositions), if it is at most `max`.
pub fn within(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
            row_min = row_min.min(best);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    Some(previous[b.len()]).filter(|&d| d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind_of_edit_once() {
        assert_eq!(within(b"nanterre", b"nanterre", 2), Some(0));
        assert_eq!(within(b"nantere", b"nanterre", 1), Some(1));
        assert_eq!(within(b"antonny", b"antony", 1), Some(1));
        assert_eq!(within(b"courbevois", b"courbevoie", 1), Some(1));
        assert_eq!(within(b"severs", b"sevres", 1), Some(1));
        assert_eq!(within(b"vannes", b"vanves", 1), Some(1));
        assert_eq!(within(b"ab", b"ba", 1), Some(1));
    }

    #[test]
    fn gives_up_beyond_the_bound() {
        assert_eq!(within(b"paris", b"nanterre", 2), None);
        assert_eq!(within(b"colombs", b"colombier", 1), None);
        assert_eq!(within(b"", b"ab", 1), None);
        assert_eq!(within(b"", b"a", 1), Some(1));
    }

    #[test]
    fn tolerance_scales_with_length() {
        assert_eq!(tolerance(3), 0);
        assert_eq!(tolerance(4), 1);
        assert_eq!(tolerance(7), 1);
        assert_eq!(tolerance(8), 2);
    }
}
