import type { WorkerMessage } from '../shared/cluster-messages.js';

/** Sends `message` to the supervisor, if this process is a worker of one. */
export function tellSupervisor(message: WorkerMessage): void {
  if (process.send && process.connected) process.send(message);
}
