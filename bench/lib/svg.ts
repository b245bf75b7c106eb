/** Minimal SVG charts for docs/benchmarks.md (grouped horizontal bars, optional p99 whisker). */

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Drawn as a thin line from the bar's end to this value (e.g. p99). */
  readonly whisker?: number;
  /** Extra text after the value label (e.g. "p99 2,600"). */
  readonly suffix?: string;
}

export interface BarGroup {
  readonly label: string;
  readonly bars: readonly Bar[];
}

export interface BarChartOptions {
  readonly title: string;
  readonly groups: readonly BarGroup[];
  readonly unit: string;
  /** Each group scaled on its own (when groups have different magnitudes). */
  readonly scalePerGroup?: boolean;
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

export function barChart(o: BarChartOptions): string {
  const width = 720;
  const left = 170;
  const right = 150;
  const barH = 18;
  const gap = 6;
  const groupGap = 18;
  const top = 40;
  const names = [...new Set(o.groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const color = (name: string) => COLORS[names.indexOf(name) % COLORS.length]!;
  const globalMax = Math.max(1e-9, ...o.groups.flatMap((g) => g.bars.map((b) => Math.max(b.value, b.whisker ?? 0))));
  const parts: string[] = [];
  let y = top;
  for (const g of o.groups) {
    const max = o.scalePerGroup ? Math.max(1e-9, ...g.bars.map((b) => Math.max(b.value, b.whisker ?? 0))) : globalMax;
    const scale = (v: number) => (Math.max(0, v) / max) * (width - left - right);
    parts.push(`<text x="8" y="${y + 13}" font-weight="bold">${esc(g.label)}</text>`);
    y += barH + gap;
    for (const b of g.bars) {
      const w = scale(b.value);
      parts.push(`<text x="${left - 8}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color(b.label)}"/>`);
      let labelX = left + w + 6;
      if (b.whisker !== undefined && b.whisker > b.value) {
        const wx = left + scale(b.whisker);
        parts.push(`<line x1="${(left + w).toFixed(1)}" y1="${y + barH / 2}" x2="${wx.toFixed(1)}" y2="${y + barH / 2}" stroke="#333" stroke-width="1"/>`);
        parts.push(`<line x1="${wx.toFixed(1)}" y1="${y + 3}" x2="${wx.toFixed(1)}" y2="${y + barH - 3}" stroke="#333" stroke-width="1"/>`);
        labelX = wx + 6;
      }
      const extra = b.suffix ?? (b.whisker !== undefined ? `p99 ${fmt(b.whisker)}` : '');
      const text = `${fmt(b.value)} ${o.unit}${extra ? ` (${extra})` : ''}`;
      parts.push(`<text x="${labelX.toFixed(1)}" y="${y + 13}">${esc(text)}</text>`);
      y += barH + gap;
    }
    y += groupGap;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="22" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
