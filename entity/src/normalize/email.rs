//! E-mail addresses: trimmed, lower-cased, checked for a plausible shape.

use thiserror::Error;

/// Why an e-mail address was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    /// Not of the form `name@domain.tld`.
    #[error("the e-mail address is not of the form name@domain.tld")]
    Malformed,
}

/// Trims and lower-cases an e-mail address and checks its shape: one `@`, a local part of
/// letters, digits and `.!#$%&'*+/=?^_`{|}~-` without leading, trailing or double dots,
/// and a domain of at least two labels of letters, digits and inner hyphens.
pub fn normalize_email(input: &str) -> Result<String, EmailError> {
    let email = input.trim().to_lowercase();
    let (local, domain) = email.split_once('@').ok_or(EmailError::Malformed)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(email)
    } else {
        Err(EmailError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lower_cases() {
        assert_eq!(
            normalize_email("  SLARA@Hauts-de-Seine.FR ").as_deref(),
            Ok("slara@hauts-de-seine.fr")
        );
        assert_eq!(
            normalize_email("nvan-der-heyden@hauts-de-seine.fr").as_deref(),
            Ok("nvan-der-heyden@hauts-de-seine.fr")
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "slara",
            "slara@",
            "@hauts-de-seine.fr",
            "slara@hauts-de-seine",
            "s lara@hauts-de-seine.fr",
            "slara@@hauts-de-seine.fr",
            "slara@-x.fr",
            ".slara@x.fr",
            "s..lara@x.fr",
            "slara@x..fr",
        ] {
            assert_eq!(normalize_email(bad), Err(EmailError::Malformed), "{bad}");
        }
    }
}
