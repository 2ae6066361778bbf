// The validator against the attacks on PDF signatures (USF, ISA, SWA, shadow, evil annotation,
// sneaky signature, DocMDP/FieldMDP) on sheets signed by mapsign and by mutool, and the benign
// controls that must stay valid.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { createTrustValidatorFromCertificates, verify, type CertificateValidator } from '../../src/verify/index.js';
import { makeAttackSuite, type AttackCase, type ControlCase } from '../fixtures/make-attacks.js';
import { samplePki } from '../fixtures/make-pki.js';
import { readPemCertificates } from '../fixtures/make-signed.js';

const pki = samplePki();
let dir: string;
let attacks: AttackCase[] = [];
let controls: ControlCase[] = [];
let trust: CertificateValidator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-attacks-'));
  const victim = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  const attacker = await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password });
  ({ attacks, controls } = await makeAttackSuite(dir, { victim, attacker }));
  // The root, and the issuing CA for mutool, which embeds no chain for some keys.
  trust = await createTrustValidatorFromCertificates(await readPemCertificates(pki.caChain));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verify against known attacks', () => {
  it('has at least three variants of every attack class, from mapsign and from mutool signatures', () => {
    for (const attackClass of ['USF', 'ISA', 'SWA', 'SHADOW', 'EAA', 'SSA']) {
      expect(attacks.filter((a) => a.attackClass === attackClass).length, attackClass).toBeGreaterThanOrEqual(3);
    }
    for (const attackClass of ['USF', 'ISA', 'SWA', 'SHADOW']) {
      expect(attacks.some((a) => a.attackClass === attackClass && a.base === 'mutool'), attackClass).toBe(true);
    }
  });

  it('reports every attack as not valid with the sub-indication that names it', async () => {
    const misses: string[] = [];
    for (const attack of attacks) {
      const report = await verify(attack.path, { trust, isSha1Accepted: true });
      const signature = report.signatures[attack.signatureIndex - 1];
      const isRight = signature !== undefined && signature.indication !== 'PASSED' && attack.expected.includes(signature.subIndication ?? '');
      if (!isRight || report.verdict.indication === 'PASSED' || report.verdict.code === null) {
        misses.push(`${attack.name}: ${signature?.indication ?? 'no signature'} ${signature?.subIndication ?? ''} verdict ${report.verdict.indication}`);
      }
      expect(signature?.errors.length ?? 0, attack.name).toBeGreaterThan(0);
    }
    expect(misses).toEqual([]);
  });

  it('names what changed: object number, type and why', async () => {
    const report = await verify(attacks.find((a) => a.name.startsWith('ISA isa-new-content (mapsign)'))!.path, { trust });
    const page = report.changes.find((c) => c.code === 'page-content-changed');
    expect(page).toMatchObject({ isAllowed: false, objectType: 'Page', page: 1, violates: 'policy' });
    expect(page!.objectNumber).toBeGreaterThan(0);
    expect(page!.message).toMatch(/content of page 1/);
  });

  it('finds the revision that a trailer /Prev skips', async () => {
    const report = await verify(attacks.find((a) => a.name === 'ISA isa-prev-trick (mapsign)')!.path, { trust });
    expect(report.findings.map((f) => f.code)).toContain('PDF_REVISION_HIDDEN');
    expect(report.revisions.some((r) => r.isHidden)).toBe(true);
  });

  it('blames a FieldMDP lock on the signature that set it', async () => {
    const report = await verify(attacks.find((a) => a.name.startsWith('MDP mdp-locked-field-filled'))!.path, { trust });
    expect(report.changes.find((c) => c.code === 'field-locked')).toMatchObject({ violates: 'lock', lockedBy: 1 });
  });
});

describe('verify on benign controls', () => {
  it('keeps every control valid and trusted, with the expected PAdES level', async () => {
    const misses: string[] = [];
    for (const control of controls) {
      const report = await verify(control.path, { trust, isSha1Accepted: true });
      const summary = report.signatures.map((s) => `${s.indication}/${s.subIndication ?? ''} ${s.errors.map((e) => e.message).join('; ')}`).join(' | ');
      if (report.verdict.indication !== 'PASSED' || report.signatures.length !== control.signatures) misses.push(`${control.name}: ${report.verdict.message} ${summary}`);
      if (control.level && report.signatures[0]?.level !== control.level) misses.push(`${control.name}: level ${report.signatures[0]?.level ?? 'none'}, expected ${control.level}`);
    }
    expect(misses).toEqual([]);
  });

  it('reports allowed changes after signing without failing the signature', async () => {
    const report = await verify(controls.find((c) => c.name === 'control-mapsign-twice')!.path, { trust });
    expect(report.signatures[0]!.changesAfter.allowed).toBeGreaterThan(0);
    expect(report.signatures[0]!.changesAfter.disallowed).toBe(0);
    expect(report.changes.map((c) => c.code)).toEqual(expect.arrayContaining(['signature-added', 'signature-field-added']));
  });

  it('proves the signing time with the signature time-stamp', async () => {
    const report = await verify(controls.find((c) => c.name === 'control-b-t')!.path, { trust });
    expect(report.signatures[0]!.timestamp).toMatchObject({ kind: 'signature', isValid: true });
    expect(report.signatures[0]!.signingTime).toMatchObject({ source: 'timestamp', isProven: true });
  });

  it('reports SHA-1 signatures of mutool as intact but too weak unless the policy accepts them', async () => {
    const report = await verify(controls.find((c) => c.name === 'control-mutool')!.path, { trust });
    expect(report.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE', format: 'PKCS7' });
    expect(report.signatures[0]!.integrity).toMatchObject({ isDigestValid: true, isSignatureValid: true });
  });

  it('reports trust as not checked when no trust anchors are given', async () => {
    const report = await verify(controls.find((c) => c.name === 'control-mapsign')!.path);
    expect(report.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    expect(report.signatures[0]!.trust.status).toBe('not-checked');
    expect(report.verdict.code).toBe('TRUST_NOT_CHECKED');
  });
});
