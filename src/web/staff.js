/* global document, history, location, window, setTimeout */
// Staff pages: log in with a staff API key (sessionStorage), the sheets waiting for my roles, sign
// a selection in one batch (POST /v1/tasks/sign) and follow each sheet to its result, search the
// archive with filters (archive-search.js), and a sheet's page at /staff/sheets/<id> (sheet-page.js).

import { initSearch, renderResults } from './archive-search.js';
import { applyWords, h, t } from './i18n.js';
import { renderSheetPage, showSheetPage } from './sheet-page.js';
import { api, describe, setStaffKey, staffKey, whenUnauthorized } from './staff-api.js';

let tasks = [];
let batch = new Map();
/** The sheet page last opened from the results, to give the focus back to its link. */
let lastOpened = '';

function renderTasks() {
  const box = document.getElementById('tasks');
  box.replaceChildren();
  if (tasks.length === 0 && batch.size === 0) {
    box.append(h('p', {}, t('noTasks')));
    return;
  }
  const rows = [...tasks.map((task) => ({ task, result: null })), ...[...batch.values()]];
  const selectAll = h('input', { type: 'checkbox', id: 'select-all', onchange: (e) => { for (const c of box.querySelectorAll('input[name=task]')) c.checked = e.target.checked; } });
  box.append(
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, selectAll, h('label', { for: 'select-all', class: 'sr-only' }, t('selectAll'))), h('th', {}, t('dossier')), h('th', {}, t('role')), h('th', {}, t('result')))),
        h('tbody', {}, rows.map(({ task, result }) => {
          const id = `task-${task.id.replace(/[^A-Za-z0-9-]/g, '-')}`;
          return h('tr', { 'data-task': task.id },
            h('td', {}, result ? '' : h('input', { type: 'checkbox', name: 'task', value: task.id, id }), h('label', { for: id, class: 'sr-only' }, `${t('select')} ${task.part}`)),
            h('td', {}, h('strong', {}, task.metadata.dossierCode), h('br'), describe(task.metadata)),
            h('td', {}, task.role),
            h('td', { class: `result ${result?.state ?? ''}` }, result ? result.text : ''),
          );
        })),
      ),
    ),
    h('p', {}, h('button', { type: 'button', id: 'sign', onclick: signSelected }, t('signSelected'))),
  );
}

async function signSelected() {
  const ids = [...document.querySelectorAll('input[name=task]:checked')].map((c) => c.value);
  if (ids.length === 0) return;
  const status = document.getElementById('sign-status');
  status.textContent = t('signing');
  try {
    const answer = await api('/v1/tasks/sign', { method: 'POST', body: JSON.stringify({ tasks: ids }) });
    for (const r of answer.results) {
      const task = tasks.find((x) => x.id === r.task);
      if (!task) continue;
      batch.set(task.id, { task, result: r.isAccepted ? { state: 'pending', text: t('accepted') } : { state: 'no', text: `${t('failed')}: ${r.error?.message ?? ''}` } });
    }
    tasks = tasks.filter((x) => !batch.has(x.id));
    renderTasks();
    await followBatch();
    const done = [...batch.values()].filter((b) => ids.includes(b.task.id) && b.result.state === 'yes').length;
    status.textContent = `${t('signedDone')}: ${done}/${ids.length}`;
  } catch (error) {
    status.textContent = `${t('failed')}: ${error.message}`;
  }
}

/** Polls each taken task's request until its sheet has the signature (or failed). */
async function followBatch() {
  for (let round = 0; round < 240; round++) {
    const pending = [...batch.values()].filter((b) => b.result.state === 'pending');
    if (pending.length === 0) break;
    for (const b of pending) {
      const request = await api(`/v1/sign-requests/${b.task.requestId}`).catch(() => null);
      const s = request?.sheets?.[b.task.sheet];
      if (!s) continue;
      if (s.status === 'failed') b.result = { state: 'no', text: `${t('failed')}: ${s.error?.message ?? ''}` };
      else if (s.signaturesDone > b.task.signaturesDone && (s.status === 'done' || s.status === 'waiting-signature')) b.result = { state: 'yes', text: `${t('signedDone')} (${t('revision')} ${s.revision})`, sheetId: s.sheetId };
    }
    renderTasks();
    if ([...batch.values()].every((b) => b.result.state !== 'pending')) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function loadTasks() {
  tasks = (await api('/v1/tasks')).items;
  renderTasks();
}

function sheetIdOfPath() {
  return /^\/staff\/sheets\/(\d+)\/?$/.exec(location.pathname)?.[1] ?? null;
}

/** Shows the login form, the lists, or a sheet's page, as the key and the address say. */
function show() {
  const isLoggedIn = Boolean(staffKey());
  const sheetId = sheetIdOfPath();
  document.getElementById('login-form').classList.toggle('hidden', isLoggedIn);
  document.getElementById('app').classList.toggle('hidden', !isLoggedIn);
  document.getElementById('logout').classList.toggle('hidden', !isLoggedIn);
  for (const id of ['tasks-section', 'search-section']) document.getElementById(id).classList.toggle('hidden', sheetId !== null);
  document.getElementById('sheet').classList.toggle('hidden', sheetId === null);
  if (isLoggedIn && sheetId !== null) void showSheetPage(Number(sheetId));
}

/** Moves to `path` (a staff address) without reloading the page. */
function go(path) {
  history.pushState(null, '', path);
  show();
  if (sheetIdOfPath() === null) {
    const opened = document.querySelector(`#results-table a[data-role=open][href="${lastOpened}"]`);
    (opened ?? document.getElementById('search-title')).focus();
  }
}

whenUnauthorized(show);
initSearch((id) => {
  lastOpened = `/staff/sheets/${id}`;
  go(`/staff/sheets/${id}`);
});
document.getElementById('sheet').addEventListener('click', (event) => {
  const back = event.target.closest?.('a[data-role=back]');
  if (!back) return;
  event.preventDefault();
  go('/staff');
});
window.addEventListener('popstate', show);

document.getElementById('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  setStaffKey(document.getElementById('api-key').value.trim());
  try {
    await loadTasks();
    show();
  } catch (error) {
    setStaffKey(null);
    show();
    document.getElementById('login-status').textContent = `${t('failed')}: ${error.message}`;
  }
});
document.getElementById('logout').addEventListener('click', () => {
  setStaffKey(null);
  batch = new Map();
  show();
});

applyWords(() => { renderTasks(); renderResults(); if (sheetIdOfPath() !== null) renderSheetPage(); });
show();
if (staffKey()) void loadTasks().catch(() => undefined);
