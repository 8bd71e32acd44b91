// The admin page's activity screen: the tenant's audit trail (`GET /api/audit`), filtered by who,
// what (command or entity) and when, and paged with the API's keyset cursors. Its markup and its
// script are put into the page's (admin-page.assets.ts); its texts are in the page's catalogue.

/** The activity section: the filters, the trail (a card per row on phone-sized screens) and the paging buttons. */
export const ACTIVITY_HTML = `<section id="activity"><h2 data-i18n="section.activity"></h2>
    <p data-i18n="activity.explain"></p>
    <form id="activity-filters" class="filters">
      <label><span data-i18n="activity.who"></span> <select name="userId"><option value="" data-i18n="activity.anyone"></option></select></label>
      <label><span data-i18n="activity.action"></span> <input name="action" list="activity-actions" maxlength="100" autocomplete="off"></label>
      <label><span data-i18n="activity.entity"></span> <input name="entity" list="activity-entities" maxlength="50" autocomplete="off"></label>
      <label><span data-i18n="activity.from"></span> <input name="from" type="date"></label>
      <label><span data-i18n="activity.to"></span> <input name="to" type="date"></label>
      <span class="filter-buttons"><button type="submit" data-i18n="activity.filter"></button> <button type="reset" data-i18n="activity.clear"></button></span>
    </form>
    <datalist id="activity-actions"></datalist><datalist id="activity-entities"></datalist>
    <table id="activity-log"><thead><tr><th data-i18n="col.time"></th><th data-i18n="activity.col.who"></th><th data-i18n="col.command"></th><th data-i18n="activity.col.entity"></th><th data-i18n="activity.col.entityId"></th><th data-i18n="col.request"></th></tr></thead><tbody></tbody></table>
    <p class="actions paging"><button type="button" id="activity-newer" data-i18n="activity.newer" disabled></button> <span id="activity-page"></span> <button type="button" id="activity-older" data-i18n="activity.older" disabled></button></p>
  </section>`;

/** The activity section's style: filters that wrap, full width on a phone. */
export const ACTIVITY_CSS = `#activity-filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .5rem .8rem; margin: .5rem 0; }
#activity-filters label { display: flex; flex-direction: column; margin: 0; font-size: .85rem; min-width: 0; }
#activity-filters input, #activity-filters select { font: inherit; min-width: 0; max-width: 100%; }
#activity-filters select { max-width: 18rem; }
.paging { justify-content: space-between; }
@media (max-width: 40rem) {
  #activity-filters label { flex: 1 1 100%; }
  #activity-filters input, #activity-filters select { width: 100%; }
}
`;

/**
 * The activity section's script, part of the page's: uses the page's `api`, `t`, `fill`, `row`,
 * `element`, `when`, `num` and `session`. The first page follows the page's refresh; older pages
 * stay as they are until the person pages or filters again.
 */
