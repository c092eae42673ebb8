/**
 * The shoot contract: an optional `shoot.json` in a shoot folder, what the photographer knows about the
 * camera that the photos do not say. `xoay reconstruct` takes its turntable model from it (command-line
 * options win over it) and `xoay spin` copies each row's elevation into spin.json. The TypeScript type and
 * the published JSON Schema (schema/shoot.schema.json) both come from this definition.
 *
 *   { "fov": 40, "rows": [{ "folder": "row-1", "elevation": 10 }, { "folder": "row-2", "elevation": 40 }] }
 *
 * Every row is one full turn in equal steps. Unless a row says otherwise, every row's camera looks at the same
 * point on the turntable axis from the same distance (a camera on an arc around the object's centre).
 */
import { type Static, Type as T } from '@sinclair/typebox';

const Elevation = (description: string) => T.Number({ minimum: -89, maximum: 89, description });
const Distance = (description: string) => T.Number({ exclusiveMinimum: 0, maximum: 1e6, description });

export const ShootRowSchema = T.Object(
  {
    folder: T.String({ minLength: 1, maxLength: 255, description: "The row's sub-folder of the shoot (row-1 … for a folder split with --rows)" }),
    elevation: T.Optional(Elevation('Camera elevation of this row above the turntable plane, degrees (positive: looking down)')),
    distance: T.Optional(Distance("Distance of this row's camera from the point on the axis it looks at, metres (default: the shoot's distance)")),
    aimHeight: T.Optional(
      T.Number({
        minimum: -1e6,
        maximum: 1e6,
        description:
          "Height of the point on the turntable axis this row's camera looks at, in the units of distance, from a common origin (default 0: every row looks at the same point)",
      }),
    ),
  },
  { additionalProperties: false, description: 'One row of the shoot (one full turn)' },
);

export const ShootSchema = T.Object(
  {
    $schema: T.Optional(T.String({ description: 'The schema this file follows (editors use it for completion)' })),
    elevation: T.Optional(Elevation('Camera elevation above the turntable plane, degrees, for every row that does not give its own')),
    fov: T.Optional(
      T.Number({
        exclusiveMinimum: 0,
        maximum: 179,
        description: 'Horizontal field of view of the frames, degrees (default: the 35 mm focal length from EXIF)',
      }),
    ),
    distance: T.Optional(Distance("Distance of the camera from the point on the turntable axis it looks at, metres (sets the model's scale)")),
    rows: T.Optional(T.Array(ShootRowSchema, { minItems: 1, maxItems: 64, description: 'Per-row settings, by folder name' })),
  },
  { additionalProperties: false, title: 'Xoay shoot', description: 'shoot.json of a turntable shoot folder (optional)' },
);

export type Shoot = Static<typeof ShootSchema>;
export type ShootRow = Static<typeof ShootRowSchema>;
