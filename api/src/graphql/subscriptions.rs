//! The subscriptions: what changed, pushed to clients over WebSocket
//! (`graphql-transport-ws`) or Server-Sent Events (graphql-sse), see [`crate::http`].
//!
//! Every event comes from the process's one source ([`crate::events::Events`]): a
//! subscription costs a broadcast receiver, never a database connection. A subscriber
//! too slow to keep up skips to the latest state rather than queueing events without
//! bound. Every subscription ends when the server shuts down.

use std::sync::Arc;

use async_graphql::{Context, ID, SimpleObject, Subscription};
use chrono::Utc;
use entity::{DataChangeKind, Role, SyncStatus, data_version};
use futures_util::Stream;
use futures_util::stream;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::error::Error;
use crate::events::{DataEvent, Events, RunEvent, changed_kinds};
use crate::graphql::access::RoleGuard;
use crate::graphql::ids;
use crate::graphql::types::{DateTime, SyncRun};

/// The root of every subscription.
#[derive(Default)]
pub struct SubscriptionRoot;

/// The data the API serves changed (or, as the first event, where it stands now).
#[derive(SimpleObject, Clone, Debug)]
pub struct DataChange {
    /// The data version now: it only grows, and every write (edits, imports, tokens,
    /// from any process) moves it. Compare it with the one your cached answers were
    /// read at.
    pub version: i64,
    /// `true` for the first event, which tells the version at the moment of
    /// subscribing rather than a change.
    pub initial: bool,
    /// What changed: the kinds of every version since this subscription's previous
    /// event (events may be merged), each once, in a fixed order. Empty on the initial
    /// event. Every kind when the server cannot tell (a subscriber thousands of versions
    /// behind, or versions written before kinds were recorded): refetch everything then.
    pub kinds: Vec<DataChangeKind>,
    /// When this server learnt of it (UTC).
    pub at: DateTime,
}

/// Live updates, over WebSocket (`graphql-transport-ws` on `GET /graphql`) or
/// server-sent events (`graphql-sse`: `POST /graphql` with `Accept: text/event-stream`).
/// Authenticate in `connection_init`'s payload (`{"Authorization": "Bearer …"}`) or the
/// request's header; a subscription ends when its credential expires or is revoked.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The data version, at once and then after every change of what the API serves
    /// (whoever made it: an editor, an import, the command line, another replica), with
    /// the kinds of data that changed (`kinds`). Use it to refetch what you show, or to
    /// drop cached answers. Events may be merged: a client that falls behind gets the
    /// latest version and every kind changed since its previous event, not every step.
    /// Public.
    async fn data_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = DataChange> + use<>> {
        let events = ctx.data::<Arc<Events>>()?.clone();
        let db = ctx.data::<DatabaseConnection>()?.clone();
        // Listening before reading: a change between the two is not missed.
        let versions = events.data_versions().await?;
        let current = data_version::current(&db).await.map_err(Error::from)?;
        let feed = Feed {
            receiver: versions,
            closing: events.closing(),
        };
        let first = DataChange {
            version: current,
            initial: true,
            kinds: Vec::new(),
            at: Utc::now().into(),
        };
        let later = stream::unfold((feed, db, current), |(mut feed, db, last)| async move {
            loop {
                let event = match feed.next().await? {
                    Next::Item(event) => event,
                    // Fell behind: the latest version says it all (`after` is not
                    // `last`, so what changed since `last` is read).
                    Next::Lagged => {
                        let version = data_version::current(&db).await.ok()?;
                        DataEvent {
                            after: version,
                            version,
                            kinds: Arc::from([]),
                        }
                    }
                };
                if event.version > last {
                    let change = DataChange {
                        version: event.version,
                        initial: false,
                        kinds: kinds_since(&db, last, &event).await,
                        at: Utc::now().into(),
                    };
                    return Some((change, (feed, db, event.version)));
                }
            }
        });
        Ok(futures_util::StreamExt::chain(stream::iter([first]), later))
    }

    /// The progress of one roster import: the run as it is now, then each change of
    /// its `phase`, `progressDone` and `progressTotal` (written at most twice a second),
    /// and last the run with its outcome, after which the subscription completes. A run
    /// that has ended already gives one event. `plan` is not sent (read it with
    /// `syncRun`). ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn sync_run_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run's ID (see `syncRuns`, or `importRoster`'s answer).")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = SyncRun> + use<>> {
        let id = ids::decode_as(&id, ids::SYNC_RUN, "id")?;
        let events = ctx.data::<Arc<Events>>()?.clone();
        let runs = events.runs().await?;
        let Some(current) = events.run(id).await? else {
            return Err(Error::NotFound(format!("no sync run with the ID {id}")).into());
        };
        let feed = Feed {
            receiver: runs,
            closing: events.closing(),
        };
        let state = Progress {
            feed,
            events,
            id,
            pending: Some(current),
            done: false,
            last: None,
        };
        Ok(stream::unfold(state, |mut state| async move {
            let run = state.next().await?;
            Some((SyncRun::summary(Arc::unwrap_or_clone(run)), state))
        }))
    }

    /// Each roster import that starts from now on, from any process, once recorded: the
    /// run is recorded `RUNNING` before its file is read, so a client that uploaded a
    /// file (or waits for the nightly import) learns the run's ID here and follows it with
    /// `syncRunProgress(id)`. Dry runs and imports recorded without running (`BUSY`) are
    /// included. On SQLite changes are read every `SUBSCRIPTIONS_POLL_MS`: an import
    /// that started and ended between two reads comes once, with its outcome. `plan` is
    /// not sent. ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn sync_run_started(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = SyncRun> + use<>> {
        let events = ctx.data::<Arc<Events>>()?;
        let feed = Feed {
            receiver: events.started_runs().await?,
            closing: events.closing(),
        };
        Ok(stream::unfold(feed, |mut feed| async move {
            loop {
                match feed.next().await? {
                    Next::Item(run) => {
                        return Some((SyncRun::summary(Arc::unwrap_or_clone(run)), feed));
                    }
                    // Starts missed by a slow subscriber cannot be read again: go on.
                    Next::Lagged => {}
                }
            }
        }))
    }

    /// Each roster import that ends from now on (any outcome, dry runs included), from
    /// any process: for a dashboard of imports, or to learn that the nightly import ran.
    /// `plan` is not sent (read it with `syncRun`). ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn sync_run_finished(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = SyncRun> + use<>> {
        let events = ctx.data::<Arc<Events>>()?;
        let feed = Feed {
            receiver: events.runs().await?,
            closing: events.closing(),
        };
        Ok(stream::unfold(feed, |mut feed| async move {
            loop {
                match feed.next().await? {
                    Next::Item(run) if run.status != SyncStatus::Running => {
                        return Some((SyncRun::summary(Arc::unwrap_or_clone(run)), feed));
                    }
                    // A missed end cannot be told from the ones seen: go on.
                    Next::Item(_) | Next::Lagged => {}
                }
            }
        }))
    }
}

