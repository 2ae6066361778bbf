import { describe, expect, it } from 'vitest';
import { planRequestFlows, planSheetSegment, requestIdFor, type FlowJob, type SheetRecordState, type SignRequestRecord } from '../../../src/queue/index.js';
import { sheetMetadata } from '../../support/service.js';

function sheet(index: number, overrides: Partial<SheetRecordState> = {}): SheetRecordState {
  return {
    index,
    part: `s${index}`,
    sourceSheetId: null,
    metadata: sheetMetadata(index + 1),
    publicCode: 'a'.repeat(26),
    sourceSha256: 'a'.repeat(64),
    sourceSize: 10,
    step: 0,
    archivedStep: 0,
    currentSha256: 'a'.repeat(64),
    currentSize: 10,
    state: 'queued',
    progress: 0,
    error: null,
    history: [],
    archiveSheetId: null,
    updatedAt: 0,
    ...overrides,
  };
}

function request(signatures: SignRequestRecord['signatures'], sheets: SheetRecordState[], callbackUrl: string | null = 'https://dossier.example/cb'): SignRequestRecord {
  return { id: requestIdFor('portal', 'key-1'), owner: 'portal', idempotencyKey: 'key-1', bodyHash: 'h', callbackUrl, signatures, sheets, createdAt: 0, updatedAt: 0, enqueuedAt: null, notifiedAt: null, deliveries: [] };
}

/** Job ids from the first to run to the root, following single children. */
function chainOf(job: FlowJob): string[] {
  const ids: string[] = [];
  for (let node: FlowJob | undefined = job; node; node = node.children[0]) ids.unshift(node.id);
  return ids;
}

const two = [
  { role: 'survey', signer: 'survey-unit' },
  { role: 'department', signer: 'department-seal' },
];

describe('requestIdFor', () => {
  it('derives the same id from the same owner and idempotency key, and another from another owner', () => {
    expect(requestIdFor('portal', 'k')).toBe(requestIdFor('portal', 'k'));
    expect(requestIdFor('portal', 'k')).toMatch(/^r[0-9a-f]{24}$/);
    expect(requestIdFor('registry', 'k')).not.toBe(requestIdFor('portal', 'k'));
  });
});

describe('planRequestFlows', () => {
  it('chains sign and archive per role for each sheet under one notification when every signature has a server key', () => {
    const r = request(two, [sheet(0), sheet(1)]);
    const [flow, ...rest] = planRequestFlows(r);
    expect(rest).toEqual([]);
    expect(flow!.kind).toBe('notify');
    expect(flow!.id).toBe(`notify.${r.id}`);
    expect(flow!.children.map((c) => c.onFailure)).toEqual(['ignore', 'ignore']);
    expect(chainOf(flow!.children[0]!)).toEqual([`sign-sheet.${r.id}.0.0`, `archive-sheet.${r.id}.0.0`, `sign-sheet.${r.id}.0.1`, `archive-sheet.${r.id}.0.1`]);
    expect(flow!.children[0]!.children[0]!.onFailure).toBe('fail-parent');
    expect(flow!.children[0]!.children[0]!.data).toEqual({ version: 1, requestId: r.id, sheet: 0, step: 1, signer: { kind: 'server', name: 'department-seal' } });
  });

  it('stops each chain before a signature that waits for staff, without a notification', () => {
    const r = request([two[0]!, { role: 'department', signer: null }], [sheet(0)]);
    const flows = planRequestFlows(r);
    expect(flows).toHaveLength(1);
    expect(chainOf(flows[0]!)).toEqual([`sign-sheet.${r.id}.0.0`, `archive-sheet.${r.id}.0.0`]);
  });

  it('plans nothing for a sheet that waits for staff until a staff key is given', () => {
    const r = request([{ role: 'department', signer: null }], [sheet(0, { state: 'waiting-signature' })]);
    expect(planRequestFlows(r)).toEqual([]);
    const segment = planSheetSegment(r, r.sheets[0]!, { kind: 'staff', account: 'an' });
    expect(segment!.isToEnd).toBe(true);
    expect((segment!.root.children[0]!.data as { signer: unknown }).signer).toEqual({ kind: 'staff', account: 'an' });
  });

  it('starts with the archive step of a sheet signed but not archived, and skips finished sheets', () => {
    const r = request(two, [sheet(0, { step: 1, archivedStep: 0, state: 'archiving' }), sheet(1, { state: 'done', step: 2, archivedStep: 2 })]);
    const [flow] = planRequestFlows(r);
    expect(flow!.children).toHaveLength(1);
    expect(chainOf(flow!.children[0]!)).toEqual([`archive-sheet.${r.id}.0.0`, `sign-sheet.${r.id}.0.1`, `archive-sheet.${r.id}.0.1`]);
  });

  it('adds the notification alone for a finished request not yet notified, and nothing without a callback', () => {
    const done = [sheet(0, { state: 'done', step: 2, archivedStep: 2 })];
    expect(planRequestFlows(request(two, done)).map((f) => f.id)).toEqual([`notify.${requestIdFor('portal', 'key-1')}`]);
    expect(planRequestFlows(request(two, done, null))).toEqual([]);
    expect(planRequestFlows(request(two, [sheet(0)], null)).map((f) => f.kind)).toEqual(['archive-sheet']);
  });
});
