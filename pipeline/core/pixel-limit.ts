/** Default decompression-bomb guard: 100 megapixels (a module of its own so option checks read it without sharp). */
export const DEFAULT_LIMIT_INPUT_PIXELS = 100_000_000;
