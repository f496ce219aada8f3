import { InvalidArgumentError } from 'commander';

/** Commander parser: a whole number ≥ 1. (Commander passes the previous value as a second argument.) */
export function parsePositiveInt(value: string): number {
  return parseWholeNumber(value, 1);
}

/** Commander parser: a whole number ≥ 0. */
export function parseCount(value: string): number {
  return parseWholeNumber(value, 0);
}

function parseWholeNumber(value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}"`);
  }
  return n;
}

/** Commander parser: a positive number of seconds (fractions allowed). */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) {
    throw new InvalidArgumentError(`expected a positive number of seconds, got "${value}"`);
  }
  return n;
}

/** Commander parser: a TCP port (0–65535). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) {
    throw new InvalidArgumentError(`expected a port number between 0 and 65535, got "${value}"`);
  }
  return n;
}
