import type { Command } from 'commander';
import { serve } from '../ops/serve.js';
import { loadEnvironment } from './load-environment.js';

/** Adds `robusto serve` (one server process) and `robusto start` (same, until the supervisor lands). */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run one HTTP server process (for systemd, containers)')
    .action(async () => serve(await loadEnvironment()));
  program
    .command('start')
    .description('start robusto (npm start); runs one server process')
    .action(async () => serve(await loadEnvironment()));
}
