// The admin page's four files, served as they are: no build step, no framework, no inline
// script or style (the page's Content-Security-Policy allows only these files). Every value from
// the API is put in the page with textContent, never as HTML.

/**
 * The page: a sign-in form, then the installation's state (with the installation role) or the
 * caller's tenant's part of it, refreshed every 5 seconds.
 */
export const ADMIN_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>robusto admin</title>
<link rel="stylesheet" href="/admin/admin.css">
<link rel="icon" href="/admin/favicon.svg" type="image/svg+xml">
<script src="/admin/admin.js" defer></script>
</head>
<body>
<header><h1>robusto</h1><span id="who"></span><button id="sign-out" hidden>Sign out</button></header>
<p id="error" role="alert" hidden></p>
<form id="sign-in" method="post" hidden>
  <h2>Sign in (admin or owner)</h2>
  <label>Tenant <input name="tenant" value="default" required></label>
  <label>Email <input name="email" type="email" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
<main id="dashboard" hidden>
  <p id="scope" hidden>You see your tenant's part: its journal, dead letters and errors. Jobs, backups and restarts belong to the whole installation and need the installation role: ask the installation's administrator (it is granted on the server with <code>robusto user installation-admin &lt;email&gt; --tenant &lt;slug&gt;</code>).</p>
  <section><h2>Status</h2><p id="overall"></p><ul id="lights"></ul></section>
  <section><h2>Journal</h2><dl id="journal"></dl></section>
  <section><h2>Dead letters</h2><table id="dead-letters"><thead><tr><th>accepted</th><th>command</th><th>error</th><th></th></tr></thead><tbody></tbody></table></section>
  <section><h2>Modules</h2><table id="modules"><thead><tr><th>module</th><th>status</th><th>detail</th></tr></thead><tbody></tbody></table></section>
  <section data-installation><h2>Jobs</h2><table id="jobs"><thead><tr><th>job</th><th>last success</th><th>failures in a row</th><th>next run</th><th>last error</th></tr></thead><tbody></tbody></table></section>
  <section data-installation><h2>Backups</h2><table id="backups"><thead><tr><th>made</th><th>name</th><th>size</th><th>encrypted</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Recent errors <small id="errors-scope">(of the server process that answered)</small></h2><table id="errors"><thead><tr><th>time</th><th>level</th><th>message</th><th>error</th><th>request</th></tr></thead><tbody></tbody></table></section>
  <section data-installation><h2>Restarts</h2><table id="restarts"><thead><tr><th>started</th><th>outcome</th><th>backup</th><th>report</th></tr></thead><tbody></tbody></table></section>
  <p id="updated"></p>
</main>
</body>
</html>
`;

/** The page's icon (asked for by every browser): a green light. */
export const ADMIN_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e9e44"/></svg>`;

/** The page's style: plain, readable on a small screen, a colour per status. */
export const ADMIN_CSS = `body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem; color: #222; }
header { display: flex; align-items: baseline; gap: 1rem; }
header h1 { margin: 0; font-size: 1.4rem; }
#who { flex: 1; color: #555; }
section { margin: 1.2rem 0; }
h2 { font-size: 1.1rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
ul#lights { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
ul#lights li { padding: .3rem .6rem; border-radius: .3rem; }
[data-status="pass"] { background: #d9f2dc; }
[data-status="warn"] { background: #fff1c2; }
[data-status="fail"] { background: #f8d0d0; }
#error { background: #f8d0d0; padding: .5rem; }
#scope { background: #eef3fb; padding: .5rem; }
form label { display: block; margin: .4rem 0; }
dl#journal { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dd { margin: 0; }
`;

