import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Transpiles `src/` (and the given extra files) to plain ES modules under `outDir`, so test
 * workers start as `node file.js` in a fraction of the time a TypeScript loader takes. Type
 * checking is the typecheck script's job; this only strips types.
 */
export function transpileForWorkers(root: string, outDir: string, extraFiles: string[]): void {
  const files = [...walk(join(root, 'src')).filter((f) => !f.endsWith('.test.ts')), ...extraFiles];
  for (const file of files) {
    const out = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(root, 'node_modules'), join(outDir, 'node_modules'), 'dir');
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}
