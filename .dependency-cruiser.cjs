// The layers of robusto and the one direction imports may run between them (docs/modules.md,
// "Layout"). Checked by `npm run lint:deps`, part of `npm test`.
//
// Kernel, lowest first: shared → config → log → db → jobs → resilience → identity → the module
// system (src/modules/*.ts) → http. Above it the features (src/modules/<name>/), then the
// operations console (src/admin/), the operations (src/ops/), the composition (src/app.ts,
// src/builtin-modules.ts), the process (src/runtime/) and the commands (src/cli/, src/main.ts).

const KERNEL = '^src/(shared|config|log|db|jobs|resilience|identity|http)/|^src/modules/[^/]+\\.ts$';
const FEATURE = '^src/modules/[^/]+/';
const COMPOSITION = '^src/(app|builtin-modules)\\.ts$';

/** A kernel layer may import itself and the layers listed, nothing else of `src/`. */
function layer(name, from, allowed) {
  return {
    name,
    severity: 'error',
    comment: `${from} may import only ${allowed.join(', ')} (and itself) within src/`,
    from: { path: from },
    to: { path: '^src/', pathNot: [from, ...allowed.map((folder) => (folder.startsWith('^') ? folder : `^src/${folder}/`))] },
  };
}

module.exports = {
  forbidden: [
    layer('shared-is-a-leaf', '^src/shared/', []),
    layer('config-below-log', '^src/config/', ['shared']),
    layer('log-below-db', '^src/log/', ['config', 'shared']),
    layer('db-below-jobs', '^src/db/', ['log', 'config', 'shared']),
    layer('jobs-below-resilience', '^src/jobs/', ['db', 'log', 'config', 'shared']),
    layer('resilience-below-identity', '^src/resilience/', ['jobs', 'db', 'log', 'config', 'shared']),
    layer('identity-below-modules', '^src/identity/', ['resilience', 'jobs', 'db', 'log', 'config', 'shared']),
    layer('module-system-below-http', '^src/modules/[^/]+\\.ts$', ['identity', 'resilience', 'jobs', 'db', 'log', 'config', 'shared']),
    layer('http-is-the-kernel-top', '^src/http/', ['^src/modules/[^/]+\\.ts$', 'identity', 'resilience', 'jobs', 'db', 'log', 'config', 'shared']),
    {
      name: 'shared-does-no-io',
      severity: 'error',
      comment: 'src/shared/ holds pure helpers: no files, sockets, processes or cluster messages',
      from: { path: '^src/shared/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|cluster|worker_threads|readline|tls)$' },
    },
    {
      name: 'features-use-the-kernel-only',
      severity: 'error',
      comment:
        "a feature imports the kernel, its own folder and another feature's index.ts (its public face, as stock uses products): never another feature's insides, ops, admin, the process, the commands or the composition",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/', pathNot: [KERNEL, '^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'admin-below-the-process',
      severity: 'error',
      comment: 'the operations console may use ops, features and the kernel, never the process or the commands',
      from: { path: '^src/admin/' },
      to: { path: '^src/(runtime|cli)/|^src/main\\.ts$' },
    },
    {
      name: 'ops-below-admin-and-the-process',
      severity: 'error',
      comment: 'operations never import the console, the process or the commands',
      from: { path: '^src/ops/' },
      to: { path: '^src/(admin|runtime|cli)/|^src/main\\.ts$' },
    },
    {
      name: 'composition-below-the-process',
      severity: 'error',
      comment: 'app.ts and the list of built-in modules never import the process or the commands',
      from: { path: COMPOSITION },
      to: { path: '^src/(runtime|cli)/|^src/main\\.ts$' },
    },
    {
      name: 'runtime-below-the-commands',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/cli/|^src/main\\.ts$' },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle of static imports: split the shared part out',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
