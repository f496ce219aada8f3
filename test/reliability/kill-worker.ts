/**
 * A tiny process for the kill -9 test: TokenCache + FileStore + AccountsClient against the
 * emulator (rotation on), refreshing back to back until it is killed. After each refresh has been
 * persisted it prints `persisted <refresh-token fingerprint>` (stdout to a pipe is synchronous on
 * Linux, so a printed line was written before any later kill).
 */
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { createFileStore } from '../../src/token/stores/file-store.js';
import { TokenCache } from '../../src/token/token-cache.js';

interface KillWorkerConfig {
  emulatorUrl: string;
  clientId: string;
  clientSecret: string;
  file: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as KillWorkerConfig;
const accounts = new AccountsClient({
  baseUrl: config.emulatorUrl,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
});
const cache = new TokenCache({
  refresh: accounts.refreshFn(),
  store: createFileStore(config.file),
  maxAttempts: 1,
});

async function main(): Promise<void> {
  await cache.init();
  process.stdout.write('ready\n');
  for (;;) {
    await cache.forceRefresh();
    process.stdout.write(`persisted ${cache.snapshot().refresh_token.fingerprint}\n`);
  }
}

main().catch((err: unknown) => {
  process.stdout.write(`error ${(err as Error).name}: ${(err as Error).message}\n`);
  process.exit(3);
});
