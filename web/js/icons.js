/** Small inline SVG icons built with the DOM (no markup strings). */
import { svg } from './dom.js';

const PATHS = {
  speaker:
    'M7 3h10a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H7a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1ZM12 17a3 3 0 1 0 0-6 3 3 0 0 0 0 6ZM12 7h.01',
  tv: 'M3 5h18v11H3zM8 20h8M12 16v4',
  computer: 'M4 5h16v10H4zM2 19h20',
  phone: 'M8 2h8a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1ZM11 18h2',
  device: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18ZM12 9v6M9 12h6',
  more: 'M5 12h.01M12 12h.01M19 12h.01',
  queue: 'M4 6h11M4 11h11M4 16h7M17 14v6M14 17h6',
  back: 'M15 5l-7 7 7 7',
  play: 'M8 5v14l11-7z',
};

/**
 * An icon by name (`speaker`, `tv`, `computer`, `phone`, `device`, `more`, `queue`, `back`, `play`).
 * @param {keyof typeof PATHS | string} name
 */
export function icon(name, className = 'icon') {
  return svg('svg', { class: className, viewBox: '0 0 24 24', 'aria-hidden': 'true', 'data-icon': name }, [
    svg('path', { d: PATHS[/** @type {keyof typeof PATHS} */ (name)] ?? PATHS.device }),
  ]);
}
