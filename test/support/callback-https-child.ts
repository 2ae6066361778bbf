// Child process of callback-https.int.test.ts: posts one callback to the https URL given,
// resolving its host to 127.0.0.1 (allowed), and prints the outcome as JSON. Run with
// NODE_EXTRA_CA_CERTS naming the receiver's CA, which Node reads only at start-up.

import { parseCallbackAllowList } from '../../src/config.js';
import { CallbackPolicy, postCallback } from '../../src/queue/index.js';

const [url] = process.argv.slice(2) as [string];
const policy = new CallbackPolicy(parseCallbackAllowList('127.0.0.1'), async () => [{ address: '127.0.0.1', family: 4 }]);
try {
  const result = await postCallback({ url, headers: { 'content-type': 'application/json' }, body: '{"ok":true}', timeoutMs: 5000, policy });
  process.stdout.write(JSON.stringify({ ok: true, ...result }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, code: (error as { code?: string }).code ?? null, message: String(error) }));
}
