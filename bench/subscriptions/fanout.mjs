// Subscription fan-out: N subscribers to `dataChanged` (graphql-ws over WebSocket and,
// optionally, graphql-sse over Server-Sent Events, one connection per subscriber), then
// K real writes (an EDITOR's `updatePartner` mutation over HTTP), and for each write the
// time until each subscriber has the new data version. Run by bench/subscriptions.sh,
// which starts the server; the clients are the locked packages of tests/node.
//
// Environment:
//   GRAPHQL_URL    http://127.0.0.1:PORT/graphql (required)
//   EDITOR_TOKEN   a token with the EDITOR role, for the mutation (required)
//   SERVER_PID     the server's process id, for its RSS and CPU time (optional)
//   SUBSCRIBERS=1000  per transport
//   TRANSPORTS=ws     ws, sse or ws,sse
//   CHANGES=20        writes measured
//   GAP_MS=250        pause after every subscriber got a write, before the next one
//   OPEN_BATCH=100    subscribers opened at once while connecting
//   CHANGE_TIMEOUT_MS=30000
//   RESULT_JSON       where to write the raw results (optional)
//
// Times are wall-clock milliseconds (performance.timeOrigin + performance.now()), the
// same clock as the server's `at` (both processes run on this machine).
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Resolve the clients from tests/node, whose package-lock.json pins them.
const require = createRequire(path.resolve(here, '..', '..', 'tests', 'node', 'package.json'));
const WebSocket = require('ws');
const { createClient: createWsClient } = require('graphql-ws');
const { createClient: createSseClient } = require('graphql-sse');

const env = process.env;
const url = env.GRAPHQL_URL;
const token = env.EDITOR_TOKEN;
if (!url || !token) {
  console.error('GRAPHQL_URL and EDITOR_TOKEN are required');
  process.exit(2);
}
const subscribers = Number(env.SUBSCRIBERS ?? 1000);
const transports = (env.TRANSPORTS ?? 'ws').split(',').map((t) => t.trim()).filter(Boolean);
const changes = Number(env.CHANGES ?? 20);
const gapMs = Number(env.GAP_MS ?? 250);
const openBatch = Number(env.OPEN_BATCH ?? 100);
const changeTimeoutMs = Number(env.CHANGE_TIMEOUT_MS ?? 30000);
const serverPid = env.SERVER_PID ? Number(env.SERVER_PID) : null;
for (const t of transports) {
  if (t !== 'ws' && t !== 'sse') {
    console.error(`unknown transport ${t} (ws, sse)`);
    process.exit(2);
  }
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const SUBSCRIPTION = 'subscription { dataChanged { version initial at } }';

// Server process figures -----------------------------------------------------------------

const ticksPerSecond = 100; // USER_HZ on Linux
function serverStats() {
  if (!serverPid) return null;
  try {
    const status = readFileSync(`/proc/${serverPid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    // Fields after the command name (which is in parentheses and may hold spaces).
    const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime + stime
    return { at: now(), rssKb, threads, cpuS, fds: countFds() };
  } catch {
    return null;
  }
}
function countFds() {
  try {
    return readdirSync(`/proc/${serverPid}/fd`).length;
  } catch {
    return null;
  }
}
function clientCpuS() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

// Subscribers ----------------------------------------------------------------------------

/**
 * One subscriber: its own client (so its own WebSocket or SSE connection) and one
 * `dataChanged` subscription. `events` holds every event after the initial one.
 */
function subscribe(transport, index) {
  const sub = { transport, index, initial: null, events: [], error: null, client: null };
  sub.client = transport === 'ws'
    ? createWsClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      // The bench counts its own timing; keep the client's keep-alive off the wire.
      keepAlive: 0,
    })
    : createSseClient({ url, retryAttempts: 0 });
  sub.ready = new Promise((resolve, reject) => {
    sub.dispose = sub.client.subscribe({ query: SUBSCRIPTION }, {
      next: (result) => {
        const received = now();
        const change = result?.data?.dataChanged;
        if (!change) {
          sub.error = JSON.stringify(result);
          reject(new Error(`${transport} #${index}: ${sub.error}`));
          return;
        }
        const event = { version: change.version, at: Date.parse(change.at), received };
        if (change.initial) {
          sub.initial = event;
          resolve();
        } else {
          sub.events.push(event);
          waiter?.();
        }
      },
      error: (error) => {
        sub.error = String(error?.message ?? JSON.stringify(error));
        reject(new Error(`${transport} #${index}: ${sub.error}`));
      },
      complete: () => {
        if (!sub.initial) reject(new Error(`${transport} #${index}: completed before its first event`));
      },
    });
  });
  return sub;
}

/** Called on every non-initial event while a write is being waited for. */
let waiter = null;

async function close(sub) {
  try {
    sub.dispose?.();
    await sub.client.dispose();
  } catch {
    // Closing at the end: nothing to report.
  }
}

// The write ------------------------------------------------------------------------------

async function graphql(query, variables) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) throw new Error(`${response.status} ${JSON.stringify(body)}`);
  return body.data;
}

