/** Where the process is in its life: only `ready` receives traffic. */
export type Phase = 'starting' | 'ready' | 'draining';

/** Mutable facts about the running app that health and shutdown share. */
export interface AppState {
  phase: Phase;
  readonly startedAt: Date;
}

/** A fresh state: `starting`, started now. */
export function createAppState(): AppState {
  return { phase: 'starting', startedAt: new Date() };
}
