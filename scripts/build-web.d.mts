/** Builds `webSrc` (web/) into `outDir`; returns the service worker's shell (hashed names). */
export function buildWeb(webSrc: string, outDir: string): Promise<{ shell: string[] }>;
/** Eight characters of a content hash. */
export function contentHash(data: string | Uint8Array): string;
