import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { colormapRgb } from '../../../shared/figures/colormaps';
import {
  compareLossSvg,
  interpolationSvg,
  klSvg,
  lossSvg,
  manifoldSvg,
  scatterSvg,
  traversalSvg,
} from '../../../shared/figures/figures';
import { base64, encodePngRgba } from '../../../shared/figures/png';
import { tab10 } from '../../../shared/figures/palette';
import type { EpochMetrics } from '../../../shared/run';

const shape = { height: 28, width: 28, channels: 1 };

/** Text of the <text> elements inside `<g class="name">`. */
function groupTexts(svg: string, name: string): string[] {
  const body = new RegExp(`<g class="${name}"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? '';
  return [...body.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1] as string);
}

/** The pixels of the first embedded PNG of an SVG, decoded by sharp. */
async function embedded(svg: string) {
  const b64 = /href="data:image\/png;base64,([^"]+)"/.exec(svg)?.[1] ?? '';
  return sharp(Buffer.from(b64, 'base64')).raw().toBuffer({ resolveWithObject: true });
}

describe('png', () => {
  it('encodes grey, RGB and RGBA pixels that sharp decodes back exactly', async () => {
    const cases: [number[], number][] = [
      [[10, 10, 10, 255, 200, 200, 200, 255], 1],
      [[10, 20, 30, 255, 200, 100, 0, 255], 3],
      [[10, 20, 30, 0, 200, 100, 0, 128], 4],
    ];
    for (const [rgba, channels] of cases) {
      const png = encodePngRgba({ width: 2, height: 1, data: Uint8ClampedArray.from(rgba) });
      expect((await sharp(Buffer.from(png)).metadata()).channels).toBe(channels);
      const { data } = await sharp(Buffer.from(png)).raw().toBuffer({ resolveWithObject: true });
      // sharp hands grey back as sRGB: three equal channels.
      const expected = channels === 4 ? rgba : [...rgba.slice(0, 3), ...rgba.slice(4, 7)];
      expect([...data]).toEqual(expected);
    }
  });

  it('writes base64 as Buffer does', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 5000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255);
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});

describe('manifoldSvg', () => {
  const images = Uint8Array.from({ length: 20 * 20 * 784 }, (_, i) => i % 251);

  it('is n·28 units plus margins, times the scale, and labels every tick of a 20×20 grid of 28-pixel digits', () => {
    for (const scale of [1, 2, 3]) {
      const f = manifoldSvg({ n: 20, range: 2, images, imageShape: shape }, { scale });
      expect([f.width, f.height]).toEqual([(52 + 560 + 12) * scale, (12 + 560 + 44) * scale]);
    }
    const { svg } = manifoldSvg({ n: 20, range: 2, images, imageShape: shape }, {});
    const x = groupTexts(svg, 'x-ticks');
    expect(x).toHaveLength(20);
    expect([x[0], x[10], x[19]]).toEqual(['-2.0', '0.1', '2.0']);
    expect(groupTexts(svg, 'y-ticks')[0]).toBe('2.0');
    expect(groupTexts(svg, 'axis-labels')).toEqual(['z [0]', 'z [1]']);
    expect(svg).toMatch(/<image x="52" y="12" width="560" height="560" [^>]*image-rendering:pixelated/);
  });

  it('colours the digits with the same colour map as the screen', async () => {
    const { svg } = manifoldSvg({
      n: 1,
      range: 1,
      images: Uint8Array.from({ length: 784 }, (_, i) => i % 256),
      imageShape: shape,
      colormap: 'viridis',
    });
    const { data, info } = await embedded(svg);
    expect(info.channels).toBe(3);
    for (const v of [0, 77, 200, 255])
      expect([...data.subarray(v * 3, v * 3 + 3)]).toEqual(colormapRgb('viridis', v / 255));
  });

  it('draws on light, dark or no background', () => {
    const draw = (background: 'light' | 'dark' | 'transparent') =>
      manifoldSvg({ n: 1, range: 1, images: new Uint8Array(784), imageShape: shape }, { background }).svg;
    expect(draw('light')).toMatch(/<rect width="\d+" height="\d+" fill="#ffffff"\/>/);
    expect(draw('dark')).toMatch(/<rect width="\d+" height="\d+" fill="#16191d"\/>/);
    expect(draw('transparent')).not.toMatch(/<rect width="\d+" height="\d+" fill=/);
  });
});

describe('scatterSvg', () => {
  it('has a legend of the classes present, named by the label names (escaped), in tab10 order', () => {
    const points = Float32Array.from([0, 0, 1, 1, 2, 0.5, -1, 2]);
    const { svg } = scatterSvg({
      points,
      latentDim: 2,
      count: 4,
      labels: Uint8Array.from([3, 0, 3, 11]),
      labelNames: ['zero', 'one', 'two', 'cat & <dog>'],
    });
    expect(groupTexts(svg, 'legend')).toEqual(['zero', 'cat &#38; &#60;dog&#62;', '11']);
    const colours = [
      ...(/<g class="legend"[^>]*>([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '').matchAll(/fill="(#\w+)"/g),
    ].map((m) => m[1]);
    expect(colours).toEqual([tab10[0], tab10[3], tab10[1]]);
    expect(svg.match(/class="points"/g)).toHaveLength(3);
  });
});

describe('lossSvg and klSvg', () => {
  const terms = (loss: number) => ({ loss, recon: loss - 5, kl: 5 });
  const epochs: EpochMetrics[] = [1, 2, 3].map((epoch) => ({
    epoch,
    train: terms(200 - epoch * 10),
    test: terms(195 - epoch * 10),
    beta: 1,
    seconds: 1,
    samplesPerSecond: 1000,
  }));

  it('draws train and test loss with a legend and whole-epoch ticks', () => {
    const { svg } = lossSvg({ epochs });
    expect(groupTexts(svg, 'legend')).toEqual(['train loss', 'test loss']);
    expect(groupTexts(svg, 'x-ticks')).toEqual(['1', '2', '3']);
    expect(groupTexts(svg, 'axis-labels')).toEqual(['epoch', 'loss (nats per image)']);
  });

  it('draws one bar per latent dimension, labelled z [i]', () => {
    const { svg } = klSvg({ klPerDim: [2, 0.01, 1] });
    expect(groupTexts(svg, 'x-ticks')).toEqual(['z [0]', 'z [1]', 'z [2]']);
    expect(svg.match(/class="bar"/g)).toHaveLength(3);
  });
});

describe('interpolationSvg and traversalSvg', () => {
  const images = new Uint8Array(5 * 784);

  it('caption the interpolation steps with t and the traversal with the swept values, the row named z [i]', () => {
    const interp = interpolationSvg({ images, count: 5, imageShape: shape, ends: ['#1 (7)', '#2 (1)'] });
    expect(groupTexts(interp.svg, 'column-labels')).toEqual(['0', '0.25', '0.5', '0.75', '1']);
    expect(interp.svg).toContain('<title>Interpolation from #1 (7) to #2 (1)</title>');
    const trav = traversalSvg({ images, count: 5, dim: 3, range: 2, imageShape: shape });
    expect(groupTexts(trav.svg, 'column-labels')).toEqual(['-2.0', '-1.0', '0.0', '1.0', '2.0']);
    expect(trav.svg).toMatch(/>z \[3\]<\/text>/);
  });
});

describe('compareLossSvg', () => {
  const run = (id: string, name: string, losses: (number | null)[]) => ({
    id,
    name,
    epochs: losses.map((l, i) => ({ epoch: i + 1, train: l === null ? null : l + 2, test: l })),
  });

  it('overlays a solid test and a dashed train curve per run, one tab10 colour each, the legend naming the runs', () => {
    const { svg } = compareLossSvg({
      runs: [run('r1', 'β = 1', [100, 90, 80]), run('r2', 'β = 4', [120, 100, null]), run('r3', 'z 8', [95])],
    });
    const curves = [...svg.matchAll(/<path class="series" ([^>]*)\/>/g)].map((m) => m[1] as string);
    expect(curves.map((c) => /data-key="([^"]+)"/.exec(c)?.[1])).toEqual([
      'r1',
      'r1',
      'r2',
      'r2',
      'r3',
      'r3',
    ]);
    expect(curves.map((c) => /stroke="([^"]+)"/.exec(c)?.[1])).toEqual([
      '#1f77b4',
      '#1f77b4',
      '#ff7f0e',
      '#ff7f0e',
      '#2ca02c',
      '#2ca02c',
    ]);
    expect(curves.map((c) => c.includes('stroke-dasharray'))).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
    // r2 has no third epoch: two points, one segment; r3's single epoch is a dot wide enough to see.
    expect(curves.map((c) => ((/ d="([^"]+)"/.exec(c)?.[1] ?? '').match(/[ML]/g) ?? []).length)).toEqual([
      3, 3, 2, 2, 1, 1,
    ]);
    expect(curves[4]).toContain('stroke-width="7"');
    expect(groupTexts(svg, 'legend')).toEqual(['β = 1', 'β = 4', 'z 8', 'test loss', 'train loss']);
    expect(groupTexts(svg, 'x-ticks')).toEqual(['1', '2', '3']);
  });

  it('grows to hold a legend longer than the plot', () => {
    const runs = Array.from({ length: 20 }, (_, i) => run(`r${i}`, `run ${i}`, [100 - i, 90 - i]));
    const { svg } = compareLossSvg({ runs }, { scale: 1 });
    // 22 legend lines of 18 units from y = 20: the figure is 20 + 22 · 18 = 416 high, not 356.
    expect(svg).toMatch(/^<svg [^>]*height="416"/);
  });
});

describe('traversalSvg of several dimensions', () => {
  it('draws one row per dimension, named z [d], each with its own images', async () => {
    const small = { height: 2, width: 2, channels: 1 };
    // Row 0 (z [1]) all black, row 1 (z [4]) all white: 3 steps each.
    const images = Uint8Array.from([...new Array<number>(12).fill(0), ...new Array<number>(12).fill(255)]);
    const { svg } = traversalSvg(
      { images, count: 3, dim: [1, 4], range: 3, imageShape: small },
      { scale: 1 },
    );
    expect([...svg.matchAll(/>(z \[\d\])<\/text>/g)].map((m) => m[1])).toEqual(['z [1]', 'z [4]']);
    expect(svg).toContain('<title>Traversal of z [1], z [4] over [−3, 3]</title>');
    expect(groupTexts(svg, 'column-labels')).toEqual(['-3.0', '0.0', '3.0']);
    const rows = [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1] as string);
    expect(rows).toHaveLength(2);
    const first = await sharp(Buffer.from(rows[0]!, 'base64')).raw().toBuffer();
    const second = await sharp(Buffer.from(rows[1]!, 'base64')).raw().toBuffer();
    // Greys_r: 0 is black, 255 white; the first pixel of each row is its first image's.
    expect([first[0], second[0]]).toEqual([0, 255]);
  });
});
