/**
 * V8 flags for the long-running server. A 1 MiB semi-space keeps the young generation small:
 * measured on the demo server, idle RSS 97 -> 85 MB and after 200 requests 121 -> 95 MB, with no
 * measurable throughput cost at a Pi's request rates. `--expose-gc` lets the server collect once
 * when requests stop (src/server/idle-collector.ts). `--single-threaded`: V8 collects and compiles
 * on the main thread instead of beside it, so its helper threads allocate nothing (measured: idle
 * private memory 19.1-19.6 -> 17.8 MB, idle RSS 61.2 -> 59.8 MB, and less spread between runs);
 * the pauses it adds are milliseconds on a heap this small.
 */
export const SERVER_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--expose-gc',
  '--single-threaded',
];

/**
 * The low-power profile (SPOTIPI_LOW_POWER=1, for a Pi Zero): on top of the above, no optimizing
 * compiler and no baseline compiler (`--no-opt --no-sparkplug`: JavaScript runs in the interpreter,
 * which a one-person alarm clock's request rate never notices; measured ~3 MB less private memory
 * and ~3.5 MB fewer pages of the Node binary touched), `--optimize-for-size` (smaller objects at
 * some speed), and a 96 MB old space so the collector keeps the heap tight (idle heap is ~14 MB,
 * leaving room for a large library). Not `--lite-mode` or `--jitless`: they disable WebAssembly,
 * which Node's fetch needs (undici's HTTP parser), so every Spotify call would crash the server.
 */
export const LOW_POWER_NODE_FLAGS: readonly string[] = [
  ...SERVER_NODE_FLAGS,
  '--max-old-space-size=96',
  '--optimize-for-size',
  '--no-opt',
  '--no-sparkplug',
];

/** The flags a server is started with, by profile. */
export function serverNodeFlags(lowPower: boolean): readonly string[] {
  return lowPower ? LOW_POWER_NODE_FLAGS : SERVER_NODE_FLAGS;
}
