// POSTs a webhook body to a callback URL through the callback policy: the host is resolved and
// checked once, and the connection goes to the checked addresses only (node:http's `lookup`
// answers with them instead of asking DNS again). No redirect is followed.

import type { LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CallbackPolicy } from './callback-policy.js';

export interface PostCallbackOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Deadline of the whole delivery: resolution, connection and the answer's status line. */
  timeoutMs: number;
  policy: CallbackPolicy;
}

export interface PostCallbackResult {
  status: number;
  /** The address the request was sent to. */
  address: string;
}

/** A `lookup` for net.connect that answers with addresses checked beforehand, whatever DNS says now. */
function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, [...addresses]);
      return;
    }
    const wanted = options.family === 4 || options.family === 6 ? addresses.find((a) => a.family === options.family) : addresses[0];
    const chosen = wanted ?? addresses[0]!;
    callback(null, chosen.address, chosen.family);
  };
}

/**
 * Sends the request and answers with the receiver's status (the body is discarded).
 *
 * @throws MapsignError `CALLBACK_URL_REFUSED` when the policy refuses the host; a network error or
 *   a timeout (AbortError) as Node raises it
 */
export async function postCallback(options: PostCallbackOptions): Promise<PostCallbackResult> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const aborted = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  const { url, addresses } = await Promise.race([options.policy.resolve(options.url), aborted]);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let connectedTo = addresses[0]!.address;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
      lookup: pinnedLookup(addresses),
      // A fresh connection per delivery: no pooled socket from another resolution is reused.
      agent: false,
      signal,
    });
    request.on('socket', (socket) => socket.on('connect', () => (connectedTo = socket.remoteAddress ?? connectedTo)));
    request.on('response', resolve);
    request.on('error', reject);
    request.end(options.body);
  });
  response.resume();
  response.on('error', () => undefined);
  return { status: response.statusCode ?? 0, address: connectedTo };
}
