/* global document, URLSearchParams */
// The staff archive search: the diacritic-free text and the filters of GET /v1/sheets (commune,
// document kind, signer, status, signing dates, sort), the result table, and "show more" pages
// through nextCursor.

import { formatTime, h, t } from './i18n.js';
import { api, describe, download, statusLabel } from './staff-api.js';

const FILTERS = ['q', 'commune', 'kind', 'signer', 'status', 'from', 'to', 'sort'];
let query = null;
let items = [];
let nextCursor = null;
let openSheet = () => undefined;

/** The search's query string from the form: empty fields are left out. */
function readForm(form) {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = form.elements.namedItem(name).value.trim();
    if (value !== '') params.set(name, value);
  }
  return params;
}

async function runSearch(params, isMore) {
  const status = document.getElementById('search-status');
  status.textContent = t('loading');
  const page = new URLSearchParams(params);
  page.set('limit', '50');
  if (isMore && nextCursor) page.set('cursor', nextCursor);
  try {
    const answer = await api(`/v1/sheets?${page}`);
    items = isMore ? [...items, ...answer.items] : answer.items;
    nextCursor = answer.nextCursor;
    query = params;
    renderResults();
    if (isMore) document.querySelector(`#results-table tbody tr:nth-child(${items.length - answer.items.length + 1}) a`)?.focus();
  } catch (error) {
    status.textContent = `${t('failed')}: ${error.message}`;
  }
}

export function renderResults() {
  const box = document.getElementById('results');
  const status = document.getElementById('search-status');
  if (query === null) return;
  status.textContent = items.length === 0 ? t('noResults') : `${items.length}${nextCursor ? '+' : ''} ${t('resultsCount')}`;
  if (items.length === 0) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    h('div', { class: 'table-wrap' }, h('table', { id: 'results-table' },
      h('caption', { class: 'sr-only' }, t('search')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('dossier')), h('th', { scope: 'col' }, t('signatures')), h('th', { scope: 'col' }, t('signedAt')), h('th', { scope: 'col' }, t('status')), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('open'))))),
      h('tbody', {}, items.map((item) => h('tr', { 'data-sheet': item.id },
        h('td', {}, h('strong', {}, item.metadata.dossierCode), h('br'), describe(item.metadata)),
        h('td', {}, item.signatures.map((s) => s.signerName ?? '—').join('; ')),
        h('td', {}, formatTime(item.signedAt)),
        h('td', { 'data-status': item.status }, statusLabel(item.status)),
        h('td', { class: 'actions' },
          h('a', { href: `/staff/sheets/${item.id}`, class: 'button secondary', 'data-role': 'open', onclick: (event) => { event.preventDefault(); openSheet(item.id); } }, t('open'), h('span', { class: 'sr-only' }, ` ${t('sheetNo')} ${item.metadata.sheetNumber}`)), ' ',
          h('button', { type: 'button', 'data-role': 'download', onclick: () => download(item.fileUrl, `sheet-${item.id}.pdf`) }, t('download'), h('span', { class: 'sr-only' }, ` ${t('sheetNo')} ${item.metadata.sheetNumber}`))),
      ))),
    )),
    nextCursor ? h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'more', onclick: () => runSearch(query, true) }, t('more'))) : '',
  );
}

/** Wires the search form; `onOpen(id)` shows a sheet's page. */
export function initSearch(onOpen) {
  openSheet = onOpen;
  const form = document.getElementById('search-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = readForm(form);
    const from = params.get('from');
    const to = params.get('to');
    if (from && to && from > to) {
      document.getElementById('search-status').textContent = t('dateOrder');
      form.elements.namedItem('from').focus();
      return;
    }
    void runSearch(params, false);
  });
  form.addEventListener('reset', () => {
    query = null;
    items = [];
    nextCursor = null;
    document.getElementById('results').replaceChildren();
    document.getElementById('search-status').textContent = '';
  });
}