/** The page's behaviour: sign in, read the admin API, act on dead letters. */
export const ADMIN_JS = `'use strict';
const TOKEN = 'robusto.admin.token';
const ADMIN_ROLES = ['admin', 'owner'];
const $ = (selector) => document.querySelector(selector);
// Each sign-in starts a session; work of an earlier one (a refresh in flight) is dropped.
let session = 0;
let timer;

function show(id, visible) { $(id).hidden = !visible; }
function cell(text) { const td = document.createElement('td'); td.textContent = text ?? ''; return td; }
function row(...cells) { const tr = document.createElement('tr'); for (const c of cells) tr.append(c instanceof Node ? c : cell(c)); return tr; }
function fill(tableId, rows, empty) { $(tableId + ' tbody').replaceChildren(...(rows.length ? rows : [row(empty)])); }
function when(iso) { return iso ? new Date(iso).toLocaleString() : '—'; }
function problem(message) { $('#error').textContent = message; show('#error', Boolean(message)); }

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN);
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: 'Bearer ' + token } : {}) },
    ...(options.body ? { body: JSON.stringify(options.body) } : {}),
  });
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (response.status === 401 && !options.signingIn) { signOut('Your session ended; sign in again.'); throw new Error('signed out'); }
  if (!response.ok && !(options.accept ?? []).includes(response.status)) {
    const error = new Error((body && (body.detail || body.title)) || 'HTTP ' + response.status);
    error.status = response.status;
    throw error;
  }
  return body;
}

function signOut(message) {
  session++;
  clearTimeout(timer);
  sessionStorage.removeItem(TOKEN);
  show('#dashboard', false); show('#sign-out', false); show('#sign-in', true);
  $('#who').textContent = '';
  problem(message ?? '');
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const answer = await api('/api/auth/login', { method: 'POST', body: { tenant: form.get('tenant'), email: form.get('email'), password: form.get('password') }, signingIn: true });
    sessionStorage.setItem(TOKEN, answer.token);
    await start();
  } catch (error) {
    problem(error.message);
  }
}

function lights(health) {
  $('#overall').textContent = 'Overall: ' + health.status + (health.output ? ' — ' + health.output : '');
  $('#overall').dataset.status = health.status;
  const items = [];
  for (const [name, results] of Object.entries(health.checks ?? {})) {
    if (name === 'modules' || name === 'jobs') continue;
    for (const result of results) {
      const li = document.createElement('li');
      li.dataset.status = result.status;
      li.dataset.check = name;
      const value = result.observedValue === undefined ? '' : typeof result.observedValue === 'object' ? ' ' + JSON.stringify(result.observedValue) : ' ' + result.observedValue + (result.observedUnit ? ' ' + result.observedUnit : '');
      li.textContent = name + ': ' + result.status + value + (result.output ? ' — ' + result.output : '');
      items.push(li);
    }
  }
  $('#lights').replaceChildren(...items);
  fill('#modules', (health.checks?.modules ?? []).map((m) => { const r = row(m.componentId, m.status, m.output ?? ''); r.dataset.status = m.status; return r; }), 'no modules');
}

function journal(state) {
  const entries = [
    ['scope', state.scope === 'tenant' ? 'your tenant' : 'the whole installation'],
    ['writes waiting', state.depth], ['oldest waiting since', when(state.oldestPendingAt)], ['dead letters', state.deadLetters],
    ['database circuit', state.circuit], ['journal writable', state.writable ? 'yes' : 'NO: writes get 503'],
    ['last replay', state.lastReplay ? when(state.lastReplay.at) + ': ' + (state.lastReplay.applied === undefined ? '' : state.lastReplay.applied + ' applied, ') + state.lastReplay.outcome : '—'],
  ];
  $('#journal').replaceChildren(...entries.flatMap(([k, v]) => { const dt = document.createElement('dt'); dt.textContent = k; const dd = document.createElement('dd'); dd.textContent = String(v); dd.dataset.field = k; return [dt, dd]; }));
}

function deadLetterRow(letter) {
  const actions = document.createElement('td');
  const retry = document.createElement('button'); retry.textContent = 'Retry';
  retry.addEventListener('click', () => act(letter.receipt, 'retry'));
  const discard = document.createElement('button'); discard.textContent = 'Discard';
  discard.addEventListener('click', () => { const reason = prompt('Why discard this write? (kept with it)'); if (reason) act(letter.receipt, 'discard', { reason }); });
  actions.append(retry, ' ', discard);
  return row(when(letter.acceptedAt), letter.command, letter.lastError ?? '', actions);
}

async function act(receipt, action, body) {
  try {
    await api('/api/system/dead-letters/' + encodeURIComponent(receipt) + '/' + action, { method: 'POST', ...(body ? { body } : {}) });
    await refresh(session);
  } catch (error) {
    if (error.message !== 'signed out') problem(error.message);
  }
}

// Each section is drawn from its own answer: one that fails says so in its place. Those marked
// true are the whole installation's: read only by a user with the installation role.
const SECTIONS = [
  ['/health', (health) => lights(health), (message) => { $('#overall').textContent = 'Status unknown: ' + message; }],
  ['/api/system/journal', (state) => journal(state), (message) => { $('#journal').textContent = message; }],
  ['/api/system/dead-letters?limit=100', (letters) => fill('#dead-letters', letters.items.map(deadLetterRow), 'no dead letters'), (message) => fill('#dead-letters', [], message)],
  ['/api/system/jobs', (jobs) => fill('#jobs', jobs.items.map((j) => row(j.name, when(j.lastSuccessAt), String(j.consecutiveFailures), when(j.nextRunAt), j.lastError ?? '')), 'no jobs'), (message) => fill('#jobs', [], message), true],
  ['/api/system/backups', (backups) => fill('#backups', [...backups.items.map((b) => row(when(b.createdAt), b.name, Math.round(b.bytes / 1024) + ' KiB', b.encrypted ? 'yes' : 'no')), ...(backups.problems ?? []).map((p) => { const tr = row('unreadable', p.name, p.problem, ''); tr.dataset.status = 'fail'; return tr; })], 'no backup yet'), (message) => fill('#backups', [], message), true],
  ['/api/system/errors', (errors) => fill('#errors', errors.items.map((e) => { const tr = row(when(e.time), e.level, e.msg, e.error ?? '', e.requestId ?? ''); tr.dataset.status = 'fail'; return tr; }), 'no errors'), (message) => fill('#errors', [], message)],
  ['/api/system/restarts', (restarts) => fill('#restarts', restarts.items.map((r) => { const tr = row(when(r.startedAt), r.ok ? 'success' : 'failed at ' + (r.failedAt ?? '?') + (r.stopped ? '' : ' (server untouched)'), r.backup ?? '—', r.report); tr.dataset.status = r.ok ? 'pass' : 'fail'; return tr; }), 'no restart yet'), (message) => fill('#restarts', [], message), true],
];
// Whether the signed-in user holds the installation role (unknown, so tried, while /me fails).
let installation = true;

async function refresh(mine) {
  const sections = SECTIONS.filter(([, , , installationOnly]) => installation || !installationOnly);
  const answers = await Promise.allSettled(sections.map(([path]) => api(path, { accept: path === '/health' ? [503] : [] })));
  if (mine !== session) return;
  answers.forEach((answer, i) => {
    const [, draw, failed] = sections[i];
    if (answer.status === 'fulfilled') draw(answer.value);
    else if (answer.reason.message !== 'signed out') failed('Could not load: ' + answer.reason.message);
  });
  $('#updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
}

async function loop(mine) {
  await refresh(mine);
  // The next refresh is planned when this one has ended: they never overlap.
  if (mine === session) timer = setTimeout(() => loop(mine), 5000);
}

async function start() {
  const mine = ++session;
  show('#sign-in', false); show('#sign-out', true);
  problem('');
  let me;
  try {
    me = await api('/api/auth/me');
  } catch (error) {
    if (error.message === 'signed out') return;
    // The database may be down: the admin API answers without it, so the page carries on.
    $('#who').textContent = '(who: unknown, ' + error.message + ')';
  }
  if (mine !== session) return;
  installation = true;
  if (me) {
    $('#who').textContent = me.email + ' (' + me.role + (me.installationAdmin ? ', installation' : '') + ')';
    if (!ADMIN_ROLES.includes(me.role)) {
      problem('This page is for admins and owners: your role "' + me.role + '" lacks the "system" permission.');
      return;
    }
    installation = me.installationAdmin === true;
  }
  // A tenant's admin sees their tenant's part; the installation's sections are hidden, and why is said.
  for (const section of document.querySelectorAll('section[data-installation]')) section.hidden = !installation;
  show('#scope', !installation);
  $('#errors-scope').textContent = installation ? '(of the server process that answered)' : '(about your tenant, of the server process that answered)';
  show('#dashboard', true);
  await loop(mine);
}

document.addEventListener('DOMContentLoaded', () => {
  $('#sign-in').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', () => signOut());
  if (sessionStorage.getItem(TOKEN)) void start();
  else signOut();
});
`;
