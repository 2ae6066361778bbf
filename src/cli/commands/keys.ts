// `mapsign keys create|list|revoke`: API keys of dossier systems (scopes) and staff accounts
// (roles and their own signing key), in the service's store (service.sqlite, or PostgreSQL in the
// distributed mode). A new key is printed once, as the last line of the output.

import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ApiKeyStore, Scope } from '../../api/index.js';
import { imagePaths, type SignerKeyConfig } from '../../config.js';
import { MapsignError, fromSystemError } from '../../errors.js';
import { loadServiceConfig, openServiceStores, openSignerKey } from './worker.js';

interface CreateOptions {
  name: string;
  scopes?: string;
  staff?: boolean;
  roles?: string;
  p12?: string;
  passwordEnv?: string;
  passwordFile?: string;
  signatureImage?: string;
  sealImage?: string;
  json?: boolean;
}

/** The scopes of a dossier system's key (also in api/auth-store.ts, loaded only when a key is made). */
const SCOPES: readonly Scope[] = ['sign:request', 'sheets:read', 'verify', 'metrics'];

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Where the service reads keys: service.sqlite, or PostgreSQL with DATABASE_URL and REDIS_URL. */
async function withKeys<T>(work: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const stores = await openServiceStores(loadServiceConfig());
  try {
    return await work(stores.keys);
  } finally {
    await stores.close();
  }
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('API keys of dossier systems and staff accounts (stored hashed under MAPSIGN_DATA_DIR, or in PostgreSQL with DATABASE_URL and REDIS_URL)');
  keys
    .command('create')
    .description('create a key and print it once, on the last line')
    .requiredOption('--name <name>', 'name of the dossier system or staff member (lower case, unique)')
    .option('--scopes <list>', `comma-separated scopes of a dossier system: ${SCOPES.join(', ')}`)
    .option('--staff', 'a staff account: signs waiting sheets of its roles with its own key')
    .option('--roles <list>', 'comma-separated roles of a staff account, e.g. department')
    .option('--p12 <file>', "the staff member's own PKCS#12 signing key")
    .option('--password-env <var>', 'environment variable of the service holding the PKCS#12 password')
    .option('--password-file <file>', 'file holding the PKCS#12 password')
    .option('--signature-image <png>', "with --p12: PNG of the staff member's signature, drawn in the visible stamps of their signatures")
    .option('--seal-image <png>', "with --p12: PNG of the organisation's seal, drawn over the signature's left third")
    .action(async (options: CreateOptions) => {
      const isStaff = options.staff === true;
      const scopes = list(options.scopes);
      for (const scope of scopes) if (!isScope(scope)) throw new MapsignError('USAGE_INVALID', `unknown scope ${scope}; scopes are ${SCOPES.join(', ')}`);
      if (!isStaff && scopes.length === 0) throw new MapsignError('USAGE_INVALID', `a dossier system's key needs --scopes (${SCOPES.join(', ')})`);
      if (!isStaff && (options.roles || options.p12)) throw new MapsignError('USAGE_INVALID', '--roles and --p12 are for staff accounts (--staff)');
      if (!options.p12 && (options.signatureImage || options.sealImage)) throw new MapsignError('USAGE_INVALID', '--signature-image and --seal-image go with the signing key (--p12)');
      let signer: SignerKeyConfig | null = null;
      if (options.p12) {
        if (!isStaff) throw new MapsignError('USAGE_INVALID', '--p12 is for staff accounts');
        if (!!options.passwordEnv === !!options.passwordFile) throw new MapsignError('USAGE_INVALID', 'give the PKCS#12 password as --password-env VAR or --password-file FILE');
        signer = {
          p12: resolve(options.p12),
          passwordEnv: options.passwordEnv,
          passwordFile: options.passwordFile ? resolve(options.passwordFile) : undefined,
          ...imagePaths({ signatureImage: options.signatureImage, sealImage: options.sealImage }, 'keys create'),
        };
        // The images must be there now, not at the first stamped signature.
        for (const image of [signer.signatureImage, signer.sealImage]) {
          if (image) await access(image).catch((error: unknown) => {
            throw fromSystemError(error, image);
          });
        }
        // Fail now, not at the first signature: the file opens with that password.
        await openSignerKey(signer, options.p12);
      }
      const created = await withKeys((store) =>
        store.create({ name: options.name, kind: isStaff ? 'staff' : 'system', scopes: isStaff ? (scopes.length > 0 ? (scopes as Scope[]) : ['sheets:read']) : (scopes as Scope[]), roles: list(options.roles), signer }),
      );
      const lines = [
        `created ${isStaff ? 'staff account' : 'dossier system key'} ${created.record.name} (id ${created.record.id})`,
        `  scopes: ${created.record.scopes.join(', ')}`,
      ];
      if (isStaff) lines.push(`  roles: ${created.record.roles.join(', ')}`, `  signing key: ${signer ? signer.p12 : 'none (cannot sign until re-created with --p12)'}`);
      if (signer?.signatureImage) lines.push(`  signature image: ${signer.signatureImage}`);
      if (signer?.sealImage) lines.push(`  seal image: ${signer.sealImage}`);
      if (created.record.webhookSecret) lines.push(`  webhook secret (verifies the callbacks' webhook-signature): ${created.record.webhookSecret}`);
      lines.push('the key follows; it is shown only this once:', created.key);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      const records = await withKeys((store) => store.list());
      const shown = records.map((r) => ({ id: r.id, name: r.name, kind: r.kind, scopes: r.scopes, roles: r.roles, hasSigningKey: r.hasSigningKey, createdAt: new Date(r.createdAt).toISOString(), revokedAt: r.revokedAt ? new Date(r.revokedAt).toISOString() : null }));
      if (options.json) process.stdout.write(`${JSON.stringify({ ok: true, keys: shown }, null, 2)}\n`);
      else for (const r of shown) process.stdout.write(`${r.name}\t${r.kind}\t${r.kind === 'staff' ? `roles ${r.roles.join(',')}` : `scopes ${r.scopes.join(',')}`}\t${r.revokedAt ? `revoked ${r.revokedAt}` : 'active'}\n`);
    });
  keys
    .command('revoke')
    .description('revoke a key by name')
    .argument('<name>')
    .action(async (name: string) => {
      const isRevoked = await withKeys((store) => store.revoke(name));
      if (!isRevoked) throw new MapsignError('INPUT_NOT_FOUND', `no active key named ${name}`);
      process.stdout.write(`revoked ${name}\n`);
    });
}
