//! Any text: the normalisers never panic and what they produce is a fixed point.

#![no_main]

use entity::normalize::{display_phone, fold, normalize_email, normalize_phone};
use libfuzzer_sys::fuzz_target;
use territoires_sync::fuzzing::{parse_territory, split_communes};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let folded = fold(text);
    assert_eq!(fold(&folded), folded);
    if let Ok(e164) = normalize_phone(text) {
        assert_eq!(normalize_phone(&e164).as_deref(), Ok(e164.as_str()));
        assert_eq!(normalize_phone(&display_phone(&e164)).as_deref(), Ok(e164.as_str()));
    }
    if let Ok(email) = normalize_email(text) {
        assert_eq!(normalize_email(&email).as_deref(), Ok(email.as_str()));
    }
    if let Some(number) = parse_territory(text) {
        assert!(number >= 0);
    }
    for commune in split_communes(text) {
        assert!(!commune.trim().is_empty());
    }
});
