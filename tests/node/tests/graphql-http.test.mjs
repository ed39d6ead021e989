// GraphQL over HTTP with mainstream clients and their defaults: urql (queries over GET),
// Apollo Client 4 with automatic persisted queries (hashed queries over GET, the document
// sent after PersistedQueryNotFound), and HTTP revalidation with ETag / 304.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Client, cacheExchange, fetchExchange, gql as urqlGql } from '@urql/core';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

/** A `fetch` that records the method and URL of every request. */
function recordingFetch() {
  const calls = [];
  const recorded = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url;
    calls.push({ method: (init.method ?? 'GET').toUpperCase(), url, body: init.body });
    return fetch(input, init);
  };
  return { calls, fetch: recorded };
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

test('urql with its defaults queries over GET and reads the answer', async () => {
  const { calls, fetch } = recordingFetch();
  const client = new Client({ url: server.graphql, exchanges: [cacheExchange, fetchExchange], fetch });
  const result = await client
    .query(urqlGql`query Territory($n: Int!) { territory(number: $n) { number name } }`, { n: 2 })
    .toPromise();
  assert.equal(result.error, undefined, String(result.error));
  assert.equal(result.data.territory.number, 2);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].method, 'GET', 'urql sends queries as GET by default');
});

test('urql reports a validation error as a GraphQL error, not a network one', async () => {
  const client = new Client({ url: server.graphql, exchanges: [fetchExchange] });
  const result = await client.query(urqlGql`{ territory(number: 1) { nope } }`, {}).toPromise();
  assert.equal(result.error.networkError, undefined);
  assert.equal(result.error.graphQLErrors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
});

test('Apollo Client 4 with persisted queries: hash over GET, document after a miss, hash only after', async () => {
  const query = gql`query Territories { territories { number name } }`;
  const client = () => {
    const recorder = recordingFetch();
    const link = new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
      new HttpLink({ uri: server.graphql, fetch: recorder.fetch }),
    );
    return { recorder, apollo: new ApolloClient({ link, cache: new InMemoryCache() }) };
  };

  const first = client();
  const { data } = await first.apollo.query({ query });
  assert.equal(data.territories.length, 7);
  assert.deepEqual(first.recorder.calls.map((c) => c.method), ['GET', 'POST'], 'a miss, then the document');
  assert.ok(new URL(first.recorder.calls[0].url).searchParams.get('extensions').includes('sha256Hash'));
  assert.equal(new URL(first.recorder.calls[0].url).searchParams.get('query'), null, 'the hash alone');
  assert.ok(JSON.parse(first.recorder.calls[1].body).query.includes('territories'));

  // Another client (another browser): the server knows the hash now.
  const second = client();
  const again = await second.apollo.query({ query });
  assert.deepEqual(again.data, data);
  assert.deepEqual(second.recorder.calls.map((c) => c.method), ['GET']);
});

test('a hash-only request for an unknown document is answered PersistedQueryNotFound', async () => {
  const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256('{ unknown }') } });
  const response = await fetch(`${server.graphql}?extensions=${encodeURIComponent(extensions)}`);
  const body = await response.json();
  assert.equal(body.errors[0].message, 'PersistedQueryNotFound');
  assert.equal(body.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
});

test('an anonymous GET answer revalidates with ETag and 304 until the data changes', async () => {
  const url = `${server.graphql}?query=${encodeURIComponent('{ territory(number: 1) { number name } }')}`;
  const first = await fetch(url);
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  assert.match(first.headers.get('cache-control'), /^public, max-age=\d+$/);
  assert.match(first.headers.get('vary'), /Accept/);
  await first.json();

  const revalidated = await fetch(url, { headers: { 'if-none-match': etag } });
  assert.equal(revalidated.status, 304);

  // An editor changes the data: the tag no longer matches.
  const changed = await fetch(server.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.editorToken}` },
    body: JSON.stringify({
      query: 'mutation { createProject(input: {title: "ETag", territories: [1], axes: [WELLBEING]}) { project { id } } }',
    }),
  });
  const written = await changed.json();
  assert.equal(written.errors, undefined, JSON.stringify(written));
  const after = await fetch(url, { headers: { 'if-none-match': etag } });
  assert.equal(after.status, 200);
  assert.notEqual(after.headers.get('etag'), etag);

  // With a token: never stored by a shared cache.
  const authenticated = await fetch(url, { headers: { authorization: `Bearer ${server.editorToken}` } });
  assert.equal(authenticated.headers.get('etag'), null);
  assert.match(authenticated.headers.get('cache-control'), /no-store/);
});

test('a mutation over GET is refused with 405 and Allow: POST', async () => {
  const query = 'mutation { createProject(input: {title: "GET", territories: [1], axes: [WELLBEING]}) { project { id } } }';
  const response = await fetch(`${server.graphql}?query=${encodeURIComponent(query)}`, {
    headers: { authorization: `Bearer ${server.editorToken}` },
  });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get('allow'), 'POST');
  const body = await response.json();
  assert.equal(body.errors[0].extensions.code, 'METHOD_NOT_ALLOWED');
});
