#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { runCli } from './run.js';

// The only place (besides the config loader) that reads the real process's env and argv.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // `spotipi logs | head` closes the pipe early; that is not an error.
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: { write: (text) => process.stdout.write(text), isTTY: Boolean(process.stdout.isTTY) },
  stderr: { write: (text) => process.stderr.write(text), isTTY: Boolean(process.stderr.isTTY) },
  execPath: process.execPath,
  entry: fileURLToPath(import.meta.url),
});
process.exitCode = code;
