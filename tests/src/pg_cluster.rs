//! A PostgreSQL cluster of the test's own, to stop and restart under a running service.
//!
//! `initdb` and `pg_ctl` refuse to run as root (CI runs as root): they are then run as
//! the `postgres` user with `runuser`. The cluster trusts local connections, skips fsync
//! (it is thrown away) and is stopped and deleted when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A private PostgreSQL server.
pub struct PgCluster {
    dir: tempfile::TempDir,
    port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Where the PostgreSQL server programs are (`pg_config --bindir`, else the `PATH`).
fn bin(program: &str) -> PathBuf {
    let bindir = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match bindir {
        Some(dir) if dir.join(program).exists() => dir.join(program),
        _ => PathBuf::from(program),
    }
}

/// Runs a server program, as `postgres` when we are root.
fn run(program: &str, args: &[&str]) -> std::io::Result<Output> {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin(program));
        c
    } else {
        Command::new(bin(program))
    };
    let output = command.args(args).output()?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(std::io::Error::other(format!(
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl PgCluster {
    /// Creates a cluster and starts it.
    pub fn start() -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("territoires-pg-")
            .tempdir()?;
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()?;
            if !status.success() {
                return Err(std::io::Error::other("cannot give the folder to postgres"));
            }
        }
        let data = dir.path().join("data");
        run(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        let cluster = Self {
            port: free_port()?,
            dir,
        };
        cluster.resume()?;
        Ok(cluster)
    }

    /// Starts the (stopped) server again, on the same port.
    pub fn resume(&self) -> std::io::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            path(self.dir.path())
        );
        let log = self.dir.path().join("server.log");
        run(
            "pg_ctl",
            &[
                "-D",
                path(&self.data()),
                "-o",
                &options,
                "-l",
                path(&log),
                "-w",
                "start",
            ],
        )
        .map(|_| ())
    }

    /// Stops the server (fast shutdown: connections are cut).
    pub fn stop(&self) -> std::io::Result<()> {
        run(
            "pg_ctl",
            &["-D", path(&self.data()), "-m", "fast", "-w", "stop"],
        )
        .map(|_| ())
    }

    /// Kills the server outright (immediate shutdown, as a crash).
    pub fn crash(&self) -> std::io::Result<()> {
        run(
            "pg_ctl",
            &["-D", path(&self.data()), "-m", "immediate", "-w", "stop"],
        )
        .map(|_| ())
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = run(
            "pg_ctl",
            &["-D", path(&self.data()), "-m", "immediate", "-w", "stop"],
        );
    }
}
