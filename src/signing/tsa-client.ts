// RFC 3161 §3.4 time-stamp protocol over HTTP: POST application/timestamp-query, read
// application/timestamp-reply, with a timeout and a size limit. The token is checked by cms/.

import { randomBytes } from 'node:crypto';
import { MapsignError } from '../errors.js';
import { buildTimeStampRequest, readTimeStampResponse, type HashAlgorithm, type TimeStampToken } from '../cms/index.js';

export interface TsaClientOptions {
  url: string;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Largest reply accepted; default 256 KiB. */
  maxResponseBytes?: number;
  /** TSA policy OID to request. */
  policy?: string;
}

/** Something that time-stamps a hash (the message imprint): the HTTP client, or a fake in tests. */
export type Timestamper = (messageImprint: Buffer, hashAlgorithm: HashAlgorithm) => Promise<TimeStampToken>;

async function readLimited(response: Response, limit: number, url: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) throw new MapsignError('TSA_RESPONSE_INVALID', `the TSA at ${url} sent ${declared} bytes, over the limit of ${limit}`);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new MapsignError('TSA_RESPONSE_INVALID', `the TSA at ${url} sent more than ${limit} bytes`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks, total);
}

/** A Timestamper that asks an RFC 3161 TSA over HTTP(S) for a token on the hash of `data`. */
export function createTsaClient(options: TsaClientOptions): Timestamper {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MapsignError('USAGE_INVALID', `TSA URL must be http or https: ${options.url}`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limit = options.maxResponseBytes ?? 256 * 1024;
  return async (messageImprint, hashAlgorithm) => {
    const request = {
      messageImprint,
      hashAlgorithm,
      nonce: randomBytes(16),
      ...(options.policy ? { policy: options.policy } : {}),
    };
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: buildTimeStampRequest(request),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'connection failed';
      throw new MapsignError('TSA_UNAVAILABLE', `the TSA at ${url.origin}${url.pathname} is unavailable: ${reason}`, {
        cause: error,
        details: { url: url.toString() },
      });
    }
    if (!response.ok) {
      throw new MapsignError('TSA_UNAVAILABLE', `the TSA at ${url.origin}${url.pathname} answered HTTP ${response.status}`, {
        details: { url: url.toString(), status: response.status },
      });
    }
    const body = await readLimited(response, limit, url.toString());
    return readTimeStampResponse(body, request);
  };
}
