// Small conversions for the report: certificate summaries, PDF dates, Vietnam time (+07:00).

import { describeCertificate } from '../pki/index.js';
import type { CertificateSummary } from './types.js';

const VN_OFFSET_MS = 7 * 3600 * 1000;

/** ISO 8601 in Vietnam time: 2026-07-15T09:32:10+07:00. */
export function toVietnamTime(date: Date): string {
  return `${new Date(date.getTime() + VN_OFFSET_MS).toISOString().slice(0, 19)}+07:00`;
}

/** A PDF date (ISO 32000-2 §7.9.4), D:YYYYMMDDHHmmSSOHH'mm', read leniently. */
export function parsePdfDate(text: string): Date | null {
  const match = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?'?$/.exec(text.trim());
  if (!match) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] = match;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offset = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : sign === '+' ? 1 : 0);
  const date = new Date(utc - offset);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function summarize(der: Buffer | null): CertificateSummary | null {
  if (der === null) return null;
  try {
    const info = describeCertificate(der);
    return {
      subject: info.subject,
      commonName: info.commonName ?? null,
      organization: info.organization ?? null,
      issuer: info.issuer,
      serialNumber: info.serialNumber,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
    };
  } catch {
    return null;
  }
}
