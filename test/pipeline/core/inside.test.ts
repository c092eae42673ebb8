/** The one containment check (used by the output folder's guard, the static server, the preview and the readers of untrusted folders). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInside } from '../../../pipeline/core/inside.js';

describe('isInside', () => {
  const site = path.resolve('/srv/site');
  it('takes the folder itself and what is under it', () => {
    expect(isInside(site, site)).toBe(true);
    expect(isInside(path.join(site, 'a', 'b.jpg'), site)).toBe(true);
    expect(isInside(`${site}${path.sep}`, site)).toBe(true);
    // a name that starts with two dots is a name, not a step up
    expect(isInside(path.join(site, '..cache', 'x'), site)).toBe(true);
  });
  it('refuses the parent, a sibling whose name starts the same, and a path that climbs out', () => {
    expect(isInside(path.dirname(site), site)).toBe(false);
    expect(isInside(path.resolve('/srv/site-secret/key'), site)).toBe(false);
    expect(isInside(path.resolve('/srv/sitex'), site)).toBe(false);
    expect(isInside(path.join(site, '..', 'other'), site)).toBe(false);
    expect(isInside(path.resolve('/elsewhere'), site)).toBe(false);
  });
});
