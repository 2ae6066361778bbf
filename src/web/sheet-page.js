/* global document, location */
// A sheet's page for staff (/staff/sheets/<id>): its dossier metadata, every revision with its
// download, the signatures and the revision that added each, and its audit trail
// (GET /v1/sheets/:id/audit), which a download from this page extends.

import { formatSize, formatTime, h, t } from './i18n.js';
import { api, download, kindLabel, statusLabel } from './staff-api.js';

const AUDIT_PAGE = 200;
let sheet = null;
let audit = [];
let auditNext = null;
let error = null;

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== '').flatMap(([label, value]) => [h('dt', {}, t(label)), h('dd', {}, value)]));
}

/** The revision that first holds the signature at `position` (signatures only ever accumulate). */
function addedIn(position) {
  return sheet.revisions.find((r) => r.signatures.length > position)?.revision ?? sheet.revision;
}

function auditDetails(entry) {
  const d = entry.details ?? {};
  const parts = [];
  if (typeof d.revision === 'number') parts.push(`${t('revision')} ${d.revision}`);
  if (typeof d.signatures === 'number') parts.push(`${d.signatures} ${t('signatures').toLowerCase()}`);
  if (typeof d.size === 'number') parts.push(formatSize(d.size));
  if (typeof d.isValid === 'boolean') parts.push(d.isValid ? t('isValidWord') : t('isInvalidWord'));
  if (Array.isArray(d.fields)) parts.push(`${t('fields')}: ${d.fields.join(', ')}`);
  return parts.join(' · ');
}

function renderAudit() {
  if (audit.length === 0) return h('p', {}, t('noAudit'));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'audit-table' },
    h('caption', { class: 'sr-only' }, t('audit')),
    h('thead', {}, h('tr', {}, ['seq', 'time', 'event', 'actor', 'details', 'entryHash'].map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, audit.map((entry) => h('tr', { 'data-kind': entry.kind, 'data-seq': entry.seq },
      h('td', {}, `#${entry.seq}`),
      h('td', {}, formatTime(entry.at)),
      h('td', {}, t(`ev-${entry.kind}`)),
      h('td', {}, entry.actor),
      h('td', {}, auditDetails(entry)),
      h('td', {}, h('code', { title: entry.hash }, entry.hash.slice(0, 12))),
    ))),
  ));
}

async function downloadRevision(revision) {
  await download(`/v1/sheets/${sheet.id}/file?revision=${revision}`, `sheet-${sheet.id}-r${revision}.pdf`);
  // The download is in the audit log now.
  await loadAudit(true);
  document.querySelector(`#revisions-table tr[data-revision="${revision}"] button`)?.focus();
}

