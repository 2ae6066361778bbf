// The one HTTP client of the pki module, for OCSP (RFC 6960 Appendix A), CRLs and caIssuers
// (RFC 5280 §4.2.1.13, §4.2.2.1): plain http only, no redirects, a deadline for the whole
// exchange and a byte limit on the body, so a slow or hostile server cannot hold a signing job.
import { request } from 'node:http';

export interface FetchHttpOptions {
  method?: 'GET' | 'POST';
  body?: Buffer;
  contentType?: string;
  accept?: string;
  /** Deadline for connecting, sending and reading everything, in ms. */
  timeoutMs: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
}

/** Why a fetch failed, in a form the revocation result can carry. */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly reason: 'scheme' | 'timeout' | 'too-large' | 'http-status' | 'network';

  constructor(reason: FetchError['reason'], message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.reason = reason;
  }
}

/** Parses `url` and refuses anything but http: (https, ldap, file and data URLs alike). */
export function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new FetchError('scheme', `not a URL: ${url}`, error);
  }
  if (parsed.protocol !== 'http:') throw new FetchError('scheme', `only http URLs are fetched, not ${parsed.protocol} (${url})`);
  return parsed;
}

/** Fetches `url` and resolves with the body of a 200 answer; rejects with a FetchError otherwise. */
export function fetchHttp(url: string, options: FetchHttpOptions): Promise<Buffer> {
  const target = parseHttpUrl(url);
  return new Promise<Buffer>((resolve, reject) => {
    let isSettled = false;
    const chunks: Buffer[] = [];
    let received = 0;
    const headers: Record<string, string> = { connection: 'close' };
    if (options.accept) headers['accept'] = options.accept;
    if (options.body) {
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      headers['content-length'] = String(options.body.length);
    }
    const req = request(target, { method: options.method ?? 'GET', headers });
    const finish = (error: FetchError | undefined, body?: Buffer): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else {
        resolve(body ?? Buffer.alloc(0));
      }
    };
    const timer = setTimeout(() => finish(new FetchError('timeout', `no complete answer from ${url} within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('error', (error) => finish(new FetchError('network', `cannot reach ${url}: ${error.message}`, error)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(new FetchError('http-status', `${url} answered HTTP ${res.statusCode ?? '?'}`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        finish(new FetchError('too-large', `${url} announces ${declared} bytes, more than the limit of ${options.maxBytes}`));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBytes) {
          finish(new FetchError('too-large', `${url} sent more than the limit of ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, Buffer.concat(chunks)));
      res.on('error', (error) => finish(new FetchError('network', `reading ${url} failed: ${error.message}`, error)));
      res.on('aborted', () => finish(new FetchError('network', `${url} closed the connection mid-answer`)));
    });
    req.end(options.body);
  });
}
