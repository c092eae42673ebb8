/**
 * HTML with escaping by default: every value put into an `html` template is escaped unless it is
 * already `Html` (made by `html` or by `trusted()` for output of the story sanitiser). Pages are
 * written with it so that no product field can open a tag or an attribute.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Value = string | number | Html | null | undefined | false | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Marks text as safe HTML: only for the sanitised story and our own markup. */
export function trusted(text: string): Html {
  return new Html(text);
}

/**
 * JSON inside <script type="application/ld+json"> (or application/json): `<`, `>`, `&` and the two JS
 * line separators escaped, so a product field containing `</script>` cannot end the element.
 */
export function jsonInScript(value: unknown): Html {
  return new Html(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}
