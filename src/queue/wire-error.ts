// Errors crossing processes (BullMQ's failedReason, the job table, webhook bodies) travel as
// `{code, message, details}` and are rebuilt by code with MapsignError.fromJSON, never by instanceof.

import { MapsignError, isErrorCode, isMapsignError, type ErrorCode, type ErrorDetails } from '../errors.js';
import { translateServiceDbError } from './service-db.js';

export interface WireError {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

/** Any thrown value as a MapsignError: ours as they are, everything else INTERNAL_ERROR. */
export function toMapsignError(error: unknown): MapsignError {
  if (isMapsignError(error)) return error;
  const fromDb = translateServiceDbError(error);
  if (fromDb) return fromDb;
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && isErrorCode((error as { code: string }).code)) {
    // A MapsignError from another copy of the module (tsx and dist side by side) or rebuilt JSON.
    const e = error as { code: string; message?: string; details?: ErrorDetails };
    return MapsignError.fromJSON({ code: e.code, message: e.message ?? e.code, details: e.details ?? {} });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new MapsignError('INTERNAL_ERROR', message, { cause: error });
}

export function toWireError(error: unknown): WireError {
  return toMapsignError(error).toJSON();
}

/** Encodes an error as the text BullMQ keeps as `failedReason`. */
export function encodeWireError(error: unknown): string {
  return JSON.stringify(toWireError(error));
}

/** Reads a `failedReason` written by {@link encodeWireError}; other text becomes INTERNAL_ERROR. */
export function decodeWireError(text: string | undefined | null): WireError {
  if (text) {
    try {
      const value = JSON.parse(text) as Partial<WireError>;
      if (value && typeof value.code === 'string' && typeof value.message === 'string') {
        return MapsignError.fromJSON({ code: value.code, message: value.message, details: value.details ?? {} }).toJSON();
      }
    } catch {
      // not ours: a BullMQ message such as "job stalled more than allowable limit"
    }
  }
  return { code: 'INTERNAL_ERROR', message: text || 'the job failed without a reason', details: {} };
}
