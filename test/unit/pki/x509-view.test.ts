// readX509Certificate builds node:crypto's view of a certificate once per process: validators meet
// the same chain on every sheet.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readX509Certificate } from '../../../src/pki/index.js';
import { samplePki } from '../../fixtures/make-pki.js';

const pki = samplePki();
const rootDer = Buffer.from(new X509Certificate(readFileSync(pki.rootCa)).raw);
const issuingDer = Buffer.from(new X509Certificate(readFileSync(pki.issuingCa)).raw);

describe('readX509Certificate', () => {
  it('gives the same view for equal bytes in different buffers', () => {
    const first = readX509Certificate(rootDer);
    const second = readX509Certificate(Buffer.from(rootDer));
    expect(second).toBe(first);
    expect(Buffer.from(first.raw).equals(rootDer)).toBe(true);
  });

  it('gives each certificate its own view', () => {
    const root = readX509Certificate(rootDer);
    const issuing = readX509Certificate(issuingDer);
    expect(issuing).not.toBe(root);
    expect(issuing.checkIssued(root)).toBe(true);
    expect(issuing.subject).not.toBe(root.subject);
  });

  it('throws for bytes that are not a certificate, every time', () => {
    const garbage = Buffer.from('30030201ff', 'hex');
    expect(() => readX509Certificate(garbage)).toThrow();
    expect(() => readX509Certificate(garbage)).toThrow();
  });
});