export function renderSheetPage() {
  const box = document.getElementById('sheet');
  if (error) {
    box.replaceChildren(h('p', {}, h('a', { href: '/staff', 'data-role': 'back' }, t('backToList'))), h('h2', { id: 'sheet-title', tabindex: '-1' }, t('failed')), h('p', { class: 'no' }, error));
    return;
  }
  if (!sheet) {
    box.replaceChildren(h('p', { role: 'status' }, t('loading')));
    return;
  }
  const m = sheet.metadata;
  const latest = sheet.revisions.find((r) => r.revision === sheet.revision) ?? sheet.revisions[sheet.revisions.length - 1];
  box.replaceChildren(
    h('p', {}, h('a', { href: '/staff', 'data-role': 'back' }, `← ${t('backToList')}`)),
    h('h2', { tabindex: '-1', id: 'sheet-title' }, `${t('sheetNo')} ${m.sheetNumber} — ${m.commune}`),
    h('p', {}, `${kindLabel(m.documentKind)} · ${statusLabel(sheet.status)} · `, h('a', { href: `/v/${sheet.publicCode}`, 'data-role': 'public-link' }, t('publicLink'))),
    h('section', { 'aria-labelledby': 'sheet-info-title' },
      h('h3', { id: 'sheet-info-title' }, t('sheetInfo')),
      facts([
        ['dossierCode', m.dossierCode], ['procedure', `${m.procedureCode} ${m.procedureSuffix}`], ['decision', m.decisionRef], ['kind', kindLabel(m.documentKind)],
        ['province', m.province], ['commune', m.commune], ['legacyDistrict', m.legacyDistrict], ['sheetNo', m.sheetNumber], ['gridSheet', m.gridSheetNumber],
        ['parcels', (m.parcelNumbers ?? []).join(', ')], ['parcelIds', (m.parcelIds ?? []).join(', ')], ['scale', `1:${m.scale}`], ['paperSize', m.paperSize],
        ['surveyUnit', m.surveyUnit], ['signedAt', formatTime(sheet.signedAt)], ['hash', sheet.sha256],
        ['publicCode', sheet.publicCode], ['verificationUrl', sheet.verificationUrl ?? `${location.origin}/v/${sheet.publicCode}`],
      ]),
    ),
    h('section', { 'aria-labelledby': 'revisions-title' },
      h('h3', { id: 'revisions-title' }, t('revisions')),
      h('div', { class: 'table-wrap' }, h('table', { id: 'revisions-table' },
        h('thead', {}, h('tr', {}, ['revision', 'archivedAt', 'signatures', 'size', 'hash'].map((key) => h('th', { scope: 'col' }, t(key))), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('download'))))),
        h('tbody', {}, sheet.revisions.map((r) => h('tr', { 'data-revision': r.revision },
          h('td', {}, String(r.revision)),
          h('td', {}, formatTime(r.archivedAt)),
          h('td', {}, String(r.signatures.length)),
          h('td', {}, formatSize(r.size)),
          h('td', {}, h('code', { title: r.sha256 }, r.sha256.slice(0, 16))),
          h('td', {}, h('button', { type: 'button', class: 'secondary', 'data-role': 'download-revision', onclick: () => downloadRevision(r.revision) }, t('download'), h('span', { class: 'sr-only' }, ` ${t('revision')} ${r.revision}`))),
        ))),
      )),
    ),
    h('section', { 'aria-labelledby': 'signatures-title' },
      h('h3', { id: 'signatures-title' }, t('signatures')),
      h('div', { class: 'table-wrap' }, h('table', { id: 'signatures-table' },
        h('thead', {}, h('tr', {}, ['role', 'signer', 'organisation', 'when', 'padesLevel', 'serial', 'addedIn'].map((key) => h('th', { scope: 'col' }, t(key))))),
        h('tbody', {}, (latest?.signatures ?? []).map((s) => h('tr', {},
          h('td', {}, s.role ?? '—'),
          h('td', { class: 'signer-name' }, s.signerName ?? '—'),
          h('td', {}, s.organisation ?? '—'),
          h('td', {}, s.timestampTime ? `${formatTime(s.timestampTime)} (${t('proven')})` : `${formatTime(s.signingTime)} (${t('claimed')})`),
          h('td', {}, s.padesLevel),
          h('td', {}, h('code', { title: s.certificateIssuer }, s.certificateSerial)),
          h('td', {}, String(addedIn(s.position))),
        ))),
      )),
    ),
    h('section', { 'aria-labelledby': 'audit-title' },
      h('h3', { id: 'audit-title' }, t('audit')),
      h('p', {}, t('auditIntro')),
      renderAudit(),
      auditNext !== null ? h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'audit-more', onclick: () => loadAudit(false) }, t('more'))) : '',
    ),
  );
}

/** Reads the audit trail from the start (`isFresh`) or its next page. */
async function loadAudit(isFresh) {
  const after = isFresh ? 0 : auditNext ?? 0;
  const answer = await api(`/v1/sheets/${sheet.id}/audit?after=${after}&limit=${AUDIT_PAGE}`);
  audit = isFresh ? answer.items : [...audit, ...answer.items];
  auditNext = answer.nextAfter;
  renderSheetPage();
}

/** Loads and shows sheet `id`, then moves the focus to its title. */
export async function showSheetPage(id) {
  sheet = null;
  audit = [];
  auditNext = null;
  error = null;
  renderSheetPage();
  try {
    sheet = await api(`/v1/sheets/${id}`);
    const answer = await api(`/v1/sheets/${id}/audit?limit=${AUDIT_PAGE}`);
    audit = answer.items;
    auditNext = answer.nextAfter;
  } catch (failure) {
    error = failure.message;
  }
  renderSheetPage();
  document.getElementById('sheet-title')?.focus();
}