// Statistics -----------------------------------------------------------------------------

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}
function summary(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    min: sorted[0],
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}

// The run --------------------------------------------------------------------------------

async function main() {
  const partner = (await graphql('{ partners(first: 1) { nodes { id version } } }')).partners.nodes[0];
  if (!partner) throw new Error('no partner to update (is the database seeded?)');
  let partnerVersion = partner.version;
  let writes = 0;
  /** One real write: the EDITOR renames the partner's contact. */
  async function write() {
    const sent = now();
    const data = await graphql(
      'mutation($id: ID!, $v: Int!, $name: String) { updatePartner(id: $id, expectedVersion: $v, input: { contactName: $name }) { partner { version updatedAt } } }',
      { id: partner.id, v: partnerVersion, name: `Bench ${process.pid} ${writes}` },
    );
    writes += 1;
    const answered = now();
    partnerVersion = data.updatePartner.partner.version;
    // The write's own time, taken before its transaction began: commit comes after it.
    const written = Date.parse(data.updatePartner.partner.updatedAt);
    return { sent, answered, written };
  }

  // The same writes with no subscriber: what a write costs the server by itself.
  const baselineWrites = Number(env.BASELINE_WRITES ?? 3);
  const beforeBaseline = serverStats();
  const baselineTimes = [];
  for (let k = 0; k < baselineWrites; k += 1) {
    const { sent, answered } = await write();
    baselineTimes.push(answered - sent);
    await sleep(gapMs);
  }
  const idle = serverStats();
  const baselineStart = beforeBaseline?.at;
  const clientCpuStart = clientCpuS();
  const openStart = now();
  const subs = [];
  for (const transport of transports) {
    for (let start = 0; start < subscribers; start += openBatch) {
      const batch = [];
      for (let i = start; i < Math.min(subscribers, start + openBatch); i += 1) {
        const sub = subscribe(transport, i);
        subs.push(sub);
        batch.push(sub.ready);
      }
      await Promise.all(batch);
    }
  }
  const openS = (now() - openStart) / 1000;
  const subscribed = serverStats();
  const versions = new Set(subs.map((s) => s.initial.version));
  process.stderr.write(`${subs.length} subscribers got their initial event in ${openS.toFixed(2)} s`
    + ` (data version ${[...versions].join(', ')})\n`);
  await sleep(500);

  const perChange = [];
  for (let k = 0; k < changes; k += 1) {
    const expected = k + 1; // events each subscriber should hold after this write
    const done = () => subs.every((s) => s.events.length >= expected);
    const allIn = new Promise((resolve) => {
      waiter = () => { if (done()) resolve(true); };
    });
    const timeout = sleep(changeTimeoutMs).then(() => false);
    const { sent, answered, written } = await write();
    const complete = done() || (await Promise.race([allIn, timeout]));
    waiter = null;
    const got = subs.map((s) => s.events[k]).filter(Boolean);
    const version = got.length ? Math.max(...got.map((e) => e.version)) : null;
    const firstAt = Math.min(...got.map((e) => e.at));
    perChange.push({
      sent,
      answered,
      version,
      missing: subs.length - got.length,
      sameVersion: got.every((e) => e.version === version),
      fromSent: got.map((e) => e.received - sent),
      written,
      fromWrite: got.map((e) => e.received - written),
      fromAnswer: got.map((e) => e.received - answered),
      // From the moment the server produced the first subscriber's event (it learnt of
      // the commit through NOTIFY just before): server fan-out plus delivery.
      fromFirstAt: got.map((e) => e.received - firstAt),
      serverSpan: Math.max(...got.map((e) => e.at)) - firstAt,
      lastFromSent: Math.max(...got.map((e) => e.received)) - sent,
      lastFromWrite: Math.max(...got.map((e) => e.received)) - written,
      lastFromAnswer: Math.max(...got.map((e) => e.received)) - answered,
      mutationMs: answered - sent,
      byTransport: Object.fromEntries(transports.map((t) => [t,
        subs.filter((s) => s.transport === t && s.events[k]).map((s) => s.events[k].received - written)])),
    });
    if (!complete) {
      process.stderr.write(`write ${k + 1}: ${subs.length - got.length} subscribers had nothing after ${changeTimeoutMs} ms\n`);
      break;
    }
    await sleep(gapMs);
  }
  const afterChanges = serverStats();
  const clientCpu = clientCpuS() - clientCpuStart;

  const flat = (key) => perChange.flatMap((c) => c[key]);
  const result = {
    subscribers,
    transports,
    total: subs.length,
    changes: perChange.length,
    openSeconds: openS,
    missing: perChange.reduce((n, c) => n + c.missing, 0),
    versionMismatch: perChange.filter((c) => !c.sameVersion).length,
    errors: subs.filter((s) => s.error).length,
    latency: {
      fromWrite: summary(flat('fromWrite')),
      fromAnswer: summary(flat('fromAnswer')),
      fromSent: summary(flat('fromSent')),
      fromFirstAt: summary(flat('fromFirstAt')),
      lastFromWrite: summary(perChange.map((c) => c.lastFromWrite)),
      lastFromAnswer: summary(perChange.map((c) => c.lastFromAnswer)),
      lastFromSent: summary(perChange.map((c) => c.lastFromSent)),
      serverSpan: summary(perChange.map((c) => c.serverSpan)),
      mutation: summary(perChange.map((c) => c.mutationMs)),
      byTransport: Object.fromEntries(transports.map((t) => [t, summary(perChange.flatMap((c) => c.byTransport[t]))])),
    },
    server: {
      idle,
      subscribed,
      afterChanges,
      cpuSubscribing: subscribed && idle ? subscribed.cpuS - idle.cpuS : null,
      cpuChanges: afterChanges && subscribed ? afterChanges.cpuS - subscribed.cpuS : null,
      baselineWrites,
      cpuBaseline: idle && beforeBaseline ? idle.cpuS - beforeBaseline.cpuS : null,
      baselineWallS: idle && baselineStart ? (idle.at - baselineStart) / 1000 : null,
      baselineMutation: baselineWrites ? summary(baselineTimes) : null,
      changesWallS: perChange.length ? (perChange.at(-1).answered - perChange[0].sent) / 1000 : null,
    },
    clientCpuS: clientCpu,
  };
  if (env.RESULT_JSON) {
    writeFileSync(env.RESULT_JSON, JSON.stringify({ result, perChange: perChange.map(({ fromWrite, fromSent, fromAnswer, fromFirstAt, byTransport, ...rest }) => rest) }, null, 2));
  }
  await Promise.all(subs.map(close));
  printReport(result);
  return result.missing === 0 && result.errors === 0 && result.versionMismatch === 0 ? 0 : 1;
}

