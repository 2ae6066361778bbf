import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServiceDatabase, type ServiceDatabase } from '../../../src/queue/index.js';
import { relaxed } from '../../../src/queue/service-db.js';

let dir: string;
let db: ServiceDatabase;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-service-db-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  db.exec('CREATE TABLE t (n INTEGER)');
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const level = (): unknown => db.pragma('synchronous', { simple: true });

describe('relaxed writes to the service database', () => {
  it('commit without a flush of their own and leave the database durable again, even when they throw', () => {
    expect(level()).toBe(2);
    relaxed(db, () => {
      expect(level()).toBe(1);
      db.prepare('INSERT INTO t VALUES (1)').run();
    });
    expect(level()).toBe(2);
    expect(() => relaxed(db, () => { throw new Error('refused'); })).toThrow('refused');
    expect(level()).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
  });

  it('inside a transaction keep the transaction\'s level', () => {
    db.transaction(() => relaxed(db, () => expect(level()).toBe(2)))();
  });
});
