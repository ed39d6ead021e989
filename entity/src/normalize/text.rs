//! Folding text into comparison keys: case, accents, hyphens, apostrophes and spacing
//! stop mattering, and the abbreviations people type for "Saint" are expanded.

/// Folds `input` into a comparison key: lower case, accents removed, every run of
/// punctuation or spaces turned into one space, `st`/`ste` expanded to `saint`/`sainte`.
///
/// `fold("Ville-d'Avray") == fold("ville d avray") == "ville d avray"`, and
/// `fold("St-Cloud") == fold("Saint Cloud")`.
pub fn fold(input: &str) -> String {
    fold_tokens(input).join(" ")
}

/// The words of [`fold`], in order.
pub fn fold_tokens(input: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in input.chars() {
        for lower in c.to_lowercase() {
            match strip_accent(lower) {
                Folded::Keep(k) => current.push(k),
                Folded::Pair(a, b) => {
                    current.push(a);
                    current.push(b);
                }
                Folded::Drop => {}
                Folded::Separator => flush(&mut current, &mut tokens),
            }
        }
    }
    flush(&mut current, &mut tokens);
    tokens
}

fn flush(current: &mut String, tokens: &mut Vec<String>) {
    if current.is_empty() {
        return;
    }
    let word = std::mem::take(current);
    tokens.push(match word.as_str() {
        "st" => "saint".to_owned(),
        "ste" => "sainte".to_owned(),
        _ => word,
    });
}

enum Folded {
    Keep(char),
    Pair(char, char),
    Drop,
    Separator,
}

/// Maps a lower-case character to its unaccented form. Covers Latin-1 and Latin
/// Extended-A (every letter French uses, and then some); combining marks (decomposed
/// accents) are dropped; any other non-alphanumeric character separates words.
fn strip_accent(c: char) -> Folded {
    let base = match c {
        'a'..='z' | '0'..='9' => c,
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' | 'ŧ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'œ' => return Folded::Pair('o', 'e'),
        'æ' => return Folded::Pair('a', 'e'),
        'ß' => return Folded::Pair('s', 's'),
        '\u{0300}'..='\u{036f}' => return Folded::Drop,
        c if c.is_alphanumeric() => c,
        _ => return Folded::Separator,
    };
    Folded::Keep(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(fold("Ville-d'Avray"), "ville d avray");
        assert_eq!(fold("  ville   d’avray "), "ville d avray");
        assert_eq!(fold("SÈVRES"), "sevres");
        assert_eq!(fold("Se\u{0301}vres"), "sevres");
        assert_eq!(fold("Châtenay-Malabry"), "chatenay malabry");
        assert_eq!(fold("Cœur"), "coeur");
    }

    #[test]
    fn expands_saint_abbreviations() {
        assert_eq!(fold("St-Cloud"), "saint cloud");
        assert_eq!(fold("Saint-Cloud"), "saint cloud");
        assert_eq!(fold("Ste Geneviève"), "sainte genevieve");
        assert_eq!(fold("Stains"), "stains");
    }

    #[test]
    fn folding_is_idempotent_and_empty_stays_empty() {
        for s in [
            "",
            " - ",
            "Issy-les-Moulineaux",
            "L'Haÿ-les-Roses",
            "92 130",
        ] {
            assert_eq!(fold(&fold(s)), fold(s));
        }
        assert!(fold(" ' - ").is_empty());
    }
}
