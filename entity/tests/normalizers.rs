//! Property tests of the normalisers: whatever people type, they never panic, and what
//! they produce is a fixed point (normalising twice changes nothing).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use entity::normalize::{display_phone, fold, fold_tokens, normalize_email, normalize_phone};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn folding_never_panics_and_is_idempotent(text in "\\PC*") {
        let folded = fold(&text);
        prop_assert_eq!(fold(&folded), folded.clone());
        prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' ') && !folded.contains("  "));
        prop_assert!(folded.chars().all(|c| c == ' ' || c.is_alphanumeric()));
        prop_assert_eq!(fold_tokens(&text).join(" "), folded);
    }

    #[test]
    fn folding_ignores_case_and_french_accents(word in "[a-zàâäçéèêëîïôöùûüÿœæ' -]{0,30}") {
        prop_assert_eq!(fold(&word.to_uppercase()), fold(&word));
    }

    #[test]
    fn phones_never_panic_and_e164_is_a_fixed_point(text in "\\PC{0,30}") {
        if let Ok(e164) = normalize_phone(&text) {
            prop_assert!(e164.starts_with('+'));
            prop_assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(normalize_phone(&e164), Ok(e164.clone()));
            prop_assert_eq!(normalize_phone(&display_phone(&e164)), Ok(e164));
        }
    }

    #[test]
    fn french_numbers_in_any_layout_give_one_e164(
        digits in "[1-9][0-9]{8}",
        separator in prop::sample::select(vec!["", " ", ".", "-", "/"]),
    ) {
        let pairs: Vec<String> = format!("0{digits}")
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect();
        let typed = pairs.join(separator);
        let expected = format!("+33{digits}");
        prop_assert_eq!(normalize_phone(&typed), Ok(expected.clone()));
        prop_assert_eq!(normalize_phone(&format!("+33 {digits}")), Ok(expected.clone()));
        prop_assert_eq!(normalize_phone(&digits), Ok(expected));
    }

    #[test]
    fn emails_never_panic_and_are_a_fixed_point(text in "\\PC{0,40}") {
        if let Ok(email) = normalize_email(&text) {
            prop_assert_eq!(normalize_email(&email), Ok(email.clone()));
            prop_assert_eq!(email.matches('@').count(), 1);
            prop_assert_eq!(email.to_lowercase(), email);
        }
    }

    #[test]
    fn plausible_addresses_are_accepted(
        local in "[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?",
        domain in "[a-z0-9]{1,10}(-[a-z0-9]{1,5})?",
        tld in "[a-z]{2,6}",
    ) {
        prop_assume!(!local.contains(".."));
        let address = format!("{local}@{domain}.{tld}");
        prop_assert_eq!(normalize_email(&address.to_uppercase()), Ok(address));
    }
}
