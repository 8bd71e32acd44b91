// The admin page's four files, served as they are: no build step, no framework, no inline
// script or style (the page's Content-Security-Policy allows only these files). Every value from
// the API is put in the page with textContent, never as HTML. Every text comes from the page's
// catalogue (admin-page.messages.ts), in Brazilian Portuguese and English.
import { ACTIVITY_CSS, ACTIVITY_HTML, ACTIVITY_JS } from './admin-page.activity.js';
import { ADMIN_MESSAGES, ADMIN_MESSAGES_EN, type AdminMessageKey } from './admin-page.messages.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Fills each empty element marked `data-i18n="key"` with its English text, the page's text before its script picks the language. */
function withEnglishTexts(html: string): string {
  return html.replace(/data-i18n="([^"]+)"([^>]*)><\//g, (_whole, key: string, rest: string) => {
    const text = ADMIN_MESSAGES_EN[key as AdminMessageKey];
    if (text === undefined) throw new Error(`the admin page names a text its catalogue lacks: ${key}`);
    return `data-i18n="${key}"${rest}>${text.replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c)}</`;
  });
}

/**
 * The page: a sign-in form, then the installation's state (with the installation role) or the
 * caller's tenant's part of it, refreshed every 5 seconds: status lights in words, the journal,
 * the writes waiting (and processing them now), dead letters, the activity, modules, jobs, backups (and making
 * one now), recent errors and restarts. Tables become cards on phone-sized screens.
 */
export const ADMIN_HTML = withEnglishTexts(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-i18n="page.title"></title>
<link rel="stylesheet" href="/admin/admin.css">
<link rel="icon" href="/admin/favicon.svg" type="image/svg+xml">
<script src="/admin/admin.js" defer></script>
</head>
<body>
<header>
  <h1>robusto</h1>
  <span id="who"></span>
  <nav id="lang" aria-label="Language / Idioma"><button type="button" data-lang="pt-BR" lang="pt-BR">PT</button><span aria-hidden="true">|</span><button type="button" data-lang="en" lang="en">EN</button></nav>
  <a href="/docs" data-i18n="header.docs"></a>
  <button type="button" id="sign-out" data-i18n="header.signOut" hidden></button>
</header>
<p id="error" role="alert" hidden></p>
<form id="sign-in" method="post" hidden>
  <h2 data-i18n="signIn.title"></h2>
  <label><span data-i18n="signIn.tenant"></span> <input name="tenant" value="default" required></label>
  <label><span data-i18n="signIn.email"></span> <input name="email" type="email" autocomplete="username" required></label>
  <label><span data-i18n="signIn.password"></span> <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" data-i18n="signIn.submit"></button>
</form>
<main id="dashboard" hidden>
  <p id="scope" hidden><span data-i18n="scope.text"></span> <code>robusto user installation-admin &lt;email&gt; --tenant &lt;slug&gt;</code>).</p>
  <section id="status"><h2 data-i18n="section.status"></h2><p id="overall"></p><ul id="lights"></ul></section>
  <section><h2 data-i18n="section.journal"></h2><dl id="journal"></dl></section>
  <section id="waiting"><h2 data-i18n="section.pending"></h2>
    <p data-i18n="pending.explain"></p>
    <p class="actions" data-installation><button type="button" id="replay-now" data-i18n="pending.replay"></button> <span id="replay-result" role="status"></span></p>
    <table id="pending"><thead><tr><th data-i18n="col.accepted"></th><th data-i18n="col.tenant"></th><th data-i18n="col.command"></th><th data-i18n="col.receipt"></th><th data-i18n="col.age"></th><th data-i18n="col.payload"></th></tr></thead><tbody></tbody></table>
  </section>
  <section><h2 data-i18n="section.deadLetters"></h2><table id="dead-letters"><thead><tr><th data-i18n="col.accepted"></th><th data-i18n="col.command"></th><th data-i18n="col.error"></th><th data-i18n="col.actions"></th></tr></thead><tbody></tbody></table></section>
  ${ACTIVITY_HTML}
  <section><h2 data-i18n="section.modules"></h2><table id="modules"><thead><tr><th data-i18n="col.module"></th><th data-i18n="col.status"></th><th data-i18n="col.detail"></th></tr></thead><tbody></tbody></table></section>
  <section data-installation><h2 data-i18n="section.jobs"></h2><table id="jobs"><thead><tr><th data-i18n="col.job"></th><th data-i18n="col.lastSuccess"></th><th data-i18n="col.failures"></th><th data-i18n="col.nextRun"></th><th data-i18n="col.lastError"></th></tr></thead><tbody></tbody></table></section>
  <section data-installation><h2 data-i18n="section.backups"></h2>
    <p class="actions"><button type="button" id="backup-now" data-i18n="backups.now"></button> <span id="backup-progress" role="status"></span></p>
    <table id="backups"><thead><tr><th data-i18n="col.made"></th><th data-i18n="col.name"></th><th data-i18n="col.size"></th><th data-i18n="col.encrypted"></th></tr></thead><tbody></tbody></table>
  </section>
  <section><h2><span data-i18n="section.errors"></span> <small id="errors-scope"></small></h2>
    <p data-i18n="errors.help"></p>
    <p class="links"><a href="/docs" data-i18n="links.docs"></a> · <a href="/admin/guia/banco-caiu" hreflang="pt-BR" data-i18n="links.databaseDown"></a> · <a href="/admin/guia" hreflang="pt-BR" data-i18n="links.guide"></a></p>
    <table id="errors"><thead><tr><th data-i18n="col.time"></th><th data-i18n="col.level"></th><th data-i18n="col.message"></th><th data-i18n="col.error"></th><th data-i18n="col.request"></th></tr></thead><tbody></tbody></table>
  </section>
  <section data-installation><h2 data-i18n="section.restarts"></h2>
    <p data-i18n="restarts.explain"></p>
    <table id="restarts"><thead><tr><th data-i18n="col.started"></th><th data-i18n="col.outcome"></th><th data-i18n="col.backup"></th><th data-i18n="col.warnings"></th><th data-i18n="col.report"></th></tr></thead><tbody></tbody></table>
  </section>
  <p id="updated"></p>
