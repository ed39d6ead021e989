//! Apollo's automatic persisted queries: a client sends only the SHA-256 of a document
//! (`extensions.persistedQuery {version: 1, sha256Hash}`), and the document with its hash
//! once the server answers `PersistedQueryNotFound`. Short GET URLs and small bodies follow.
//!
//! Registered documents live in memory, bounded by their total size (the oldest go first
//! past `APQ_CACHE_BYTES`); a document is registered only once its hash is checked, so a
//! client cannot make a hash answer another document. A resolved request carries its
//! document and no `persistedQuery` extension, so the response cache keys it like the same
//! request sent in full.
//!
//! Trusted documents: the manifest of `docs/operations/` (built in, printed by
//! `territoires operations-manifest`) and the manifests frontends hand over
//! (`PERSISTED_OPERATIONS_FILE`), loaded at start. With `PERSISTED_OPERATIONS=allow`
//! their hashes are known from the start; with `only`, anonymous callers may run nothing
//! else (by hash or by identical text) and register nothing, while token holders stay
//! unrestricted; `off` ignores the manifests.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_graphql::Value;

use crate::config::PersistedOperations;
use crate::error::Error;

/// Largest manifest file read at start, in bytes: a larger one is refused before it is
/// read, not loaded into memory.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// The extension that carries the hash.
const EXTENSION: &str = "persistedQuery";

/// Why a persisted query request is refused before execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The hash is unknown: the client retries with the document.
    NotFound,
    /// The extension is malformed, of another version, or its hash is not the document's.
    Invalid(String),
    /// `PERSISTED_OPERATIONS=only` and an anonymous caller sent a document of no manifest.
    NotTrusted,
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::NotFound => Error::PersistedQueryNotFound,
            Refused::Invalid(message) => Error::bad_input(message, &["extensions", EXTENSION]),
            Refused::NotTrusted => Error::Unauthenticated(
                "without an API token this server runs only the operations of its persisted \
                 manifests (Authorization: Bearer … for others)"
                    .to_owned(),
            ),
        }
    }
}

struct Store {
    bytes: usize,
    documents: HashMap<String, Arc<str>>,
    /// Hashes, oldest first.
    order: VecDeque<String>,
}

/// The registered documents, by hash, and the trusted ones of the manifests.
pub struct PersistedQueries {
    max_bytes: usize,
    store: Mutex<Store>,
    mode: PersistedOperations,
    /// The documents of the manifests, by hash (empty when `off`).
    trusted: HashMap<String, Arc<str>>,
}

impl PersistedQueries {
    /// A store of at most `max_bytes` of documents (0 registers nothing).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            store: Mutex::new(Store {
                bytes: 0,
                documents: HashMap::new(),
                order: VecDeque::new(),
            }),
            mode: PersistedOperations::Off,
            trusted: HashMap::new(),
        }
    }

    /// Uses the documents of `manifests` as `mode` says (none when `off`).
    pub fn with_trusted(
        mut self,
        mode: PersistedOperations,
        manifests: impl IntoIterator<Item = BTreeMap<String, String>>,
    ) -> Self {
        self.mode = mode;
        if mode != PersistedOperations::Off {
            self.trusted = manifests
                .into_iter()
                .flatten()
                .map(|(hash, document)| (hash, Arc::from(document)))
                .collect();
        }
        self
    }

    /// How many trusted documents are loaded.
    pub fn trusted_len(&self) -> usize {
        self.trusted.len()
    }

    /// Resolves the `persistedQuery` extension of `request`, if any: fills in the document
    /// of a known hash, or checks and registers the document sent with its hash, then
    /// removes the extension.
    /// An `anonymous` caller under `PERSISTED_OPERATIONS=only` gets a trusted document or
    /// [`Refused::NotTrusted`], and registers nothing.
    pub fn resolve(
        &self,
        request: &mut async_graphql::Request,
        anonymous: bool,
    ) -> Result<(), Refused> {
        let restricted = anonymous && self.mode == PersistedOperations::Only;
        let Some(extension) = request.extensions.0.remove(EXTENSION) else {
            if restricted && !self.trusted.contains_key(&sha256_hex(&request.query)) {
                return Err(Refused::NotTrusted);
            }
            return Ok(());
        };
        let hash = hash_of(&extension)?;
        if request.query.is_empty() {
            if let Some(document) = self.trusted.get(&hash) {
                request.query = document.to_string();
                return Ok(());
            }
            if restricted {
                return Err(Refused::NotTrusted);
            }
            match self.get(&hash) {
                Some(document) => request.query = document.to_string(),
                None => return Err(Refused::NotFound),
            }
            return Ok(());
        }
        if sha256_hex(&request.query) != hash {
            return Err(Refused::Invalid(
                "provided sha does not match query".to_owned(),
            ));
        }
        if self.trusted.contains_key(&hash) {
            return Ok(());
        }
        if restricted {
            return Err(Refused::NotTrusted);
        }
        self.put(hash, &request.query);
        Ok(())
    }

    fn get(&self, hash: &str) -> Option<Arc<str>> {
        self.store.lock().ok()?.documents.get(hash).cloned()
    }

    fn put(&self, hash: String, document: &str) {
        let size = hash.len() + document.len();
        // A document over a quarter of the store would evict most others: it is run, not kept.
        if size > self.max_bytes / 4 {
            return;
        }
        let Ok(mut store) = self.store.lock() else {
            return;
        };
        if store.documents.contains_key(&hash) {
            return;
        }
        while store.bytes + size > self.max_bytes {
            let Some(oldest) = store.order.pop_front() else {
                break;
            };
            if let Some(gone) = store.documents.remove(&oldest) {
                store.bytes = store.bytes.saturating_sub(oldest.len() + gone.len());
            }
        }
        store.bytes += size;
        store.order.push_back(hash.clone());
        store.documents.insert(hash, document.into());
    }

    /// [`Self::resolve`] for a token holder (for tests).
    #[cfg(test)]
    fn resolve_public(&self, request: &mut async_graphql::Request) -> Result<(), Refused> {
        self.resolve(request, false)
    }

    /// Bytes held (for tests).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.store.lock().map(|s| s.bytes).unwrap_or(usize::MAX)
    }
}

