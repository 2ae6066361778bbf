// Headless Chromium from Debian (/usr/bin/chromium) driven by playwright-core, for the web page
// tests; and the test service listening on a free port so the browser can reach it.

import { chromium, type Browser } from 'playwright-core';
import type { TestService } from './service.js';

export const CHROMIUM_PATH = process.env['MAPSIGN_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Makes the service's Fastify app listen on 127.0.0.1 on a free port; returns its base URL. */
export async function listen(service: TestService): Promise<string> {
  return service.app.listen({ host: '127.0.0.1', port: 0 });
}
