// Public surface of the signing pipeline.

export { signPdf } from './pipeline.js';
export type { SignPdfOptions, SignPdfResult } from './pipeline.js';
export { checkSigner } from './check-signer.js';
export type { CheckSignerResult } from './check-signer.js';
export type { PreparedDigest, ProgressListener } from './digest.js';
export type { PreparedRevision } from './prepare-revision.js';
export { createTsaClient } from './tsa-client.js';
export type { Timestamper, TsaClientOptions } from './tsa-client.js';
export type { TimestampPolicy } from './sign.js';
