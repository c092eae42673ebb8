#!/usr/bin/env node
/**
 * `npm run demo`: builds the TypeScript and the three Vite bundles only when a source is newer than what dist/ holds
 * (a second run starts at once), then runs dist/samples/demo.js with the same arguments.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['api', 'cli', 'pipeline', 'samples', 'schema', 'viewer', 'bench', 'types'];
const CONFIGS = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.viewer.json', 'vite.config.ts'];
// One output of each build step: dist/ is up to date when each is newer than every source.
const OUTPUTS = ['dist/samples/demo.js', 'dist/cli/main.js', 'dist/viewer/xoay-viewer.js', 'dist/viewer-lib/index.js', 'dist/render/index.html'];

function newest(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return /\.(ts|tsx|js|mjs|css|html|json)$/.test(p) ? st.mtimeMs : 0;
  let t = 0;
  for (const e of readdirSync(p)) if (e !== 'node_modules' && !e.startsWith('.')) t = Math.max(t, newest(path.join(p, e)));
  return t;
}

const sources = Math.max(
  ...[...SOURCES, ...CONFIGS]
    .map((p) => path.join(root, p))
    .filter(existsSync)
    .map(newest),
);
const outputs = OUTPUTS.map((p) => path.join(root, p));
const upToDate = outputs.every(existsSync) && Math.min(...outputs.map((p) => statSync(p).mtimeMs)) >= sources;
if (upToDate) process.stderr.write('demo: dist/ is up to date with the sources: not rebuilding (npm run build to force)\n');
else {
  process.stderr.write('demo: sources changed since the last build: npm run build\n');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(process.execPath, [path.join(root, 'dist/samples/demo.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
