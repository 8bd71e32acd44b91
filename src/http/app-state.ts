/**
 * Where the process is in its life: only `ready` receives traffic. `handing-over` is a worker
 * stopping in a rolling reload: it still serves what reaches it, telling each client to
 * reconnect (to the new worker); `draining` refuses new requests.
 */
export type Phase = 'starting' | 'ready' | 'handing-over' | 'draining';

/** Mutable facts about the running app that health and shutdown share. */
export interface AppState {
  phase: Phase;
  readonly startedAt: Date;
}

/** A fresh state: `starting`, started now. */
export function createAppState(): AppState {
  return { phase: 'starting', startedAt: new Date() };
}
