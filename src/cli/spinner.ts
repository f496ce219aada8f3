import type { Output } from './context.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A one-line progress indicator; silent unless the output is a terminal. */
export function createSpinner(
  out: Output,
  label: string,
): { update(elapsedMs: number): void; clear(): void } {
  let frame = 0;
  let shown = false;
  return {
    update(elapsedMs) {
      if (!out.isTTY) return;
      shown = true;
      out.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}… ${(elapsedMs / 1000).toFixed(1)}s`);
    },
    clear() {
      if (shown) out.write('\r\x1b[K');
      shown = false;
    },
  };
}