/// Reads a manifest handed over by a frontend: a JSON object of SHA-256 → document (the
/// format of Relay, graphql-codegen's persisted documents and
/// `territoires operations-manifest`) or Apollo's persisted query manifest
/// (`{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}]}`).
/// Every hash must be the document's: a wrong one is a startup error naming it (French:
/// the administrator reads it).
pub fn load_manifest(path: &Path) -> Result<BTreeMap<String, String>, Error> {
    let shown = path.display();
    let failed = |why: String| {
        Error::Config(format!(
            "PERSISTED_OPERATIONS_FILE : le manifeste {shown} est invalide : {why}"
        ))
    };
    let file =
        std::fs::File::open(path).map_err(|e| failed(format!("lecture impossible ({e})")))?;
    let too_large = || {
        failed(format!(
            "il dépasse {} Mio",
            MAX_MANIFEST_BYTES / (1024 * 1024)
        ))
    };
    if file.metadata().map(|m| m.len()).unwrap_or(0) > MAX_MANIFEST_BYTES {
        return Err(too_large());
    }
    let mut text = String::new();
    file.take(MAX_MANIFEST_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| failed(format!("lecture impossible ({e})")))?;
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(too_large());
    }
    parse_manifest(&text).map_err(failed)
}

/// The documents of a manifest's text, checked (see [`load_manifest`]).
fn parse_manifest(text: &str) -> Result<BTreeMap<String, String>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("ce n'est pas du JSON ({e})"))?;
    let serde_json::Value::Object(object) = value else {
        return Err("un objet JSON est attendu".to_owned());
    };
    let pairs: Vec<(String, serde_json::Value)> = match object.get("format") {
        Some(serde_json::Value::String(format)) if format == "apollo-persisted-query-manifest" => {
            let Some(serde_json::Value::Array(operations)) = object.get("operations") else {
                return Err("le champ « operations » (tableau) manque".to_owned());
            };
            operations
                .iter()
                .map(|operation| {
                    let id = operation.get("id").and_then(serde_json::Value::as_str);
                    match (id, operation.get("body")) {
                        (Some(id), Some(body)) => Ok((id.to_owned(), body.clone())),
                        _ => Err("une opération n'a pas de « id » ou de « body »".to_owned()),
                    }
                })
                .collect::<Result<_, _>>()?
        }
        Some(_) => {
            return Err("format inconnu (seul apollo-persisted-query-manifest est lu)".to_owned());
        }
        None => object.into_iter().collect(),
    };
    let mut documents = BTreeMap::new();
    for (hash, document) in pairs {
        let serde_json::Value::String(document) = document else {
            return Err(format!("le document de {hash} n'est pas une chaîne"));
        };
        let hash = hash.to_ascii_lowercase();
        if sha256_hex(&document) != hash {
            return Err(format!(
                "l'empreinte {hash} n'est pas le SHA-256 de son document"
            ));
        }
        documents.insert(hash, document);
    }
    Ok(documents)
}

/// The lower-case hex SHA-256 of a document.
pub fn sha256_hex(document: &str) -> String {
    territoires_sync::sha256_hex(document.as_bytes())
}