</main>
<footer><span data-i18n="footer.docs"></span> <a href="/docs">/docs</a>. <span data-i18n="footer.guide"></span> <a href="/admin/guia" hreflang="pt-BR">/admin/guia</a>.</footer>
</body>
</html>
`);

/** The page's icon (asked for by every browser): a green light. */
export const ADMIN_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e9e44"/></svg>`;

/** The page's style: plain, readable on a phone (no sideways scrolling at 360 px), a colour per status. */
export const ADMIN_CSS = `* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem; color: #222; line-height: 1.4; overflow-wrap: anywhere; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4rem 1rem; }
header h1 { margin: 0; font-size: 1.4rem; }
#who { flex: 1 1 12rem; color: #555; }
#lang { display: flex; gap: .3rem; align-items: baseline; }
#lang button { border: 1px solid #bbb; background: #fff; border-radius: .3rem; padding: .1rem .5rem; cursor: pointer; }
#lang button[aria-pressed="true"] { background: #234; color: #fff; border-color: #234; }
button { font: inherit; }
section { margin: 1.2rem 0; }
h2 { font-size: 1.1rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
code { font-size: .85em; overflow-wrap: anywhere; }
ul#lights { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 18rem), 1fr)); gap: .6rem; }
ul#lights li { padding: .5rem .7rem; border-radius: .4rem; border: 1px solid #0001; }
ul#lights p { margin: .2rem 0; }
.light { display: flex; flex-wrap: wrap; align-items: center; gap: .3rem .5rem; }
.dot { display: inline-block; width: .9rem; height: .9rem; border-radius: 50%; background: #888; }
[data-status="pass"] .dot { background: #2e9e44; }
[data-status="warn"] .dot { background: #e0a800; }
[data-status="fail"] .dot { background: #c62828; }
.state { font-size: .85rem; color: #444; }
.todo { font-weight: 500; }
details summary { cursor: pointer; color: #345; font-size: .85rem; }
ol.steps { margin: .3rem 0; padding-left: 1.2rem; font-size: .85rem; }
ol.steps li { padding: .1rem .3rem; border-radius: .2rem; }
details dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem .8rem; font-size: .85rem; margin: .3rem 0; }
[data-status="pass"] { background: #d9f2dc; }
[data-status="warn"] { background: #fff1c2; }
[data-status="fail"] { background: #f8d0d0; }
#error { background: #f8d0d0; padding: .5rem; }
#scope { background: #eef3fb; padding: .5rem; }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
.actions button { padding: .4rem .8rem; }
.actions [role="status"]:not(:empty) { padding: .2rem .5rem; border-radius: .3rem; }
form label { display: block; margin: .4rem 0; }
input { max-width: 100%; }
dl#journal { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem 1rem; }
dd { margin: 0; }
footer { margin-top: 2rem; color: #555; font-size: .9rem; }
/* The operator guide's pages (admin-guide.ts). */
.guide main { max-width: 50rem; }
.guide pre { overflow-x: auto; background: #f4f4f4; padding: .5rem; border-radius: .3rem; overflow-wrap: normal; }
.guide .scroll { overflow-x: auto; }
.guide blockquote { border-left: 4px solid #ccc; margin: .5rem 0; padding: .1rem .8rem; background: #fafafa; }
/* Phone-sized screens: each table row becomes a card, each cell labelled with its column. */
@media (max-width: 40rem) {
  body { padding: .6rem; }
  table, tbody, tr, td { display: block; width: 100%; }
  thead { display: none; }
  tr { border: 1px solid #ddd; border-radius: .4rem; margin: .5rem 0; padding: .3rem .5rem; }
  td { border: none; padding: .15rem 0; }
  td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; color: #444; }
  dl#journal { grid-template-columns: minmax(0, 1fr); gap: 0; }
  dl#journal dd { margin-bottom: .4rem; }
  .guide table { display: table; }
  .guide thead { display: table-header-group; }
  .guide tbody { display: table-row-group; }
  .guide tr { display: table-row; border: none; }
  .guide td { display: table-cell; border-bottom: 1px solid #eee; padding: .25rem .5rem; }
}
${ACTIVITY_CSS}`;

