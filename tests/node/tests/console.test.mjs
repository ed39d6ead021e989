// The administration console in a real browser (Debian's Chromium, headless, driven by
// playwright-core): sign in with the admin token, visit every page, use the forms by
// keyboard, sign out; upload a roster file, read its diff, apply it, see it in the
// history, force a refused file — and axe-core finds no WCAG 2.1 A/AA violation on any
// page. No request may leave the server under test (every asset is embedded).
//
// Every page is also photographed at 1280×800 for the administrator's guide: into a
// temporary folder on a normal run (the step runs, nothing in the repository changes),
// into docs/images/ with SCREENSHOTS=1 (set by `tests/node/screenshots.sh`): the
// console-*.png the guide shows. Nothing compares pixels.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot } from '../lib/server.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const keep = process.env.SCREENSHOTS === '1';
const screenshots = keep
  ? path.join(repoRoot, 'docs', 'images')
  : mkdtempSync(path.join(os.tmpdir(), 'console-screenshots-'));
const taken = [];
let shooting = 0;

let server;
let browser;
let page;
const requests = [];

before(async () => {
  server = await startServer();
  // Two imports to show: the HR export (applied) and a file with a bad e-mail (rejected).
  server.cli('sync', path.join(repoRoot, 'tests', 'fixtures', 'roster-92-hr-export-utf8.csv'));
  const folder = mkdtempSync(path.join(os.tmpdir(), 'console-'));
  const bad = path.join(folder, 'liste.csv');
  writeFileSync(bad, 'Nom;Prénom;Courriel;Territoire\nMartin;Paul;pas-un-courriel;2\n');
  assert.throws(() => server.cli('sync', bad), 'a rejected file exits 1');
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--disable-background-networking', '--no-sandbox'],
  });
  // The console's policy forbids scripts; axe is injected by the test driver itself.
  // A fixed viewport, so that the guide's screenshots keep their size.
  const context = await browser.newContext({
    bypassCSP: true,
    locale: 'fr-FR',
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
  });
  page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (!keep) rmSync(screenshots, { recursive: true, force: true });
});

/**
 * Photographs the visible part of the page as `console-NAME.png` for the guide, after
 * scrolling `selector` (if given) to the top of the view.
 */
