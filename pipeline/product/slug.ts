/**
 * Slugs from Vietnamese text: diacritics dropped the way Vietnamese readers expect (đ → d, ư → u,
 * ế → e …), lower case, words joined by single hyphens. `Chè Shan tuyết` → `che-shan-tuyet`.
 */

export function slugify(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '') // combining marks: tones and vowel hats (NFD splits ế into e + ̂ + ́)
    .replace(/[đĐ]/g, 'd') // đ is a letter of its own, not d with a mark: NFD does not split it
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
