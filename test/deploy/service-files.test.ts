// The service files in deploy/ and the Dockerfile name only what robusto has: every variable
// they set is one of its settings, their ports and health paths are the ones it serves, and the
// systemd unit passes `systemd-analyze verify`. (Images are not built here: no image builds on
// these machines.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARIABLES } from '../../src/config/config.schema.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { PROJECT_ROOT, ROBUSTO_BIN } from '../support/spawn-robusto.js';

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const isSetting = (name: string) => Object.hasOwn(ENV_VARIABLES, name);

/** `KEY=VALUE` assignments of a unit's `Environment=` lines. */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, assignment] of unit.matchAll(/^Environment=(.+)$/gm)) {
    const at = (assignment as string).indexOf('=');
    env[(assignment as string).slice(0, at)] = (assignment as string).slice(at + 1);
  }
  return env;
}

/** A unit's `Key=value` settings (the last one wins). */
function unitSetting(unit: string, key: string): string | undefined {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1];
}

/** A Dockerfile's instructions of the final stage, continuation lines joined. */
function finalStage(dockerfile: string): Array<{ instruction: string; args: string }> {
  const lines = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const line of lines) {
    if (/^FROM /i.test(line)) stages.push([]);
    stages.at(-1)?.push(line);
  }
  return (stages.at(-1) ?? []).map((line) => {
    const space = line.indexOf(' ');
    return { instruction: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
  });
}

