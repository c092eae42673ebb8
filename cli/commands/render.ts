/** `xoay render <model> -o <file>`: maps its flags to the API's render() options (api/index.ts) and says what it wrote. */
import { type Command, Option } from 'commander';
import { render } from '../../api/index.js';
import { RENDER_CHECKS } from '../../api/checks.js';
import { STILL_DEFAULTS } from '../../pipeline/render/still.js';
import { fromCheck } from '../parse.js';
import { common, required, runCommand } from '../run.js';

const EXAMPLES = `
Examples:
  $ npx xoay render chair.glb -o chair.png                                   # 1024 × 1024, the viewer's starting view
  $ npx xoay render chair.glb -o side.webp --camera-orbit "90deg 75deg 105%" --width 1200 --height 900
  $ npx xoay render chair.glb -o studio.jpg --environment-image studio.hdr --exposure 1.2 --shadow-intensity 1
`;

export function registerRender(program: Command): void {
  const cmd = program
    .command('render')
    .description("render one picture of a 3D model, the same picture as <xoay-viewer>'s toBlob() with the same settings (headless Chromium)")
    .usage('<model> -o <file.png|.jpg|.webp> [options]')
    .argument('[model]', '.glb, or .gltf with its files (required)')
    .option('-o, --output <file>', 'the picture: .png, .jpg/.jpeg or .webp (by its extension); written atomically (required)')
    .option('--width <px>', 'picture width', fromCheck('--width', RENDER_CHECKS.width), STILL_DEFAULTS.width)
    .option('--height <px>', 'picture height', fromCheck('--height', RENDER_CHECKS.height), STILL_DEFAULTS.height)
    .option('--camera-orbit <θ φ r>', 'the view, as the viewer\'s camera-orbit attribute: "30deg 75deg 105%" (default: the viewer\'s starting view)')
    .option('--gltf-camera <name|index>', 'render through a camera of the file (as gltf-camera)')
    .option('--field-of-view <angle>', 'vertical field of view, e.g. 30deg (as field-of-view)')
    .option('--environment-image <file>', 'an equirectangular .hdr, .exr, JPEG, PNG or WebP lighting the model (default: the neutral studio room)')
    .option('--environment-rotation <angle>', 'turns the light around the vertical, e.g. 90deg')
    .option('--exposure <n>', 'exposure of the tone mapping, 0–100 (default 1)', fromCheck('--exposure', RENDER_CHECKS.exposure))
    .addOption(new Option('--tone-mapping <name>', 'tone mapping (default neutral)').choices(['neutral', 'aces', 'agx', 'linear']))
    .option('--shadow-intensity <n>', 'contact shadow on the floor, 0–10 (default 0: none)', fromCheck('--shadow-intensity', RENDER_CHECKS.shadowIntensity))
    .option('--background <colour>', 'a CSS colour behind the model (default: transparent for PNG and WebP, white for JPEG)')
    .option('--quality <0-1>', "JPEG / WebP quality (default: the browser's)", fromCheck('--quality', RENDER_CHECKS.quality))
    .option('--force', 'replace an existing output', false);
  common(cmd, { json: 'print the result as one JSON document on stdout ({"output","width","height","mimeType","bytes","seconds"}; errors too: {"error":{…}})' })
    .addHelpText('after', EXAMPLES)
    .action(async (input: string | undefined, flags) =>
      runCommand(cmd, async (o, ctx) => {
        required('the model file (xoay render <model> -o <file.png>)', input);
        required('-o, --output <file> (the picture: .png, .jpg or .webp)', flags.output);
        const result = await render(input!, flags.output, o);
        if (ctx.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (!ctx.quiet)
          process.stderr.write(
            `render: ${result.width} × ${result.height} ${result.mimeType}, ${(result.bytes / 1024).toFixed(0)} KiB in ${result.seconds.toFixed(1)} s: ${result.output}\n`,
          );
      }),
    );
}
