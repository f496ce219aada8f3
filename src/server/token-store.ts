import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { createFileStore } from '../token/stores/file-store.js';
import { createMemoryStore } from '../token/stores/memory-store.js';
import type { Logger, TokenStore } from '../token/types.js';

/** The token file inside the state dir. */
export const TOKEN_FILE = 'token.json';

/** Path of the token file for a configuration. */
export function tokenFilePath(config: Pick<Config, 'stateDir'>): string {
  return join(config.stateDir, TOKEN_FILE);
}

/**
 * Chooses the token store: memory in demo mode (demo tokens never touch the state dir), Redis
 * when REDIS_URL is set (a fleet sharing one token), else the 0600 file in the state dir.
 */
export async function chooseTokenStore(
  config: Config,
  options: { clientId: string; logger: Logger },
): Promise<TokenStore> {
  if (config.mode === 'demo') return createMemoryStore();
  if (config.redisUrl) {
    // Loaded only when used: the Redis client alone costs ~25 MB of RSS, a lot on a Pi.
    const { createRedisStore } = await import('../token/stores/redis-store.js');
    return createRedisStore({
      url: config.redisUrl,
      clientId: options.clientId,
      logger: options.logger,
      ...(config.redisEncryptionKey ? { encryptionKey: config.redisEncryptionKey } : {}),
    });
  }
  return createFileStore(tokenFilePath(config), { logger: options.logger });
}
