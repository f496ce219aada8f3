/** Draws the token chart as inline SVG (CSP-safe: no inline styles; colours come from app.css classes). */
import { svg } from './dom.js';
import { chartGeometry } from './token-model.js';

const WIDTH = 320;
const HEIGHT = 72;

/**
 * Replaces `container`'s content with a chart of `history`.
 * @param {HTMLElement} container
 * @param {import('./token-model.js').Sample[]} history
 * @param {(g: ReturnType<typeof chartGeometry>, minutes: number) => string} describe accessible summary
 * @param {string} emptyText
 */
export function drawChart(container, history, describe, emptyText) {
  const g = chartGeometry(history, WIDTH, HEIGHT);
  const minutes =
    history.length > 1 ? Math.max(1, Math.round((history[history.length - 1].t - history[0].t) / 60000)) : 0;
  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    preserveAspectRatio: 'none',
    class: 'chart-svg',
    role: 'img',
    'aria-label': history.length > 1 ? describe(g, minutes) : emptyText,
  });
  for (const frac of [0.25, 0.5, 0.75]) {
    root.append(svg('line', { x1: 0, x2: WIDTH, y1: HEIGHT * frac, y2: HEIGHT * frac, class: 'chart-grid' }));
  }
  if (g.area) {
    root.append(svg('path', { d: g.area, class: 'chart-area-fill' }));
    root.append(svg('path', { d: g.line, class: 'chart-line', 'vector-effect': 'non-scaling-stroke' }));
  }
  for (const mark of g.marks) {
    root.append(
      svg('line', {
        x1: mark.x,
        x2: mark.x,
        y1: 0,
        y2: HEIGHT,
        class: 'chart-refresh',
        'vector-effect': 'non-scaling-stroke',
      }),
    );
    root.append(svg('circle', { cx: mark.x, cy: 5, r: 3, class: 'chart-refresh-dot' }));
  }
  container.replaceChildren(root);
}
