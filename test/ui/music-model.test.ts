import { beforeAll, describe, expect, it } from 'vitest';
import { loadWebModule } from './web-module.js';

interface Item {
  kind: string;
  uri: string;
  name?: string;
  album?: { uri: string };
}
interface Device {
  id: string;
  isActive: boolean;
  restricted?: boolean;
}
interface MusicModel {
  searchIntent(text: string): { kind: string; q: string };
  appendPage(
    shown: { items: Item[]; total: number; next_offset: number | null } | undefined,
    page: { items: Item[]; total: number; next_offset: number | null },
  ): { items: Item[]; next_offset: number | null };
  isEmptyResult(body: unknown): boolean;
  addPick(list: unknown, item: { uri: string; name: string; kind?: string }): { uri: string; name: string }[];
  parsePicks(text: string | null): { uri: string; name: string }[];
  MAX_PICKS: number;
  deviceIcon(type: string): string;
  chooseTarget(devices: Device[], remembered: string): Device | null;
  nextRepeat(state: string): string;
  volumeView(device: { supportsVolume?: boolean | null; volume?: number | null } | null): {
    state: string;
    value: number | null;
  };
  playBody(item: Item, deviceId?: string, contextUri?: string): Record<string, unknown>;
}

let m: MusicModel;
beforeAll(async () => {
  m = await loadWebModule<MusicModel>('music-model');
});

describe('the music views decide without the DOM', () => {
  it('searches only from two letters on, trimming spaces', () => {
    expect(m.searchIntent('')).toEqual({ kind: 'idle', q: '' });
    expect(m.searchIntent('   ')).toEqual({ kind: 'idle', q: '' });
    expect(m.searchIntent(' a ')).toEqual({ kind: 'short', q: 'a' });
    expect(m.searchIntent(' ab ')).toEqual({ kind: 'search', q: 'ab' });
  });

  it('appends a further page without repeating items, and says when nothing was found', () => {
    const a = { kind: 'track', uri: 'spotify:track:a' };
    const b = { kind: 'track', uri: 'spotify:track:b' };
    const c = { kind: 'track', uri: 'spotify:track:c' };
    const merged = m.appendPage(
      { items: [a, b], total: 3, next_offset: 2 },
      { items: [b, c], total: 3, next_offset: null },
    );
    expect(merged.items.map((i) => i.uri)).toEqual([a.uri, b.uri, c.uri]);
    expect(merged.next_offset).toBeNull();
    expect(m.isEmptyResult({ tracks: { items: [] }, albums: { items: [] } })).toBe(true);
    expect(m.isEmptyResult({ artists: { items: [a] } })).toBe(false);
    expect(m.isEmptyResult(null)).toBe(true);
  });

  it('keeps the recently picked music newest first, without duplicates, at most five', () => {
    let list: { uri: string; name: string }[] = [];
    for (let i = 0; i < 7; i++) list = m.addPick(list, { uri: `spotify:album:${i}`, name: `A${i}` });
    expect(list.map((p) => p.name)).toEqual(['A6', 'A5', 'A4', 'A3', 'A2']);
    list = m.addPick(list, { uri: 'spotify:album:3', name: 'A3' });
    expect(list.map((p) => p.name)).toEqual(['A3', 'A6', 'A5', 'A4', 'A2']);
    expect(m.addPick(list, { uri: '', name: 'x' })).toBe(list);
    expect(m.parsePicks('not json')).toEqual([]);
    expect(m.parsePicks('[{"uri":"spotify:album:1","name":"One"},{"uri":5}]')).toEqual([
      { uri: 'spotify:album:1', name: 'One' },
    ]);
  });

  it('gives each device type its icon', () => {
    expect(m.deviceIcon('Speaker')).toBe('speaker');
    expect(m.deviceIcon('TV')).toBe('tv');
    expect(m.deviceIcon('Computer')).toBe('computer');
    expect(m.deviceIcon('Smartphone')).toBe('phone');
    expect(m.deviceIcon('GameConsole')).toBe('device');
  });

  it('plays on the remembered speaker while it is listed, else the active one, never a restricted one', () => {
    const devices = [
      { id: 'kitchen', isActive: false },
      { id: 'bedroom', isActive: true },
      { id: 'tv', isActive: false, restricted: true },
    ];
    expect(m.chooseTarget(devices, 'kitchen')?.id).toBe('kitchen');
    expect(m.chooseTarget(devices, 'gone')?.id).toBe('bedroom');
    expect(m.chooseTarget(devices, 'tv')?.id).toBe('bedroom');
    expect(m.chooseTarget([{ id: 'x', isActive: false }], '')).toBeNull();
  });

  it('cycles repeat off → all → one → off', () => {
    expect(m.nextRepeat('off')).toBe('context');
    expect(m.nextRepeat('context')).toBe('track');
    expect(m.nextRepeat('track')).toBe('off');
  });

  it('shows a volume-locked device as locked, not as an adjustable 0', () => {
    expect(m.volumeView({ supportsVolume: false, volume: null })).toEqual({ state: 'locked', value: null });
    expect(m.volumeView({ supportsVolume: true, volume: 40 })).toEqual({ state: 'adjustable', value: 40 });
    expect(m.volumeView({ supportsVolume: true, volume: null })).toEqual({ state: 'unknown', value: null });
    expect(m.volumeView(null)).toEqual({ state: 'unknown', value: null });
  });

  it('plays a track within its album (or a given context) so the music goes on after it', () => {
    const track = { kind: 'track', uri: 'spotify:track:t', album: { uri: 'spotify:album:a' } };
    expect(m.playBody(track, 'dev')).toEqual({
      context_uri: 'spotify:album:a',
      offset: { uri: 'spotify:track:t' },
      device_id: 'dev',
    });
    expect(m.playBody(track, undefined, 'spotify:user:u:collection')).toEqual({
      context_uri: 'spotify:user:u:collection',
      offset: { uri: 'spotify:track:t' },
    });
    expect(m.playBody({ kind: 'track', uri: 'spotify:track:t' })).toEqual({ uris: ['spotify:track:t'] });
    expect(m.playBody({ kind: 'artist', uri: 'spotify:artist:x' })).toEqual({
      context_uri: 'spotify:artist:x',
    });
  });
});
