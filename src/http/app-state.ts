/**
 * Where the process is in its life: only `ready` receives traffic. `leaving` is a stopping
 * instance waiting `SHUTDOWN_DELAY_MS` for its load balancer to see readiness off: it serves as
 * usual, telling each client to reconnect. `handing-over` is a worker stopping in a rolling
 * reload: it still serves what reaches it, telling each client to reconnect (to the new worker);
 * `draining` refuses new requests.
 */
export type Phase = 'starting' | 'ready' | 'leaving' | 'handing-over' | 'draining';

/** Mutable facts about the running app that health and shutdown share. */
export interface AppState {
  phase: Phase;
  readonly startedAt: Date;
  /** When the phase last became `ready` (ms since the epoch). */
  readySince?: number;
}

/** Puts the app in the `ready` phase (it should get traffic), noting when. */
export function markReady(state: AppState): void {
  state.phase = 'ready';
  state.readySince = Date.now();
}

/** A fresh state: `starting`, started now. */
export function createAppState(): AppState {
  return { phase: 'starting', startedAt: new Date() };
}
