// docs/verify-report.schema.json describes what verify() returns: reports of an unsigned, a
// signed and a tampered sheet are checked against it by a small validator of the subset of JSON
// Schema the file uses (type, enum, const, properties, required, additionalProperties, items,
// oneOf, $ref), so the document and the code cannot drift apart.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource } from '../../../src/pki/index.js';
import { signPdf } from '../../../src/signing/index.js';
import { createCertificateValidator, verify, VERIFY_REPORT_SCHEMA_VERSION } from '../../../src/verify/index.js';
import { VERIFY_REPORT_SCHEMA_VERSION as TYPES_VERSION } from '../../../src/verify/types.js';
import { makePdf } from '../../fixtures/make-pdf.js';
import { samplePki } from '../../fixtures/make-pki.js';
import { appendDss, appendIncrement } from '../../fixtures/make-signed.js';
import { PdfDict, PdfNewStream } from '../../../src/pdf/index.js';

type Schema = Record<string, unknown>;
const schema = JSON.parse(readFileSync(new URL('../../../docs/verify-report.schema.json', import.meta.url), 'utf8')) as Schema;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function check(value: unknown, node: Schema, path: string, errors: string[]): void {
  if (typeof node['$ref'] === 'string') return check(value, (schema['$defs'] as Record<string, Schema>)[(node['$ref'] as string).split('/').pop()!]!, path, errors);
  if (Array.isArray(node['oneOf'])) {
    const matches = (node['oneOf'] as Schema[]).filter((option) => {
      const inner: string[] = [];
      check(value, option, path, inner);
      return inner.length === 0;
    });
    if (matches.length !== 1) errors.push(`${path}: matches ${matches.length} of oneOf`);
    return;
  }
  if ('const' in node && value !== node['const']) errors.push(`${path}: not ${String(node['const'])}`);
  if (Array.isArray(node['enum']) && !(node['enum'] as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (node['type'] !== undefined) {
    const types = ([] as string[]).concat(node['type'] as string | string[]);
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) errors.push(`${path}: ${actual}, expected ${types.join('|')}`);
  }
  if (typeOf(value) === 'object' && node['properties']) {
    const properties = node['properties'] as Record<string, Schema>;
    for (const key of (node['required'] as string[] | undefined) ?? []) if (!(key in (value as object))) errors.push(`${path}.${key}: missing`);
    for (const [key, item] of Object.entries(value as object)) {
      if (properties[key]) check(item, properties[key], `${path}.${key}`, errors);
      else if (node['additionalProperties'] === false) errors.push(`${path}.${key}: not in the schema`);
    }
  }
  if (Array.isArray(value) && node['items']) value.forEach((item, i) => check(item, node['items'] as Schema, `${path}[${i}]`, errors));
}

const pki = samplePki();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-report-schema-'));
  await makePdf(join(dir, 'sheet.pdf'), { acroForm: 'text-field' });
  const key = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  await signPdf({ input: join(dir, 'sheet.pdf'), output: join(dir, 'once.pdf'), keySource: key });
  await signPdf({ input: join(dir, 'once.pdf'), output: join(dir, 'twice.pdf'), keySource: key });
  // The sample CRLs in a /DSS, so the pki validator reports revocation checks offline.
  await appendDss(join(dir, 'once.pdf'), join(dir, 'with-dss.pdf'), { certificates: [], crls: [readFileSync(pki.crlDer), readFileSync(pki.rootCrlDer)] });
  await appendIncrement(join(dir, 'twice.pdf'), join(dir, 'tampered.pdf'), async (reader) => [
    { ref: (await reader.getPage(1)).dict.get('Contents') as never, value: new PdfNewStream(new PdfDict(), Buffer.from('0 g')) },
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the verify report schema', () => {
  it.each(['sheet.pdf', 'twice.pdf', 'tampered.pdf'])('describes the report of %s', async (file) => {
    const report = JSON.parse(JSON.stringify(await verify(join(dir, file)))) as unknown;
    const errors: string[] = [];
    check(report, schema, '$', errors);
    expect(errors).toEqual([]);
  });

  it.each(['with-dss.pdf', 'once.pdf'])('describes the report of %s checked by the pki validator offline', async (file) => {
    const trust = await createCertificateValidator({ trust: { roots: [pki.rootCa] } });
    const report = await verify(join(dir, file), { trust });
    expect(report.signatures[0]!.trust.revocationChecks.length).toBeGreaterThan(0);
    const errors: string[] = [];
    check(JSON.parse(JSON.stringify(report)) as unknown, schema, '$', errors);
    expect(errors).toEqual([]);
  });

  it('carries the version the code announces', () => {
    expect(VERIFY_REPORT_SCHEMA_VERSION).toBe(TYPES_VERSION);
    expect((schema['properties'] as Record<string, Schema>)['schemaVersion']!['const']).toBe(VERIFY_REPORT_SCHEMA_VERSION);
  });
});
