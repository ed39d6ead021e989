//! French phone numbers: every form people type becomes E.164 (`+33760779905`), shown
//! back in the national format (`07 60 77 99 05`).

use thiserror::Error;

/// Why a phone number was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Characters other than digits, spaces, dots, dashes, slashes, parentheses or a
    /// leading `+`.
    #[error("the phone number contains characters other than digits and separators")]
    InvalidCharacters,
    /// Not a French number of 10 digits (or an international one of 8 to 15 digits).
    #[error("the phone number does not have the digits of a French number")]
    WrongLength,
}

/// Normalises a phone number to E.164.
///
/// Accepts `07 60 77 99 05`, `0760779905`, `07.60.77.99.05`, `07-60-77-99-05`,
/// `+33 7 60 77 99 05`, `+33 (0)7 60 77 99 05`, `0033 7 60 77 99 05`, and `760779905`
/// (a number typed into a spreadsheet as a number loses its leading zero). Other
/// international numbers (`+32 …`) are kept in E.164 when they have 8 to 15 digits.
pub fn normalize_phone(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    let (international, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '\u{202f}' | '.' | '-' | '/' | '(' | ')' => {}
            _ => return Err(PhoneError::InvalidCharacters),
        }
    }
    let international_digits = if international {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    if let Some(number) = international_digits {
        if let Some(national) = number.strip_prefix("33") {
            // "+33 (0)7 …" and "+33 07 …": the trunk zero typed after the country code.
            let national = match national.strip_prefix('0') {
                Some(rest) if national.len() == 10 => rest,
                _ => national,
            };
            return french_subscriber(national).map(|n| format!("+33{n}"));
        }
        // With "00" rather than "+", a short number is more likely a mistyped French one.
        let shortest = if international { 8 } else { 10 };
        if (shortest..=15).contains(&number.len()) && !number.starts_with('0') {
            return Ok(format!("+{number}"));
        }
        return Err(PhoneError::WrongLength);
    }
    match digits.len() {
        10 if digits.starts_with('0') => french_subscriber(&digits[1..]).map(|n| format!("+33{n}")),
        9 => french_subscriber(&digits).map(|n| format!("+33{n}")),
        _ => Err(PhoneError::WrongLength),
    }
}

/// The 9 digits after the trunk zero; the first is never 0.
fn french_subscriber(digits: &str) -> Result<&str, PhoneError> {
    if digits.len() == 9 && !digits.starts_with('0') {
        Ok(digits)
    } else {
        Err(PhoneError::WrongLength)
    }
}

/// Shows an E.164 number the way the Département publishes it: `07 60 77 99 05` for a
/// French number, unchanged otherwise.
pub fn display_phone(e164: &str) -> String {
    match e164.strip_prefix("+33") {
        Some(national) if national.len() == 9 && national.bytes().all(|b| b.is_ascii_digit()) => {
            let national = format!("0{national}");
            let pairs: Vec<&str> = (0..5).map(|i| &national[i * 2..i * 2 + 2]).collect();
            pairs.join(" ")
        }
        _ => e164.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_french_form_gives_the_same_e164() {
        for input in [
            "07 60 77 99 05",
            "0760779905",
            "07.60.77.99.05",
            "07-60-77-99-05",
            "+33 7 60 77 99 05",
            "+33760779905",
            "+33 (0)7 60 77 99 05",
            "0033 7 60 77 99 05",
            "+33 07 60 77 99 05",
            "760779905",
            " 07\u{a0}60\u{a0}77\u{a0}99\u{a0}05 ",
        ] {
            assert_eq!(
                normalize_phone(input).as_deref(),
                Ok("+33760779905"),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_a_phone_number() {
        assert_eq!(normalize_phone("07 60 77 99"), Err(PhoneError::WrongLength));
        assert_eq!(normalize_phone("0060779905"), Err(PhoneError::WrongLength));
        assert_eq!(
            normalize_phone("tel 0760779905"),
            Err(PhoneError::InvalidCharacters)
        );
        assert_eq!(normalize_phone(""), Err(PhoneError::WrongLength));
        assert_eq!(normalize_phone("+"), Err(PhoneError::WrongLength));
        assert_eq!(
            normalize_phone("+33 0 60 77 99 05"),
            Err(PhoneError::WrongLength)
        );
    }

    #[test]
    fn keeps_foreign_numbers_in_e164() {
        assert_eq!(
            normalize_phone("+32 2 123 45 67").as_deref(),
            Ok("+3221234567")
        );
    }

    #[test]
    fn displays_french_numbers_in_pairs() {
        assert_eq!(display_phone("+33760779905"), "07 60 77 99 05");
        assert_eq!(display_phone("+3221234567"), "+3221234567");
    }
}
