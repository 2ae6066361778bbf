/* global document, sessionStorage, fetch, URL, setTimeout */
// The staff pages' side of the HTTP API: the staff key kept in sessionStorage, JSON calls that
// raise the problem's message, authenticated downloads, and the metadata in a line of words.

import { h, t } from './i18n.js';

const KEY = 'mapsign-staff-key';
let onUnauthorized = () => undefined;

export function staffKey() {
  return sessionStorage.getItem(KEY);
}

export function setStaffKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** What to do when the key stops working (a 401): the login form again. */
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { authorization: `Bearer ${staffKey()}`, ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers } });
  if (response.status === 401) {
    setStaffKey(null);
    onUnauthorized();
  }
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (!response.ok) throw Object.assign(new Error(body?.message ?? `HTTP ${response.status}`), { status: response.status, body });
  return body;
}

/** Fetches a file with the staff key and hands it to the browser as a download named `name`. */
export async function download(url, name) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${staffKey()}` } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const href = URL.createObjectURL(await response.blob());
  const link = h('a', { href, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export function kindLabel(kind) {
  return t(`kind-${kind}`);
}

export function statusLabel(status) {
  return t({ archived: 'statusArchived', verified: 'statusVerified', invalid: 'statusInvalid' }[status] ?? status);
}

/** "Trích đo địa chính · Số tờ 25 · Thửa 112 · Phường Trấn Biên, Đồng Nai". */
export function describe(m) {
  return `${kindLabel(m.documentKind)} · ${t('sheetNo')} ${m.sheetNumber} · ${t('parcels')} ${(m.parcelNumbers ?? []).join(', ')} · ${m.commune}, ${m.province}`;
}
