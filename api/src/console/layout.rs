//! The frame of every console page — `lang="fr"`, a skip link to the content, the
//! navigation with the current page marked, the signed-in token and the sign-out button
//! — and the French formatting the pages share (times in Paris with their offset,
//! statuses, numbers).

use chrono::{DateTime, Utc};
use entity::{Labelled, SyncStatus};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;
use super::{BASE, assets, csrf};

/// The console's pages, as the navigation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Tableau de bord.
    Dashboard,
    /// Déposer une liste.
    Upload,
    /// Historique des imports.
    Runs,
    /// Coordonnateurs.
    Coordinators,
    /// Jetons d'accès.
    Tokens,
    /// Journal des modifications.
    Journal,
}

impl Nav {
    const ALL: [Self; 6] = [
        Self::Dashboard,
        Self::Upload,
        Self::Runs,
        Self::Coordinators,
        Self::Tokens,
        Self::Journal,
    ];

    fn href(self) -> String {
        match self {
            Self::Dashboard => BASE.to_owned(),
            Self::Upload => format!("{BASE}/deposer"),
            Self::Runs => format!("{BASE}/historique"),
            Self::Coordinators => format!("{BASE}/coordonnateurs"),
            Self::Tokens => format!("{BASE}/jetons"),
            Self::Journal => format!("{BASE}/journal"),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Dashboard => "Tableau de bord",
            Self::Upload => "Déposer une liste",
            Self::Runs => "Historique des imports",
            Self::Coordinators => "Coordonnateurs",
            Self::Tokens => "Jetons d'accès",
            Self::Journal => "Journal",
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="robots" content="noindex, nofollow";
            title { (title) " — Territoires, administration" }
            link rel="stylesheet" href=(assets::stylesheet_url());
        }
    }
}

/// A page of a signed-in administrator.
pub fn page(title: &str, current: Nav, session: &Session, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            (head(title))
            body {
                a.skip-link href="#contenu" { "Aller au contenu" }
                header.site {
                    a.brand href=(BASE) { "Territoires — administration" }
                    nav aria-label="Navigation principale" {
                        ul {
                            @for item in Nav::ALL {
                                li {
                                    @if item == current {
                                        a href=(item.href()) aria-current="page" { (item.label()) }
                                    } @else {
                                        a href=(item.href()) { (item.label()) }
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        @if session.person.is_some() {
                            span { "Connecté : " strong { (session.author) } }
                        } @else {
                            span { "Connecté avec le jeton " strong { (session.author) } }
                        }
                        form.inline method="post" action=(format!("{BASE}/deconnexion")) {
                            (csrf_field(&session.csrf))
                            button.secondary type="submit" { "Se déconnecter" }
                        }
                    }
                }
                main #contenu tabindex="-1" {
                    h1 { (title) }
                    (content)
                }
                (footer())
            }
        }
    }
}

fn footer() -> Markup {
    html! {
        footer.site {
            p { "Heures affichées à l'heure de Paris, avec leur décalage par rapport à UTC." }
        }
    }
}

/// A page without navigation: sign-in and error pages.
pub fn bare_with(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            (head(title))
            body {
                a.skip-link href="#contenu" { "Aller au contenu" }
                header.site {
                    a.brand href=(BASE) { "Territoires — administration" }
                }
                main #contenu tabindex="-1" {
                    div.signin {
                        h1 { (title) }
                        (content)
                    }
                }
                (footer())
            }
        }
    }
}

/// A page without navigation holding one message.
pub fn bare(title: &str, message: &str) -> Markup {
    bare_with(
        title,
        html! {
            p { (message) }
            p { a href=(BASE) { "Retour à la console" } }
        },
    )
}

/// The hidden field carrying the form secret.
pub fn csrf_field(secret: &str) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(secret); }
}

/// A moment as administrators read it: Paris time with its offset.
pub fn time(at: DateTime<Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) { (territoires_sync::local_time(at)) } }
}

/// An optional moment; "—" when absent.
pub fn time_or_dash(at: Option<DateTime<Utc>>) -> Markup {
    match at {
        Some(at) => time(at),
        None => html! { "—" },
    }
}

/// A run's status as a labelled badge (the word carries the meaning, the colour only
/// repeats it).
pub fn status(status: SyncStatus) -> Markup {
    let class = match status {
        SyncStatus::Applied | SyncStatus::Unchanged | SyncStatus::Skipped | SyncStatus::Planned => {
            "status status-ok"
        }
        SyncStatus::Busy | SyncStatus::Running => "status status-warn",
        SyncStatus::Rejected | SyncStatus::Refused | SyncStatus::Failed => "status status-bad",
    };
    html! { span class=(class) { (status.label()) } }
}

/// A number with French digit grouping (narrow no-break space): `12 345`.
pub fn number(n: impl Into<i64>) -> String {
    let n: i64 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A notice above a page's content.
pub fn notice(kind: &str, message: &str) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! { div class=(format!("notice {kind}")) role=(role) { p { (message) } } }
}

/// Links to the previous and next pages of a list; `link(n)` is page n's address.
pub fn pager(page: u64, pages: u64, link: impl Fn(u64) -> String) -> Markup {
    html! {
        @if pages > 1 {
            nav.pages aria-label="Pages" {
                @if page > 1 {
                    a href=(link(page - 1)) rel="prev" { "Page précédente" }
                }
                span { "Page " (page) " sur " (pages) }
                @if page < pages {
                    a href=(link(page + 1)) rel="next" { "Page suivante" }
                }
            }
        }
    }
}

/// Number of pages for `total` items, `size` a page (at least 1).
pub fn page_count(total: u64, size: u64) -> u64 {
    total.div_ceil(size.max(1)).max(1)
}

/// Escapes a value for a query string.
pub fn query_value(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|encoded| encoded.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}
