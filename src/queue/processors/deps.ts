// What processors are given: plain dependencies, so the same functions run in the embedded
// service, in BullMQ workers and in tests (which swap one of them to inject a fault).

import type { Archive, ReadSignatureFacts } from '../../archive/index.js';
import type { KeySource } from '../../pki/index.js';
import type { SignPdfOptions, SignPdfResult } from '../../signing/index.js';
import type { FlowJob } from '../adapter.js';
import type { JobKind } from '../jobs/index.js';
import type { CallbackPolicy } from '../callback-policy.js';
import type { WorkFileStore } from '../file-store.js';
import type { RequestStore } from '../request-store.js';
import type { ServiceStampTemplates, StampImages } from '../stamp-spec.js';
import type { SignerRef } from '../types.js';

export interface JobContext {
  jobId: string;
  attempt: number;
  maxAttempts: number;
  /** Kind of the job that waits for this one in its flow, null when none does. */
  parentKind: JobKind | null;
  reportProgress(fraction: number): Promise<void>;
}

/** What a processor returns: JSON, kept as the job's result (durations and bytes feed the metrics). */
export type JobResult = Record<string, unknown>;

/** Logs without secrets (pino's interface, narrowed). */
export interface ServiceLogger {
  info(object: Record<string, unknown>, message?: string): void;
  warn(object: Record<string, unknown>, message?: string): void;
  error(object: Record<string, unknown>, message?: string): void;
}

export interface VerifyFileResult {
  isValid: boolean;
  report: unknown;
}

export interface ProcessorDeps {
  store: RequestStore;
  files: WorkFileStore;
  archive: Archive;
  /** Opens the key of a signer. @throws MapsignError `SIGNER_UNKNOWN`, `KEY_*` */
  openKey(signer: SignerRef): Promise<KeySource>;
  /** Reads the signatures of a file for the archive (the CLI's readSignatureFacts). */
  readSignatures: ReadSignatureFacts;
  /** The signing pipeline (signPdf); tests wrap it to stop a worker mid-job. */
  sign(options: SignPdfOptions): Promise<SignPdfResult>;
  /**
   * Stamp templates for signatures whose request asks for a visible stamp (the ones the API
   * checked template names against). Absent: such a signature fails with CONFIG_INVALID.
   */
  stampTemplates?: ServiceStampTemplates;
  /** The signature and seal images configured with a signer's key, for its stamps; absent: none. */
  stampImages?(signer: SignerRef): Promise<StampImages>;
  /** MAPSIGN_PUBLIC_URL: stamps' QR codes encode `<publicUrl>/v/<public code>`. */
  publicUrl?: string | null;
  /** Options added to every signature: PAdES level, TSA, trust for the signer check. */
  signOptions?: Pick<SignPdfOptions, 'level' | 'timestamp' | 'trust' | 'revocation'>;
  /** Validates a signed file before it is archived; its report is stored with it. Absent: no report is stored. */
  verifyFile?: (path: string) => Promise<VerifyFileResult>;
  /** Adds jobs (the notification once a request is finished). */
  addFlow(flow: FlowJob): Promise<void>;
  /** The webhook signing secret of a dossier system (`whsec_…`), or null. */
  webhookSecret(owner: string): Promise<string | null>;
  webhookTimeoutMs: number;
  /** Where callbacks may go (MAPSIGN_CALLBACK_ALLOW); absent: public addresses only. */
  callbackPolicy?: CallbackPolicy;
  logger: ServiceLogger;
}
