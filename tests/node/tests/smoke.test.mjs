// The harness itself: a server starts on its own PostgreSQL database and answers GraphQL.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('the seeded directory answers over POST', async () => {
  const response = await fetch(server.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ territories { number name } }' }),
  });
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.errors, undefined);
  assert.equal(body.data.territories.length, 7);
});
