import { DEMO_USER_ID } from './demo-credentials.js';
import { SeededRandom } from './random.js';

/** Internal records of the demo catalogue; `wire.ts` turns them into Spotify JSON. */
export interface ArtistRec {
  id: string;
  name: string;
  genres: string[];
  popularity: number;
  followers: number;
}

export interface AlbumRec {
  id: string;
  name: string;
  artistId: string;
  albumType: 'album' | 'single' | 'compilation';
  releaseDate: string;
  label: string;
  popularity: number;
  trackIds: string[];
}

export interface TrackRec {
  id: string;
  name: string;
  albumId: string;
  artistIds: string[];
  durationMs: number;
  trackNumber: number;
  explicit: boolean;
  popularity: number;
  isrc: string;
}

export interface PlaylistRec {
  id: string;
  name: string;
  description: string;
  public: boolean;
  collaborative: boolean;
  snapshotId: string;
  items: { trackId: string; addedAt: string }[];
}

export interface DeviceRec {
  id: string;
  name: string;
  type: string;
  volumePercent: number;
  supportsVolume: boolean;
  available: boolean;
}

export interface UserRec {
  id: string;
  displayName: string;
  email: string;
  country: string;
  product: string;
  followers: number;
}

/** One entry of the listening history (newest first in `Catalog.recentlyPlayed`). */
export interface PlayRec {
  trackId: string;
  /** ISO time the track was played. */
  playedAt: string;
  contextUri: string | null;
}

/** `/me/top/{type}`'s three windows. */
export type TimeRange = 'short_term' | 'medium_term' | 'long_term';
export const TIME_RANGES: readonly TimeRange[] = ['short_term', 'medium_term', 'long_term'];

export interface Catalog {
  user: UserRec;
  artists: Map<string, ArtistRec>;
  albums: Map<string, AlbumRec>;
  tracks: Map<string, TrackRec>;
  playlists: PlaylistRec[];
  playlistsById: Map<string, PlaylistRec>;
  savedAlbums: { albumId: string; addedAt: string }[];
  savedTracks: { trackId: string; addedAt: string }[];
  followedArtistIds: string[];
  devices: DeviceRec[];
  /** The listening history, newest first (at most 50, as Spotify keeps). */
  recentlyPlayed: PlayRec[];
  /** Top tracks and artists per time range, best first. */
  top: Record<TimeRange, { trackIds: string[]; artistIds: string[] }>;
}

const FIRST = [
  'Mara',
  'Jonas',
  'Ilse',
  'Teo',
  'Nadia',
  'Rafael',
  'Greta',
  'Oskar',
  'Lina',
  'Emil',
  'Saskia',
  'Aurel',
];
const LAST = ['Lind', 'Okafor', 'Varga', 'Holm', 'Castell', 'Brenner', 'Moreau', 'Sato', 'Quist', 'Adeyemi'];
const BAND_ADJ = [
  'Velvet',
  'Paper',
  'Northern',
  'Silver',
  'Quiet',
  'Electric',
  'Hollow',
  'Golden',
  'Midnight',
  'Amber',
];
const BAND_NOUN = [
  'Foxes',
  'Lanterns',
  'Harbours',
  'Satellites',
  'Orchards',
  'Tides',
  'Engines',
  'Sparrows',
  'Rooms',
];
const WORDS_A = [
  'Slow',
  'Bright',
  'Distant',
  'Early',
  'Soft',
  'Wild',
  'Blue',
  'Last',
  'Open',
  'Warm',
  'Paper',
  'Glass',
];
const WORDS_B = [
  'Morning',
  'Rivers',
  'Static',
  'Light',
  'Summer',
  'Signals',
  'Weather',
  'Gardens',
  'Motion',
  'Echoes',
];
const TRACK_START = ['Wake', 'Hold', 'Carry', 'Follow', 'Call', 'Find', 'Chase', 'Keep', 'Let', 'Turn'];
const TRACK_END = [
  'the Light',
  'Me Home',
  'the Tide',
  'It Slow',
  'Your Name',
  'the Morning',
  'Us Out',
  'the Line',
];
const GENRES = [
  'indie pop',
  'dream pop',
  'folk',
  'electronica',
  'ambient',
  'jazz',
  'soul',
  'synthwave',
  'lo-fi',
];
const LABELS = ['Harbour Records', 'Small Hours', 'Northlight Music', 'Paper Moon Recordings', 'Quiet Room'];
const PLAYLIST_NAMES = [
  'Morning Coffee',
  'Wake Up Gently',
  'Sunday Slow',
  'Focus Flow',
  'Kitchen Dance',
  'Rainy Day',
  'Deep Work',
  'Evening Wind Down',
  'Road Trip',
  'Running Mix',
  'Sleep Sounds',
  'Dinner Jazz',
  'Throwbacks',
  'Fresh Finds',
  'Summer Nights',
  'Winter Light',
  'Acoustic Corner',
  'Late Night Drive',
];

