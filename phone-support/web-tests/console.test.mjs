// The agents' web console in a real browser: headless Debian chromium driven by
// playwright-core, every page and state checked by axe-core (WCAG 2.1 A and AA), with
// screenshots kept. Started by tests/tests/web_console_browser.rs, which runs the service,
// the console and a fake SIP line and passes their addresses in the environment:
//   CONSOLE_URL, NOLINE_URL (a console whose line is down), LINE_URL (the fake line),
//   SERIAL (a blocked device), PERSON, PASSWORD (of agents alice and bob), ARTEFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/tests/web_console_browser.rs`);
  return value;
};
const CONSOLE = env('CONSOLE_URL');
const NOLINE = env('NOLINE_URL');
const LINE = env('LINE_URL');
const SERIAL = env('SERIAL');
const PERSON = env('PERSON');
const PASSWORD = env('PASSWORD');
const ARTEFACTS = env('ARTEFACTS');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let context;
let profile;
let page;
const results = [];

before(async () => {
  mkdirSync(ARTEFACTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
    viewport: { width: 1100, height: 800 },
  });
  page = context.pages()[0] || await context.newPage();
});

after(async () => {
  writeFileSync(join(ARTEFACTS, 'axe-results.json'), JSON.stringify(results, null, 2));
  console.log('axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa): violations per page and state');
  for (const r of results) console.log(`  ${String(r.violations).padStart(2)}  ${r.name}`);
  if (context) await context.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Runs axe-core on the page as it is now, saves a screenshot, and asserts no violation. */
async function axe(name, on = page) {
  await on.evaluate(AXE);
  const found = await on.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  }, TAGS);
  results.push({ name, violations: found.length, ids: found.map((v) => v.id) });
  await on.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });
  assert.deepEqual(found, [], `axe-core on ${name}`);
}

async function line(path, body) {
  const response = await fetch(`${LINE}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return response.json();
}

function call(id, serial) {
  return { id, state: 'queued', lang: 'da', flow: 'code-refused', steps: ['what-happened'], serial,
    caller: 'sip:caller@127.0.0.1', callback: null, in_call_secs: 40, waited_secs: 35, position: 1, agent: null };
}

/** Presses Tab until `selector` has the focus (at most `limit` presses). */
async function tabTo(selector, limit = 60) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement === document.querySelector(s), selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

async function signIn(on, name, password, lang = 'en') {
  await on.goto(`${CONSOLE}/signin?lang=${lang}`);
  await on.fill('#name', name);
  await on.fill('#password', password);
  await on.click('button[type=submit]');
}

test('the sign-in page, and a wrong password', async () => {
  await page.goto(`${CONSOLE}/signin`);
  assert.equal(await page.getAttribute('html', 'lang'), 'da');
  await axe('01-sign-in-da');
  await signIn(page, 'alice', 'not the password');
  await page.getByText('Wrong name or password.').waitFor();
  await axe('02-sign-in-wrong-password');
});

test('a sign-in form whose CSRF token was changed is refused', async () => {
  await page.goto(`${CONSOLE}/signin?lang=en`);
  await page.fill('#name', 'alice');
  await page.fill('#password', PASSWORD);
  await page.evaluate(() => { document.querySelector('input[name=csrf]').value = 'forged'; });
  await page.click('button[type=submit]');
  await page.getByText('did not come from this console').waitFor();
  await axe('03-sign-in-csrf-refused');
});

test('signed in: the calls from the line, live', async () => {
  await line('/test/calls', [call('c-1', SERIAL)]);
  await signIn(page, 'alice', PASSWORD);
  await page.waitForURL(`${CONSOLE}/`);
  await page.locator('#take-c-1').waitFor();
  await axe('04-calls');
  // A new call arrives: the table changes without a reload and the live region says so.
  await line('/test/calls', [call('c-1', SERIAL), call('c-2', null)]);
  await page.locator('#take-c-2').waitFor();
  await page.waitForFunction(() => document.getElementById('announce').textContent.includes('2'));
  assert.equal(await page.textContent('#announce'), 'Calls waiting for an agent: 2.');
  await axe('05-calls-new-call-announced');
});

test('a form with a forged CSRF token is refused once signed in', async () => {
  await page.goto(`${CONSOLE}/device`);
  await page.fill('#serial', SERIAL);
  await page.evaluate(() => { document.querySelector('main input[name=csrf]').value = 'forged'; });
  await page.click('main button[type=submit]');
  await page.getByText('did not come from this console').waitFor();
  await axe('06-form-csrf-refused');
});

test('a blocked device is looked up and its block lifted after confirming', async () => {
  await page.goto(`${CONSOLE}/device`);
  await axe('07-device-look-up');
  await page.fill('#serial', SERIAL);
  await page.click('main button[type=submit]');
  await page.getByText('Blocked until').waitFor();
  assert.equal(await page.textContent('main'), (await page.textContent('main')).replace(/\b\d{6}\b/g, ''),
    'no six-digit code on the device page');
  await axe('08-device-blocked');
  await page.click('text=Lift the block');
  await page.getByText(`Lift the block on ${SERIAL}?`).waitFor();
  await axe('09-unlock-confirm');
  await page.click('text=Yes, lift the block');
  await page.getByText(`The block on ${SERIAL} is lifted.`).waitFor();
  await page.getByText('Not blocked').waitFor();
  await axe('10-device-unlocked');
});

test('a new activation code is issued after confirming and never shown', async () => {
  await page.goto(`${CONSOLE}/device/${SERIAL}/activation`);
  await axe('11-activation-form');
  await page.fill('#user', PERSON);
  await page.check('#channel-sms');
  await page.click('main button[type=submit]');
  await page.getByText(`Issue a new activation code for ${SERIAL}`).waitFor();
  await axe('12-activation-confirm');
  await page.click('text=Yes, issue the code');
  await page.getByText('A new activation code is on its way by SMS').waitFor();
  await axe('13-activation-issued');
});

test('guides: the list, a documents check and a witness check inline', async () => {
  await page.goto(`${CONSOLE}/flows`);
  await axe('14-guides');
  await page.goto(`${CONSOLE}/flows/get-mitid`);
  await page.check('#doc-health-card');
  await page.check('#doc-tax-statement');
  await page.click('text=Check >> nth=-1');
  await page.getByText('The documents are enough.').waitFor();
  await axe('15-guide-documents-checked');
  await page.goto(`${CONSOLE}/flows/get-mitid?keys=211`);
  await page.fill('#cpr', '150609-4123');
  await page.fill('#mitid_since', '2020-01-01');
  await page.click('main form button[type=submit] >> nth=0');
  await page.getByText('The witness cannot vouch.').waitFor();
  await page.getByText('Not met: age').waitFor();
  await axe('16-guide-witness-checked');
});

test('a whole call by keyboard alone: take it, follow the guide, record the outcome', async () => {
  await line('/test/calls', [call('c-kb', SERIAL)]);
  await page.goto(`${CONSOLE}/`);
  await page.locator('#take-c-kb').waitFor();
  await page.keyboard.press('Tab');
  // The skip link comes first and is visible when focused.
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await tabTo('#take-c-kb');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${CONSOLE}/calls/c-kb`);
  await axe('17-call-taken');
  await tabTo('a[href^="/flows/code-refused"]');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/flows\/code-refused/);
  await tabTo('#choice-2');
  await page.keyboard.press('Enter');
  await page.waitForURL(/keys=2/);
  await axe('18-guide-step-by-keyboard');
  await tabTo('#outcome');
  await page.keyboard.press('ArrowDown');
  await tabTo('#note');
  await page.keyboard.type('lifted by the agent');
  await tabTo('#end-heading + form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForURL(/recorded=1/);
  await page.getByText('The outcome of the call is recorded.').waitFor();
  const asked = await line('/test/requests');
  assert.ok(asked.some((r) => r.startsWith('POST /v1/calls/c-kb/take {"agent":"alice"}')), JSON.stringify(asked));
  assert.ok(asked.some((r) => r.startsWith('POST /v1/calls/c-kb/done {"agent":"alice"}')), JSON.stringify(asked));
  await axe('19-call-recorded');
});

