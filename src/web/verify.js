/* global document, location, FormData, XMLHttpRequest, fetch */
// The public verification page: choose or drop a sheet, upload it to POST /v1/verify with upload
// progress, show the report. On /v/<code> (the QR code's target) it first shows the archived
// sheet's record and stored report, and the upload compares the visitor's copy with it.

import { applyWords, formatTime, h, lang, t } from './i18n.js';
import { renderReport } from './report.js';

const form = document.getElementById('verify-form');
const input = document.getElementById('file');
const drop = document.getElementById('drop');
const status = document.getElementById('status');
const progressBox = document.getElementById('progress-box');
const progress = document.getElementById('progress');
const progressLabel = document.getElementById('progress-label');
const result = document.getElementById('result');
// The QR code's target /v/<code>: the sheet's public code (26 base32 characters), never its archive
// id; anything else under /v/ is a sheet the archive does not have.
const code = /^\/v\/([^/]+)\/?$/.exec(location.pathname)?.[1] ?? null;
const isPublicCode = code !== null && /^[A-Za-z2-7]{26}$/.test(code);
let lastReport = null;
let archived = null;

function upload(file) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/verify?lang=${lang()}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      progress.value = Math.round((event.loaded / event.total) * 100);
      if (event.loaded === event.total) progressLabel.textContent = t('checking');
    };
    xhr.onload = () => (xhr.status === 200 ? resolve(xhr.response) : reject(Object.assign(new Error(xhr.response?.message ?? `HTTP ${xhr.status}`), { status: xhr.status, body: xhr.response })));
    xhr.onerror = () => reject(new Error('network error'));
    const body = new FormData();
    body.append('file', file, file.name);
    xhr.send(body);
  });
}

function render() {
  result.replaceChildren();
  if (lastReport) {
    result.append(renderReport(lastReport));
    if (archived && !archived.error) result.prepend(h('p', { class: `verdict ${lastReport.file.sha256 === archived.sha256 ? 'ok' : 'bad'}`, id: 'compare' }, lastReport.file.sha256 === archived.sha256 ? t('sameCopy') : t('otherCopy')));
  }
  if (code) renderArchived();
}

async function check(file) {
  if (!file) return;
  progress.value = 0;
  progressLabel.textContent = t('uploading');
  progressBox.classList.remove('hidden');
  status.textContent = '';
  document.getElementById('check').disabled = true;
  try {
    lastReport = await upload(file);
    render();
    document.querySelector('.verdict h2')?.focus?.();
  } catch (error) {
    lastReport = null;
    result.replaceChildren();
    status.textContent = `${t('error')}: ${error.status === 429 ? t('tooMany') : error.message}`;
  } finally {
    progressBox.classList.add('hidden');
    document.getElementById('check').disabled = false;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void check(input.files[0]);
});
for (const name of ['dragenter', 'dragover']) drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add('over'); });
for (const name of ['dragleave', 'drop']) drop.addEventListener(name, () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  const file = event.dataTransfer?.files?.[0];
  if (file) void check(file);
});

function renderArchived() {
  const box = document.getElementById('archived-body');
  box.replaceChildren();
  if (!archived) return;
  if (archived.error) {
    box.append(h('p', { class: 'no' }, t('notFound')));
    return;
  }
  const m = archived.metadata;
  box.append(
    h('dl', { class: 'facts', id: 'archived-record' },
      h('dt', {}, t('kind')), h('dd', {}, t(`kind-${m.documentKind}`)),
      h('dt', {}, t('sheetNo')), h('dd', {}, m.sheetNumber),
      h('dt', {}, t('parcels')), h('dd', {}, (m.parcelNumbers ?? []).join(', ')),
      h('dt', {}, t('commune')), h('dd', {}, m.commune),
      h('dt', {}, t('province')), h('dd', {}, m.province),
      h('dt', {}, t('revision')), h('dd', {}, String(archived.revision)),
      h('dt', {}, t('archivedAt')), h('dd', {}, formatTime(archived.archivedAt)),
      h('dt', {}, t('hash')), h('dd', {}, archived.sha256),
      h('dt', {}, t('signatures')), h('dd', {}, archived.signatures.map((s) => `${s.signerName ?? '—'}${s.organisation ? ` (${s.organisation})` : ''}`).join('; ')),
    ),
  );
  if (archived.verification?.report) box.append(h('h3', {}, t('storedReport')), renderReport(archived.verification.report));
  box.append(h('h3', {}, t('compare')));
}

async function loadArchived() {
  document.getElementById('archived').classList.remove('hidden');
  const response = isPublicCode ? await fetch(`/v1/public/sheets/${encodeURIComponent(code)}`) : null;
  archived = response?.ok ? await response.json() : { error: response?.status ?? 404 };
  renderArchived();
}

applyWords(render);
if (code) void loadArchived();
