import type * as z from 'zod';

/**
 * The alarms file's codec: JSON document <-> stored alarms, without touching the disk.
 *
 * An alarm clock must never lose alarms silently, so decoding is strict where skipping would
 * drop data and lenient where it would not: fields this version does not know (written by a
 * newer SpotiPi, or by hand) are kept and written back unchanged, known older versions are
 * migrated, and anything it cannot read safely (a newer version, an alarm that does not
 * validate, two alarms with one id) is an `AlarmsFileError` — the server refuses to start
 * rather than starting empty and overwriting the file at the next save.
 */

/** The version this SpotiPi writes. */
export const ALARMS_FILE_VERSION = 1;

/** Why a file cannot be read safely. */
export type AlarmsFileProblem = 'newer_version' | 'unknown_version' | 'invalid_document' | 'invalid_alarm';

/** The alarms file cannot be read without losing or misreading alarms. */
export class AlarmsFileError extends Error {
  override name = 'AlarmsFileError';
  constructor(
    message: string,
    readonly problem: AlarmsFileProblem,
  ) {
    super(message);
  }
}

/** Turns a document of version `n` into one of version `n + 1` (keyed by `n`). */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * Known older versions and how to bring each one version forward. Version 1 is the first
 * released format, so the table is empty today; a format change adds `{ 1: (doc) => … }` here.
 */
export const ALARMS_FILE_MIGRATIONS: Readonly<Record<number, Migration>> = {};

/** A zod object schema (its `shape` names the fields this version knows). */
type ObjectSchema<T> = z.ZodType<T> & { shape: Record<string, unknown> };

/** How to validate one stored alarm's two parts. */
export interface AlarmEntrySchemas<S, R> {
  spec: ObjectSchema<S>;
  runtime: ObjectSchema<R>;
}

/** One stored alarm: its settings and its runtime state. */
export interface AlarmEntry<S, R> {
  spec: S;
  runtime: R;
}

type Bag = Record<string, unknown>;

/** Fields this version does not know, kept to be written back (per alarm, by id). */
export interface PreservedFields {
  document: Bag;
  alarms: ReadonlyMap<string, { entry: Bag; spec: Bag; runtime: Bag }>;
}

/** Nothing to preserve (a new or absent file). */
export const NO_PRESERVED_FIELDS: PreservedFields = { document: {}, alarms: new Map() };

/** What a readable file holds. */
export interface DecodedAlarms<S, R> {
  entries: AlarmEntry<S, R>[];
  preserved: PreservedFields;
  /** The version the file had on disk (older than current when it was migrated). */
  fromVersion: number;
}

/** Decodes a parsed alarms file; throws AlarmsFileError for anything it cannot read safely. */
export function decodeAlarmsFile<S extends { id: string }, R>(
  raw: unknown,
  schemas: AlarmEntrySchemas<S, R>,
  migrations: Readonly<Record<number, Migration>> = ALARMS_FILE_MIGRATIONS,
): DecodedAlarms<S, R> {
  if (!isObject(raw)) throw new AlarmsFileError('it is not a JSON object', 'invalid_document');
  const fromVersion = raw.version;
  if (typeof fromVersion !== 'number' || !Number.isInteger(fromVersion)) {
    throw new AlarmsFileError('it has no valid "version" field', 'invalid_document');
  }
  if (fromVersion > ALARMS_FILE_VERSION) {
    throw new AlarmsFileError(
      `it was written by a newer SpotiPi (file version ${fromVersion}; this one reads up to ${ALARMS_FILE_VERSION}); upgrade SpotiPi`,
      'newer_version',
    );
  }
  let doc: Bag = raw;
  for (let v = fromVersion; v < ALARMS_FILE_VERSION; v++) {
    const migrate = migrations[v];
    if (!migrate) {
      throw new AlarmsFileError(
        `file version ${fromVersion} is not one this SpotiPi knows`,
        'unknown_version',
      );
    }
    doc = migrate(doc);
  }
  const { version: _version, alarms, ...documentExtra } = doc;
  if (!Array.isArray(alarms)) throw new AlarmsFileError('"alarms" is not a list', 'invalid_document');

  const entries: AlarmEntry<S, R>[] = [];
  const preserved = new Map<string, { entry: Bag; spec: Bag; runtime: Bag }>();
  alarms.forEach((item: unknown, index) => {
    const where = `alarm #${index + 1}`;
    if (!isObject(item)) throw new AlarmsFileError(`${where} is not an object`, 'invalid_alarm');
    const { spec: rawSpec, runtime: rawRuntime, ...entryExtra } = item;
    const spec = validatePart(schemas.spec, rawSpec, `${where}: spec`);
    const runtime = validatePart(schemas.runtime, rawRuntime, `${where}: runtime`);
    const id = spec.value.id;
    if (preserved.has(id)) throw new AlarmsFileError(`two alarms have the id "${id}"`, 'invalid_alarm');
    preserved.set(id, { entry: entryExtra, spec: spec.extra, runtime: runtime.extra });
    entries.push({ spec: spec.value, runtime: runtime.value });
  });
  return { entries, preserved: { document: documentExtra, alarms: preserved }, fromVersion };
}

/** The document to write for `entries`, with the fields kept from the file merged back in. */
export function encodeAlarmsFile<S extends { id: string }, R>(
  entries: readonly AlarmEntry<S, R>[],
  preserved: PreservedFields = NO_PRESERVED_FIELDS,
): Bag & { version: number; alarms: Bag[] } {
  return {
    ...preserved.document,
    version: ALARMS_FILE_VERSION,
    alarms: entries.map(({ spec, runtime }) => {
      const kept = preserved.alarms.get(spec.id);
      return {
        ...kept?.entry,
        // Known fields win over kept ones of the same name (there are none unless schemas changed).
        spec: { ...kept?.spec, ...(spec as Bag) },
        runtime: { ...kept?.runtime, ...(runtime as Bag) },
      };
    }),
  };
}

/** Validates the fields `schema` knows; returns the rest untouched. */
function validatePart<T>(schema: ObjectSchema<T>, raw: unknown, where: string): { value: T; extra: Bag } {
  if (!isObject(raw)) throw new AlarmsFileError(`${where} is missing or not an object`, 'invalid_alarm');
  const known: Bag = {};
  const extra: Bag = {};
  for (const [key, value] of Object.entries(raw)) {
    if (Object.hasOwn(schema.shape, key)) known[key] = value;
    else extra[key] = value;
  }
  const parsed = schema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? `"${issue.path.join('.')}" ` : '';
    throw new AlarmsFileError(
      `${where} ${field}is invalid: ${issue?.message ?? 'unknown problem'}`,
      'invalid_alarm',
    );
  }
  return { value: parsed.data, extra };
}

function isObject(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