function ms(value) {
  return Number.isFinite(value) ? `${value.toFixed(1)} ms` : '—';
}
function mib(kb) {
  return kb == null ? '—' : `${(kb / 1024).toFixed(1)} MiB`;
}

function printReport(r) {
  const l = r.latency;
  const row = (name, x) => `| ${name} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} | ${ms(x.max)} |`;
  console.log(`${r.total} subscribers to \`dataChanged\` (${r.subscribers} per transport: ${r.transports.join(' + ')}, `
    + `one connection each), ${r.changes} writes (EDITOR \`updatePartner\`), all subscribed in ${r.openSeconds.toFixed(2)} s; `
    + `missed events: ${r.missing}, errors: ${r.errors}`);
  console.log();
  console.log('| latency of one write to one subscriber | p50 | p95 | p99 | max |');
  console.log('|---|--:|--:|--:|--:|');
  console.log(row(`from the write (its \`updatedAt\`, before commit), all ${l.fromWrite.n} receipts`, l.fromWrite));
  if (r.transports.length > 1) {
    for (const t of r.transports) console.log(row(`… ${t} subscribers only`, l.byTransport[t]));
  }
  console.log(row('from the mutation\'s request (client side)', l.fromSent));
  console.log(row('from the server\'s first event for the write (`at`)', l.fromFirstAt));
  console.log(row(`**last of the ${r.total} subscribers**, from the write (per write)`, l.lastFromWrite));
  console.log(row('last subscriber, from the mutation\'s request', l.lastFromSent));
  console.log(row('server: first to last event produced (`at` span)', l.serverSpan));
  console.log(row('the mutation\'s round trip, with subscribers', l.mutation));
  const s = r.server;
  if (s.baselineMutation) console.log(row(`the mutation's round trip, no subscriber (${s.baselineWrites} writes)`, s.baselineMutation));
  if (s.idle) {
    console.log();
    console.log('| server | RSS | threads | open fds |');
    console.log('|---|--:|--:|--:|');
    console.log(`| before subscribing | ${mib(s.idle.rssKb)} | ${s.idle.threads} | ${s.idle.fds ?? '—'} |`);
    console.log(`| ${r.total} subscribed | ${mib(s.subscribed?.rssKb)} | ${s.subscribed?.threads ?? '—'} | ${s.subscribed?.fds ?? '—'} |`);
    console.log(`| after the writes | ${mib(s.afterChanges?.rssKb)} | ${s.afterChanges?.threads ?? '—'} | ${s.afterChanges?.fds ?? '—'} |`);
    console.log();
    const perWrite = (cpu, n) => `${((cpu ?? 0) * 1000 / Math.max(1, n)).toFixed(1)} ms`;
    console.log(`Server CPU time: ${s.cpuSubscribing?.toFixed(2)} s to accept the ${r.total} subscriptions `
      + `(${r.openSeconds.toFixed(2)} s wall); ${perWrite(s.cpuChanges, r.changes)} per write with ${r.total} subscribers `
      + `(${s.cpuChanges?.toFixed(2)} s for ${r.changes} writes, the mutation included), `
      + `${perWrite(s.cpuBaseline, s.baselineWrites)} per write with none; `
      + `${(100 * (s.cpuChanges ?? 0) / Math.max(1e-9, s.changesWallS ?? 0)).toFixed(0)} % of one core over the ${s.changesWallS?.toFixed(1)} s of writes. `
      + `Bench client (one Node process, all subscribers): ${r.clientCpuS.toFixed(2)} s CPU.`);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
