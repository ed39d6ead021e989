//! The example operations of `docs/operations/`, embedded at build time: GraphiQL opens
//! them as tabs, and they are the trusted documents of `territoires operations-manifest`.
//! A test checks this list names every file of the folder.

use std::collections::BTreeMap;

use crate::http::persisted::sha256_hex;

/// One example operation.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The file name without `.graphql`.
    pub name: &'static str,
    /// The GraphQL document, byte for byte as in the file (its hash is its identity).
    pub document: &'static str,
    /// The JSON variables of the `.variables.json` file of the same name, if any.
    pub variables: Option<&'static str>,
}

/// The trusted documents of the examples: SHA-256 (lower-case hex) → document, the map
/// Relay and graphql-codegen's persisted documents use.
pub fn manifest() -> BTreeMap<String, String> {
    EXAMPLES
        .iter()
        .map(|example| (sha256_hex(example.document), example.document.to_owned()))
        .collect()
}

/// [`manifest`] as pretty JSON with a final newline: `territoires operations-manifest`
/// prints it, and `docs/operations/manifest.json` must equal it.
pub fn manifest_json() -> String {
    let mut json = serde_json::to_string_pretty(&manifest()).unwrap_or_else(|_| "{}".to_owned());
    json.push('\n');
    json
}

/// Every example operation, by file name.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "commune-lookup",
        document: include_str!("../../docs/operations/commune-lookup.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/commune-lookup.variables.json"
        )),
    },
    Example {
        name: "commune-projects",
        document: include_str!("../../docs/operations/commune-projects.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/commune-projects.variables.json"
        )),
    },
    Example {
        name: "directory",
        document: include_str!("../../docs/operations/directory.graphql"),
        variables: None,
    },
    Example {
        name: "node",
        document: include_str!("../../docs/operations/node.graphql"),
        variables: Some(include_str!("../../docs/operations/node.variables.json")),
    },
    Example {
        name: "partners-editor",
        document: include_str!("../../docs/operations/partners-editor.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/partners-editor.variables.json"
        )),
    },
    Example {
        name: "projects-page",
        document: include_str!("../../docs/operations/projects-page.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/projects-page.variables.json"
        )),
    },
    Example {
        name: "saec",
        document: include_str!("../../docs/operations/saec.graphql"),
        variables: None,
    },
    Example {
        name: "search",
        document: include_str!("../../docs/operations/search.graphql"),
        variables: Some(include_str!("../../docs/operations/search.variables.json")),
    },
    Example {
        name: "search-results",
        document: include_str!("../../docs/operations/search-results.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/search-results.variables.json"
        )),
    },
    Example {
        name: "search-themes-territories",
        document: include_str!("../../docs/operations/search-themes-territories.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/search-themes-territories.variables.json"
        )),
    },
    Example {
        name: "sync-runs-admin",
        document: include_str!("../../docs/operations/sync-runs-admin.graphql"),
        variables: None,
    },
    Example {
        name: "territory-map",
        document: include_str!("../../docs/operations/territory-map.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/territory-map.variables.json"
        )),
    },
    Example {
        name: "territory-overview",
        document: include_str!("../../docs/operations/territory-overview.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/territory-overview.variables.json"
        )),
    },
    Example {
        name: "vocabulary",
        document: include_str!("../../docs/operations/vocabulary.graphql"),
        variables: None,
    },
    Example {
        name: "who-coordinates",
        document: include_str!("../../docs/operations/who-coordinates.graphql"),
        variables: Some(include_str!(
            "../../docs/operations/who-coordinates.variables.json"
        )),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_folder_is_listed() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operations");
        let mut on_disk: Vec<String> = std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter_map(|name| name.strip_suffix(".graphql").map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let listed: Vec<&str> = EXAMPLES.iter().map(|e| e.name).collect();
        assert!(!listed.is_empty());
        assert_eq!(
            on_disk, listed,
            "add new files of docs/operations to EXAMPLES"
        );
        for example in EXAMPLES {
            let variables =
                std::path::Path::new(folder).join(format!("{}.variables.json", example.name));
            assert_eq!(
                variables.exists(),
                example.variables.is_some(),
                "{}",
                example.name
            );
        }
    }

    #[test]
    fn the_committed_manifest_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/operations/manifest.json"
        );
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == manifest_json(),
            "docs/operations/manifest.json is stale: run \
             `cargo run -q -p territoires -- operations-manifest > docs/operations/manifest.json`"
        );
    }
}