test('the Danish console', async () => {
  await page.goto(`${CONSOLE}/`);
  await page.click('header button[lang=da]');
  await page.waitForURL(`${CONSOLE}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'da');
  await page.getByRole('heading', { name: 'Opkald', level: 1 }).waitFor();
  await axe('20-calls-da');
  await page.goto(`${CONSOLE}/flows/get-mitid?keys=211`);
  await axe('21-guide-witness-da');
  // The rules' verdicts and reasons are in the page's language, with the rules' numbers.
  await page.fill('#cpr', '150609-4123');
  await page.fill('#mitid_since', '2020-01-01');
  await page.click('main form button[type=submit] >> nth=0');
  await page.getByText('Vidnet kan ikke stå inde.').waitFor();
  await page.getByText('Ikke opfyldt: alder 17 (skal være mindst 18)').waitFor();
  assert.equal(await page.getByText('The witness cannot vouch.').count(), 0);
  await axe('22-guide-witness-checked-da');
  await page.fill('#cpr', '1506094123x');
  await page.fill('#mitid_since', '2020-01-01');
  await page.click('main form button[type=submit] >> nth=0');
  await page.getByText('skal være ti cifre som DDMMÅÅ-SSSS').waitFor();
  await page.goto(`${CONSOLE}/flows/get-mitid`);
  await page.check('#doc-health-card');
  await page.click('text=Tjek >> nth=-1');
  await page.getByText('Dokumenterne er ikke nok.').waitFor();
  await page.getByText('Mangler: en dåbs- eller navneattest').waitFor();
  await axe('23-guide-documents-checked-da');
});

test('an agent without the unlock right is refused', async () => {
  // One profile, one cookie jar: alice's cookie goes, bob signs in in a new tab.
  await context.clearCookies();
  const bob = await context.newPage();
  await signIn(bob, 'bob', PASSWORD);
  await bob.waitForURL(`${CONSOLE}/`);
  const response = await bob.goto(`${CONSOLE}/device/${SERIAL}/unlock`);
  assert.equal(response.status(), 403);
  await bob.getByText('You do not have the right to lift blocks.').waitFor();
  await axe('22-no-unlock-right', bob);
  await bob.close();
});

test('signing out, and a console whose line is down', async () => {
  await context.clearCookies();
  await signIn(page, 'alice', PASSWORD);
  await page.waitForURL(`${CONSOLE}/`);
  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?out=1/);
  await page.getByText('You are signed out.').waitFor();
  await axe('23-signed-out');
  const response = await page.goto(`${CONSOLE}/`);
  assert.match(response.url(), /\/signin$/);
  await page.goto(`${NOLINE}/signin?lang=en`);
  await page.fill('#name', 'alice');
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${NOLINE}/`);
  await page.getByText('cannot be reached').waitFor();
  await axe('24-calls-line-down');
});
