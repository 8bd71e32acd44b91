// A benchmark server in its own process (see server-process.ts): starts the server its argument
// describes, says where it listens, answers CPU readings, and stops when told to or when the
// benchmark's process goes away.
import { bareServer } from './bare-server.js';
import { startBenchRobusto } from './robusto-server.js';
import type { ChildMessage, ParentMessage, ServerReady, ServerSpec } from './server-process.js';

const send = (message: ChildMessage) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));

async function start(spec: ServerSpec): Promise<{ ready: ServerReady; close(): Promise<void> }> {
  if (spec.kind === 'robusto') {
    const robusto = await startBenchRobusto({
      dataDir: spec.dataDir,
      ...(spec.databaseUrl ? { databaseUrl: spec.databaseUrl } : {}),
      ...(spec.env ? { env: spec.env } : {}),
    });
    return { ready: { url: robusto.url, token: robusto.token, tenantId: robusto.tenantId, userId: robusto.userId }, close: () => robusto.close() };
  }
  const bare = bareServer(spec.target, spec.style, spec.identity);
  return { ready: { url: await bare.app.listen({ port: 0, host: '127.0.0.1' }) }, close: () => bare.close() };
}

try {
  const server = await start(JSON.parse(process.argv[2] ?? '') as ServerSpec);
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      void send({ type: 'cpu', micros: usage.user + usage.system });
    } else if (message.type === 'stop') {
      void server.close().finally(() => process.exit(0));
    }
  });
  // The benchmark's process is gone (it failed or was stopped): nothing will ever stop us.
  process.on('disconnect', () => process.exit(1));
  await send({ type: 'ready', server: server.ready });
} catch (error) {
  await send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
