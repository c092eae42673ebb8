/**
 * The producer's story: Markdown rendered to HTML that is safe to put in a page. markdown-it with raw
 * HTML switched off escapes every tag the author writes (so no <script>, no inline event handlers, no
 * <iframe>), and every link and image address is checked here: only http(s), mailto:, tel: and
 * relative addresses inside the product (photos/…) survive; `javascript:`, `data:`, `vbscript:`,
 * `file:` and protocol-relative `//host` addresses are dropped (the text stays, unlinked).
 */
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: false });

/** Address allowed in a story link or image. */
export function isSafeUrl(url: string): boolean {
  // Browsers ignore tabs, newlines and leading spaces/control characters in a scheme: check what they see.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters browsers ignore in a scheme are removed on purpose
  const u = url.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
  if (/^(https?:|mailto:|tel:)/.test(u)) return true;
  if (u.startsWith('//') || u.startsWith('\\') || u.startsWith('/\\')) return false;
  if (/^[a-z][a-z0-9+.-]*:/.test(u)) return false; // any other scheme: javascript:, data:, vbscript:, file: …
  // Relative: stays inside the product's own folder (checked as the browser will read it: %2e%2e is ..).
  let decoded = u;
  try {
    decoded = decodeURIComponent(u);
  } catch {
    return false;
  }
  return !decoded.startsWith('/') && !decoded.split(/[/\\]/).includes('..');
}

md.validateLink = isSafeUrl;
// Links leaving the site open without giving the new page a handle on this one.
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const href = String(tokens[idx]!.attrGet('href') ?? '');
  if (/^https?:/i.test(href)) tokens[idx]!.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, idx, options, env, self);
};
// Images load lazily and never push the layout wider than the page.
const defaultImage = md.renderer.rules.image!;
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('loading', 'lazy');
  return defaultImage(tokens, idx, options, env, self);
};

// The page has its h1 (the product) and h2 (its sections): the story's headings start at h3.
md.core.ruler.push('xoay_heading_levels', (state) => {
  for (const t of state.tokens) {
    if (t.type === 'heading_open' || t.type === 'heading_close') t.tag = `h${Math.min(6, Number(t.tag.slice(1)) + 2)}`;
  }
});

/** Markdown (NFC) → sanitised HTML. */
export function renderStory(markdown: string): string {
  return md.render(markdown.normalize('NFC'));
}