export const ACTIVITY_JS = `
// The activity screen: the filters in force, the cursor of each page seen (keyset paging), and
// the tenant's users by id (for the "who" column and filter).
const ACTIVITY_PAGE_SIZE = 10;
const USER_PAGES = 10;
const activity = { filters: {}, cursors: [undefined], page: 0, asked: 0, answer: undefined, users: new Map(), actions: new Set(), entities: new Set() };

function resetActivity() {
  Object.assign(activity, { filters: {}, cursors: [undefined], page: 0, asked: activity.asked + 1, answer: undefined, users: new Map(), actions: new Set(), entities: new Set() });
}

// The form's filters as the API takes them; a day is the whole day in the browser's time zone.
function activityFilters() {
  const form = new FormData($('#activity-filters'));
  const filters = {};
  const userId = form.get('userId');
  if (userId) filters.userId = userId;
  for (const name of ['action', 'entity']) {
    const value = String(form.get(name) ?? '').trim();
    if (value) filters[name] = value;
  }
  const from = form.get('from');
  if (from) filters.from = new Date(from + 'T00:00:00').toISOString();
  const to = form.get('to');
  if (to) filters.to = new Date(to + 'T23:59:59.999').toISOString();
  return filters;
}

// The page of the trail in view; an answer to an earlier question (older filters or page) is dropped.
async function loadActivity(mine) {
  const asked = ++activity.asked;
  const page = activity.page;
  const query = new URLSearchParams({ ...activity.filters, limit: String(ACTIVITY_PAGE_SIZE) });
  if (activity.cursors[page]) query.set('cursor', activity.cursors[page]);
  let answer;
  try {
    answer = { ok: true, value: await api('/api/audit?' + query) };
  } catch (error) {
    if (error.message === 'signed out') return;
    answer = { ok: false, message: error.message };
  }
  if (mine !== session || asked !== activity.asked) return;
  activity.answer = answer;
  if (answer.ok) {
    activity.cursors.length = page + 1;
    if (answer.value.nextCursor) activity.cursors.push(answer.value.nextCursor);
  }
  drawActivity();
}

function userName(id) {
  if (id === null) return t('activity.system');
  const user = activity.users.get(id);
  return user ? (user.name && user.name !== user.email ? user.name + ' <' + user.email + '>' : user.email) : id;
}

function activityRow(entry) {
  const tr = row(when(entry.createdAt), userName(entry.userId), entry.action, entry.entity, element('code', entry.entityId), element('code', entry.requestId));
  tr.dataset.user = entry.userId ?? '';
  return tr;
}

function options(listId, values) {
  $(listId).replaceChildren(...[...values].sort().map((value) => { const o = element('option'); o.value = value; return o; }));
}

function drawActivity() {
  const answer = activity.answer;
  if (!answer) return;
  $('#activity-newer').disabled = activity.page === 0;
  $('#activity-older').disabled = !answer.ok || !answer.value.nextCursor;
  $('#activity-page').textContent = t('activity.page', { page: num(activity.page + 1) });
  if (!answer.ok) {
    fill('#activity-log', [], t('error.couldNotLoad', { error: answer.message }));
    return;
  }
  for (const entry of answer.value.items) { activity.actions.add(entry.action); activity.entities.add(entry.entity); }
  options('#activity-actions', activity.actions);
  options('#activity-entities', activity.entities);
  fill('#activity-log', answer.value.items.map(activityRow), Object.keys(activity.filters).length ? t('activity.noMatch') : t('activity.empty'));
}

// The tenant's users, for the "who" filter and column; without them (the database out) ids are shown.
async function loadUsers(mine) {
  const users = [];
  let cursor;
  try {
    for (let i = 0; i < USER_PAGES; i++) {
      const page = await api('/api/auth/users?limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      users.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
  } catch (error) {
    if (error.message === 'signed out') return;
  }
  if (mine !== session) return;
  activity.users = new Map(users.map((u) => [u.id, u]));
  const select = $('#activity-filters select[name="userId"]');
  const chosen = select.value;
  const choices = users.map((u) => { const o = element('option', userName(u.id)); o.value = u.id; return o; });
  select.replaceChildren(select.options[0], ...choices);
  select.value = chosen;
  drawActivity();
}

async function startActivity(mine) {
  await loadUsers(mine);
  await loadActivity(mine);
}

function filterActivity(filters) {
  activity.filters = filters;
  activity.page = 0;
  activity.cursors = [undefined];
  void loadActivity(session);
}

function pageActivity(step) {
  const page = activity.page + step;
  if (page < 0 || page >= activity.cursors.length) return;
  activity.page = page;
  void loadActivity(session);
}

function listenToActivity() {
  $('#activity-filters').addEventListener('submit', (event) => { event.preventDefault(); filterActivity(activityFilters()); });
  // The reset event comes before the form is cleared: no filter is what it will hold.
  $('#activity-filters').addEventListener('reset', () => filterActivity({}));
  $('#activity-older').addEventListener('click', () => pageActivity(1));
  $('#activity-newer').addEventListener('click', () => pageActivity(-1));
}
`;