/** Builds the seeded demo account. Same seed, same catalogue, on every start. */
export function buildCatalog(seed = 20260105): Catalog {
  const rnd = new SeededRandom(seed);
  const artists = new Map<string, ArtistRec>();
  const albums = new Map<string, AlbumRec>();
  const tracks = new Map<string, TrackRec>();
  const usedNames = new Set<string>();
  const unique = (make: () => string): string => {
    for (let i = 0; i < 50; i++) {
      const name = make();
      if (!usedNames.has(name)) {
        usedNames.add(name);
        return name;
      }
    }
    const name = `${make()} ${usedNames.size}`;
    usedNames.add(name);
    return name;
  };

  for (let a = 0; a < 36; a++) {
    const name = unique(() =>
      a % 2 === 0
        ? `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`
        : `The ${rnd.pick(BAND_ADJ)} ${rnd.pick(BAND_NOUN)}`,
    );
    const artist: ArtistRec = {
      id: rnd.id(),
      name,
      genres: [rnd.pick(GENRES), rnd.pick(GENRES)].filter((g, i, all) => all.indexOf(g) === i),
      popularity: rnd.int(20, 85),
      followers: rnd.int(800, 900_000),
    };
    artists.set(artist.id, artist);
  }
  const artistList = [...artists.values()];

  for (let al = 0; al < 72; al++) {
    const artist = artistList[al % artistList.length]!;
    const count = rnd.int(7, 13);
    const album: AlbumRec = {
      id: rnd.id(),
      name: unique(() => `${rnd.pick(WORDS_A)} ${rnd.pick(WORDS_B)}`),
      artistId: artist.id,
      albumType: count < 9 && rnd.next() < 0.3 ? 'compilation' : 'album',
      releaseDate: `${rnd.int(1998, 2025)}-${String(rnd.int(1, 12)).padStart(2, '0')}-${String(rnd.int(1, 28)).padStart(2, '0')}`,
      label: rnd.pick(LABELS),
      popularity: rnd.int(10, 80),
      trackIds: [],
    };
    for (let t = 1; t <= count; t++) {
      const feature = rnd.next() < 0.12 ? rnd.pick(artistList).id : undefined;
      const track: TrackRec = {
        id: rnd.id(),
        name: `${rnd.pick(TRACK_START)} ${rnd.pick(TRACK_END)}${rnd.next() < 0.1 ? ' (Acoustic)' : ''}`,
        albumId: album.id,
        artistIds: feature && feature !== artist.id ? [artist.id, feature] : [artist.id],
        durationMs: rnd.int(138, 312) * 1000 + rnd.int(0, 999),
        trackNumber: t,
        explicit: rnd.next() < 0.08,
        popularity: rnd.int(5, 90),
        isrc: `QZ${String(rnd.int(10000, 99999))}${String(al).padStart(3, '0')}${t}`,
      };
      tracks.set(track.id, track);
      album.trackIds.push(track.id);
    }
    albums.set(album.id, album);
  }
  const trackIds = [...tracks.keys()];
  const albumIds = [...albums.keys()];

  const day = (n: number) =>
    new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString().replace('.000', '');
  const playlists: PlaylistRec[] = [];
  for (let p = 0; p < 62; p++) {
    const base = PLAYLIST_NAMES[p % PLAYLIST_NAMES.length]!;
    const name =
      p < PLAYLIST_NAMES.length ? base : `${base} Vol. ${Math.floor(p / PLAYLIST_NAMES.length) + 1}`;
    const picked = rnd.shuffle(trackIds).slice(0, rnd.int(8, 45));
    const start = rnd.int(0, 500);
    playlists.push({
      id: rnd.id(),
      name,
      description: p % 3 === 0 ? '' : `${rnd.pick(WORDS_A)} songs for ${name.toLowerCase()}.`,
      public: rnd.next() < 0.6,
      collaborative: rnd.next() < 0.05,
      snapshotId: rnd.id() + rnd.id(),
      items: picked.map((trackId, i) => ({ trackId, addedAt: day(start + i) })),
    });
  }

  const savedAlbums = rnd
    .shuffle(albumIds)
    .slice(0, 34)
    .map((albumId, i) => ({ albumId, addedAt: day(700 - i * 3) }));
  const savedTracks = rnd
    .shuffle(trackIds)
    .slice(0, 237)
    .map((trackId, i) => ({ trackId, addedAt: day(720 - i) }));
  const followedArtistIds = rnd
    .shuffle(artistList.map((a) => a.id))
    .slice(0, 27)
    .sort();

  const devices: DeviceRec[] = [
    {
      id: hexId(rnd),
      name: 'Bedroom Pi',
      type: 'Speaker',
      volumePercent: 40,
      supportsVolume: true,
      available: true,
    },
    {
      id: hexId(rnd),
      name: 'Kitchen Speaker',
      type: 'Speaker',
      volumePercent: 55,
      supportsVolume: true,
      available: true,
    },
    {
      id: hexId(rnd),
      name: 'Living Room TV',
      type: 'TV',
      volumePercent: 30,
      supportsVolume: false,
      available: true,
    },
  ];

  // A separate generator, so the history does not move when the catalogue above grows.
  const { recentlyPlayed, top } = seedListening(new SeededRandom(seed + 1), {
    playlists,
    savedTrackIds: savedTracks.map((s) => s.trackId),
    tracks,
  });

  return {
    recentlyPlayed,
    top,
    user: {
      id: DEMO_USER_ID,
      displayName: 'SpotiPi Demo',
      email: 'demo@spotipi.invalid',
      country: 'DE',
      product: 'premium',
      followers: 12,
    },
    artists,
    albums,
    tracks,
    playlists,
    playlistsById: new Map(playlists.map((p) => [p.id, p])),
    savedAlbums,
    savedTracks,
    followedArtistIds,
    devices,
  };
}

