import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let work: string;
let consumer: string;

/**
 * Builds the token entry with the project's build settings (tsconfig.build.json) into a scratch
 * copy of the package, so this test neither depends on nor disturbs a `dist/` other suites use,
 * then installs that package into a consumer as `node_modules/spotipi`.
 */
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'spotipi-exports-'));
  const pkg = join(work, 'spotipi');
  await mkdir(pkg, { recursive: true });
  await copyFile(join(root, 'package.json'), join(pkg, 'package.json'));
  const buildConfig = join(work, 'tsconfig.token-build.json');
  await writeFile(
    buildConfig,
    JSON.stringify({
      extends: join(root, 'tsconfig.build.json'),
      compilerOptions: {
        rootDir: join(root, 'src'),
        outDir: join(pkg, 'dist'),
        sourceMap: false,
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: [join(root, 'src', 'token', 'index.ts')],
      include: [],
    }),
  );
  await run(process.execPath, [tsc, '-p', buildConfig], { cwd: root });

  consumer = join(work, 'consumer');
  await mkdir(join(consumer, 'node_modules', '@types'), { recursive: true });
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', type: 'module', private: true, dependencies: { spotipi: '*' } }),
  );
  await symlink(pkg, join(consumer, 'node_modules', 'spotipi'), 'dir');
  await symlink(
    join(root, 'node_modules', '@types', 'node'),
    join(consumer, 'node_modules', '@types', 'node'),
    'dir',
  );
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the 'spotipi/token' package entry", () => {
  it('imports TokenCache and its stores from another package and serves a token', async () => {
    const script = `
      import('spotipi/token').then(async (m) => {
        let calls = 0;
        const cache = new m.TokenCache({
          refresh: async () => { calls++; return { accessToken: 'consumer-token-0123456789', expiresIn: 3600 }; },
          store: new m.MemoryStore(),
        });
        const tokens = await Promise.all([cache.getAccessToken(), cache.getAccessToken(), cache.getAccessToken()]);
        const snap = cache.snapshot();
        await cache.close();
        console.log(JSON.stringify({
          exports: Object.keys(m).sort(),
          tokens, calls, state: snap.state, hits: snap.cache_metrics.total_requests,
          leaked: JSON.stringify(snap).includes('consumer-token-0123456789'),
        }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer });
    const out = JSON.parse(stdout.trim());
    expect(out.exports).toEqual(
      expect.arrayContaining([
        'TokenCache',
        'MemoryStore',
        'FileStore',
        'SharedMemoryBackend',
        'ManualClock',
        'systemClock',
        'fingerprint',
        'ReauthorizationRequiredError',
        'RetryableRefreshError',
        'TokenUnavailableError',
      ]),
    );
    expect(out.tokens).toEqual(Array(3).fill('consumer-token-0123456789'));
    expect(out.calls).toBe(1);
    expect(out.state).toBe('valid');
    expect(out.hits).toBe(3);
    expect(out.leaked).toBe(false);
  }, 60_000);

  it('does not expose internal modules outside the exports map', async () => {
    const script = `import('spotipi/dist/token/token-cache.js').then(() => console.log('reachable'), (e) => console.log(e.code))`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer });
    expect(stdout.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  }, 60_000);

  it('gives TypeScript consumers types for the entry', async () => {
    await writeFile(
      join(consumer, 'use.ts'),
      [
        "import { TokenCache, type TokenCacheSnapshot, type TokenStore, createFileStore } from 'spotipi/token';",
        "const store: TokenStore = createFileStore('/tmp/x.json');",
        "const cache = new TokenCache({ refresh: async () => ({ accessToken: 'a', expiresIn: 60 }), store });",
        'const token: Promise<string> = cache.getAccessToken();',
        'const snap: TokenCacheSnapshot = cache.snapshot();',
        'export { token, snap };',
      ].join('\n'),
    );
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['use.ts'],
      }),
    );
    await expect(
      run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }),
    ).resolves.toBeDefined();
  }, 60_000);
});
