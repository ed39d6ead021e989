// Subscriptions with the mainstream clients: graphql-ws (WebSocket, graphql-transport-ws)
// and graphql-sse (Server-Sent Events, distinct connections mode). Changes are made by
// another process (the command line), so they reach the server through PostgreSQL's
// LISTEN/NOTIFY, as writes of another replica would.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { repoRoot, startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ SUBSCRIPTIONS_MAX_PER_CONNECTION: '2' }); });
after(async () => { await server?.stop(); });

const wsUrl = () => server.graphql.replace('http://', 'ws://');
const roster = path.join(repoRoot, 'tests', 'fixtures', 'roster-92-hr-export.xlsx');

/** A graphql-ws client that does not retry, with `token` in `connection_init`. */
function wsClient(token, on = {}) {
  return createWsClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    on,
  });
}

/** Resolves with the next value of an async iterator, within `ms`. */
async function next(iterator, ms = 15000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
  });
  try {
    const { value, done } = await Promise.race([iterator.next(), timeout]);
    assert.equal(done, false, 'the subscription ended early');
    return value;
  } finally {
    clearTimeout(timer);
  }
}

test('graphql-ws: dataChanged reports a write made by the command line', async () => {
  const client = wsClient(null);
  try {
    const events = client.iterate({ query: 'subscription { dataChanged { version initial kinds } }' });
    const first = await next(events);
    assert.equal(first.errors, undefined, JSON.stringify(first));
    assert.equal(first.data.dataChanged.initial, true);
    assert.deepEqual(first.data.dataChanged.kinds, []);
    server.cli('token', 'create', '--role', 'editor', '--name', 'from-the-cli');
    const second = await next(events);
    assert.equal(second.data.dataChanged.initial, false);
    assert.deepEqual(second.data.dataChanged.kinds, ['ACCESS']);
    assert.ok(second.data.dataChanged.version > first.data.dataChanged.version);
    await events.return();
  } finally {
    await client.dispose();
  }
});

test('graphql-ws: an ADMIN follows an import run by the command line to its end', async () => {
  const client = wsClient(server.adminToken);
  try {
    // Subscribed before the import: the server starts operations in the order they
    // come, so once dataChanged (sent second) answers, syncRunFinished listens.
    const finished = client.iterate({ query: 'subscription { syncRunFinished { id status dryRun actor } }' });
    const ended = next(finished);
    const ready = client.iterate({ query: 'subscription { dataChanged { version } }' });
    await next(ready);
    server.cli('sync', '--dry-run', roster);
    const run = await ended;
    assert.equal(run.errors, undefined, JSON.stringify(run));
    assert.equal(run.data.syncRunFinished.status, 'PLANNED');
    assert.equal(run.data.syncRunFinished.dryRun, true);
    assert.equal(run.data.syncRunFinished.actor, 'cli');
    // Two operations per connection here (SUBSCRIPTIONS_MAX_PER_CONNECTION): free one.
    await ready.return();
    // The finished run's progress: one event with its outcome, then completion.
    const progress = [];
    for await (const event of client.iterate({
      query: 'subscription($id: ID!) { syncRunProgress(id: $id) { status phase progressDone progressTotal } }',
      variables: { id: run.data.syncRunFinished.id },
    })) {
      progress.push(event);
    }
    assert.equal(progress.length, 1, JSON.stringify(progress));
    assert.equal(progress[0].data.syncRunProgress.status, 'PLANNED');
    assert.equal(progress[0].data.syncRunProgress.phase, 'VALIDATING');
    await finished.return();
  } finally {
    await client.dispose();
  }
});

