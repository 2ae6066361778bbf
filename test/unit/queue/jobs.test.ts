import { describe, expect, it } from 'vitest';
import { MapsignError } from '../../../src/errors.js';
import { archiveSheetJob, decodeWireError, encodeWireError, JOB_DEFINITIONS, JOB_KINDS, notifyJob, signSheetJob, toMapsignError } from '../../../src/queue/index.js';

const id = `r${'0'.repeat(24)}`;

describe('job kinds', () => {
  it('declare a kind, a version and a payload schema each', () => {
    for (const kind of JOB_KINDS) {
      expect(JOB_DEFINITIONS[kind].kind).toBe(kind);
      expect(JOB_DEFINITIONS[kind].version).toBe(1);
    }
  });

  it('round-trip their payloads through the queue data', () => {
    const sign = { requestId: id, sheet: 2, step: 1, signer: { kind: 'staff' as const, account: 'an' } };
    expect(signSheetJob.parse(JSON.parse(JSON.stringify(signSheetJob.encode(sign))))).toEqual(sign);
    expect(archiveSheetJob.parse(archiveSheetJob.encode({ requestId: id, sheet: 0, step: 0 }))).toEqual({ requestId: id, sheet: 0, step: 0 });
    expect(notifyJob.parse(notifyJob.encode({ requestId: id }))).toEqual({ requestId: id });
    expect(signSheetJob.jobId(sign)).toBe(`sign-sheet.${id}.2.1`);
  });

  it('refuse unknown versions, bad ids and bytes where ids belong with JOB_PAYLOAD_INVALID', () => {
    expect(() => notifyJob.parse({ version: 2, requestId: id })).toThrow(expect.objectContaining({ code: 'JOB_PAYLOAD_INVALID' }));
    expect(() => notifyJob.parse({ version: 1, requestId: '../etc' })).toThrow(expect.objectContaining({ code: 'JOB_PAYLOAD_INVALID' }));
    expect(() => signSheetJob.parse({ version: 1, requestId: id, sheet: -1, step: 0, signer: { kind: 'server', name: 'x' } })).toThrow(expect.objectContaining({ code: 'JOB_PAYLOAD_INVALID' }));
    expect(() => signSheetJob.parse({ version: 1, requestId: id, sheet: 0, step: 0, signer: { kind: 'root' } })).toThrow(expect.objectContaining({ code: 'JOB_PAYLOAD_INVALID' }));
  });
});

describe('errors across processes', () => {
  it('travel as {code, message, details} and are rebuilt by code', () => {
    const text = encodeWireError(new MapsignError('CERT_REVOKED', 'revoked', { details: { serial: '0a' } }));
    expect(JSON.parse(text)).toEqual({ code: 'CERT_REVOKED', message: 'revoked', details: { serial: '0a' } });
    const rebuilt = toMapsignError(decodeWireError(text));
    expect(rebuilt).toBeInstanceOf(MapsignError);
    expect(rebuilt.code).toBe('CERT_REVOKED');
    expect(rebuilt.spec.retryable).toBe(false);
  });

  it('turn foreign failures into INTERNAL_ERROR with their text', () => {
    expect(decodeWireError('job stalled more than allowable limit')).toEqual({ code: 'INTERNAL_ERROR', message: 'job stalled more than allowable limit', details: {} });
    expect(decodeWireError('{"code":"NOT_OURS","message":"x"}').code).toBe('INTERNAL_ERROR');
    expect(toMapsignError(new Error('boom')).code).toBe('INTERNAL_ERROR');
    expect(toMapsignError({ code: 'TSA_UNAVAILABLE', message: 'down' }).spec.retryable).toBe(true);
  });
});

describe('errors of the service database', () => {
  it('make a busy or locked database a retryable CATALOG_UNAVAILABLE', () => {
    expect(toMapsignError(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toMatchObject({ code: 'CATALOG_UNAVAILABLE' });
    expect(toMapsignError(Object.assign(new Error('full'), { code: 'SQLITE_FULL' })).code).toBe('DISK_FULL');
    expect(toMapsignError(Object.assign(new Error('x'), { code: 'SQLITE_CORRUPT' })).code).toBe('INTERNAL_ERROR');
  });
});
