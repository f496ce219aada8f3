import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** execFile as a promise. */
export const run = promisify(execFile);
/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The project's TypeScript compiler. */
export const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** A scratch package `spotipi` (token entries built) and a consumer package that depends on it. */
export interface ConsumerPackage {
  /** Scratch directory holding both; remove it when done. */
  work: string;
  /** The consumer's directory: run scripts here to import `spotipi/token` as another package would. */
  consumer: string;
}

/**
 * Builds the token entries with the project's build settings (tsconfig.build.json) into a scratch
 * copy of the package, so a test neither depends on nor disturbs a `dist/` other suites use,
 * then installs that package into a consumer as `node_modules/spotipi`.
 */
export async function buildConsumerPackage(): Promise<ConsumerPackage> {
  const work = await mkdtemp(join(tmpdir(), 'spotipi-exports-'));
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
      files: [join(root, 'src', 'token', 'index.ts'), join(root, 'src', 'token', 'stores', 'redis-store.ts')],
      include: [],
    }),
  );
  await run(process.execPath, [tsc, '-p', buildConfig], { cwd: root });
  // The Redis entry imports ioredis, which a real install brings along as a dependency.
  await mkdir(join(pkg, 'node_modules'), { recursive: true });
  await symlink(join(root, 'node_modules', 'ioredis'), join(pkg, 'node_modules', 'ioredis'), 'dir');

  const consumer = join(work, 'consumer');
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
  return { work, consumer };
}