test('graphql-ws: an ADMIN learns the id of an import as it starts, then follows it', async () => {
  const client = wsClient(server.adminToken);
  try {
    const started = client.iterate({ query: 'subscription { syncRunStarted { id status dryRun actor } }' });
    const told = next(started);
    const ready = client.iterate({ query: 'subscription { dataChanged { version } }' });
    await next(ready);
    await ready.return();
    server.cli('sync', '--dry-run', roster);
    const run = await told;
    assert.equal(run.errors, undefined, JSON.stringify(run));
    // Recorded RUNNING before the file is read; by the time the server reads the
    // notified row, a small file may be done already.
    assert.ok(['RUNNING', 'PLANNED'].includes(run.data.syncRunStarted.status), JSON.stringify(run));
    assert.equal(run.data.syncRunStarted.dryRun, true);
    assert.equal(run.data.syncRunStarted.actor, 'cli');
    const progress = [];
    for await (const event of client.iterate({
      query: 'subscription($id: ID!) { syncRunProgress(id: $id) { id status } }',
      variables: { id: run.data.syncRunStarted.id },
    })) {
      progress.push(event);
    }
    const last = progress.at(-1);
    assert.equal(last.data.syncRunProgress.id, run.data.syncRunStarted.id);
    assert.equal(last.data.syncRunProgress.status, 'PLANNED');
    await started.return();
  } finally {
    await client.dispose();
  }
});

test('graphql-ws: an unknown token is refused with 4403, an EDITOR cannot follow imports', async () => {
  let closedWith;
  const refused = wsClient('terr_not-a-token', { closed: (event) => { closedWith = event.code; } });
  const events = refused.iterate({ query: 'subscription { dataChanged { version } }' });
  await assert.rejects(events.next(), (error) => error.code === 4403);
  assert.equal(closedWith, 4403);
  await refused.dispose();

  const editor = wsClient(server.editorToken);
  try {
    const result = await next(editor.iterate({ query: 'subscription { syncRunFinished { id } }' }));
    assert.equal(result.errors[0].extensions.code, 'FORBIDDEN', JSON.stringify(result));
  } finally {
    await editor.dispose();
  }
});

test('graphql-ws: a third subscription on one connection is refused, the connection stays', async () => {
  const client = wsClient(null);
  try {
    const query = 'subscription { dataChanged { version } }';
    const a = client.iterate({ query });
    const b = client.iterate({ query });
    await next(a);
    await next(b);
    const c = client.iterate({ query });
    await assert.rejects(c.next(), (errors) =>
      Array.isArray(errors) && errors[0].extensions.code === 'TOO_MANY_SUBSCRIPTIONS');
    // Still open: once a slot is free, a query over the same connection answers.
    await a.return();
    const answer = await next(client.iterate({ query: '{ territories { number } }' }));
    assert.equal(answer.data.territories.length, 7);
    await b.return();
  } finally {
    await client.dispose();
  }
});

test('a malformed message closes the socket with 4400, a missing subprotocol with 4406', async () => {
  const closeOf = (socket) => new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
  const closed = closeOf(socket);
  socket.on('open', () => socket.send('{"type":"connection_init","payload":'));
  assert.equal(await closed, 4400);

  const noProtocol = new WebSocket(wsUrl());
  assert.equal(await closeOf(noProtocol), 4406);
});

test('graphql-sse: dataChanged over an event stream, and errors as events', async () => {
  const client = createSseClient({ url: server.graphql, retryAttempts: 0 });
  try {
    const events = client.iterate({ query: 'subscription { dataChanged { version initial } }' });
    const first = await next(events);
    assert.equal(first.data.dataChanged.initial, true, JSON.stringify(first));
    server.cli('token', 'create', '--role', 'editor', '--name', 'from-the-cli-sse');
    const second = await next(events);
    assert.ok(second.data.dataChanged.version > first.data.dataChanged.version);
    await events.return();

    const invalid = await next(client.iterate({ query: 'subscription { noSuchField }' }));
    assert.equal(invalid.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  } finally {
    client.dispose();
  }

  const refused = createSseClient({
    url: server.graphql,
    retryAttempts: 0,
    headers: { Authorization: 'Bearer terr_not-a-token' },
  });
  try {
    await assert.rejects(refused.iterate({ query: 'subscription { dataChanged { version } }' }).next());
  } finally {
    refused.dispose();
  }
});
