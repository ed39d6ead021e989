//! Prometheus metrics, served at `GET /metrics`.
//!
//! A small registry of our own (no metrics framework): GraphQL requests counted by
//! operation (the first root field, a set the schema bounds) and outcome, their latency as a histogram, directory reloads and slow
//! statements — all per process — plus, read from the database at scrape time so every
//! replica reports the same, the connection pool, roster imports by outcome and the time
//! of the last successful import.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use entity::{Labelled, sync_run};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect,
};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

#[derive(Default)]
struct Requests {
    /// (operation, outcome) → count.
    counts: HashMap<(String, String), u64>,
    /// operation → latency histogram.
    latency: HashMap<String, Histogram>,
}

/// The process's metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<Requests>,
    directory_reloads: AtomicU64,
    slow_statements: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    mail_failures: AtomicU64,
    webhook_failures: AtomicU64,
    /// (credential, reason) → refused credentials; both labels from fixed sets.
    auth_refusals: Mutex<HashMap<(&'static str, &'static str), u64>>,
    key_fetches_ok: AtomicU64,
    key_fetches_failed: AtomicU64,
}

/// The metrics of this process.
pub fn global() -> &'static Metrics {
    static METRICS: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

/// The label of a request whose document did not parse or was refused by the budget.
pub const INVALID: &str = "invalid";
/// The label of a request refused before its document was read.
pub const UNREAD: &str = "unread";

/// The `operation` label of a request: the first root field of the operation it runs
/// (`territories`, `importRoster`), `introspection` for `__schema`/`__type`/`__typename`,
/// `invalid` when the document does not parse, names no operation to run or is refused
/// by the query budget, `unread` when the request was refused before its document was
/// read (a bad token, the database unreachable), and `other` for a field the schema does
/// not have. Clients choose operation names freely, so labelling by them would let
/// anyone grow the label set (and Prometheus's memory) without bound; root fields are a
/// fixed set, known from the schema.
///
/// The document is the one the query budget parsed, off the runtime's workers: it is
/// never parsed a second time for metrics.
pub fn operation_label_of(
    document: &async_graphql::parser::types::ExecutableDocument,
    operation_name: Option<&str>,
) -> String {
    use async_graphql::parser::types::DocumentOperations;
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(operation) = operation else {
        return INVALID.to_owned();
    };
    match first_field(document, &operation.node.selection_set.node, 0) {
        None => INVALID.to_owned(),
        Some(name) if name.starts_with("__") => "introspection".to_owned(),
        Some(name) if root_fields().contains(name) => name.to_owned(),
        Some(_) => "other".to_owned(),
    }
}

/// The first field of `selection`, looking into fragments (at most a few levels: a
/// cycle of fragments is invalid and answered as such by the executor).
fn first_field<'a>(
    document: &'a async_graphql::parser::types::ExecutableDocument,
    selection: &'a async_graphql::parser::types::SelectionSet,
    depth: usize,
) -> Option<&'a str> {
    use async_graphql::parser::types::Selection;
    if depth > 8 {
        return None;
    }
    selection.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => Some(field.node.name.node.as_str()),
        Selection::InlineFragment(fragment) => {
            first_field(document, &fragment.node.selection_set.node, depth + 1)
        }
        Selection::FragmentSpread(spread) => document
            .fragments
            .get(&spread.node.fragment_name.node)
            .and_then(|f| first_field(document, &f.node.selection_set.node, depth + 1)),
    })
}

/// The fields of the schema's `Query` and `Mutation` types, read once from its SDL.
fn root_fields() -> &'static HashSet<String> {
    static FIELDS: std::sync::OnceLock<HashSet<String>> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let Ok(document) = async_graphql::parser::parse_schema(crate::graphql::sdl()) else {
            return HashSet::new();
        };
        document
            .definitions
            .iter()
            .filter_map(|definition| match definition {
                TypeSystemDefinition::Type(ty)
                    if matches!(ty.node.name.node.as_str(), "Query" | "Mutation") =>
                {
                    match &ty.node.kind {
                        TypeKind::Object(object) => Some(&object.fields),
                        _ => None,
                    }
                }
                _ => None,
            })
            .flatten()
            .map(|field| field.node.name.node.to_string())
            .collect()
    })
}

