//! The accept loop: HTTP/1.1 connections served by hyper with a timer (so its header
//! timeout fires), at most `MAX_CONNECTIONS` at once, and a shutdown that ends within
//! `SHUTDOWN_GRACE_SECS` whatever clients still hold.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper::rt::{Sleep, Timer};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::Service;

use crate::config::ServerConfig;

/// Largest connection limit honoured (the semaphore and `acquire_many` count in `u32`).
const MAX_CONNECTIONS_CAP: usize = 1 << 20;

/// How long to wait after a failed `accept` (e.g. out of file descriptors) before trying
/// again, rather than spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The connection settings of [`ServerConfig`], as durations.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time a new connection has to send the head of its first request.
    pub header_read_timeout: Duration,
    /// Time a kept-alive connection may wait for, and send the head of, its next request.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Time in-flight requests are given after the shutdown signal.
    pub shutdown_grace: Duration,
}

impl ConnectionLimits {
    /// The limits configured in `config` (a zero timeout counts as one second: hyper
    /// cannot be told "no time at all", and "no timeout" is what this guards against).
    pub fn of(config: &ServerConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs.max(1)),
            max_connections: config.max_connections.clamp(1, MAX_CONNECTIONS_CAP),
            shutdown_grace: Duration::from_secs(config.shutdown_grace_secs),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, asks
/// every connection to close once its in-flight request is answered, and returns when
/// they all have or when the grace period is over (the connections left are dropped
/// with the runtime).
///
/// Beyond `max_connections`, new connections wait in the kernel's accept queue: they
/// are served as soon as a connection closes, which the timeouts guarantee happens.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    drop(slot);
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(ACCEPT_RETRY) => continue,
                    }
                }
            },
        };
        tokio::spawn(connection(
            stream,
            router.clone(),
            limits,
            slot,
            stopping.clone(),
        ));
    }
    // New connections are refused from here on.
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    match tokio::time::timeout(limits.shutdown_grace, slots.acquire_many(all)).await {
        Ok(_) => tracing::info!("every connection closed"),
        Err(_) => tracing::warn!(
            open = limits.max_connections - slots.available_permits(),
            grace_secs = limits.shutdown_grace.as_secs(),
            "connections still open after the shutdown grace period: closing them"
        ),
    }
}

/// Serves one connection, holding its `slot` until it closes.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: ConnectionLimits,
    slot: OwnedSemaphorePermit,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let served = Arc::new(AtomicBool::new(false));
    let timer = HeadTimer {
        inner: TokioTimer::new(),
        served: served.clone(),
        header: limits.header_read_timeout,
        idle: limits.idle_timeout,
    };
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        served.store(true, Ordering::Relaxed);
        let mut router = router.clone();
        router.call(request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(timer)
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
            // Idle connections close now; busy ones after their response.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%error, "connection ended with an error");
    }
    drop(slot);
}

/// hyper's timer, with the idle timeout for kept-alive connections.
///
/// hyper (1.x) runs its header-read timer from the moment it waits for a request head:
/// on a new connection, and on a kept-alive one as soon as the previous response is
/// written. One duration would then be both the slow-header limit (short) and the
/// keep-alive idle limit (longer than a reverse proxy's, or the proxy may send on a
/// connection we are closing). Once the connection has served a request, the deadline
/// hyper asks for is moved from `start + header` to `start + idle`.
#[derive(Clone)]
struct HeadTimer {
    inner: TokioTimer,
    /// Whether the connection has received a request head already.
    served: Arc<AtomicBool>,
    header: Duration,
    idle: Duration,
}

impl HeadTimer {
    fn deadline(&self, asked: Instant) -> Instant {
        if !self.served.load(Ordering::Relaxed) {
            return asked;
        }
        asked
            .checked_sub(self.header)
            .and_then(|start| start.checked_add(self.idle))
            .unwrap_or(asked)
    }
}

impl Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.inner.sleep(duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        self.inner.sleep_until(self.deadline(deadline))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        self.inner.reset(sleep, self.deadline(new_deadline));
    }
}
