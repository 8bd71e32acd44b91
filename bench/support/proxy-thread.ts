// The fault proxy of the tests, run in a thread of its own for the benchmarks: what stands for the
// network between robusto and PostgreSQL must not take the measured app's event loop, as no real
// network does. The test helpers keep it in-process, where timing does not matter.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startFaultProxy } from '../../test/support/fault-proxy.js';

/** The proxy's controls the benchmarks use, each resolved once the thread has applied it. */
export interface ProxyThread {
  /** The given postgres:// URL pointed at the proxy. */
  url(databaseUrl: string): string;
  /** A full outage: every connection reset, new ones refused. */
  cut(): Promise<void>;
  /** Traffic flows again. */
  pass(): Promise<void>;
  close(): Promise<void>;
}

type Control = 'cut' | 'pass' | 'close';

/** Starts the fault proxy in front of `target` in a worker thread, passing traffic. */
export async function startProxyThread(target: { host: string; port: number }): Promise<ProxyThread> {
  const worker = new Worker(new URL(import.meta.url), { workerData: target });
  const replies: Array<() => void> = [];
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { port: number }) => resolve(message.port));
  });
  worker.on('message', () => replies.shift()?.());
  const send = (control: Control) =>
    new Promise<void>((resolve) => {
      replies.push(resolve);
      worker.postMessage(control);
    });
  return {
    url(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut: () => send('cut'),
    pass: () => send('pass'),
    async close() {
      await send('close');
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const parent = parentPort;
  const proxy = await startFaultProxy(workerData as { host: string; port: number });
  parent.on('message', (control: Control) => {
    void (async () => {
      if (control === 'close') await proxy.close();
      else proxy[control]();
      parent.postMessage('done');
    })();
  });
  parent.postMessage({ port: proxy.port });
}
