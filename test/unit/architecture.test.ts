// Keeps the module boundaries of shared/DESIGN.md: which module may import which, only through
// its index.ts, and each third-party library only in its home module (STYLE.md §2).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** DESIGN.md's table; `errors` and `config` are importable from everywhere. */
const ALLOWED: Record<string, string[]> = {
  pdf: [],
  cms: [],
  pki: ['cms'],
  signing: ['pdf', 'cms', 'pki'],
  verify: ['pdf', 'cms', 'pki'],
  archive: [],
  queue: ['signing', 'verify', 'archive', 'pki'],
  api: ['queue', 'archive', 'verify'],
  cli: ['pdf', 'cms', 'pki', 'signing', 'verify', 'archive', 'queue', 'api', 'web'],
  web: [],
};

const LIBRARY_HOMES: Record<string, string[]> = {
  'pdf-lib': ['pdf'],
  '@pdf-lib/fontkit': ['pdf'],
  pkijs: ['cms', 'pki'],
  asn1js: ['cms', 'pki'],
  'node-forge': ['pki'],
  bullmq: ['queue'],
  fastify: ['api'],
  pg: ['archive'],
  // The embedded default persists its jobs and API keys in SQLite too (DESIGN.md "Where it runs").
  'better-sqlite3': ['archive', 'queue'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

interface ImportEdge {
  file: string;
  module: string;
  specifier: string;
  isTypeOnly: boolean;
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const module = relative(SRC, file).split(sep)[0]!.replace(/\.ts$/, '');
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
    edges.push({ file: relative(SRC, file), module, specifier: match[3]!, isTypeOnly: match[2] !== undefined });
  }
  for (const match of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) {
    edges.push({ file: relative(SRC, file), module, specifier: match[1]!, isTypeOnly: false });
  }
  return edges;
}

const edges = sourceFiles(SRC).flatMap(importsOf);

function targetModule(edge: ImportEdge): string | undefined {
  if (!edge.specifier.startsWith('.')) return undefined;
  const target = relative(SRC, join(SRC, edge.file, '..', edge.specifier)).split(sep)[0]!;
  return target.replace(/\.js$/, '');
}

describe('module boundaries', () => {
  it('lets each module import only the modules DESIGN.md allows (archive: types only)', () => {
    const violations = edges.flatMap((edge) => {
      const target = targetModule(edge);
      if (target === undefined || target === edge.module || target === 'errors' || target === 'config') return [];
      if (!(edge.module in ALLOWED)) return [];
      const isAllowed = ALLOWED[edge.module]!.includes(target) || (edge.module === 'archive' && edge.isTypeOnly);
      return isAllowed ? [] : [`${edge.file} imports ${edge.specifier}`];
    });
    expect(violations).toEqual([]);
  });

  it('reaches other modules only through their index.ts', () => {
    const violations = edges.flatMap((edge) => {
      const target = targetModule(edge);
      if (target === undefined || target === edge.module || target === 'errors' || target === 'config') return [];
      return /\/index\.js$/.test(edge.specifier) ? [] : [`${edge.file} imports ${edge.specifier}`];
    });
    expect(violations).toEqual([]);
  });

  it('keeps each third-party library in its home module', () => {
    const violations = edges.flatMap((edge) => {
      const library = Object.keys(LIBRARY_HOMES).find((name) => edge.specifier === name || edge.specifier.startsWith(`${name}/`));
      if (!library || LIBRARY_HOMES[library]!.includes(edge.module) || edge.isTypeOnly) return [];
      return [`${edge.file} imports ${edge.specifier}`];
    });
    expect(violations).toEqual([]);
  });

  it('finds the imports it checks, so that it cannot pass by reading nothing', () => {
    expect(edges.filter((e) => e.module === 'signing' && targetModule(e) === 'pdf').length).toBeGreaterThan(0);
    expect(edges.filter((e) => e.specifier === 'pkijs').length).toBeGreaterThan(0);
  });
});
