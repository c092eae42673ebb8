/**
 * The spin contract: `spin.json` (read by the viewer) and `qa.json` (the pipeline's report).
 * The TypeScript types and the published JSON Schemas (schema/*.schema.json) are both derived from
 * these definitions, so they cannot drift apart.
 */
import { type Static, Type as T } from '@sinclair/typebox';

const Path = T.String({ minLength: 1, description: 'A path relative to spin.json' });
const FormatPaths = T.Object(
  { avif: T.Optional(Path), webp: T.Optional(Path), jpeg: T.Optional(Path) },
  { additionalProperties: false, description: 'One file per format' },
);

export const SpinFrameSchema = T.Object(
  {
    src: T.Record(T.String({ pattern: '^[0-9]+$' }), FormatPaths, {
      description: 'Renditions by width (as a string key), then by format',
    }),
  },
  { additionalProperties: false },
);

export const SpriteSchema = T.Object(
  {
    src: Path,
    sources: T.Object(
      { avif: T.Optional(Path), webp: T.Optional(Path), jpeg: T.Optional(Path) },
      { additionalProperties: false, description: 'The sprite in each format; src is the JPEG' },
    ),
    columns: T.Integer({ minimum: 1 }),
    rows: T.Integer({ minimum: 1 }),
    frameWidth: T.Integer({ minimum: 1 }),
    frameHeight: T.Integer({ minimum: 1 }),
  },
  { additionalProperties: false, description: 'All frames of the row, small, in one image (row-major)' },
);

export const SpinRowSchema = T.Object(
  {
    name: T.String({ description: 'The row folder name' }),
    elevation: T.Union([T.Null(), T.Number({ minimum: -90, maximum: 90 })], { description: 'Camera elevation in degrees, when known' }),
    frames: T.Array(SpinFrameSchema, { minItems: 1 }),
    sprite: SpriteSchema,
  },
  { additionalProperties: false },
);

export const SpinManifestSchema = T.Object(
  {
    $schema: T.Optional(T.String()),
    version: T.Literal(1),
    generator: T.String({ description: 'Tool and version that wrote the file' }),
    width: T.Integer({ minimum: 1, description: 'Width of the largest rendition' }),
    height: T.Integer({ minimum: 1, description: 'Height of the largest rendition' }),
    widths: T.Array(T.Integer({ minimum: 1 }), { minItems: 1, description: 'Rendition widths, ascending' }),
    formats: T.Array(T.Union([T.Literal('avif'), T.Literal('webp'), T.Literal('jpeg')]), { minItems: 1 }),
    background: T.Union([T.Literal('white'), T.Literal('transparent'), T.Literal('keep')]),
    direction: T.Union([T.Literal('ccw'), T.Literal('cw')], {
      description: 'Turn direction as frames advance, seen from above (xoay spin reorders clockwise shoots given --reverse, so it writes ccw)',
    }),
    rows: T.Array(SpinRowSchema, { minItems: 1 }),
    poster: Path,
    posterSources: T.Object({ webp: T.Optional(Path), jpeg: T.Optional(Path) }, { additionalProperties: false }),
    placeholder: T.String({ description: 'ThumbHash of the poster, base64' }),
    placeholderType: T.Literal('thumbhash'),
  },
  { additionalProperties: false, $id: 'https://xoay.dev/schema/spin.schema.json', title: 'Xoay spin manifest (spin.json)' },
);

export type SpinManifest = Static<typeof SpinManifestSchema>;
export type SpinRow = Static<typeof SpinRowSchema>;
export type SpinFrame = Static<typeof SpinFrameSchema>;

/** A figure before and after processing; null when it could not be measured (e.g. no backdrop left to count). */
const Figure = T.Union([T.Number(), T.Null()]);
const Measure = T.Object({ before: Figure, after: Figure }, { additionalProperties: false });

export const QaRowSchema = T.Object(
  {
    name: T.String(),
    frames: T.Integer(),
    backdrop: T.String({ description: 'Backdrop kind found: white, grey, black, coloured, gradient' }),
    crop: T.Object(
      { x: T.Integer(), y: T.Integer(), width: T.Integer({ minimum: 1 }), height: T.Integer({ minimum: 1 }) },
      { additionalProperties: false, description: 'The row crop in source pixels (before each frame is shifted by its re-centring); may reach past the frame' },
    ),
    orbit: Measure,
    jitter: Measure,
    flicker: Measure,
    flickerMax: Measure,
    purity: Measure,
  },
  { additionalProperties: false },
);

export const QaReportSchema = T.Object(
  {
    version: T.Literal(1),
    input: T.String(),
    frames: T.Integer(),
    sourceWidth: T.Integer(),
    sourceHeight: T.Integer(),
    units: T.Object(
      {
        orbit: T.Literal('% of the output frame width: amplitude of the fitted first harmonic of the object centre over the turn'),
        jitter: T.Literal('% of the output frame width: std of the frame-to-frame change of the centre after removing the orbit'),
        flicker: T.Literal('% mean frame-to-frame change of the object luminance (flickerMax: the largest)'),
        purity: T.Literal('% of backdrop pixels that are exactly white (#FFFFFF), worst format'),
      },
      { additionalProperties: false },
    ),
    measuredOn: T.String({ description: 'Which encoded rendition the "after" figures were measured on' }),
    rows: T.Array(QaRowSchema),
    orbit: Measure,
    jitter: Measure,
    flicker: Measure,
    purity: Measure,
    purityByFormat: T.Record(T.String(), Figure),
    bytes: T.Record(T.String(), T.Record(T.String(), T.Integer()), { description: 'Total bytes by width, then format' }),
    firstInteractionBytes: T.Integer({ description: 'Poster + the first row sprite (JPEG)' }),
    warnings: T.Array(T.String()),
    timings: T.Record(T.String(), T.Number(), { description: 'Seconds per stage' }),
  },
  { additionalProperties: false, $id: 'https://xoay.dev/schema/qa.schema.json', title: 'Xoay spin QA report (qa.json)' },
);

export type QaReport = Static<typeof QaReportSchema>;
export type QaRow = Static<typeof QaRowSchema>;
