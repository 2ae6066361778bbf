import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, MapsignError, isErrorCode } from '../../src/errors.js';

describe('error code table', () => {
  it('maps every code to an HTTP status, an exit code from sysexits and a Vietnamese summary', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z0-9]+)+$/);
      expect([400, 401, 403, 404, 409, 413, 415, 416, 422, 429, 500, 503]).toContain(spec.http);
      expect(spec.exit).toBeGreaterThanOrEqual(64);
      expect(spec.exit).toBeLessThanOrEqual(78);
      expect(spec.summaryVi.length).toBeGreaterThan(3);
    }
  });

  it('lists exactly the codes of the table in docs/errors.md', () => {
    const documented = new Set(
      [...readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8').matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]),
    );
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('rebuilds an error from its JSON form by code', () => {
    const original = new MapsignError('CERT_REVOKED', 'revoked on 2026-01-01', { details: { serial: '0a' } });
    const rebuilt = MapsignError.fromJSON(JSON.parse(JSON.stringify(original)));
    expect(rebuilt.code).toBe('CERT_REVOKED');
    expect(rebuilt.details).toEqual({ serial: '0a' });
    expect(rebuilt.spec.retryable).toBe(false);
    expect(isErrorCode('NOT_A_CODE')).toBe(false);
    expect(MapsignError.fromJSON({ code: 'NOT_A_CODE', message: 'x' }).code).toBe('INTERNAL_ERROR');
  });
});
