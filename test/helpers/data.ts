/**
 * The one way tests find the shared real data: XOAY_TEST_DATA, default ../shared/data from the
 * project root. Tests that need it are reported skipped with the reason when it is missing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_DATA = path.resolve(ROOT, process.env.XOAY_TEST_DATA ?? '../shared/data');

/** Absolute path of a data set inside the test data, and whether it is there. */
export function dataSet(rel: string): { dir: string; present: boolean; reason: string } {
  const dir = path.join(TEST_DATA, rel);
  const present = existsSync(dir);
  return { dir, present, reason: present ? '' : `needs ${dir} (set XOAY_TEST_DATA to the shared data folder)` };
}
