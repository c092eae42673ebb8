/**
 * The viewer's words, in English and Vietnamese: every text it shows or gives to screen readers. `{0}`, `{1}` … are
 * filled in (`fill`). The element picks the language from `lang` (its own or the nearest ancestor's, else the
 * document's: `vi…` gives Vietnamese, anything else English) and lets the embedder replace any string (`strings`).
 *
 * Kept compact for the spin path (it is in the first download): two `|`-separated lists in KEYS order. The 3D
 * view's words (ModelStrings) are in i18n-3d.ts, in the 3D chunk.
 */
export interface SpinStrings {
  /** The start button (`loading="interaction"`), spin and 3D; its accessible name adds `: ` and `alt` (else `product`). */
  view360: string;
  view3d: string;
  product: string;
  /** The spin/3D toggle group's accessible name. */
  modes: string;
  /** The visible interaction hint (a small badge in a corner until the first interaction). */
  hint: string;
  /** The spin for screen readers: its role description, its label when there is no `alt`. */
  spinRole: string;
  spinLabel: string;
  /** Its value with rows: `{0}` degrees, `{1}` the row and `{2}` how many (one row: `{0}°`). */
  angleRow: string;
  /** The live region once the turning settles: `{0}` the value above. */
  turned: string;
  /** The message shown in place when the spin, or the 3D model without a spin, cannot be shown (the details go to the `error` event). */
  error: string;
}

export interface ModelStrings {
  /** The 3D model for screen readers: role description, label when there is no `alt`, how to use it. */
  modelRole: string;
  modelLabel: string;
  modelHelp: string;
  /** The message shown in place when the 3D model cannot be shown (the details go to the `error` event). */
  modelError: string;
  /** The AR button (`ar`): its text, its name for screen readers ({0}: `alt`, else `arProduct`). */
  arButton: string;
  arLabel: string;
  arProduct: string;
  /** The WebXR session's overlay: its close button, and the hint before and after the model is placed. */
  arClose: string;
  arPlace: string;
  arMove: string;
}

/** Every string, by key: what `strings` (attribute, property, options) can override. */
export type ViewerStrings = SpinStrings & ModelStrings;

export type ViewerLanguage = 'en' | 'vi';

const KEYS = 'view360 view3d product modes hint spinRole spinLabel angleRow turned error'.split(' ') as (keyof SpinStrings)[];

const TABLE: Record<ViewerLanguage, string> = {
  en: 'View in 360°|View in 3D|product|View|Drag to turn|360° view|360° product view|{0}°, row {1} of {2}|Turned to {0}|The product could not be shown.',
  vi: 'Xem 360°|Xem 3D|sản phẩm|Chế độ xem|Kéo để xoay|ảnh xoay 360°|Ảnh sản phẩm xoay 360°|{0}°, hàng {1} trên {2}|Đã xoay tới {0}|Không hiển thị được sản phẩm.',
};

/** The built-in strings of a language (the spin's; the 3D view adds its own: i18n-3d.ts). */
export function stringsOf(lang: ViewerLanguage): SpinStrings {
  const words = TABLE[lang].split('|');
  return Object.fromEntries(KEYS.map((k, i) => [k, words[i]])) as unknown as SpinStrings;
}

/** `vi`, `vi-VN` … → 'vi'; anything else (including none) → 'en'. */
export const languageOf = (lang: string | null | undefined): ViewerLanguage => (/^vi\b/i.test(lang ?? '') ? 'vi' : 'en');

/** The language of an element: its `lang` or its nearest ancestor's (in its tree), else the document's. */
export const languageOfElement = (el: Element): ViewerLanguage =>
  languageOf(el.closest('[lang]:not([lang=""])')?.getAttribute('lang') ?? document.documentElement.getAttribute('lang'));

/** `{0}`, `{1}` … replaced by the arguments. */
export const fill = (s: string, ...args: (string | number)[]) => s.replace(/\{(\d)\}/g, (_, i) => String(args[+i]));
