import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ALARMS_FILE_VERSION,
  AlarmsFileError,
  decodeAlarmsFile,
  encodeAlarmsFile,
  type Migration,
} from './alarms-file.js';

// The codec is generic over the scheduler's schemas; these stand in for them (the fields the
// helper below writes), so the tests do not change when the alarm model gains a field.
const specSchema = z.strictObject({
  id: z.string().min(1),
  label: z.string(),
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time must be "HH:MM"'),
  days: z.array(z.string()),
  timezone: z.string(),
  context_uri: z.string(),
  shuffle: z.boolean(),
  device: z.string().nullable(),
  volume: z.number().int().min(0).max(100),
  fade_in_seconds: z.number(),
  enabled: z.boolean(),
});
const runtimeSchema = z.object({
  anchorAt: z.number(),
  lastResult: z.object({ status: z.string() }).optional(),
});
const schemas = { spec: specSchema, runtime: runtimeSchema };

function spec(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    label: 'Work',
    time: '07:00',
    days: ['mon'],
    timezone: 'UTC',
    context_uri: 'spotify:playlist:abc',
    shuffle: false,
    device: null,
    volume: 50,
    fade_in_seconds: 0,
    enabled: true,
    ...extra,
  };
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AlarmsFileError) return `${err.problem}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('the alarms file codec', () => {
  it('reads a current file and writes it back the same', () => {
    const doc = { version: 1, alarms: [{ spec: spec('a'), runtime: { anchorAt: 5 } }] };
    const decoded = decodeAlarmsFile(doc, schemas);
    expect(decoded.entries).toHaveLength(1);
    expect(decoded.entries[0]?.spec.id).toBe('a');
    expect(encodeAlarmsFile(decoded.entries, decoded.preserved)).toEqual(doc);
  });

  it('keeps unknown fields of the document, of each entry, and of each spec and runtime on round trip', () => {
    const doc = {
      version: 1,
      written_by: 'spotipi 9',
      alarms: [
        {
          spec: spec('a', { pause_snoozes: true }),
          runtime: { anchorAt: 5, fade: { reached: 30 } },
          note: 'kept',
        },
        { spec: spec('b'), runtime: { anchorAt: 6 } },
      ],
    };
    const decoded = decodeAlarmsFile(doc, schemas);
    expect(decoded.entries.map((e) => e.spec.id)).toEqual(['a', 'b']);
    // The scheduler changes a known field; the unknown ones still go back to disk.
    const changed = decoded.entries.map((e) => ({ ...e, spec: { ...e.spec, volume: 80 } }));
    const written = encodeAlarmsFile(changed, decoded.preserved);
    expect(written.written_by).toBe('spotipi 9');
    expect(written.alarms[0]).toMatchObject({
      note: 'kept',
      spec: { pause_snoozes: true, volume: 80 },
      runtime: { anchorAt: 5, fade: { reached: 30 } },
    });
    expect(written.alarms[1]).toEqual({ spec: { ...spec('b'), volume: 80 }, runtime: { anchorAt: 6 } });
  });

  it("forgets a deleted alarm's kept fields and writes new alarms without any", () => {
    const doc = { version: 1, alarms: [{ spec: spec('a', { extra: 1 }), runtime: { anchorAt: 5 } }] };
    const decoded = decodeAlarmsFile(doc, schemas);
    const written = encodeAlarmsFile([{ spec: spec('c'), runtime: { anchorAt: 1 } }], decoded.preserved);
    expect(written.alarms).toEqual([{ spec: spec('c'), runtime: { anchorAt: 1 } }]);
  });

  it('refuses a file from a newer version instead of reading it as empty', () => {
    const doc = { version: ALARMS_FILE_VERSION + 1, alarms: [{ spec: spec('a'), runtime: { anchorAt: 5 } }] };
    expect(problemOf(() => decodeAlarmsFile(doc, schemas))).toMatch(
      /^newer_version: it was written by a newer SpotiPi \(file version 2; this one reads up to 1\)/,
    );
  });

  it('refuses an alarm that does not validate, naming the alarm and the field', () => {
    const doc = {
      version: 1,
      alarms: [
        { spec: spec('a'), runtime: { anchorAt: 5 } },
        { spec: spec('b', { time: '25:00' }), runtime: { anchorAt: 5 } },
      ],
    };
    expect(problemOf(() => decodeAlarmsFile(doc, schemas))).toMatch(
      /^invalid_alarm: alarm #2: spec "time" is invalid/,
    );
  });

  it('refuses an entry without a runtime, a missing alarm list, a missing version and duplicate ids', () => {
    expect(problemOf(() => decodeAlarmsFile({ version: 1, alarms: [{ spec: spec('a') }] }, schemas))).toMatch(
      /^invalid_alarm: alarm #1: runtime is missing/,
    );
    expect(problemOf(() => decodeAlarmsFile({ version: 1 }, schemas))).toMatch(/^invalid_document: "alarms"/);
    expect(problemOf(() => decodeAlarmsFile({ alarms: [] }, schemas))).toMatch(
      /^invalid_document: .*version/,
    );
    expect(problemOf(() => decodeAlarmsFile([], schemas))).toMatch(/^invalid_document/);
    const twice = { spec: spec('a'), runtime: { anchorAt: 5 } };
    expect(problemOf(() => decodeAlarmsFile({ version: 1, alarms: [twice, twice] }, schemas))).toMatch(
      /^invalid_alarm: two alarms have the id "a"/,
    );
  });

  it('migrates a known older version step by step and refuses an unknown older one', () => {
    // Version 1 is the first released format; a synthetic version 0 (alarms as a bare "items"
    // list) proves the migration path the next format change will use.
    const migrations: Record<number, Migration> = {
      0: ({ items, ...rest }) => ({ ...rest, version: 1, alarms: items }),
    };
    const old = { version: 0, items: [{ spec: spec('a'), runtime: { anchorAt: 5 } }], keep: true };
    const decoded = decodeAlarmsFile(old, schemas, migrations);
    expect(decoded.fromVersion).toBe(0);
    expect(decoded.entries[0]?.spec.id).toBe('a');
    expect(encodeAlarmsFile(decoded.entries, decoded.preserved)).toEqual({
      version: 1,
      keep: true,
      alarms: [{ spec: spec('a'), runtime: { anchorAt: 5 } }],
    });
    expect(problemOf(() => decodeAlarmsFile({ version: -1, alarms: [] }, schemas, migrations))).toMatch(
      /^unknown_version: file version -1/,
    );
  });
});
