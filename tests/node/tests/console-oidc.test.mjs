// The console signs in through a real, OpenID-certified provider (issue 12): oidc-provider
// on 127.0.0.1 with its own login and consent pages; in Debian's Chromium (headless,
// playwright-core, the console's real Content-Security-Policy in force), an administrator
// goes through the authorization code flow with PKCE, lands on the dashboard, and signs
// out through the provider's end_session endpoint; a person without the ADMIN role is
// refused in French.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { chromium } from 'playwright-core';
import { startServer } from '../lib/server.mjs';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CLIENT = 'territoires-console';
const SECRET = 'console-secret';
/** Login → what the provider says of the person. */
const PEOPLE = {
  camille: { name: 'Camille Durand', email: 'camille.durand@hauts-de-seine.fr', roles: ['territoires.admin'] },
  paul: { name: 'Paul Martin', email: 'paul.martin@hauts-de-seine.fr', roles: ['territoires.editeur'] },
};

let provider;
let providerServer;
let issuer;
let server;
let browser;

before(async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'console-rsa-1', use: 'sig', alg: 'RS256' };
  let callback = (_request, response) => { response.statusCode = 503; response.end(); };
  providerServer = createServer((request, response) => {
    callback(request, response);
  });
  await new Promise((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${providerServer.address().port}`;
  server = await startServer((url) => ({
    PUBLIC_URL: url,
    OIDC_ISSUER: issuer,
    OIDC_AUDIENCE: 'api://territoires',
    OIDC_ROLE_CLAIM: 'realm_access.roles',
    OIDC_EDITOR_VALUES: 'territoires.editeur',
    OIDC_ADMIN_VALUES: 'territoires.admin',
    OIDC_CONSOLE_CLIENT_ID: CLIENT,
    OIDC_CONSOLE_CLIENT_SECRET: SECRET,
  }));
  provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT,
      client_secret: SECRET,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${server.url}/admin/connexion/oidc/retour`],
      post_logout_redirect_uris: [`${server.url}/admin/connexion?motif=deconnexion`],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    // PKCE for every client, S256 only: a code without its verifier is refused.
    pkce: { required: () => true },
    claims: { openid: ['sub', 'realm_access'], profile: ['name'], email: ['email'] },
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        name: PEOPLE[id]?.name,
        email: PEOPLE[id]?.email,
        realm_access: { roles: PEOPLE[id]?.roles ?? [] },
      }),
    }),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  callback = provider.callback();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--disable-background-networking', '--no-sandbox'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((resolve) => providerServer?.close(resolve));
});

/** Opens the sign-in page until the server has read the provider's metadata. */
async function startSignIn(page) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    await page.goto(`${server.url}/admin/connexion`);
    await page.getByRole('link', { name: 'Se connecter avec le compte du Département' }).click();
    if (page.url().startsWith(issuer)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the console never reached the provider');
}

async function logInAtProvider(page, login) {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

test('an administrator signs in through the provider and signs out there', async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  const authorizations = [];
  page.on('request', (request) => {
    if (request.url().startsWith(`${issuer}/auth?`)) authorizations.push(new URL(request.url()));
  });
  await startSignIn(page);
  const sent = authorizations.at(-1);
  assert.equal(sent.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(sent.searchParams.get('client_id'), CLIENT);
  await logInAtProvider(page, 'camille');
  await page.waitForURL(`${server.url}/admin`);
  assert.match(await page.locator('.who').innerText(), /Camille Durand/);
  assert.equal(await page.locator('h1').innerText(), 'Tableau de bord');
  const cookies = await context.cookies(`${server.url}/admin`);
  assert.ok(cookies.some((c) => c.name === 'territoires_session' && c.httpOnly));
  assert.ok(!cookies.some((c) => c.name === 'territoires_oidc' && c.value));

  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL(`${server.url}/admin/connexion?motif=deconnexion`);
  assert.match(await page.locator('main').innerText(), /Vous êtes déconnecté/);
  await page.goto(`${server.url}/admin`);
  assert.match(page.url(), /\/admin\/connexion\?motif=connexion$/);
  await context.close();
});

test('a person without the ADMIN role is refused in French', async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  await startSignIn(page);
  await logInAtProvider(page, 'paul');
  await page.waitForURL(/\/admin\/connexion\/oidc\/retour/);
  assert.match(await page.locator('main').innerText(), /n'a pas le rôle d'administrateur/);
  await page.goto(`${server.url}/admin`);
  assert.match(page.url(), /\/admin\/connexion/);
  await context.close();
});
