/**
 * Checks a Spotify app's credentials against the Accounts token endpoint with the client
 * credentials grant, before they are saved. Spotify tells the cases apart by `error_description`:
 * "Invalid client" (no such client id) and "Invalid client secret" (the id exists; the secret is
 * wrong or, for a PKCE-only app, absent), which is all a public app can be checked for.
 */

/** Outcome of a check; `field` names the input to fix. */
export type AppCheck =
  | { ok: true; confidential: boolean }
  | { ok: false; field: 'client_id' | 'client_secret' | 'accounts'; key: string; message: string };

/** Input to `checkSpotifyApp`. */
export interface AppCheckInput {
  accountsUrl: string;
  clientId: string;
  clientSecret?: string | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A client id is 32 hexadecimal characters in Spotify's dashboard; accept any plain token here. */
const CLIENT_ID = /^[A-Za-z0-9_-]{8,128}$/;

/** Runs the check; never throws. */
export async function checkSpotifyApp(input: AppCheckInput): Promise<AppCheck> {
  const clientId = input.clientId.trim();
  const secret = input.clientSecret?.trim() || undefined;
  if (!CLIENT_ID.test(clientId)) {
    return {
      ok: false,
      field: 'client_id',
      key: 'error.setup.clientIdFormat',
      message:
        'That does not look like a Client ID: copy it from your app in the Spotify Developer Dashboard.',
    };
  }
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (secret) headers.authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  else body.set('client_id', clientId);
  let res: Response;
  let json: { error?: unknown; error_description?: unknown } = {};
  try {
    res = await (input.fetch ?? fetch)(`${input.accountsUrl.replace(/\/+$/, '')}/api/token`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
    });
    json = (await res.json().catch(() => ({}))) as typeof json;
  } catch {
    return {
      ok: false,
      field: 'accounts',
      key: 'error.setup.unreachable',
      message: 'Spotify could not be reached to check the app; check the network and try again.',
    };
  }
  if (res.ok) return { ok: true, confidential: true };
  const description = typeof json.error_description === 'string' ? json.error_description : '';
  if (json.error === 'invalid_client' && /secret/i.test(description)) {
    // The client id is known. Without a secret that is all we can learn: a PKCE app is fine.
    if (!secret) return { ok: true, confidential: false };
    return {
      ok: false,
      field: 'client_secret',
      key: 'error.setup.badSecret',
      message:
        'Spotify does not accept this Client secret for this Client ID (copy it again, or leave it empty).',
    };
  }
  if (json.error === 'invalid_client') {
    return {
      ok: false,
      field: 'client_id',
      key: 'error.setup.badClientId',
      message:
        'Spotify does not know this Client ID: copy it from your app in the Spotify Developer Dashboard.',
    };
  }
  return {
    ok: false,
    field: 'accounts',
    key: 'error.setup.unexpected',
    message: `Spotify answered the check with HTTP ${res.status}${description ? ` (${description})` : ''}; try again shortly.`,
  };
}