async function shot(name, selector) {
  const start = performance.now();
  mkdirSync(screenshots, { recursive: true });
  if (selector) {
    await page.locator(selector).first().evaluate((element) => (element.closest('section') ?? element).scrollIntoView({ block: 'start' }));
  } else {
    await page.evaluate(() => window.scrollTo(0, 0));
  }
  const file = path.join(screenshots, `console-${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  assert.ok(statSync(file).size > 1000, `${file} was written`);
  taken.push(name);
  shooting += performance.now() - start;
}

async function axe(label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    WCAG,
  );
  const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `axe-core violations on ${label}`);
  assert.ok(result.passes.length > 0, `axe-core ran checks on ${label}`);
}

test('an administrator signs in, visits every page and signs out; axe-core finds nothing', async () => {
  await page.goto(`${server.url}/admin`);
  assert.match(page.url(), /\/admin\/connexion\?motif=connexion$/);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.match(await page.textContent('main'), /Veuillez vous connecter/);
  await axe('the sign-in page');
  await shot('connexion');

  // Keyboard only: the skip link comes first, then the token field and the button.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Aller au contenu');
  await page.focus('#jeton');
  await page.keyboard.type(server.adminToken);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/admin`);
  assert.match(await page.textContent('h1'), /Tableau de bord/);
  assert.match(await page.textContent('main'), /Rejeté/);
  await axe('the dashboard');
  await shot('tableau-de-bord');

  await page.click('text=Historique des imports');
  await page.waitForURL(/\/admin\/historique$/);
  assert.match(await page.textContent('main'), /Appliqué/);
  await axe('the history');
  await shot('historique');
  await page.selectOption('#statut', 'REJECTED');
  await page.click('button:has-text("Filtrer")');
  await page.waitForURL(/statut=REJECTED/);
  await page.click('main table a');
  await page.waitForURL(/\/admin\/historique\/\d+$/);
  assert.match(await page.textContent('main'), /Courriel/);
  await axe('a rejected import');
  await shot('import-rejete');
  await page.goto(`${server.url}/admin/historique/1`);
  assert.match(await page.textContent('main'), /Changements/);
  await axe('an applied import');
  await shot('import-applique');

  await page.click('text=Jetons d\'accès');
  await page.waitForURL(/\/admin\/jetons$/);
  await axe('the tokens');
  await page.fill('#nom', 'outil-navigateur');
  await page.selectOption('#role', 'EDITOR');
  await page.click('button:has-text("Créer le jeton")');
  const secret = (await page.textContent('pre.secret')).trim();
  assert.match(secret, /^terr_/);
  await axe('a token just created');
  await shot('jeton-cree');
  await page.click('button[aria-label="Révoquer le jeton outil-navigateur"]');
  assert.match(await page.textContent('main'), /« outil-navigateur » est révoqué/);

  await page.click('text=Journal');
  await page.waitForURL(/\/admin\/journal$/);
  assert.match(await page.textContent('main'), /Jeton d'accès/);
  await axe('the journal');
  await shot('journal');

  await page.click('button:has-text("Se déconnecter")');
  await page.waitForURL(/motif=deconnexion$/);
  assert.match(await page.textContent('main'), /Vous êtes déconnecté/);
  await page.goto(`${server.url}/admin/jetons`);
  assert.match(page.url(), /\/admin\/connexion/);

  const elsewhere = requests.filter((url) => !url.startsWith(server.url));
  assert.deepEqual(elsewhere, [], 'every request stays on the server under test');
});

/** Focuses `selector` and presses Enter: the keyboard's way to follow a link or submit. */
async function activate(selector) {
  await page.focus(selector);
  await page.keyboard.press('Enter');
}

