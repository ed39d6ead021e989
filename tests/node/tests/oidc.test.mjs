// People's access tokens from a real, OpenID-certified provider (issue 12): oidc-provider
// on 127.0.0.1 issues JWT access tokens (resource indicators, `accessTokenFormat: 'jwt'`)
// to client-credentials clients whose extra claims carry their roles; the server, on
// PostgreSQL, checks them against the provider's discovery document and keys.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { startServer } from '../lib/server.mjs';

const AUDIENCE = 'api://territoires';
/** Client id → what its tokens carry besides the standard claims. */
const CLIENTS = {
  'coordination-editor': { name: 'Camille Durand', email: 'camille.durand@hauts-de-seine.fr', roles: ['territoires.editeur'] },
  'coordination-admin': { name: 'Dominique Admin', roles: ['territoires.admin'] },
  'coordination-reader': { name: 'Sans Rôle', roles: ['autre'] },
};

let provider;
let providerServer;
let issuer;
let server;

async function listen(handler) {
  const http = createServer(handler);
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return http;
}

before(async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'node-rsa-1', use: 'sig', alg: 'RS256' };
  // The port is known once listening; the provider is created then and mounted.
  let callback = (_request, response) => { response.statusCode = 503; response.end(); };
  providerServer = await listen((request, response) => callback(request, response));
  issuer = `http://127.0.0.1:${providerServer.address().port}`;
  provider = new Provider(issuer, {
    clients: Object.keys(CLIENTS).map((id) => ({
      client_id: id,
      client_secret: `${id}-secret`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== AUDIENCE) throw new Error(`unknown resource ${resource}`);
          return { scope: 'territoires', audience: AUDIENCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    extraTokenClaims: (_ctx, token) => {
      const extra = CLIENTS[token.clientId];
      return extra ? { ...extra, realm_access: { roles: extra.roles } } : {};
    },
  });
  callback = provider.callback();
  server = await startServer({
    OIDC_ISSUER: issuer,
    OIDC_AUDIENCE: AUDIENCE,
    OIDC_ROLE_CLAIM: 'realm_access.roles',
    OIDC_EDITOR_VALUES: 'territoires.editeur',
    OIDC_ADMIN_VALUES: 'territoires.admin',
  });
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => providerServer?.close(resolve));
});

async function accessToken(clientId) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: `${clientId}-secret`,
      resource: AUDIENCE,
      scope: 'territoires',
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.access_token.split('.').length, 3, 'a JWT access token');
  return body.access_token;
}

async function graphql(token, query, variables = {}) {
  const response = await fetch(server.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

const VIEWER = '{ viewer { kind name role subject email } }';

test("the provider's access tokens give each client its role", async () => {
  const editor = await graphql(await accessToken('coordination-editor'), VIEWER);
  assert.deepEqual(editor.body, { data: { viewer: {
    kind: 'PERSON', name: 'Camille Durand', role: 'EDITOR',
    subject: 'coordination-editor', email: 'camille.durand@hauts-de-seine.fr',
  } } });
  const admin = await graphql(await accessToken('coordination-admin'), VIEWER);
  assert.equal(admin.body.data.viewer.role, 'ADMIN');
  const reader = await graphql(await accessToken('coordination-reader'), VIEWER);
  assert.equal(reader.body.data.viewer.role, null);
});

test('a write with an access token is audited under the person', async () => {
  const editor = await accessToken('coordination-editor');
  const created = await graphql(
    editor,
    'mutation { createProject(input: {title: "Projet OIDC", territories: [2], axes: [WELLBEING]}) { project { id } } }',
  );
  assert.equal(created.body.errors, undefined, JSON.stringify(created.body));
  const id = created.body.data.createProject.project.id;
  const log = await graphql(
    await accessToken('coordination-admin'),
    'query($id: ID!) { auditLog(entityId: $id) { edges { node { actor author { kind name subject email } } } } }',
    { id },
  );
  assert.deepEqual(log.body.data.auditLog.edges[0].node, {
    actor: 'Camille Durand',
    author: { kind: 'PERSON', name: 'Camille Durand', subject: 'coordination-editor', email: 'camille.durand@hauts-de-seine.fr' },
  });
});

test('a tampered provider token is refused', async () => {
  const token = await accessToken('coordination-reader');
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  claims.realm_access = { roles: ['territoires.admin'] };
  const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  const refused = await graphql(forged, VIEWER);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  assert.match(refused.body.errors[0].message, /signature/);
});
