import { describe, expect, it } from 'vitest';
import { isSafeUrl, renderStory } from '../../../pipeline/product/story.js';
import { escapeHtml, html, jsonInScript } from '../../../pipeline/core/html.js';
import { STORY_XSS } from '../../helpers/xss.js';

describe('story: Markdown rendered safe', () => {
  it('keeps ordinary Markdown: headings, emphasis, lists, http links (noopener), relative images', () => {
    const out = renderStory('# Chè\n\nHái **bằng tay**, *sớm*.\n\n- một\n- hai\n\n[Trang](https://example.vn/a) ![ảnh](photos/a.jpg) [gọi](tel:+84900000000)');
    expect(out).toContain('<h3>Chè</h3>'); // below the page's h1 and h2
    expect(out).toContain('<strong>bằng tay</strong>');
    expect(out).toContain('<li>một</li>');
    expect(out).toContain('<a href="https://example.vn/a" rel="noopener noreferrer nofollow">Trang</a>');
    expect(out).toContain('<img src="photos/a.jpg" alt="ảnh" loading="lazy">');
    expect(out).toContain('<a href="tel:+84900000000">gọi</a>');
  });
  for (const payload of STORY_XSS) {
    it(`neutralises ${JSON.stringify(payload)}`, () => {
      const out = renderStory(payload);
      expect(out).not.toMatch(/<(script|iframe|svg|details|img[^>]+onerror)/i);
      expect(out).not.toMatch(/<[a-z][^>]*\son\w+=/i); // an event handler inside a real tag (escaped text is fine)
      // Every address left is http(s), mailto, tel, or relative and inside the product (checked independently of isSafeUrl).
      for (const m of out.matchAll(/(?:href|src)="([^"]*)"/g)) {
        const url = decodeURIComponent(m[1]!.replace(/&amp;/g, '&'));
        expect(/^(https?:\/\/[^/]|mailto:|tel:)/i.test(url) || (!/^[a-z][a-z0-9+.-]*:|^[/\\]/i.test(url) && !url.split(/[/\\]/).includes('..')), m[1]).toBe(
          true,
        );
      }
      expect(out).not.toMatch(/(?:href|src)="(?:javascript|data|vbscript|file):/i);
      expect(out).not.toMatch(/(?:href|src)="\/\//);
    });
  }
  it('relative addresses may not leave the product folder', () => {
    expect(isSafeUrl('photos/a.jpg')).toBe(true);
    expect(isSafeUrl('../x')).toBe(false);
    expect(isSafeUrl('/etc/passwd')).toBe(false);
    expect(isSafeUrl('\\\\host\\share')).toBe(false);
    expect(isSafeUrl('%2e%2e/x')).toBe(false);
    expect(isSafeUrl('photos/%E0%A4%A')).toBe(false); // not decodable: refused
  });
});

describe('page text escaping', () => {
  it('escapes every interpolated value, attributes included', () => {
    const evil = '"><img src=x onerror=alert(1)>';
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>',
    );
    expect(escapeHtml(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
  });
  it('JSON in a script element cannot close it', () => {
    const out = jsonInScript({ name: '</script><script>alert(1)</script>', sep: '\u2028' }).text;
    expect(out).not.toContain('</script');
    expect(out).not.toContain('<');
    expect(JSON.parse(out)).toEqual({ name: '</script><script>alert(1)</script>', sep: '\u2028' });
  });
});
