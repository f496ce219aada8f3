/**
 * `npm run build` (second part): the .d.ts files of the `spotipi/token` exports, without a type
 * checking program. The token modules are written for `isolatedDeclarations` (every export says
 * its type), so TypeScript can emit each file's declarations on its own: about 125 MB peak
 * instead of the ~200 MB a `tsc --emitDeclarationOnly` program takes for the same files, which
 * matters on a 512 MB Pi. `npm run typecheck` (tsc --noEmit) still checks everything.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** The library entries (package.json "exports"). */
export const TYPE_ENTRIES = ['token/index.ts', 'token/stores/redis-store.ts'];

/** Relative module specifiers a file imports or re-exports. */
function localImports(code) {
  const found = new Set();
  for (const m of code.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) found.add(m[1]);
  return [...found];
}

/** Writes declarations for the entries and every local module they reach into `outDir`. */
export async function buildTypes(outDir = join(root, 'dist')) {
  const queue = TYPE_ENTRIES.map((e) => join(src, e));
  const seen = new Set();
  const problems = [];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const code = await readFile(file, 'utf8');
    const result = ts.transpileDeclaration(code, {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        declaration: true,
        isolatedDeclarations: true,
        strict: true,
      },
    });
    for (const d of result.diagnostics ?? []) {
      const where =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      problems.push(
        `${relative(root, file)}${where ? `:${where.line + 1}:${where.character + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
    }
    const out = join(outDir, relative(src, file)).replace(/\.ts$/, '.d.ts');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, result.outputText);
    for (const spec of localImports(code)) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (existsSync(target)) queue.push(target);
      else if (existsSync(target.replace(/\.ts$/, '.d.ts'))) continue;
      else problems.push(`${relative(root, file)}: cannot find ${spec}`);
    }
  }
  if (problems.length > 0) throw new IsolatedDeclarationsError(problems);
  return [...seen].map((f) => relative(src, f));
}

/** Some export lacks the explicit type that per-file declarations need. */
export class IsolatedDeclarationsError extends Error {
  constructor(problems) {
    super(`declarations need explicit types (isolatedDeclarations):\n  ${problems.join('\n  ')}`);
  }
}

/**
 * The slow path: one tsc program emitting declarations for the entries (~200 MB peak). Taken when
 * a module is not written for isolatedDeclarations yet, so the install still works; the warning
 * names what to annotate to get back to the light path.
 */
function buildTypesWithTsc(outDir) {
  const config = ts.parseJsonConfigFileContent(
    {
      extends: join(root, 'tsconfig.build.json'),
      compilerOptions: { outDir, emitDeclarationOnly: true, declaration: true, sourceMap: false },
      files: TYPE_ENTRIES.map((e) => join(src, e)),
      include: [],
    },
    ts.sys,
    root,
  );
  const program = ts.createProgram(config.fileNames, config.options);
  const result = program.emit(undefined, undefined, undefined, true);
  const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new Error(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = join(root, 'dist');
  buildTypes(outDir)
    .catch((err) => {
      if (!(err instanceof IsolatedDeclarationsError)) throw err;
      process.stderr.write(
        `build-types: ${err.message}\nbuild-types: falling back to a full tsc program (more memory)\n`,
      );
      buildTypesWithTsc(outDir);
    })
    .catch((err) => {
      process.stderr.write(`build-types failed: ${err.message ?? err}\n`);
      process.exit(1);
    });
}
