import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BareIdentity, BareStyle, BareTarget } from './bare-server.js';

/** Which server a child process runs: robusto as `serve` builds it, or the bare baseline. */
export type ServerSpec =
  | { kind: 'robusto'; dataDir: string; databaseUrl?: string; env?: Record<string, string> }
  | { kind: 'bare'; style: BareStyle; target: BareTarget; identity: BareIdentity };

/** What a started server tells the benchmark: where it listens, and robusto's bench identity. */
export interface ServerReady {
  url: string;
  /** robusto only: a staff user's bearer token, its tenant and its id. */
  token?: string;
  tenantId?: string;
  userId?: string;
}

/** Messages from the child process. */
export type ChildMessage = { type: 'ready'; server: ServerReady } | { type: 'cpu'; micros: number } | { type: 'failed'; message: string };
/** Messages to the child process. */
export type ParentMessage = { type: 'cpu' } | { type: 'stop' };

/** A server running in a child process of the benchmark. */
export interface ServerProcess {
  ready: ServerReady;
  /** The CPU time (user + system, all threads) the process has used so far, in microseconds. */
  cpuMicros(): Promise<number>;
  /** Closes the server and waits for the process to exit. */
  stop(): Promise<void>;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server-child.js');

function nextMessage(child: ChildProcess): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`the benchmark server process exited (code ${code})`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Starts a server in its own process, as it runs in production: the load generator (autocannon,
 * in the benchmark's process) then shares neither its event loop nor its heap, and each
 * server's CPU time can be read on its own.
 */
export async function forkServer(spec: ServerSpec): Promise<ServerProcess> {
  const child = fork(CHILD, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const first = await nextMessage(child);
  if (first.type !== 'ready') {
    child.kill();
    throw new Error(`the ${spec.kind} server did not start: ${first.type === 'failed' ? first.message : first.type}`);
  }
  let queue: Promise<unknown> = Promise.resolve();
  const ask = (message: ParentMessage): Promise<ChildMessage> => {
    const answer = queue.then(() => {
      const reply = nextMessage(child);
      child.send(message);
      return reply;
    });
    queue = answer.catch(() => undefined);
    return answer;
  };
  return {
    ready: first.server,
    async cpuMicros() {
      const reply = await ask({ type: 'cpu' });
      if (reply.type !== 'cpu') throw new Error(`unexpected answer from the ${spec.kind} server: ${reply.type}`);
      return reply.micros;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' } satisfies ParentMessage);
      await exited;
    },
  };
}
