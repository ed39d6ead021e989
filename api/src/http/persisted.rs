//! Apollo's automatic persisted queries: a client sends only the SHA-256 of a document
//! (`extensions.persistedQuery {version: 1, sha256Hash}`), and the document with its hash
//! once the server answers `PersistedQueryNotFound`. Short GET URLs and small bodies follow.
//!
//! Registered documents live in memory, bounded by their total size (the oldest go first
//! past `APQ_CACHE_BYTES`); a document is registered only once its hash is checked, so a
//! client cannot make a hash answer another document. A resolved request carries its
//! document and no `persistedQuery` extension, so the response cache keys it like the same
//! request sent in full.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_graphql::Value;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The extension that carries the hash.
const EXTENSION: &str = "persistedQuery";

/// Why a persisted query request is refused before execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The hash is unknown: the client retries with the document.
    NotFound,
    /// The extension is malformed, of another version, or its hash is not the document's.
    Invalid(String),
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::NotFound => Error::PersistedQueryNotFound,
            Refused::Invalid(message) => Error::bad_input(message, &["extensions", EXTENSION]),
        }
    }
}

struct Store {
    bytes: usize,
    documents: HashMap<String, Arc<str>>,
    /// Hashes, oldest first.
    order: VecDeque<String>,
}

/// The registered documents, by hash.
pub struct PersistedQueries {
    max_bytes: usize,
    store: Mutex<Store>,
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
        }
    }

    /// Resolves the `persistedQuery` extension of `request`, if any: fills in the document
    /// of a known hash, or checks and registers the document sent with its hash, then
    /// removes the extension.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), Refused> {
        let Some(extension) = request.extensions.0.remove(EXTENSION) else {
            return Ok(());
        };
        let hash = hash_of(&extension)?;
        if request.query.is_empty() {
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

    /// Bytes held (for tests).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.store.lock().map(|s| s.bytes).unwrap_or(usize::MAX)
    }
}

/// The lower-case hex SHA-256 of a document.
pub fn sha256_hex(document: &str) -> String {
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
        assert_eq!(store.resolve(&mut apq("", &hash)), Err(Refused::NotFound));
        let mut full = apq(query, &hash.to_ascii_uppercase());
        assert_eq!(store.resolve(&mut full), Ok(()));
        assert!(full.extensions.is_empty(), "the extension is consumed");
        let mut short = apq("", &hash);
        assert_eq!(store.resolve(&mut short), Ok(()));
        assert_eq!(short.query, query);
    }

    #[test]
    fn a_wrong_hash_registers_nothing() {
        let store = PersistedQueries::new(1 << 20);
        let hash = sha256_hex("{ a }");
        assert!(matches!(
            store.resolve(&mut apq("{ b }", &hash)),
            Err(Refused::Invalid(_))
        ));
        assert_eq!(store.resolve(&mut apq("", &hash)), Err(Refused::NotFound));
        assert!(matches!(
            store.resolve(&mut apq("{ a }", "xyz")),
            Err(Refused::Invalid(_))
        ));
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_go_first() {
        let store = PersistedQueries::new(1000);
        let documents: Vec<String> = (0..20).map(|i| format!("{{ f{i:0>100} }}")).collect();
        for document in &documents {
            let hash = sha256_hex(document);
            assert_eq!(store.resolve(&mut apq(document, &hash)), Ok(()));
        }
        assert!(store.bytes() <= 1000, "{}", store.bytes());
        let first = sha256_hex(&documents[0]);
        assert_eq!(store.resolve(&mut apq("", &first)), Err(Refused::NotFound));
        let last = sha256_hex(&documents[19]);
        assert_eq!(store.resolve(&mut apq("", &last)), Ok(()));
        let huge = "x".repeat(600);
        let hash = sha256_hex(&huge);
        assert_eq!(
            store.resolve(&mut apq(&huge, &hash)),
            Ok(()),
            "run, not kept"
        );
        assert_eq!(store.resolve(&mut apq("", &hash)), Err(Refused::NotFound));
    }
}
