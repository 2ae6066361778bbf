// Builds the web pages (src/web: index.html and staff.html with their ES modules and CSS) into
// dist/web, which src/api/routes/web.ts serves under /web/. No framework, no plugin, and nothing
// fetched from a CDN at run time: every asset is emitted with a content hash next to the pages.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src/web/', import.meta.url));

export default defineConfig({
  root,
  // The pages are served at /, /v/:code and /staff/…, so asset URLs must be absolute.
  base: '/web/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    rolldownOptions: { input: { index: `${root}index.html`, staff: `${root}staff.html` } },
  },
});
