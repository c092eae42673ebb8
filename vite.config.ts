import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';
import { SlowestFirst } from './test/helpers/sequencer.js';

const require = createRequire(import.meta.url);
const threeLibs = path.join(path.dirname(require.resolve('three')), '../examples/jsm/libs');

/**
 * Puts three's Draco decoder and Basis transcoder in `decoders/`, the element's default decoder path. three's own
 * loaders also reference them with `new URL(…, import.meta.url)`, which Vite emits as assets into the same folder
 * (assetFileNames below); whatever it has not emitted is copied here, so each file is there once.
 */
function decoders(): Plugin {
  const files = [
    'draco/draco_decoder.js',
    'draco/draco_decoder.wasm',
    'draco/draco_wasm_wrapper.js',
    'basis/basis_transcoder.js',
    'basis/basis_transcoder.wasm',
  ];
  return {
    name: 'xoay-decoders',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const f of files) {
        const fileName = `decoders/${path.basename(f)}`;
        if (!bundle[fileName]) this.emitFile({ type: 'asset', fileName, source: readFileSync(path.join(threeLibs, f)) });
      }
    },
  };
}

/** `vite build --mode lib`: ESM for bundlers in dist/viewer-lib/ (three, react, R3F, drei and thumbhash left to the app). */
const lib = {
  outDir: 'dist/viewer-lib',
  emptyOutDir: true,
  target: 'es2022',
  sourcemap: true,
  copyPublicDir: false,
  lib: { entry: { index: 'viewer/index.ts', react: 'viewer/react/index.ts' }, formats: ['es' as const] },
  rollupOptions: { external: [/^three($|\/)/, /^react($|\/|-dom)/, /^@react-three\//, 'thumbhash'] },
};

/**
 * With `modulePreload: false` Vite still wraps each dynamic import in its preload helper (≈0.5 KB gzip of link-preload
 * and CSS logic) although it has no dependencies to preload. This drops the helper and calls each import's loader
 * directly, so the spin path does not carry it; the minifier then drops what it used.
 */
function noPreloadHelper(): Plugin {
  const head = 'var __vitePreload = function preload(';
  return {
    name: 'xoay-no-preload-helper',
    apply: 'build',
    renderChunk(code) {
      let out = code;
      const start = out.indexOf(head);
      if (start >= 0) {
        let i = out.indexOf('{', start);
        for (let depth = 0; i < out.length; i++) {
          if (out[i] === '{') depth++;
          else if (out[i] === '}' && --depth === 0) break;
        }
        // Kept (the minifier drops it when unused): the lazily loaded chunks import it from the entry.
        out = `${out.slice(0, start)}var __vitePreload = (load) => load();${out.slice(i + 1).replace(/^;/, '')}`;
      }
      // Each call, `__vitePreload(load, __VITE_PRELOAD__, import.meta.url)` (the dependencies, which the helper above
      // ignores), becomes `(load)()`, in every chunk; should a call ever look otherwise, the calls stay.
      const tail = /,\s*(?:\[\]|__VITE_PRELOAD__)\s*,\s*import\.meta\.url\s*\)/g;
      const calls = out.split('__vitePreload(').length - 1;
      if (calls > 0 && calls === (out.match(tail)?.length ?? 0)) out = out.replaceAll('__vitePreload(', '(').replace(tail, ')()');
      return out === code ? null : { code: out, map: null };
    },
  };
}

/**
 * `vite build --mode render`: the product renderer's page (pipeline/render/page/, driven by
 * pipeline/render/render.ts) in dist/render/: index.html, its script (three.js and the viewer's 3D studio) and the
 * decoders in decoders/, all relative, so the installed package renders without Vite or the sources.
 */
const renderPage = {
  outDir: fileURLToPath(new URL('dist/render', import.meta.url)),
  emptyOutDir: true,
  target: 'es2022',
  minify: true,
  sourcemap: false,
  copyPublicDir: false,
  modulePreload: false,
  chunkSizeWarningLimit: 1200,
  rollupOptions: { output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', assetFileNames: 'decoders/[name][extname]' } },
};

export default defineConfig(({ mode }) => ({
  // `npm run build`: the embeddable viewer. dist/viewer/xoay-viewer.js registers <xoay-viewer> for a plain
  // <script type="module"> (and exports the core API); three.js and the 3D code are a separate chunk loaded only when
  // 3D is shown; chunk and decoder URLs are relative, so the folder works wherever it is copied.
  // Relative URLs everywhere (chunks, and the decoders three's loaders reference): the folder works wherever it is copied.
  base: './',
  // The render page is built from its own folder, so index.html lands at the top of dist/render/.
  ...(mode === 'render' ? { root: fileURLToPath(new URL('pipeline/render/page', import.meta.url)) } : {}),
  build:
    mode === 'lib'
      ? lib
      : mode === 'render'
        ? renderPage
        : {
            outDir: 'dist/viewer',
            emptyOutDir: true,
            target: 'es2022',
            minify: true,
            // Maps are written beside the files for debugging, without a sourceMappingURL comment in what pages download.
            sourcemap: 'hidden',
            copyPublicDir: false,
            modulePreload: false,
            // three.js is one lazily loaded chunk of ~700 kB (≈180 kB gzip), fetched only when 3D is shown.
            chunkSizeWarningLimit: 900,
            // Not library mode: it keeps whitespace in ES output; this is the same build, fully minified.
            rollupOptions: {
              // One entry: the element (registered on import) and the core API in one file, so a page pays one round trip
              // for it (a second entry would split the shared code into a chunk behind a re-export).
              input: { 'xoay-viewer': 'viewer/embed.ts' },
              // 'allow-extension': the lazily loaded 3D chunk may import shared helpers from the entry (no extra shared chunk).
              preserveEntrySignatures: 'allow-extension',
              output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'decoders/[name][extname]' },
            },
          },
  plugins: mode === 'lib' ? [] : [decoders(), noPreloadHelper()],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Pipeline tests are CPU-bound and use both cores themselves.
    maxWorkers: 2,
    // The longest files first (test/helpers/sequencer.ts), so the two workers end together.
    sequence: { sequencer: SlowestFirst },
  },
}));