function hexId(rnd: SeededRandom): string {
  let out = '';
  for (let i = 0; i < 40; i++) out += '0123456789abcdef'[Math.floor(rnd.next() * 16)];
  return out;
}

/**
 * A listening history that reads like a person's: runs of a few tracks from one playlist or the
 * liked songs, every few minutes, over the last days before 2026-11-30; and top lists that
 * favour what was played, differently per window.
 */
function seedListening(
  rnd: SeededRandom,
  from: { playlists: PlaylistRec[]; savedTrackIds: string[]; tracks: Map<string, TrackRec> },
): Pick<Catalog, 'recentlyPlayed' | 'top'> {
  const recentlyPlayed: PlayRec[] = [];
  let at = Date.UTC(2026, 10, 30, 7, 45);
  while (recentlyPlayed.length < 50) {
    const fromPlaylist = rnd.next() < 0.7;
    const playlist = rnd.pick(from.playlists);
    const pool = fromPlaylist ? playlist.items.map((i) => i.trackId) : from.savedTrackIds;
    const contextUri = fromPlaylist
      ? `spotify:playlist:${playlist.id}`
      : `spotify:user:${DEMO_USER_ID}:collection`;
    const start = rnd.int(0, Math.max(0, pool.length - 6));
    for (let i = 0; i < rnd.int(2, 6) && recentlyPlayed.length < 50; i++) {
      const trackId = pool[start + i];
      if (!trackId) break;
      recentlyPlayed.push({ trackId, playedAt: new Date(at).toISOString(), contextUri });
      at -= from.tracks.get(trackId)!.durationMs + rnd.int(0, 20) * 1000;
    }
    at -= rnd.int(1, 20) * 3_600_000;
  }
  const played = new Map<string, number>();
  for (const p of recentlyPlayed) played.set(p.trackId, (played.get(p.trackId) ?? 0) + 1);
  const top = {} as Catalog['top'];
  for (const range of TIME_RANGES) {
    // Short term leans on the recent plays; long term on overall popularity.
    const weight = range === 'short_term' ? 40 : range === 'medium_term' ? 15 : 2;
    const score = (t: TrackRec) => t.popularity + (played.get(t.id) ?? 0) * weight + rnd.int(0, 30);
    const ranked = [...from.tracks.values()]
      .map((t) => ({ t, s: score(t) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 50)
      .map((x) => x.t);
    const artistIds: string[] = [];
    for (const t of ranked) for (const a of t.artistIds) if (!artistIds.includes(a)) artistIds.push(a);
    top[range] = { trackIds: ranked.map((t) => t.id), artistIds: artistIds.slice(0, 30) };
  }
  return { recentlyPlayed, top };
}