impl Metrics {
    /// Records one GraphQL request; `operation` comes from [`operation_label_of`], so the
    /// label set stays bounded.
    pub fn record_request(&self, operation: String, outcome: &str, elapsed: Duration) {
        let Ok(mut requests) = self.requests.lock() else {
            return;
        };
        *requests
            .counts
            .entry((operation.clone(), outcome.to_owned()))
            .or_default() += 1;
        let histogram = requests.latency.entry(operation).or_default();
        let seconds = elapsed.as_secs_f64();
        for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        histogram.sum += seconds;
        histogram.total += 1;
    }

    /// Counts a reload of the in-memory directory.
    pub fn record_reload(&self) {
        self.directory_reloads.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a response served from the response cache (or computed when `hit` is
    /// false).
    pub fn record_cache(&self, hit: bool) {
        let counter = if hit {
            &self.cache_hits
        } else {
            &self.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the nightly import's notifications that failed (e-mail, webhook): they are
    /// only logged otherwise, and a relay down for weeks must show on a dashboard.
    pub fn record_notifications(&self, outcome: &territoires_sync::NotificationOutcome) {
        use territoires_sync::Delivery;
        if outcome.mail == Delivery::Failed {
            self.mail_failures.fetch_add(1, Ordering::Relaxed);
        }
        if outcome.webhook == Delivery::Failed {
            self.webhook_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a refused credential: `credential` is `api_token`, `jwt` or `header`, `reason` one
    /// of [`crate::oidc::Refusal::label`]'s.
    pub fn record_auth_refusal(&self, credential: &'static str, reason: &'static str) {
        if let Ok(mut refusals) = self.auth_refusals.lock() {
            *refusals.entry((credential, reason)).or_default() += 1;
        }
    }

    /// Counts a fetch of the identity provider's keys (discovery included).
    pub fn record_jwks_fetch(&self, ok: bool) {
        let counter = if ok {
            &self.key_fetches_ok
        } else {
            &self.key_fetches_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a statement slower than the slow-statement threshold.
    pub fn record_slow_statement(&self) {
        self.slow_statements.fetch_add(1, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text format, with those read from the database.
    pub async fn render(&self, db: &DatabaseConnection, directory_version: i64) -> String {
        let mut out = String::new();
        self.render_requests(&mut out);
        metric(
            &mut out,
            "territoires_directory_reloads_total",
            "counter",
            "Reloads of the in-memory directory after a write.",
        );
        let _ = writeln!(
            out,
            "territoires_directory_reloads_total {}",
            self.directory_reloads.load(Ordering::Relaxed)
        );
        metric(
            &mut out,
            "territoires_directory_version",
            "gauge",
            "Data version the in-memory directory holds.",
        );
        let _ = writeln!(out, "territoires_directory_version {directory_version}");
        metric(
            &mut out,
            "territoires_db_slow_statements_total",
            "counter",
            "SQL statements slower than SLOW_STATEMENT_MS.",
        );
        let _ = writeln!(
            out,
            "territoires_db_slow_statements_total {}",
            self.slow_statements.load(Ordering::Relaxed)
        );
        metric(
            &mut out,
            "territoires_response_cache_requests_total",
            "counter",
            "Cacheable GraphQL requests, by whether the response cache answered.",
        );
        let _ = writeln!(
            out,
            "territoires_response_cache_requests_total{{result=\"hit\"}} {}",
            self.cache_hits.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "territoires_response_cache_requests_total{{result=\"miss\"}} {}",
            self.cache_misses.load(Ordering::Relaxed)
        );
        self.render_notifications(&mut out);
        self.render_auth(&mut out);
        render_pool(&mut out, db);
        render_imports(&mut out, db).await;
        out
    }

    fn render_notifications(&self, out: &mut String) {
        metric(
            out,
            "territoires_sync_notification_failures_total",
            "counter",
            "Nightly import notifications that could not be sent, by channel.",
        );
        for (channel, counter) in [
            ("mail", &self.mail_failures),
            ("webhook", &self.webhook_failures),
        ] {
            let _ = writeln!(
                out,
                "territoires_sync_notification_failures_total{{channel=\"{channel}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
    }

    fn render_auth(&self, out: &mut String) {
        metric(
            out,
            "territoires_auth_refused_total",
            "counter",
            "Credentials refused (UNAUTHENTICATED), by kind (api_token, jwt, or header when the Authorization header itself is refused) and reason.",
        );
        if let Ok(refusals) = self.auth_refusals.lock() {
            let mut counts: Vec<_> = refusals.iter().collect();
            counts.sort();
            for ((credential, reason), count) in counts {
                let _ = writeln!(
                    out,
                    "territoires_auth_refused_total{{credential=\"{credential}\",reason=\"{reason}\"}} {count}"
                );
            }
        }
        metric(
            out,
            "territoires_oidc_key_fetches_total",
            "counter",
            "Fetches of the identity provider's metadata and keys, by result.",
        );
        let _ = writeln!(
            out,
            "territoires_oidc_key_fetches_total{{result=\"ok\"}} {}",
            self.key_fetches_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "territoires_oidc_key_fetches_total{{result=\"error\"}} {}",
            self.key_fetches_failed.load(Ordering::Relaxed)
        );
    }

    fn render_requests(&self, out: &mut String) {
        let Ok(requests) = self.requests.lock() else {
            return;
        };
        metric(
            out,
            "territoires_graphql_requests_total",
            "counter",
            "GraphQL requests by operation (first root field) and outcome (ok or the first error code).",
        );
        let mut counts: Vec<_> = requests.counts.iter().collect();
        counts.sort();
        for ((operation, outcome), count) in counts {
            let _ = writeln!(
                out,
                "territoires_graphql_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        metric(
            out,
            "territoires_graphql_request_duration_seconds",
            "histogram",
            "Time to answer a GraphQL request, by operation (first root field).",
        );
        let mut latency: Vec<_> = requests.latency.iter().collect();
        latency.sort_by(|a, b| a.0.cmp(b.0));
        for (operation, histogram) in latency {
            for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "territoires_graphql_request_duration_seconds_bucket{{operation=\"{operation}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "territoires_graphql_request_duration_seconds_bucket{{operation=\"{operation}\",le=\"+Inf\"}} {}",
                histogram.total
            );
            let _ = writeln!(
                out,
                "territoires_graphql_request_duration_seconds_sum{{operation=\"{operation}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "territoires_graphql_request_duration_seconds_count{{operation=\"{operation}\"}} {}",
                histogram.total
            );
        }
    }
}

/// Appends a gauge read outside this registry (e.g. the open subscriptions).
pub fn gauge(out: &mut String, name: &str, help: &str, value: usize) {
    metric(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn render_pool(out: &mut String, db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    metric(
        out,
        "territoires_db_pool_connections",
        "gauge",
        "Database connections by state.",
    );
    let in_use = (size as usize).saturating_sub(idle);
    let _ = writeln!(
        out,
        "territoires_db_pool_connections{{state=\"in_use\"}} {in_use}"
    );
    let _ = writeln!(
        out,
        "territoires_db_pool_connections{{state=\"idle\"}} {idle}"
    );
    metric(
        out,
        "territoires_db_pool_max_connections",
        "gauge",
        "Largest size of the connection pool.",
    );
    let _ = writeln!(out, "territoires_db_pool_max_connections {max}");
}

#[derive(FromQueryResult)]
struct RunCount {
    status: entity::SyncStatus,
    trigger: entity::SyncTrigger,
    runs: i64,
}

async fn render_imports(out: &mut String, db: &DatabaseConnection) {
    let counts = sync_run::Entity::find()
        .select_only()
        .column(sync_run::Column::Status)
        .column(sync_run::Column::Trigger)
        .column_as(sync_run::Column::Id.count(), "runs")
        .filter(sync_run::Column::DryRun.eq(false))
        .group_by(sync_run::Column::Status)
        .group_by(sync_run::Column::Trigger)
        .into_model::<RunCount>()
        .all(db)
        .await;
    metric(
        out,
        "territoires_roster_imports",
        "gauge",
        "Roster imports recorded (not dry runs), by outcome and trigger, across all replicas.",
    );
    if let Ok(counts) = counts {
        for c in counts {
            let _ = writeln!(
                out,
                "territoires_roster_imports{{status=\"{}\",trigger=\"{}\"}} {}",
                c.status.code(),
                c.trigger.code(),
                c.runs
            );
        }
    }
    let last = sync_run::successful_newest_first().one(db).await;
    metric(
        out,
        "territoires_roster_last_success_timestamp_seconds",
        "gauge",
        "When the last successful roster import finished (Unix time; 0: never).",
    );
    let at = match last {
        Ok(Some(run)) => run.finished_at.unwrap_or(run.started_at).timestamp(),
        _ => 0,
    };
    let _ = writeln!(
        out,
        "territoires_roster_last_success_timestamp_seconds {at}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_notifications_are_counted_by_channel() {
        use territoires_sync::{Delivery, NotificationOutcome};
        let metrics = Metrics::default();
        for (mail, webhook) in [
            (Delivery::Failed, Delivery::Sent),
            (Delivery::Failed, Delivery::Failed),
            (Delivery::Sent, Delivery::NotConfigured),
            (Delivery::NotNeeded, Delivery::NotNeeded),
        ] {
            metrics.record_notifications(&NotificationOutcome { mail, webhook });
        }
        let mut out = String::new();
        metrics.render_notifications(&mut out);
        assert!(
            out.contains("territoires_sync_notification_failures_total{channel=\"mail\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("territoires_sync_notification_failures_total{channel=\"webhook\"} 1\n"),
            "{out}"
        );
    }

    fn operation_label(query: &str, operation_name: Option<&str>) -> String {
        match async_graphql::parser::parse_query(query) {
            Ok(document) => operation_label_of(&document, operation_name),
            Err(_) => INVALID.to_owned(),
        }
    }

    #[test]
    fn operations_are_labelled_by_their_first_root_field() {
        assert_eq!(
            operation_label("query Directory { territories { number } }", None),
            "territories"
        );
        assert_eq!(
            operation_label(
                "query A { territories { number } } mutation B { importRoster { id } }",
                Some("B")
            ),
            "importRoster"
        );
        assert_eq!(
            operation_label(
                "query { ...F } fragment F on Query { ... on Query { coordinators { id } } }",
                None
            ),
            "coordinators"
        );
        assert_eq!(
            operation_label("{ __schema { types { name } } }", None),
            "introspection"
        );
        assert_eq!(operation_label("{ notAField }", None), "other");
        assert_eq!(operation_label("{ territories ", None), "invalid");
        assert_eq!(
            operation_label("query A { a } query B { b }", None),
            "invalid"
        );
        assert_eq!(
            operation_label("query A { territories }", Some("Nope")),
            "invalid"
        );
    }

    #[test]
    fn junk_operation_names_do_not_grow_the_label_set() {
        let metrics = Metrics::default();
        for i in 0..500 {
            let query = format!("query Junk{i} {{ territories {{ number }} }}");
            let label = operation_label(&query, Some(&format!("Junk{i}")));
            metrics.record_request(label, "ok", Duration::from_millis(1));
            metrics.record_request(
                operation_label(&format!("{{ field{i} }}"), None),
                "ok",
                Duration::from_millis(1),
            );
        }
        let labels: Vec<String> = metrics
            .requests
            .lock()
            .map(|r| r.latency.keys().cloned().collect())
            .unwrap_or_default();
        let mut labels = labels;
        labels.sort();
        assert_eq!(labels, ["other", "territories"]);
    }
}
