//! What a resident typed, split into a glued folded name and a postal code written
//! with any separator ("92 130", "92-130", "92.130", "Sevres 92310").

use entity::normalize::fold_tokens;

/// Folds `text` and glues its words: "Ville-d'Avray", "ville d avray" and
/// "villedavray" all give "villedavray".
pub fn glue(text: &str) -> String {
    fold_tokens(text).concat()
}

/// A parsed lookup text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// The words that are not all digits, folded and glued.
    pub name: String,
    /// The all-digit words, concatenated ("92 130" gives "92130"); empty if none.
    pub digits: String,
}

/// Splits `text` into its name and its digits.
pub fn parse(text: &str) -> Query {
    let mut query = Query::default();
    for token in fold_tokens(text) {
        if token.bytes().all(|b| b.is_ascii_digit()) {
            query.digits.push_str(&token);
        } else {
            query.name.push_str(&token);
        }
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(name: &str, digits: &str) -> Query {
        Query {
            name: name.to_owned(),
            digits: digits.to_owned(),
        }
    }

    #[test]
    fn postal_codes_with_any_separator() {
        for text in ["92130", "92 130", "92-130", "92.130", " 92 . 130 "] {
            assert_eq!(parse(text), parsed("", "92130"), "{text}");
        }
    }

    #[test]
    fn names_with_codes_and_glued_words() {
        assert_eq!(parse("Sevres 92310"), parsed("sevres", "92310"));
        assert_eq!(parse("st cloud 92210"), parsed("saintcloud", "92210"));
        assert_eq!(parse("Ville-d'Avray"), parsed("villedavray", ""));
        assert_eq!(glue("Bois-Colombes"), "boiscolombes");
        assert_eq!(parse("'; --"), parsed("", ""));
    }
}
