import type { EmulatorStats } from './types.js';

/** The emulator's counters. */
export class StatsRecorder {
  private s: EmulatorStats = StatsRecorder.empty();

  private static empty(): EmulatorStats {
    return {
      tokenGrants: { refresh_token: 0, authorization_code: 0, client_credentials: 0 },
      tokenRequests: 0,
      tokenErrors: {},
      refreshesInFlight: 0,
      maxRefreshesInFlight: 0,
      apiCalls: {},
      apiCallsTotal: 0,
      expiredTokensRejected: 0,
      invalidTokensRejected: 0,
      faultsPending: 0,
    };
  }

  reset(): void {
    const inFlight = this.s.refreshesInFlight;
    this.s = StatsRecorder.empty();
    this.s.refreshesInFlight = inFlight;
  }

  tokenStarted(): void {
    this.s.tokenRequests++;
    this.s.refreshesInFlight++;
    this.s.maxRefreshesInFlight = Math.max(this.s.maxRefreshesInFlight, this.s.refreshesInFlight);
  }

  tokenFinished(): void {
    this.s.refreshesInFlight = Math.max(0, this.s.refreshesInFlight - 1);
  }

  tokenGranted(grant: keyof EmulatorStats['tokenGrants']): void {
    this.s.tokenGrants[grant]++;
  }

  tokenError(code: string): void {
    this.s.tokenErrors[code] = (this.s.tokenErrors[code] ?? 0) + 1;
  }

  apiCall(endpoint: string, status: number | string): void {
    const byStatus = this.s.apiCalls[endpoint] ?? {};
    this.s.apiCalls[endpoint] = byStatus;
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    this.s.apiCallsTotal++;
  }

  rejected(kind: 'expired' | 'invalid'): void {
    if (kind === 'expired') this.s.expiredTokensRejected++;
    else this.s.invalidTokensRejected++;
  }

  snapshot(faultsPending: number): EmulatorStats {
    const copy = structuredClone(this.s);
    copy.faultsPending = faultsPending;
    return copy;
  }
}
