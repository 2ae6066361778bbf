/* global document, sessionStorage, fetch, URL, setTimeout */
// Staff pages: log in with a staff API key (sessionStorage), the sheets waiting for my roles, sign
// a selection in one batch (POST /v1/tasks/sign) and follow each sheet to its result, search the
// archive (GET /v1/sheets?q=), a sheet's revisions, signatures and downloads.

import { applyWords, formatTime, h, t } from './i18n.js';

const KEY = 'mapsign-staff-key';
let tasks = [];
let batch = new Map();
let sheet = null;

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}`, ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers } });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    show();
  }
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (!response.ok) throw Object.assign(new Error(body?.message ?? `HTTP ${response.status}`), { status: response.status, body });
  return body;
}

async function download(url, name) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const link = h('a', { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function describe(m) {
  return `${m.documentKind} · ${t('sheetNo')} ${m.sheetNumber} · ${t('parcels')} ${(m.parcelNumbers ?? []).join(', ')} · ${m.commune}, ${m.province}`;
}

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

async function search(q) {
  const box = document.getElementById('results');
  const answer = await api(`/v1/sheets?q=${encodeURIComponent(q)}&limit=50`);
  box.replaceChildren(
    answer.items.length === 0
      ? h('p', {}, t('noResults'))
      : h('div', { class: 'table-wrap' }, h('table', { id: 'results-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('dossier')), h('th', {}, t('signatures')), h('th', {}, ''))),
        h('tbody', {}, answer.items.map((item) => h('tr', { 'data-sheet': item.id },
          h('td', {}, h('strong', {}, item.metadata.dossierCode), h('br'), describe(item.metadata)),
          h('td', {}, item.signatures.map((s) => s.signerName).join('; ')),
          h('td', {},
            h('button', { type: 'button', class: 'secondary', onclick: () => openSheet(item.id) }, t('open')), ' ',
            h('button', { type: 'button', 'data-role': 'download', onclick: () => download(item.fileUrl, `sheet-${item.id}.pdf`) }, t('download'))),
        ))),
      )),
  );
}

async function openSheet(id) {
  sheet = await api(`/v1/sheets/${id}`);
  renderSheet();
}

function renderSheet() {
  const box = document.getElementById('sheet');
  if (!sheet) return;
  box.classList.remove('hidden');
  box.replaceChildren(
    h('h2', { tabindex: '-1', id: 'sheet-title' }, `${t('sheetNo')} ${sheet.metadata.sheetNumber} — ${sheet.metadata.commune}`),
    h('p', {}, describe(sheet.metadata), ' · ', h('a', { href: `/v/${sheet.id}` }, t('publicLink'))),
    h('h3', {}, t('revisions')),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, t('revision')), h('th', {}, t('signatures')), h('th', {}, t('archivedAt')), h('th', {}, ''))),
      h('tbody', {}, sheet.revisions.map((r) => h('tr', {},
        h('td', {}, String(r.revision)),
        h('td', {}, r.signatures.map((s) => `${s.signerName ?? '—'} (${s.role ?? ''}) ${formatTime(s.timestampTime ?? s.signingTime)}`).join('; ')),
        h('td', {}, formatTime(r.archivedAt)),
        h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => download(`/v1/sheets/${sheet.id}/file?revision=${r.revision}`, `sheet-${sheet.id}-r${r.revision}.pdf`) }, t('download'))),
      ))),
    )),
  );
  document.getElementById('sheet-title').focus();
}

async function loadTasks() {
  tasks = (await api('/v1/tasks')).items;
  renderTasks();
}

function show() {
  const loggedIn = Boolean(sessionStorage.getItem(KEY));
  document.getElementById('login-form').classList.toggle('hidden', loggedIn);
  document.getElementById('app').classList.toggle('hidden', !loggedIn);
  document.getElementById('logout').classList.toggle('hidden', !loggedIn);
}

document.getElementById('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById('api-key').value.trim());
  try {
    await loadTasks();
    show();
  } catch (error) {
    sessionStorage.removeItem(KEY);
    show();
    document.getElementById('login-status').textContent = `${t('failed')}: ${error.message}`;
  }
});
document.getElementById('logout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  batch = new Map();
  show();
});
document.getElementById('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void search(document.getElementById('q').value);
});

applyWords(() => { renderTasks(); renderSheet(); });
show();
if (sessionStorage.getItem(KEY)) void loadTasks().catch(() => undefined);