test('an administrator uploads a roster by keyboard, reads the diff, applies it and forces a refused one', async () => {
  await page.goto(`${server.url}/admin/connexion`);
  await page.focus('#jeton');
  await page.keyboard.type(server.adminToken);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/admin`);

  // The HR export applied in `before`, with one phone changed and one person added.
  const folder = mkdtempSync(path.join(os.tmpdir(), 'console-upload-'));
  const exported = readFileSync(path.join(repoRoot, 'tests', 'fixtures', 'roster-92-hr-export-utf8.csv'), 'utf8');
  const changed = exported.replace('0668176250', '0668176251')
    + '104249,DUPONT,Claire,"Direction de l\'éducation, de la citoyenneté et des collèges",Service des actions éducatives et de la citoyenneté (SAEC),Coordonnatrice de territoire 2,Territoire 2,0611223344,cdupont@hauts-de-seine.fr,2026-11-01\n';
  assert.notEqual(changed, exported);
  const file = path.join(folder, 'liste-decembre.csv');
  writeFileSync(file, changed);

  await activate('header nav a:has-text("Déposer une liste")');
  await page.waitForURL(/\/admin\/deposer$/);
  assert.match(await page.textContent('h1'), /Déposer une liste/);
  await axe('the upload form');
  await shot('deposer');
  // The file dialog is the system's; the rest by keyboard: Tab to the button, Enter.
  await page.setInputFiles('#fichier', file);
  await page.focus('#fichier');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Lancer l'essai à blanc");
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:has-text("Essai à blanc")');
  const plan = await page.textContent('main');
  assert.match(plan, /Ajouts \(1\)/);
  assert.match(plan, /DUPONT Claire/);
  assert.match(plan, /Modifications \(1\)/);
  assert.match(plan, /\+33668176250\s*→\s*\+33668176251/);
  assert.match(plan, /Rien n'a encore été modifié/);
  await axe('a dry run');
  await shot('essai-a-blanc');
  await shot('essai-a-blanc-changements', '#changements');

  await activate('button:has-text("Appliquer ces changements")');
  await page.waitForURL(/\/admin\/historique\/\d+$/);
  const applied = page.url();
  assert.match(await page.textContent('main'), /Appliqué/);
  assert.match(await page.textContent('main'), /liste-decembre\.csv/);
  await axe('the applied upload');

  await activate('header nav a:has-text("Historique des imports")');
  await page.waitForURL(/\/admin\/historique$/);
  const firstRow = await page.textContent('main tbody tr');
  assert.match(firstRow, /Appliqué/);
  assert.match(firstRow, /liste-decembre\.csv/);
  assert.match(firstRow, /node-admin/);
  await page.goto(applied);
  const download = await page.getAttribute('a:has-text("télécharger le fichier déposé")', 'href');
  const kept = await page.evaluate(async (href) => (await fetch(href)).text(), download);
  assert.equal(kept, changed, 'the file kept is the one uploaded');

  await activate('header nav a:has-text("Coordonnateurs")');
  await page.waitForURL(/\/admin\/coordonnateurs$/);
  assert.match(await page.textContent('main'), /DUPONT Claire/);
  await axe('the roster by territory');
  await shot('coordonnateurs');

  // A file naming one person: refused by the guard; forced with the box ticked by Space.
  const one = path.join(folder, 'une-personne.csv');
  writeFileSync(one, 'Nom;Prénom;Courriel;Territoire\nLARA;Sandrine;slara@hauts-de-seine.fr;1\n');
  await activate('header nav a:has-text("Déposer une liste")');
  await page.waitForURL(/\/admin\/deposer$/);
  await page.setInputFiles('#fichier', one);
  await activate('button:has-text("Lancer l\'essai à blanc")');
  await page.waitForSelector('h1:has-text("Essai à blanc")');
  assert.match(await page.textContent('main'), /Territoires laissés sans coordonnateur/);
  assert.match(await page.textContent('main'), /Refusé/);
  await axe('a refused dry run with its force form');
  // Without the box ticked, the browser does not send the form.
  await activate('button:has-text("Forcer l\'import")');
  assert.match(await page.textContent('h1'), /Essai à blanc/);
  await page.focus('#confirmer');
  await page.keyboard.press('Space');
  assert.equal(await page.isChecked('#confirmer'), true);
  await shot('forcer', 'section.danger-zone');
  await page.focus('#confirmer');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Forcer l'import");
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/admin\/historique\/\d+$/);
  assert.match(await page.textContent('main'), /Appliqué/);
  assert.match(await page.textContent('main'), /forcé/);

  // The refused dry run's history entry offers the kept file and "Relancer en forçant".
  await page.goto(`${server.url}/admin/historique?statut=REFUSED`);
  await activate('main tbody tr a');
  await page.waitForURL(/\/admin\/historique\/\d+$/);
  assert.match(await page.textContent('main'), /Relancer en forçant/);
  assert.match(await page.textContent('main'), /télécharger le fichier déposé/);
  await axe('a refused import with its force form');
  await shot('import-refuse');

  const elsewhere = requests.filter((url) => !url.startsWith(server.url));
  assert.deepEqual(elsewhere, [], 'every request stays on the server under test');
});

test('every console page was photographed for the guide', (t) => {
  t.diagnostic(`${taken.length} screenshots in ${Math.round(shooting)} ms, in ${screenshots}`);
  assert.deepEqual(taken.sort(), [
    'connexion', 'coordonnateurs', 'deposer', 'essai-a-blanc', 'essai-a-blanc-changements', 'forcer', 'historique',
    'import-applique', 'import-refuse', 'import-rejete', 'jeton-cree', 'journal', 'tableau-de-bord',
  ]);
});
