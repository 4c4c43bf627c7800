import type { FigureColors } from './canvas';
import { strideLabels } from '../../shared/figures/strides';
import { formatTick, manifoldTicks, tickStride } from './ticks';

export { strideLabels };

/** Margins around a figure's plot area, in CSS pixels. */
export const figureMargin = { left: 46, right: 10, top: 10, bottom: 38 } as const;

/** Where the plot area of a square figure of `cssWidth` goes. */
export function squarePlotRect(cssWidth: number): {
  left: number;
  top: number;
  size: number;
  width: number;
  height: number;
} {
  const size = Math.max(40, Math.floor(cssWidth - figureMargin.left - figureMargin.right));
  return {
    left: figureMargin.left,
    top: figureMargin.top,
    size,
    width: figureMargin.left + size + figureMargin.right,
    height: figureMargin.top + size + figureMargin.bottom,
  };
}

interface AxisTick {
  /** Pixel position along the axis (x for the bottom axis, y for the left). */
  at: number;
  label: string;
}

/** Frame, tick marks, tick labels and axis titles around a plot rectangle. */
export function drawAxes(
  ctx: CanvasRenderingContext2D,
  options: {
    rect: { left: number; top: number; width: number; height: number };
    xTicks: AxisTick[];
    yTicks: AxisTick[];
    xLabel: string;
    yLabel: string;
    colors: FigureColors;
    grid?: boolean;
  },
): void {
  const { rect, colors } = options;
  ctx.save();
  ctx.lineWidth = 1;
  if (options.grid) {
    ctx.strokeStyle = colors.grid;
    ctx.beginPath();
    for (const t of options.xTicks) {
      ctx.moveTo(Math.round(t.at) + 0.5, rect.top);
      ctx.lineTo(Math.round(t.at) + 0.5, rect.top + rect.height);
    }
    for (const t of options.yTicks) {
      ctx.moveTo(rect.left, Math.round(t.at) + 0.5);
      ctx.lineTo(rect.left + rect.width, Math.round(t.at) + 0.5);
    }
    ctx.stroke();
  }
  ctx.strokeStyle = colors.muted;
  ctx.strokeRect(rect.left + 0.5, rect.top + 0.5, rect.width - 1, rect.height - 1);
  ctx.fillStyle = colors.text;
  ctx.font = '10px system-ui, sans-serif';
  ctx.beginPath();
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const bottom = rect.top + rect.height;
  for (const t of options.xTicks) {
    ctx.moveTo(Math.round(t.at) + 0.5, bottom);
    ctx.lineTo(Math.round(t.at) + 0.5, bottom + 4);
    if (t.label) ctx.fillText(t.label, t.at, bottom + 6);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of options.yTicks) {
    ctx.moveTo(rect.left, Math.round(t.at) + 0.5);
    ctx.lineTo(rect.left - 4, Math.round(t.at) + 0.5);
    if (t.label) ctx.fillText(t.label, rect.left - 6, t.at);
  }
  ctx.stroke();
  ctx.font = '12px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(options.xLabel, rect.left + rect.width / 2, bottom + 36);
  ctx.translate(12, rect.top + rect.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(options.yLabel, 0, 0);
  ctx.restore();
}

/** Ticks of an n×n manifold plot area: every cell centre ticked, labels thinned to fit. */
export function manifoldAxisTicks(
  n: number,
  range: number,
  rect: { left: number; top: number; width: number; height: number },
): { x: AxisTick[]; y: AxisTick[] } {
  const ticks = manifoldTicks(n, range);
  const cellX = rect.width / n;
  const cellY = rect.height / n;
  const labelledX = strideLabels(n, tickStride(cellX, 22));
  // Vertical neighbours only need a line of text between them, so y keeps more labels.
  const labelledY = strideLabels(n, tickStride(cellY, 10));
  return {
    x: ticks.x.map((t) => ({
      at: rect.left + (t.cell + 0.5) * cellX,
      label: labelledX(t.cell) ? t.label : '',
    })),
    y: ticks.y.map((t) => ({
      at: rect.top + (t.cell + 0.5) * cellY,
      label: labelledY(t.cell) ? t.label : '',
    })),
  };
}

/** Round-number ticks of a continuous axis mapped to pixels. */
export function continuousTicks(values: number[], toPixel: (v: number) => number): AxisTick[] {
  return values.map((v) => ({ at: toPixel(v), label: formatTick(v) }));
}