/// The hash of a `persistedQuery` extension of version 1, lower-cased.
fn hash_of(extension: &Value) -> Result<String, Refused> {
    let Value::Object(fields) = extension else {
        return Err(Refused::Invalid(
            "extensions.persistedQuery must be an object".to_owned(),
        ));
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => {
            return Err(Refused::Invalid(
                "only version 1 of persisted queries is supported".to_owned(),
            ));
        }
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(hash.to_ascii_lowercase())
        }
        _ => Err(Refused::Invalid(
            "extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apq(query: &str, hash: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        let mut fields = async_graphql::indexmap::IndexMap::new();
        fields.insert(async_graphql::Name::new("version"), Value::from(1));
        fields.insert(async_graphql::Name::new("sha256Hash"), Value::from(hash));
        request
            .extensions
            .0
            .insert(EXTENSION.to_owned(), Value::Object(fields));
        request
    }

    #[test]
    fn a_hash_is_known_once_registered_with_its_document() {
        let store = PersistedQueries::new(1 << 20);
        let query = "{ territories { number } }";
        let hash = sha256_hex(query);
        assert_eq!(
            store.resolve_public(&mut apq("", &hash)),
            Err(Refused::NotFound)
        );
        let mut full = apq(query, &hash.to_ascii_uppercase());
        assert_eq!(store.resolve_public(&mut full), Ok(()));
        assert!(full.extensions.is_empty(), "the extension is consumed");
        let mut short = apq("", &hash);
        assert_eq!(store.resolve_public(&mut short), Ok(()));
        assert_eq!(short.query, query);
    }

    #[test]
    fn a_wrong_hash_registers_nothing() {
        let store = PersistedQueries::new(1 << 20);
        let hash = sha256_hex("{ a }");
        assert!(matches!(
            store.resolve_public(&mut apq("{ b }", &hash)),
            Err(Refused::Invalid(_))
        ));
        assert_eq!(
            store.resolve_public(&mut apq("", &hash)),
            Err(Refused::NotFound)
        );
        assert!(matches!(
            store.resolve_public(&mut apq("{ a }", "xyz")),
            Err(Refused::Invalid(_))
        ));
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_go_first() {
        let store = PersistedQueries::new(1000);
        let documents: Vec<String> = (0..20).map(|i| format!("{{ f{i:0>100} }}")).collect();
        for document in &documents {
            let hash = sha256_hex(document);
            assert_eq!(store.resolve_public(&mut apq(document, &hash)), Ok(()));
        }
        assert!(store.bytes() <= 1000, "{}", store.bytes());
        let first = sha256_hex(&documents[0]);
        assert_eq!(
            store.resolve_public(&mut apq("", &first)),
            Err(Refused::NotFound)
        );
        let last = sha256_hex(&documents[19]);
        assert_eq!(store.resolve_public(&mut apq("", &last)), Ok(()));
        let huge = "x".repeat(600);
        let hash = sha256_hex(&huge);
        assert_eq!(
            store.resolve_public(&mut apq(&huge, &hash)),
            Ok(()),
            "run, not kept"
        );
        assert_eq!(
            store.resolve_public(&mut apq("", &hash)),
            Err(Refused::NotFound)
        );
    }

    #[test]
    fn only_lets_anonymous_callers_run_trusted_documents_alone() {
        let trusted = "{ territories { number } }";
        let mut manifest = BTreeMap::new();
        manifest.insert(sha256_hex(trusted), trusted.to_owned());
        let store =
            PersistedQueries::new(1 << 20).with_trusted(PersistedOperations::Only, [manifest]);
        let hash = sha256_hex(trusted);
        let mut by_hash = apq("", &hash);
        assert_eq!(store.resolve(&mut by_hash, true), Ok(()));
        assert_eq!(by_hash.query, trusted);
        let mut by_text = async_graphql::Request::new(trusted);
        assert_eq!(store.resolve(&mut by_text, true), Ok(()));
        let other = "{ communes { name } }";
        let mut plain = async_graphql::Request::new(other);
        assert_eq!(store.resolve(&mut plain, true), Err(Refused::NotTrusted));
        let other_hash = sha256_hex(other);
        assert_eq!(
            store.resolve(&mut apq(other, &other_hash), true),
            Err(Refused::NotTrusted),
            "no registration"
        );
        assert_eq!(
            store.resolve(&mut apq("", &other_hash), true),
            Err(Refused::NotTrusted)
        );
        // Token holders are unrestricted and may register.
        assert_eq!(store.resolve(&mut apq(other, &other_hash), false), Ok(()));
        assert_eq!(
            store.resolve(&mut async_graphql::Request::new(other), false),
            Ok(())
        );
    }

    #[test]
    fn manifests_are_checked_in_both_formats() {
        let document = "{ a }";
        let hash = sha256_hex(document);
        let relay = serde_json::json!({ hash.to_ascii_uppercase(): document }).to_string();
        assert_eq!(parse_manifest(&relay).map(|m| m.len()), Ok(1));
        let apollo = serde_json::json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": hash, "name": "A", "type": "query", "body": document }]
        })
        .to_string();
        assert_eq!(parse_manifest(&apollo).map(|m| m.len()), Ok(1));
        let wrong = serde_json::json!({ sha256_hex("{ b }"): document }).to_string();
        assert!(parse_manifest(&wrong).is_err());
        assert!(parse_manifest("[]").is_err());
        assert!(parse_manifest("{").is_err());
        assert!(parse_manifest(&serde_json::json!({ hash: 1 }).to_string()).is_err());
    }
}
