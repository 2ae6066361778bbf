// The audit log's hash chain: each entry's hash covers its content and the previous entry's
// hash, so an edited, removed or reordered entry breaks the chain at a place that can be named.

import { createHash } from 'node:crypto';
import { MapsignError } from '../errors.js';
import { AUDIT_KINDS, type AuditEntry, type AuditEvent } from './types.js';

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where the chain ends, as the catalog's single head row records it. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export type AuditProblemKind = 'edited' | 'missing' | 'reordered' | 'broken-link' | 'truncated' | 'head-mismatch';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The entry the problem is found at. */
  seq: number;
  message: string;
}

export interface AuditVerifyResult {
  isIntact: boolean;
  entries: number;
  head: AuditHead;
  problems: AuditProblem[];
}

const MAX_PROBLEMS = 100;
const REORDER_WINDOW = 64;

/** SHA-256 over the JSON array of every stored field but the hash, in a fixed order. */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const content = JSON.stringify([entry.seq, entry.at, entry.kind, entry.sheetId, entry.sha256, entry.actor, entry.details, entry.prevHash]);
  return createHash('sha256').update(content).digest('hex');
}

/** Checks an event before it is chained. */
export function validateAuditEvent(event: AuditEvent): void {
  if (!(AUDIT_KINDS as readonly string[]).includes(event.kind)) {
    throw new MapsignError('USAGE_INVALID', `audit kind must be one of ${AUDIT_KINDS.join(', ')}, not ${JSON.stringify(event.kind)}`);
  }
  if (typeof event.actor !== 'string' || event.actor.trim() === '' || event.actor.length > 200) {
    throw new MapsignError('USAGE_INVALID', 'an audit event needs an actor of 1 to 200 characters');
  }
}

/** Chains events after `head`: sequence numbers, previous hashes and hashes, all at time `at`. */
export function chainAuditEvents(head: AuditHead, events: readonly AuditEvent[], at: number): AuditEntry[] {
  let { seq, hash } = head;
  return events.map((event) => {
    validateAuditEvent(event);
    seq += 1;
    const entry: Omit<AuditEntry, 'hash'> = {
      seq,
      at,
      kind: event.kind,
      sheetId: event.sheetId ?? null,
      sha256: event.sha256 ?? null,
      actor: event.actor,
      details: JSON.stringify(event.details ?? {}),
      prevHash: hash,
    };
    hash = hashAuditEntry(entry);
    return { ...entry, hash };
  });
}

function describe(entry: AuditEntry): string {
  return `entry #${entry.seq} (${entry.kind} at ${new Date(entry.at).toISOString()}${entry.sheetId === null ? '' : `, sheet ${entry.sheetId}`})`;
}

/** The sequence number this entry's content was hashed with, when it sits at another place. */
function findOriginalSeq(entry: AuditEntry): number | null {
  for (let delta = 1; delta <= REORDER_WINDOW; delta++) {
    for (const seq of [entry.seq - delta, entry.seq + delta]) {
      if (seq >= 1 && hashAuditEntry({ ...entry, seq }) === entry.hash) return seq;
    }
  }
  return null;
}

/**
 * Walks the entries in sequence order and reports every break: an entry whose content no longer
 * matches its hash (edited), a gap in the sequence (removed), an entry hashed for another place
 * (reordered), a previous-hash that does not match, and a head that does not match the last
 * entry (entries removed from the end).
 */
export async function verifyAuditChain(entries: AsyncIterable<AuditEntry>, head: AuditHead): Promise<AuditVerifyResult> {
  const problems: AuditProblem[] = [];
  const report = (kind: AuditProblemKind, seq: number, message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ kind, seq, message });
  };
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  // A link into an entry already reported as moved is broken by that move, not by this entry.
  let isPreviousMoved = false;
  for await (const entry of entries) {
    count++;
    const isHashValid = hashAuditEntry(entry) === entry.hash;
    const original = isHashValid ? null : findOriginalSeq(entry);
    if (!isHashValid) {
      if (original !== null) report('reordered', entry.seq, `${describe(entry)} was moved: it was written as entry #${original}`);
      else report('edited', entry.seq, `${describe(entry)} was edited: its content does not match its hash`);
    }
    if (entry.seq > expectedSeq) {
      const range = entry.seq - expectedSeq === 1 ? `entry #${expectedSeq} is` : `entries #${expectedSeq} to #${entry.seq - 1} are`;
      report('missing', expectedSeq, `${range} missing: removed before ${describe(entry)}`);
    } else if (isHashValid && !isPreviousMoved && entry.prevHash !== prevHash) {
      report('broken-link', entry.seq, `${describe(entry)} does not follow entry #${entry.seq - 1}: entry #${entry.seq - 1} was edited and re-hashed, or entries were removed or reordered`);
    }
    prevHash = entry.hash;
    expectedSeq = entry.seq + 1;
    isPreviousMoved = original !== null;
  }
  const lastSeq = expectedSeq - 1;
  if (head.seq > lastSeq) {
    report('truncated', lastSeq + 1, `entries #${lastSeq + 1} to #${head.seq} are missing: removed from the end of the log (head records #${head.seq})`);
  } else if (head.seq < lastSeq || head.hash !== prevHash) {
    report('head-mismatch', lastSeq, `the head records entry #${head.seq} with another hash than the last entry #${lastSeq}: the log or its head was edited`);
  }
  return { isIntact: problems.length === 0, entries: count, head, problems };
}
