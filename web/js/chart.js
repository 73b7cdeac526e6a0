// A small stacked bar chart in SVG: one bar per day, one coloured segment per series.
// Built with DOM calls only; labels are text nodes.
import { format, toNumber } from './decimal.js';

const SVG = 'http://www.w3.org/2000/svg';
const PALETTE_SIZE = 10;

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  // Quarters of these maxima are round numbers (0.25, 0.5, 1, 2, 2.5).
  for (const step of [1, 2, 4, 8, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

function tickLabel(value) {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1000) return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return Number(value.toPrecision(3)).toString();
}

// data = {categories: [label], series: [{name, values: [decimal]}]}
export function renderStackedBars(figure, data, { unit = '', emptyText = 'No data for this range.' } = {}) {
  figure.replaceChildren();
  if (!data.categories.length || !data.series.length) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = emptyText;
    figure.append(p);
    return;
  }
  const width = 760;
  const height = 280;
  const pad = { left: 70, right: 12, top: 26, bottom: 40 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const stackTotals = data.categories.map((_, i) =>
    data.series.reduce((acc, s) => acc + Math.max(0, toNumber(s.values[i])), 0),
  );
  const yMax = niceMax(Math.max(...stackTotals));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart-svg' });
  root.append(svg('title', {}, figure.getAttribute('aria-label') || 'chart'));

  for (let i = 0; i <= 4; i += 1) {
    const value = (yMax * i) / 4;
    const y = pad.top + plotH - (plotH * i) / 4;
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }));
    root.append(svg('text', { x: pad.left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, tickLabel(value)));
  }
  if (unit) root.append(svg('text', { x: pad.left - 6, y: 12, 'text-anchor': 'end', class: 'axis unit' }, unit));

  const slot = plotW / data.categories.length;
  const barW = Math.max(4, Math.min(48, slot * 0.6));
  data.categories.forEach((category, i) => {
    const x = pad.left + slot * i + (slot - barW) / 2;
    let base = pad.top + plotH;
    data.series.forEach((s, j) => {
      const v = toNumber(s.values[i]);
      if (!(v > 0)) return;
      const h = (plotH * v) / yMax;
      base -= h;
      const rect = svg('rect', {
        x, y: base, width: barW, height: Math.max(h, 0.5), class: `bar c${j % PALETTE_SIZE}`,
        'data-series': s.name, 'data-category': category, 'data-value': format(s.values[i]),
      });
      rect.append(svg('title', {}, `${category} · ${s.name}: ${format(s.values[i])}${unit ? ` ${unit}` : ''}`));
      root.append(rect);
    });
    const label = svg('text', { x: x + barW / 2, y: height - pad.bottom + 16, 'text-anchor': 'middle', class: 'axis' },
      data.categories.length > 10 ? category.slice(5) : category);
    root.append(label);
  });
  root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: pad.top + plotH, y2: pad.top + plotH, class: 'axis-line' }));

  const legend = document.createElement('ul');
  legend.className = 'legend';
  data.series.forEach((s, j) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = `swatch c${j % PALETTE_SIZE}`;
    const name = document.createElement('span');
    name.textContent = s.name;
    li.append(swatch, name);
    legend.append(li);
  });
  figure.append(root, legend);
}
