//! A cache of whole GraphQL responses, for the reads frontends repeat (the directory,
//! commune lookups).
//!
//! An entry is keyed by everything a response depends on — the query text, the operation
//! name, the variables and the requester's role — and belongs to one data version: when
//! the directory moves to a new version, every entry is dropped, so the cache is exactly
//! as coherent as the snapshot (see [`crate::directory`]). Only responses computed from
//! the snapshot alone, without errors, are kept: a resolver that reads the database
//! directly (roster imports, the audit log, tokens) or writes marks its request
//! [`Uncacheable`]. Memory is bounded; past the bound the cache starts over.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Bytes;

/// Set by resolvers whose answer does not come from the snapshot alone.
#[derive(Debug, Default, Clone)]
pub struct Uncacheable(Arc<AtomicBool>);

impl Uncacheable {
    /// Marks the request's response as not cacheable.
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether some resolver marked it.
    pub fn is_marked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Marks the current GraphQL request as not cacheable (no-op outside a request).
pub fn mark_uncacheable(ctx: &async_graphql::Context<'_>) {
    if let Some(flag) = ctx.data_opt::<Uncacheable>() {
        flag.mark();
    }
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The JSON body.
    pub body: Bytes,
    /// The metrics label of the operation it answers (see
    /// [`crate::metrics::operation_label_of`]): a hit is counted without reading the
    /// document again.
    pub operation: Arc<str>,
}

struct Entries {
    version: i64,
    bytes: usize,
    map: HashMap<String, Stored>,
}

/// The response cache.
pub struct ResponseCache {
    max_bytes: usize,
    entries: Mutex<Entries>,
}

/// Responses larger than this fraction of the cache are not kept.
const LARGEST_SHARE: usize = 8;

impl ResponseCache {
    /// A cache holding at most `max_bytes` of responses (0 disables it).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            entries: Mutex::new(Entries {
                version: i64::MIN,
                bytes: 0,
                map: HashMap::new(),
            }),
        }
    }

    /// Whether the cache is enabled.
    pub fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    /// The key of a request: role, operation name, variables and query.
    pub fn key(role: &str, operation: Option<&str>, variables: &str, query: &str) -> String {
        let mut key = String::with_capacity(role.len() + variables.len() + query.len() + 8);
        for part in [role, operation.unwrap_or_default(), variables, query] {
            key.push_str(part);
            key.push('\u{0}');
        }
        key
    }

    /// The response stored for `key` at data version `version`.
    pub fn get(&self, version: i64, key: &str) -> Option<Stored> {
        let entries = self.entries.lock().ok()?;
        if entries.version != version {
            return None;
        }
        entries.map.get(key).cloned()
    }

    /// Stores the response to `key`, computed at data version `version`.
    pub fn put(&self, version: i64, key: String, stored: Stored) {
        let size = stored.body.len() + stored.operation.len();
        if !self.enabled() || size > self.max_bytes / LARGEST_SHARE {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if version < entries.version {
            return;
        }
        if version > entries.version || entries.bytes + size + key.len() > self.max_bytes {
            entries.map.clear();
            entries.bytes = 0;
            entries.version = version;
        }
        entries.bytes += size + key.len();
        if let Some(old) = entries.map.insert(key, stored) {
            let old_size = old.body.len() + old.operation.len();
            entries.bytes = entries.bytes.saturating_sub(old_size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &'static [u8]) -> Stored {
        Stored {
            body: Bytes::from_static(body),
            operation: "territories".into(),
        }
    }

    #[test]
    fn entries_belong_to_one_version() {
        let cache = ResponseCache::new(1 << 20);
        let key = ResponseCache::key("public", None, "{}", "{ a }");
        cache.put(3, key.clone(), stored(b"{\"data\":1}"));
        assert_eq!(cache.get(3, &key), Some(stored(b"{\"data\":1}")));
        assert_eq!(
            cache.get(4, &key),
            None,
            "a newer version ignores older entries"
        );
        cache.put(4, "other".into(), stored(b"x"));
        assert_eq!(cache.get(3, &key), None, "and drops them");
        cache.put(2, key.clone(), stored(b"old"));
        assert_eq!(
            cache.get(4, &key),
            None,
            "an older response is never stored over newer"
        );
    }

    #[test]
    fn keys_separate_roles_operations_and_variables() {
        let a = ResponseCache::key("public", None, "{}", "q");
        assert_ne!(a, ResponseCache::key("EDITOR", None, "{}", "q"));
        assert_ne!(a, ResponseCache::key("public", Some("Op"), "{}", "q"));
        assert_ne!(a, ResponseCache::key("public", None, "{\"x\":1}", "q"));
    }

    #[test]
    fn memory_is_bounded() {
        let cache = ResponseCache::new(800);
        for i in 0..100 {
            let stored = Stored {
                body: Bytes::from(vec![b'x'; 90]),
                operation: "territories".into(),
            };
            cache.put(1, format!("k{i}"), stored);
        }
        let entries = cache.entries.lock().map(|e| e.bytes).unwrap_or(usize::MAX);
        assert!(entries <= 800, "{entries}");
        assert!(ResponseCache::new(0).get(1, "k").is_none());
    }
}
