import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashAuditEntry, verifyAuditChain, type AuditEntry } from '../../../src/archive/index.js';
import { chainAuditEvents } from '../../../src/archive/audit.js';

function makeChain(count: number): AuditEntry[] {
  return chainAuditEvents(
    { seq: 0, hash: GENESIS_HASH },
    Array.from({ length: count }, (_, i) => ({ kind: 'archived' as const, sheetId: i + 1, actor: 'test', details: { n: i } })),
    1_780_000_000_000,
  );
}

async function verify(entries: AuditEntry[], head = { seq: entries.at(-1)?.seq ?? 0, hash: entries.at(-1)?.hash ?? GENESIS_HASH }) {
  async function* all() {
    yield* entries;
  }
  return verifyAuditChain(all(), head);
}

describe('audit chain', () => {
  it('links each entry to the one before, from the genesis hash', () => {
    const chain = makeChain(3);
    expect(chain.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(chain[0]!.prevHash).toBe(GENESIS_HASH);
    expect(chain[1]!.prevHash).toBe(chain[0]!.hash);
    expect(hashAuditEntry(chain[2]!)).toBe(chain[2]!.hash);
  });

  it('verifies an untouched chain, and an empty one', async () => {
    expect(await verify(makeChain(20))).toMatchObject({ isIntact: true, entries: 20, problems: [] });
    expect(await verify([])).toMatchObject({ isIntact: true, entries: 0 });
  });

  it('names an edited entry', async () => {
    const chain = makeChain(10);
    chain[4] = { ...chain[4]!, details: '{"n":99}' };
    const result = await verify(chain);
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'edited', seq: 5 })]);
  });

  it('names a removed entry, and several', async () => {
    const chain = makeChain(10);
    expect((await verify(chain.filter((e) => e.seq !== 3))).problems).toEqual([expect.objectContaining({ kind: 'missing', seq: 3, message: expect.stringContaining('entry #3 is missing') })]);
    expect((await verify(chain.filter((e) => e.seq < 3 || e.seq > 6))).problems[0]!.message).toContain('entries #3 to #6 are missing');
  });

  it('names entries that changed places', async () => {
    const chain = makeChain(10);
    const moved = chain.map((e) => (e.seq === 2 ? { ...chain[5]!, seq: 2 } : e.seq === 6 ? { ...chain[1]!, seq: 6 } : e));
    expect((await verify(moved)).problems.map((p) => [p.kind, p.seq])).toEqual([
      ['reordered', 2],
      ['reordered', 6],
    ]);
  });

  it('finds entries cut from the end through the head', async () => {
    const chain = makeChain(10);
    const result = await verify(chain.slice(0, 7), { seq: 10, hash: chain[9]!.hash });
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'truncated', seq: 8 })]);
  });

  it('finds a rewritten tail whose head no longer matches', async () => {
    const chain = makeChain(5);
    const forged = chainAuditEvents({ seq: 3, hash: chain[2]!.hash }, [{ kind: 'verified', actor: 'mallory' }, { kind: 'verified', actor: 'mallory' }], 1);
    const result = await verify([...chain.slice(0, 3), ...forged], { seq: 5, hash: chain[4]!.hash });
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'head-mismatch' })]);
  });

  it('refuses an unknown kind or a missing actor', () => {
    expect(() => chainAuditEvents({ seq: 0, hash: GENESIS_HASH }, [{ kind: 'deleted' as never, actor: 'x' }], 1)).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
    expect(() => chainAuditEvents({ seq: 0, hash: GENESIS_HASH }, [{ kind: 'archived', actor: ' ' }], 1)).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
  });
});
