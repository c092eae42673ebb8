/**
 * The spin stage's option vocabularies, in a module that imports nothing: the CLI and the API's checks read them
 * without loading sharp or the encoders. encode.ts and background.ts re-export their own list.
 */

/** Output image formats (encode.ts). */
export type SpinFormat = 'avif' | 'webp' | 'jpeg';
export const SPIN_FORMATS: readonly SpinFormat[] = ['avif', 'webp', 'jpeg'];

/** What becomes of the backdrop (background.ts). */
export type BackgroundMode = 'white' | 'transparent' | 'keep';
export const BACKGROUND_MODES: readonly BackgroundMode[] = ['white', 'transparent', 'keep'];