describe('the service files name only what robusto has', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
  });
  afterAll(async () => t.close());

  const served = async (url: string) => (await t.app.http.inject({ method: 'GET', url })).statusCode;

  describe('deploy/systemd/robusto.service', () => {
    const unit = read('deploy/systemd/robusto.service');

    it('sets only robusto settings, runs "robusto start" with the supervisor in charge of its workers, and writes only to DATA_DIR', () => {
      const env = unitEnvironment(unit);
      expect(Object.keys(env).filter((name) => !isSetting(name))).toEqual([]);
      expect(env.NODE_ENV).toBe('production');
      expect(unitSetting(unit, 'ExecStart')).toMatch(/\/dist\/src\/main\.js start$/);
      expect(unitSetting(unit, 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
      expect(unitSetting(unit, 'KillMode')).toBe('mixed');
      expect(unitSetting(unit, 'KillSignal')).toBe('SIGTERM');
      expect(unitSetting(unit, 'Restart')).toBe('always');
      // The workers' drain must end before systemd's SIGKILL.
      expect(Number(unitSetting(unit, 'TimeoutStopSec')) * 1000).toBeGreaterThan(Number(ENV_VARIABLES.SHUTDOWN_TIMEOUT_MS.default) + 15_000);
      expect(unitSetting(unit, 'ProtectSystem')).toBe('strict');
      expect(unitSetting(unit, 'ReadWritePaths')).toBe(env.DATA_DIR);
      expect(unitSetting(unit, 'StateDirectory')).toBe(path.basename(env.DATA_DIR as string));
      for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome']) expect(unitSetting(unit, key), key).toBe('yes');
      expect(unitSetting(unit, 'User')).not.toBe('root');
    });

    it('passes systemd-analyze verify (run against this checkout)', () => {
      if (!existsSync(SYSTEMD_ANALYZE)) {
        if (process.env.CI === 'true') throw new Error(`${SYSTEMD_ANALYZE} is missing: install Debian's systemd (.ci/run does)`);
        return;
      }
      const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-unit-'));
      try {
        // The unit names /usr/bin/node and /opt/robusto; verify checks that what it runs exists.
        const local = unit
          .replace(/^ExecStart=\S+ \S+/m, `ExecStart=${process.execPath} ${ROBUSTO_BIN}`)
          .replace(/^WorkingDirectory=.*$/m, `WorkingDirectory=${PROJECT_ROOT}`);
        const file = path.join(dir, 'robusto.service');
        writeFileSync(file, local);
        // An unknown key or a bad value is only a warning (exit 0): nothing may be said at all.
        const said = spawnSync(SYSTEMD_ANALYZE, ['verify', file], { encoding: 'utf8' });
        expect({ status: said.status, output: `${said.stdout}${said.stderr}` }).toEqual({ status: 0, output: '' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('Dockerfile', () => {
    const stage = finalStage(read('Dockerfile'));
    const args = (instruction: string) => stage.filter((s) => s.instruction === instruction).map((s) => s.args);

    it('sets only robusto settings, listens on every interface on the port it exposes, keeps DATA_DIR in a volume, and runs as a non-root user', () => {
      const env = Object.fromEntries(args('ENV').flatMap((line) => [...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])));
      expect(Object.keys(env).filter((name) => !isSetting(name))).toEqual([]);
      expect(env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
      expect(args('EXPOSE')).toEqual([env.PORT]);
      expect(args('VOLUME')).toEqual([JSON.stringify([env.DATA_DIR])]);
      expect(args('USER')).toHaveLength(1);
      expect(args('USER')[0]).not.toMatch(/^(root|0)$/);
      expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
      expect(JSON.parse(args('CMD')[0] as string)).toEqual(['node', 'dist/src/main.js', 'start']);
      expect(JSON.parse(read('package.json')).bin.robusto).toBe('dist/src/main.js');
    });

    it("checks its health on robusto's readiness path and port", async () => {
      const [healthcheck] = args('HEALTHCHECK');
      const url = /fetch\('http:\/\/127\.0\.0\.1:(\d+)(\/[^']*)'\)/.exec(healthcheck ?? '');
      expect(url, healthcheck).not.toBeNull();
      const env = Object.fromEntries(args('ENV').flatMap((line) => [...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])));
      expect(url?.[1]).toBe(env.PORT);
      expect(url?.[2]).toBe('/health/ready');
      expect(await served(url?.[2] as string)).toBe(200);
    });
  });
  describe('deploy/compose.yaml with deploy/haproxy/haproxy.cfg', () => {
    interface Service {
      build?: unknown;
      image?: string;
      environment?: Record<string, string>;
      volumes?: string[];
      stop_grace_period?: string;
      networks?: Record<string, { ipv4_address?: string }>;
    }
    const compose = parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, Service> };
    const haproxy = read('deploy/haproxy/haproxy.cfg');
    const dockerEnv = Object.fromEntries(
      finalStage(read('Dockerfile'))
        .filter((s) => s.instruction === 'ENV')
        .flatMap((s) => [...s.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
    );
    const robustos = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
    const addressOf = (service: Service | undefined) => Object.values(service?.networks ?? {})[0]?.ipv4_address;

    it('runs two robusto instances built from the Dockerfile, each with its own DATA_DIR volume, setting only robusto settings', () => {
      expect(robustos.map(([name]) => name)).toEqual(['robusto1', 'robusto2']);
      const volumes = robustos.map(([, service]) => service.volumes?.[0]);
      expect(volumes.map((v) => v?.split(':')[1])).toEqual([dockerEnv.DATA_DIR, dockerEnv.DATA_DIR]);
      expect(new Set(volumes.map((v) => v?.split(':')[0])).size).toBe(2);
      for (const [, service] of robustos) {
        const env = service.environment ?? {};
        expect(Object.keys(env).filter((name) => !isSetting(name))).toEqual([]);
        expect(Object.keys(env)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'SECRET_KEY', 'TRUST_PROXY', 'SHUTDOWN_DELAY_MS']));
        expect(env.TRUST_PROXY, 'HAProxy is the trusted proxy').toBe(addressOf(compose.services.haproxy));
        // SIGKILL comes after the grace period: the readiness delay and the drain must fit in it.
        const graceMs = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]) * 1000;
        expect(graceMs).toBeGreaterThan(Number(env.SHUTDOWN_DELAY_MS) + Number(ENV_VARIABLES.SHUTDOWN_TIMEOUT_MS.default));
      }
    });

    it("sends HAProxy's traffic to those instances on robusto's port, checks /health/ready, and marks a stopping instance down within SHUTDOWN_DELAY_MS", async () => {
      const servers = [...haproxy.matchAll(/^\s*server \S+ ([\d.]+):(\d+) check/gm)].map((m) => `${m[1]}:${m[2]}`);
      expect(servers).toEqual(robustos.map(([, service]) => `${addressOf(service)}:${dockerEnv.PORT}`));
      const check = /^\s*http-check send meth GET uri (\S+)/m.exec(haproxy)?.[1];
      expect(check).toBe('/health/ready');
      expect(await served(check as string)).toBe(200);
      const inter = Number(/inter (\d+)s/.exec(haproxy)?.[1]) * 1000;
      const fall = Number(/fall (\d+)/.exec(haproxy)?.[1]);
      for (const [, service] of robustos) expect(Number(service.environment?.SHUTDOWN_DELAY_MS)).toBeGreaterThan(inter * fall);
      expect(compose.services.haproxy?.volumes).toContain('./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    });
  });
});
