// Turns the signature facts read from a file into stored signatures: checked (they come from a
// function the caller passes in), times parsed, and a role given by the procedure's template.

import { MapsignError } from '../errors.js';
import type { SignatureInput } from './rows.js';
import { PADES_LEVELS, type SignatureFacts } from './types.js';

/**
 * Signer roles in signing order, per procedure code, `*` for any other procedure. *Unconfirmed*
 * in DOMAIN.md, so configurable: the survey unit, the commune People's Committee, the Land
 * Registration Office, the department.
 */
export type RoleTemplates = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_ROLE_TEMPLATES: RoleTemplates = {
  '*': ['don-vi-do-dac', 'ubnd-cap-xa', 'van-phong-dang-ky-dat-dai', 'so-nong-nghiep-va-moi-truong'],
};

function invalid(message: string): MapsignError {
  return new MapsignError('INTERNAL_ERROR', `signature facts from the reader are malformed: ${message}`);
}

function optionalText(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw invalid(`${field} must be a string or null`);
  return value;
}

function optionalTime(value: unknown, field: string): number | null {
  const text = optionalText(value, field);
  if (text === null) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw invalid(`${field} is not an ISO 8601 time: ${text}`);
  return ms;
}

/** Checks the facts and gives each signature its position (from 1) and role. */
export function toSignatureInputs(facts: readonly SignatureFacts[], procedureCode: string, templates: RoleTemplates): SignatureInput[] {
  const roles = templates[procedureCode] ?? templates['*'] ?? [];
  return facts.map((fact, index) => {
    if (typeof fact !== 'object' || fact === null) throw invalid(`signature ${index + 1} is not an object`);
    if (typeof fact.fieldName !== 'string' || fact.fieldName === '') throw invalid(`signature ${index + 1} has no field name`);
    if (typeof fact.certificateSerial !== 'string' || !/^[0-9a-fA-F]+$/.test(fact.certificateSerial)) throw invalid(`signature ${index + 1} has no hex serial`);
    if (typeof fact.certificateIssuer !== 'string') throw invalid(`signature ${index + 1} has no issuer`);
    if (!(PADES_LEVELS as readonly string[]).includes(fact.padesLevel)) throw invalid(`signature ${index + 1} has an unknown PAdES level`);
    return {
      position: index + 1,
      fieldName: fact.fieldName,
      role: roles[index] ?? null,
      signerName: optionalText(fact.signerName, 'signerName'),
      organisation: optionalText(fact.organisation, 'organisation'),
      certificateSerial: fact.certificateSerial.toLowerCase(),
      certificateIssuer: fact.certificateIssuer,
      signingTime: optionalTime(fact.signingTime, 'signingTime'),
      timestampTime: optionalTime(fact.timestampTime, 'timestampTime'),
      padesLevel: fact.padesLevel,
    };
  });
}