/**
 * The page's behaviour: picks the language (the PT | EN switch, remembered, else the browser's),
 * signs in, reads the admin API and says what each light means and what to do, and acts: dead
 * letters retried or discarded, the writes waiting processed now, a backup made now.
 */
export const ADMIN_JS = `'use strict';
// The page's texts, in each of its languages (admin-page.messages.ts).
const MESSAGES = ${JSON.stringify(ADMIN_MESSAGES)};
const TOKEN = 'robusto.admin.token';
const LANGUAGE = 'robusto.admin.lang';
const ADMIN_ROLES = ['admin', 'owner'];
const RANK = { pass: 0, warn: 1, fail: 2 };
const $ = (selector) => document.querySelector(selector);
// Each sign-in starts a session; work of an earlier one (a refresh in flight) is dropped.
let session = 0;
let timer;
let lang = chooseLanguage();
// Who is signed in (from /api/auth/me), once known.
let me;
// The last answer of each section, drawn again in the other language when the switch is used.
const answers = new Map();
// The notes of the actions (their outcome), kept as key and values so they follow the language.
const notes = new Map();
// The lights whose technical details are open: a refresh keeps them open.
const opened = new Set();

// The page's language: the one chosen with the switch, else the browser's first Portuguese or English one.
function chooseLanguage() {
  const saved = localStorage.getItem(LANGUAGE);
  if (saved && Object.hasOwn(MESSAGES, saved)) return saved;
  for (const tag of navigator.languages?.length ? navigator.languages : [navigator.language ?? 'en']) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('pt')) return 'pt-BR';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function t(key, values = {}) {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/{([a-zA-Z]+)}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
function num(value, options) { return new Intl.NumberFormat(lang, options).format(value); }
function when(iso) { return iso ? new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso)) : '—'; }
function ago(seconds) {
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return format.format(-s, 'second');
  if (s < 3600) return format.format(-Math.round(s / 60), 'minute');
  if (s < 86400) return format.format(-Math.round(s / 3600), 'hour');
  return format.format(-Math.round(s / 86400), 'day');
}
function size(bytes) {
  return bytes < 1024 * 1024
    ? num(bytes / 1024, { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 0 })
    : num(bytes / (1024 * 1024), { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 });
}
function roleName(role) { return MESSAGES[lang]['role.' + role] ?? role; }

function show(id, visible) { $(id).hidden = !visible; }
function element(tag, text, className) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (className) e.className = className; return e; }
function cell(content) { const td = document.createElement('td'); if (content instanceof Node) td.append(content); else td.textContent = content ?? ''; return td; }
function row(...cells) { const tr = document.createElement('tr'); for (const c of cells) tr.append(cell(c)); return tr; }
// Each cell is labelled with its column's heading, which phone-sized screens show on its card.
function fill(tableId, rows, empty) {
  const table = $(tableId);
  const labels = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  if (rows.length === 0) {
    const tr = row(empty);
    tr.className = 'empty';
    tr.firstChild.colSpan = labels.length;
    rows = [tr];
  } else {
    for (const tr of rows) [...tr.children].forEach((td, i) => { if (labels[i]) td.dataset.label = labels[i]; });
  }
  table.querySelector('tbody').replaceChildren(...rows);
}
function problem(message) { $('#error').textContent = message; show('#error', Boolean(message)); }
function note(id, key, values, status) { notes.set(id, { key, values, status }); drawNote(id); }
function drawNote(id) {
  const n = notes.get(id);
  if (!n) return;
  $(id).textContent = n.key ? t(n.key, n.values) : n.values.text;
  $(id).dataset.status = n.status;
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN);
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    // The API's errors in the page's language, not only the browser's.
    headers: { 'accept-language': lang, ...(options.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: 'Bearer ' + token } : {}) },
    ...(options.body ? { body: JSON.stringify(options.body) } : {}),
  });
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (response.status === 401 && !options.signingIn) { signOut('error.sessionEnded'); throw new Error('signed out'); }
  if (!response.ok && !(options.accept ?? []).includes(response.status)) {
    const error = new Error((body && (body.detail || body.title)) || 'HTTP ' + response.status);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

function signOut(messageKey) {
  session++;
  clearTimeout(timer);
  sessionStorage.removeItem(TOKEN);
  me = undefined;
  answers.clear();
  resetActivity();
  for (const field of $('#activity-filters').elements) if (field.name) field.value = '';
  $('#activity-filters select').replaceChildren($('#activity-filters select').options[0]);
  show('#dashboard', false); show('#sign-out', false); show('#sign-in', true);
  $('#who').textContent = '';
  problem(messageKey ? t(messageKey) : '');
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

function worst(statuses) { return statuses.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass'); }

// A check of /health in words: its light, what it means and, when not green, what to do.
function describe(name, results, databaseDown) {
  const status = worst(results.map((r) => r.status));
  const first = results[0] ?? {};
  const value = first.observedValue;
  const failing = results.filter((r) => r.status !== 'pass').map((r) => r.componentId).join(', ');
  if (name === 'database:responseTime') {
    if (status === 'pass') return { status, meaning: t('light.database.pass') };
    return { status, meaning: t('light.database.fail'), todo: t(first.componentId === 'sqlite' ? 'light.database.fail.sqlite' : 'light.database.fail.postgres') };
  }
  if (name === 'pool:connections') {
    if (status === 'pass') return { status, meaning: t('light.pool.pass') };
    return { status, meaning: t('light.pool.warn'), todo: t('light.pool.warn.todo') };
  }
  if (name === 'journal:depth') {
    if (status === 'pass') return { status, meaning: t('light.journal.pass') };
    if (status === 'fail') return { status, meaning: t('light.journal.fail'), todo: t('light.journal.fail.todo') };
    if (databaseDown || (value && value.circuit && value.circuit !== 'closed')) return { status, meaning: t('light.journal.circuit'), todo: t('light.journal.circuit.todo') };
    if (value && value.depth > 0) return { status, meaning: t('light.journal.pending', { n: num(value.depth) }), todo: t('light.journal.pending.todo') };
    if (value && value.dead > 0) return { status, meaning: t('light.journal.dead', { n: num(value.dead) }), todo: t('light.journal.dead.todo') };
    return { status, meaning: t('light.journal.warn'), todo: t('light.journal.warn.todo') };
  }
  if (name === 'modules' || name === 'jobs') {
    if (status === 'pass') return { status, meaning: t('light.' + name + '.pass', { n: num(results.length) }) };
    return { status, meaning: t('light.' + name + '.warn', { names: failing }), todo: t('light.' + name + '.warn.todo') };
  }
  return { status, meaning: t('light.other.' + status), ...(status === 'pass' ? {} : { todo: t('light.other.todo') }) };
}

// The technical details of a check, folded away: each component's status, figures and output.
function technical(name, results) {
  const details = element('details');
  details.open = opened.has(name);
  details.addEventListener('toggle', () => { if (details.open) opened.add(name); else opened.delete(name); });
  details.append(element('summary', t('light.details')));
  const list = element('dl');
  const add = (term, text) => list.append(element('dt', term), element('dd', text));
  for (const r of results) {
    add(r.componentId ?? name, r.status + (r.output ? ' — ' + r.output : ''));
    const value = r.observedValue;
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) add(k, v === null || v === undefined ? '—' : typeof v === 'number' ? num(v) : String(v));
    } else if (value !== undefined) {
      add(name, (typeof value === 'number' ? num(value) : String(value)) + (r.observedUnit ? ' ' + r.observedUnit : ''));
    }
  }
  details.append(list);
  return details;
}

function lights(health) {
  $('#overall').textContent = t('overall.' + health.status);
  $('#overall').dataset.status = health.status;
  const items = [];
  const databaseDown = (health.checks?.['database:responseTime'] ?? []).some((r) => r.status === 'fail');
  for (const [name, results] of Object.entries(health.checks ?? {})) {
    if (name === 'uptime' || results.length === 0) continue;
    const light = describe(name, results, databaseDown);
    const li = element('li');
    li.dataset.status = light.status;
    li.dataset.check = name;
    const title = element('p', undefined, 'light');
    title.append(element('span', '', 'dot'), element('strong', MESSAGES[lang]['check.' + name] ?? name), ' ', element('span', t('status.' + light.status), 'state'));
    li.append(title, element('p', light.meaning, 'meaning'));
    if (light.todo) { const todo = element('p', undefined, 'todo'); todo.append(element('strong', t('light.todo')), light.todo); li.append(todo); }
    li.append(technical(name, results));
    items.push(li);
  }
  $('#lights').replaceChildren(...items);
  fill('#modules', (health.checks?.modules ?? []).map((m) => { const r = row(m.componentId, t('status.' + m.status), m.output ?? ''); r.dataset.status = m.status; return r; }), t('modules.empty'));
}

function journal(state) {
  const replay = state.lastReplay;
  const entries = [
    ['scope', 'journal.scope', t(state.scope === 'tenant' ? 'journal.scope.tenant' : 'journal.scope.installation')],
    ['writes waiting', 'journal.waiting', num(state.depth)],
    ['oldest waiting since', 'journal.oldest', when(state.oldestPendingAt)],
    ['dead letters', 'journal.dead', num(state.deadLetters)],
    ['database circuit', 'journal.circuit', t('journal.circuit.' + state.circuit)],
    ['journal writable', 'journal.writable', t(state.writable ? 'journal.writable.yes' : 'journal.writable.no')],
    ['last replay', 'journal.lastReplay', replay ? t(replay.applied === undefined ? 'journal.lastReplay.noCount' : 'journal.lastReplay.applied', { when: when(replay.at), applied: num(replay.applied ?? 0), outcome: t('outcome.' + replay.outcome) }) : '—'],
  ];
  $('#journal').replaceChildren(...entries.flatMap(([field, key, value]) => { const dd = element('dd', value); dd.dataset.field = field; return [element('dt', t(key)), dd]; }));
}

function fields(payload) {
  const details = element('details');
  details.append(element('summary', t('pending.payload')));
  const list = element('dl');
  for (const [k, v] of Object.entries(payload ?? {})) list.append(element('dt', k), element('dd', v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)));
  details.append(list);
  return details;
}

function tenantName(id) { return me && me.tenant && me.tenant.id === id ? me.tenant.slug : id; }

function pendingRow(write) {
  return row(when(write.acceptedAt), tenantName(write.tenantId), write.command, element('code', write.receipt), ago(write.ageSeconds), fields(write.payload));
}

function deadLetterRow(letter) {
  const actions = document.createElement('span');
  const retry = element('button', t('dead.retry'));
  retry.type = 'button';
  retry.addEventListener('click', () => act(letter.receipt, 'retry'));
  const discard = element('button', t('dead.discard'));
  discard.type = 'button';
  discard.addEventListener('click', () => { const reason = prompt(t('dead.discardWhy')); if (reason) act(letter.receipt, 'discard', { reason }); });
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

async function replayNow() {
  const button = $('#replay-now');
  button.disabled = true;
  note('#replay-result', 'pending.replaying', {}, 'warn');
  try {
    const answer = await api('/api/system/journal/replay', { method: 'POST' });
    note('#replay-result', 'pending.' + answer.outcome, { applied: num(answer.applied), pending: num(answer.pending) }, answer.outcome === 'drained' ? 'pass' : 'warn');
    await refresh(session);
  } catch (error) {
    if (error.message !== 'signed out') note('#replay-result', null, { text: error.message }, 'fail');
  } finally {
    button.disabled = false;
  }
}

async function backupNow() {
  const button = $('#backup-now');
  button.disabled = true;
  const started = Date.now();
  const tick = () => note('#backup-progress', 'backups.running', { seconds: num(Math.round((Date.now() - started) / 1000)) }, 'warn');
  tick();
  const ticker = setInterval(tick, 1000);
  try {
    const made = await api('/api/system/backups', { method: 'POST' });
    clearInterval(ticker);
    note('#backup-progress', 'backups.made', { name: made.name, tables: num(made.tables), rows: num(made.rows), seconds: num(made.seconds) }, 'pass');
    await refresh(session);
  } catch (error) {
    clearInterval(ticker);
    if (error.message === 'signed out') return;
    if (error.status === 409) note('#backup-progress', 'backups.busy', { since: when(error.body?.startedAt) }, 'warn');
    else note('#backup-progress', 'backups.failed', { error: error.message }, 'fail');
  } finally {
    button.disabled = false;
  }
}

function backupRows(backups) {
  return [
    ...backups.items.map((b) => row(when(b.createdAt), b.name, size(b.bytes), t(b.encrypted ? 'yes' : 'no'))),
    ...(backups.problems ?? []).map((p) => { const tr = row(t('backups.unreadable'), p.name, p.problem, ''); tr.dataset.status = 'fail'; return tr; }),
  ];
}

function phaseName(phase) { return MESSAGES[lang]['restarts.phase.' + phase] ?? phase; }

// A restart's report in the page: its file's name, and folded under it each phase with what it did.
function restartReport(r) {
  const details = element('details');
  const key = 'restart:' + r.report;
  details.open = opened.has(key);
  details.addEventListener('toggle', () => { if (details.open) opened.add(key); else opened.delete(key); });
  const summary = element('summary');
  summary.append(element('code', r.report));
  details.append(summary);
  if (!r.steps || r.steps.length === 0) {
    details.append(element('p', t('restarts.noSteps')));
    return details;
  }
  const list = element('ol', undefined, 'steps');
  for (const s of r.steps) {
    const li = element('li', (s.ok ? '✓ ' : '✗ ') + t('restarts.step', { phase: phaseName(s.phase), detail: s.detail, ms: num(s.ms) }));
    li.dataset.status = s.ok ? 'pass' : 'fail';
    list.append(li);
  }
  details.append(list);
  return details;
}

function restartRow(r) {
  const outcome = r.ok ? t('restarts.success') : t('restarts.failed', { phase: phaseName(r.failedAt ?? '?') }) + (r.stopped ? '' : t('restarts.untouched'));
  const tr = row(when(r.startedAt), outcome, r.backup ?? '—', r.warnings.join('; ') || '—', restartReport(r));
  tr.dataset.status = r.ok ? 'pass' : 'fail';
  return tr;
}

function errorRow(e) {
  const tr = row(when(e.time), e.level, e.msg, e.error ?? '', e.requestId ? element('code', e.requestId) : '');
  tr.dataset.status = 'fail';
  return tr;
}

// Each section is drawn from its own answer: one that fails says so in its place. Those marked
// true are the whole installation's: read only by a user with the installation role.
const SECTIONS = [
  ['/health', (health) => lights(health), (message) => { $('#overall').textContent = t('overall.unknown', { error: message }); }],
  ['/api/system/journal', (state) => journal(state), (message) => { $('#journal').textContent = message; }],
  ['/api/system/journal/pending?limit=100', (writes) => fill('#pending', writes.items.map(pendingRow), t('pending.empty')), (message) => fill('#pending', [], message)],
  ['/api/system/dead-letters?limit=100', (letters) => fill('#dead-letters', letters.items.map(deadLetterRow), t('dead.empty')), (message) => fill('#dead-letters', [], message)],
  ['/api/system/jobs', (jobs) => fill('#jobs', jobs.items.map((j) => row(j.name, when(j.lastSuccessAt), num(j.consecutiveFailures), when(j.nextRunAt), j.lastError ?? '')), t('jobs.empty')), (message) => fill('#jobs', [], message), true],
  ['/api/system/backups', (backups) => fill('#backups', backupRows(backups), t('backups.empty')), (message) => fill('#backups', [], message), true],
  ['/api/system/errors', (errors) => fill('#errors', errors.items.map(errorRow), t('errors.empty')), (message) => fill('#errors', [], message)],
  ['/api/system/restarts', (restarts) => fill('#restarts', restarts.items.map(restartRow), t('restarts.empty')), (message) => fill('#restarts', [], message), true],
];
// Whether the signed-in user holds the installation role (unknown, so tried, while /me fails).
let installation = true;

function draw(index) {
  const [, drawn, failed] = SECTIONS[index];
  const answer = answers.get(index);
  if (!answer) return;
  if (answer.ok) drawn(answer.value);
  else failed(t('error.couldNotLoad', { error: answer.message }));
}

async function refresh(mine) {
  const chosen = SECTIONS.map((section, index) => [section, index]).filter(([[, , , installationOnly]]) => installation || !installationOnly);
  const settled = await Promise.allSettled(chosen.map(([[path]]) => api(path, { accept: path === '/health' ? [503] : [] })));
  if (mine !== session) return;
  settled.forEach((answer, i) => {
    const index = chosen[i][1];
    if (answer.status === 'fulfilled') answers.set(index, { ok: true, value: answer.value });
    else if (answer.reason.message !== 'signed out') answers.set(index, { ok: false, message: answer.reason.message });
    draw(index);
  });
  answers.set('updated', new Date());
  drawUpdated();
}

function drawUpdated() {
  const at = answers.get('updated');
  $('#updated').textContent = at ? t('updated', { time: new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(at) }) : '';
}

async function loop(mine) {
  await refresh(mine);
  if (activity.page === 0) await loadActivity(mine);
  // The next refresh is planned when this one has ended: they never overlap.
  if (mine === session) timer = setTimeout(() => loop(mine), 5000);
}

function drawWho() {
  if (me) $('#who').textContent = me.email + ' (' + roleName(me.role) + (me.installationAdmin ? ', ' + t('who.installation') : '') + ')';
  if (me && !ADMIN_ROLES.includes(me.role)) problem(t('error.notAdmin', { role: me.role }));
  $('#errors-scope').textContent = t(installation ? 'errors.scope.installation' : 'errors.scope.tenant');
}

async function start() {
  const mine = ++session;
  show('#sign-in', false); show('#sign-out', true);
  problem('');
  me = undefined;
  let unknown;
  try {
    me = await api('/api/auth/me');
  } catch (error) {
    if (error.message === 'signed out') return;
    // The database may be down: the admin API answers without it, so the page carries on.
    unknown = error.message;
  }
  if (mine !== session) return;
  installation = true;
  if (unknown !== undefined) $('#who').textContent = t('who.unknown', { error: unknown });
  if (me) {
    installation = me.installationAdmin === true;
    drawWho();
    if (!ADMIN_ROLES.includes(me.role)) return;
  }
  // A tenant's admin sees their tenant's part; the installation's parts are hidden, and why is said.
  for (const part of document.querySelectorAll('[data-installation]')) part.hidden = !installation;
  show('#scope', !installation);
  $('#errors-scope').textContent = t(installation ? 'errors.scope.installation' : 'errors.scope.tenant');
  show('#dashboard', true);
  void loadUsers(mine);
  await loop(mine);
}

// Every fixed text of the page in the chosen language, then what the API answered drawn again.
function applyLanguage() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const b of document.querySelectorAll('#lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  if (me) drawWho();
  for (const index of SECTIONS.keys()) draw(index);
  for (const id of notes.keys()) drawNote(id);
  drawActivity();
  drawUpdated();
}

function switchLanguage(chosen) {
  if (!Object.hasOwn(MESSAGES, chosen)) return;
  lang = chosen;
  localStorage.setItem(LANGUAGE, chosen);
  applyLanguage();
  // What the API wrote in words (a restart's phases, its errors) is asked for again in the new language.
  if (!$('#dashboard').hidden) void refresh(session);
}

${ACTIVITY_JS}
document.addEventListener('DOMContentLoaded', () => {
  applyLanguage();
  for (const b of document.querySelectorAll('#lang button')) b.addEventListener('click', () => switchLanguage(b.dataset.lang));
  $('#sign-in').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', () => signOut());
  $('#replay-now').addEventListener('click', () => void replayNow());
  $('#backup-now').addEventListener('click', () => void backupNow());
  listenToActivity();
  if (sessionStorage.getItem(TOKEN)) void start();
  else signOut();
});
`;