/// What changed between version `last`, told to a subscriber, and `event`'s: the event's
/// kinds when it follows `last` (the usual case, read once for every subscriber), else
/// read from the versions' records (a subscriber that joined between two events, or
/// fell behind).
async fn kinds_since(db: &DatabaseConnection, last: i64, event: &DataEvent) -> Vec<DataChangeKind> {
    if event.after == last {
        return event.kinds.to_vec();
    }
    changed_kinds(db, last, event.version).await
}

/// What a broadcast receiver gives next.
enum Next<T> {
    Item(T),
    /// Events were dropped for this (slow) subscriber.
    Lagged,
}

/// A broadcast receiver that ends when the server shuts down.
struct Feed<T> {
    receiver: broadcast::Receiver<T>,
    closing: watch::Receiver<bool>,
}

impl<T: Clone> Feed<T> {
    /// The next event; `None` once the source or the server is gone.
    async fn next(&mut self) -> Option<Next<T>> {
        tokio::select! {
            biased;
            () = Events::closed(&mut self.closing) => None,
            received = self.receiver.recv() => match received {
                Ok(item) => Some(Next::Item(item)),
                Err(RecvError::Lagged(_)) => Some(Next::Lagged),
                Err(RecvError::Closed) => None,
            },
        }
    }
}

/// What a progress event tells of a run.
type RunState = (
    SyncStatus,
    Option<i64>,
    Option<i64>,
    Option<entity::SyncPhase>,
);

/// The state of a `syncRunProgress` stream.
struct Progress {
    feed: Feed<RunEvent>,
    events: Arc<Events>,
    id: i32,
    /// The run to send next, read before listening.
    pending: Option<RunEvent>,
    /// The run's outcome was sent.
    done: bool,
    /// What was sent last: an event that changes nothing of it is not sent again.
    last: Option<RunState>,
}

impl Progress {
    async fn next(&mut self) -> Option<RunEvent> {
        if self.done {
            return None;
        }
        loop {
            let run = match self.pending.take() {
                Some(run) => run,
                None => loop {
                    match self.feed.next().await? {
                        Next::Item(run) if run.id == self.id => break run,
                        Next::Item(_) => {}
                        Next::Lagged => break self.events.run(self.id).await.ok()??,
                    }
                },
            };
            let state = Some((run.status, run.progress_done, run.progress_total, run.phase));
            if state == self.last {
                continue;
            }
            self.last = state;
            self.done = run.status != SyncStatus::Running;
            return Some(run);
        }
    }
}
