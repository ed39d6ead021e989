// Starts the real `territoires` binary on a PostgreSQL database of its own, for one test
// file, and removes the database afterwards. The Rust tests cover SQLite; these tests
// drive the server the way frontends and browsers do, on the database used in production.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository's root. */
export const repoRoot = path.resolve(here, '..', '..', '..');
const binary = process.env.TERRITOIRES_BIN ?? path.join(repoRoot, 'target', 'debug', 'territoires');
const pgUrl = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function psql(sql) {
  execFileSync('psql', [pgUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: 'pipe' });
}

function databaseUrl(name) {
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Runs a `territoires` subcommand to completion and returns its standard output. */
export function cli(env, ...args) {
  return execFileSync(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
}

/**
 * Starts a server on a fresh, migrated PostgreSQL database with an editor and an admin
 * token. `env` adds or overrides the server's environment (configuration variables); a
 * function of the server's address (`http://127.0.0.1:PORT`) when a setting needs it.
 * Returns `{ url, graphql, databaseUrl, editorToken, adminToken, cli, stop }`.
 */
export async function startServer(env = {}) {
  const name = `territoires_node_${randomBytes(6).toString('hex')}`;
  psql(`CREATE DATABASE ${name}`);
  const base = { DATABASE_URL: databaseUrl(name), RUST_LOG: process.env.RUST_LOG ?? 'warn' };
  let child;
  try {
    cli(base, 'migrate');
    const editorToken = cli(base, 'token', 'create', '--role', 'editor', '--name', 'node-editor');
    const adminToken = cli(base, 'token', 'create', '--role', 'admin', '--name', 'node-admin');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(binary, ['serve'], {
      env: { ...process.env, ...base, BIND_ADDR: `127.0.0.1:${port}`, ...(typeof env === 'function' ? env(url) : env) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitUntilHealthy(url, exited);
    const stop = async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    };
    return {
      url,
      graphql: `${url}/graphql`,
      databaseUrl: base.DATABASE_URL,
      editorToken,
      adminToken,
      cli: (...args) => cli(base, ...args),
      stop,
    };
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw error;
  }
}

async function waitUntilHealthy(url, exited) {
  let gone = false;
  exited.then(() => { gone = true; });
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (gone) throw new Error('territoires exited before answering /healthz');
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`territoires did not answer ${url}/healthz within 30 s`);
}
