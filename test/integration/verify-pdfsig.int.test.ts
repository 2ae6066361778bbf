// mapsign verify agrees with poppler's pdfsig on benign sheets: the same signatures, the same
// cryptographic verdict, the same answer to "does it cover the whole file", for sheets signed by
// mapsign, by mutool (adbe.pkcs7.detached, SHA-1) and by both in turn.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { verify } from '../../src/verify/index.js';
import { makeAttackSuite, type ControlCase } from '../fixtures/make-attacks.js';
import { samplePki } from '../fixtures/make-pki.js';
import { pdfsig, runCommand } from '../support/verifiers.js';

const pki = samplePki();
let dir: string;
let controls: ControlCase[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-pdfsig-'));
  const victim = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  const attacker = await openPkcs12KeySource({ path: pki.p12.staffEc, password: pki.password });
  ({ controls } = await makeAttackSuite(dir, { victim, attacker }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verify and pdfsig', () => {
  it('agree on every benign sheet: count, integrity, signature type and whole-file coverage (document time-stamps aside, which poppler does not check)', async () => {
    const disagreements: string[] = [];
    for (const control of controls) {
      const theirs = await pdfsig(control.path);
      // pdfsig lists signatures in form order, with their field names; verify lists them in revision order.
      const fieldNames = [...theirs.output.matchAll(/Signature Field Name: (.*)$/gm)].map((m) => m[1]!.trim());
      const ours = await verify(control.path, { isSha1Accepted: true });
      if (theirs.signatures.length !== ours.signatures.length) {
        disagreements.push(`${control.name}: pdfsig sees ${theirs.signatures.length} signatures, verify ${ours.signatures.length}`);
        continue;
      }
      ours.signatures.forEach((signature, i) => {
        const other = theirs.signatures[fieldNames.indexOf(signature.fieldName ?? '')];
        if (!other) return void disagreements.push(`${control.name}: pdfsig has no field ${signature.fieldName ?? ''}`);
        // poppler 22.12 does not verify ETSI.RFC3161 document time-stamps (it reports their type as unknown).
        if (signature.kind === 'document-timestamp') return;
        const isIntact = signature.integrity.isByteRangeValid && signature.integrity.isDigestValid === true && signature.integrity.isSignatureValid === true;
        if (isIntact !== other.isValid) disagreements.push(`${control.name} #${i + 1}: pdfsig valid=${other.isValid}, verify intact=${isIntact}`);
        if (signature.subFilter !== other.signatureType) disagreements.push(`${control.name} #${i + 1}: pdfsig type ${other.signatureType}, verify ${signature.subFilter ?? ''}`);
        const isWhole = signature.byteRange !== null && signature.byteRange[2]! + signature.byteRange[3]! === ours.file.size;
        if (isWhole !== other.isTotalDocumentSigned) disagreements.push(`${control.name} #${i + 1}: pdfsig total=${other.isTotalDocumentSigned}, verify whole=${isWhole}`);
      });
    }
    expect(disagreements).toEqual([]);
    expect(controls.filter((c) => c.base === 'mutool').length).toBeGreaterThanOrEqual(2);
  });

  it('cannot sign with pdfsig -add-signature here: poppler 22.12 needs an NSS database that certutil makes', async () => {
    // pdfsig signs only with a key in an NSS database (-nssdir, -nick); making one needs
    // certutil/pk12util (libnss3-tools), which this machine and CI do not install.
    const help = await runCommand('pdfsig', ['-h']);
    expect(help.stdout + help.stderr).toMatch(/-add-signature/);
    expect(help.stdout + help.stderr).toMatch(/-nssdir/);
  });
});
