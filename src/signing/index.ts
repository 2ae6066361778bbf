// Public surface of the signing pipeline.

export { signPdf } from './pipeline.js';
export type { PadesLevel, SignPdfOptions, SignPdfResult } from './pipeline.js';
export { extendPdf } from './extend.js';
export type { ExtendPdfOptions, ExtendPdfResult } from './extend.js';
export { checkSigner } from './check-signer.js';
export type { CheckSignerResult } from './check-signer.js';
export type { PreparedDigest, ProgressListener } from './digest.js';
export type { PreparedRevision } from './prepare-revision.js';
export { createTsaClient } from './tsa-client.js';
export type { Timestamper, TsaClientOptions } from './tsa-client.js';
export type { TimestampPolicy } from './sign.js';
