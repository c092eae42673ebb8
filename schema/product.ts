/**
 * The product contract: `product.json` (or `product.yaml`) in a product folder, the facts a product page
 * shows. The TypeScript type and the published JSON Schema (schema/product.schema.json) both come from
 * this definition. Text is Vietnamese first: `name.vi` is required, `en` optional.
 */
import { type Static, Type as T } from '@sinclair/typebox';

/** A URL-safe id: lower-case ASCII letters and digits in words joined by single hyphens. */
export const SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';

const Text = (description: string) => T.String({ minLength: 1, maxLength: 2000, description });
const Localised = (description: string) =>
  T.Object({ vi: Text('Vietnamese (required)'), en: T.Optional(Text('English')) }, { additionalProperties: false, description });
const HttpUrl = (description: string) => T.String({ pattern: '^https?://[^\\s<>"]+$', maxLength: 2000, description });

export const PRODUCER_KINDS = ['co-operative', 'enterprise', 'household business', 'cooperative group'] as const;

export const ProductSchema = T.Object(
  {
    $schema: T.Optional(T.String({ description: 'The schema this file follows (editors use it for completion)' })),
    id: T.String({
      pattern: SLUG_PATTERN,
      maxLength: 80,
      description: 'The product\'s stable id, used in its URL and QR code: lower-case ASCII words joined by hyphens (e.g. "che-shan-tuyet")',
    }),
    sample: T.Optional(T.Boolean({ description: 'Made-up facts for a demo: the page says so' })),
    name: Localised('The product name'),
    summary: T.Optional(Localised('One or two sentences for search results and link previews')),
    ocop: T.Object(
      {
        stars: T.Integer({ minimum: 3, maximum: 5, description: 'OCOP rating, 3 to 5 stars' }),
        year: T.Integer({ minimum: 2018, maximum: 2100, description: 'Year the rating was awarded (OCOP began in 2018)' }),
        certificate: T.Optional(Text('Certificate or decision number')),
      },
      { additionalProperties: false, description: 'The OCOP rating' },
    ),
    category: Text('Product group, e.g. "Thực phẩm", "Đồ uống", "Thủ công mỹ nghệ"'),
    producer: T.Object(
      {
        name: Text('Producer name'),
        kind: T.Union(
          PRODUCER_KINDS.map((k) => T.Literal(k)),
          { description: 'co-operative | enterprise | household business | cooperative group' },
        ),
        province: Text('Province or city'),
        district: T.Optional(Text('District')),
        commune: T.Optional(Text('Commune or ward')),
        contact: T.Optional(
          T.Object(
            {
              phone: T.Optional(T.String({ pattern: '^[+0-9 ().-]{6,24}$', description: 'Phone number' })),
              email: T.Optional(T.String({ pattern: '^[^\\s@<>"?&]+@[^\\s@<>"?&]+\\.[^\\s@<>"?&]+$', maxLength: 254, description: 'E-mail address' })),
              website: T.Optional(HttpUrl('Web site')),
              address: T.Optional(Text('Postal address')),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, description: 'Who makes it' },
    ),
    origin: T.Optional(
      T.Object(
        {
          batch: T.Optional(Text('Batch or lot number')),
          harvest: T.Optional(Text('Harvest or production date')),
          ingredients: T.Optional(T.Array(Text('An ingredient or material'), { maxItems: 100 })),
        },
        {
          additionalProperties: T.Union([Text('A traceability fact'), T.Number()]),
          description: 'Traceability facts; any further field (text or number) is shown under its name',
        },
      ),
    ),
    price: T.Optional(
      T.Object(
        {
          amount: T.Number({ minimum: 0, description: 'Price' }),
          currency: T.Optional(T.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code; VND when absent' })),
          unit: T.Optional(Text('What the price is for, e.g. "hộp 200 g"')),
        },
        { additionalProperties: false },
      ),
    ),
    links: T.Optional(T.Array(T.Object({ label: Text('Link text'), url: HttpUrl('http(s) address') }, { additionalProperties: false }), { maxItems: 20 })),
  },
  { additionalProperties: false, title: 'Xoay product', description: 'product.json (or product.yaml) of a product folder' },
);

export type Product = Static<typeof ProductSchema>;
export type ProducerKind = (typeof PRODUCER_KINDS)[number];
