/**
 * The layering rules, checked by `npm test` (npm run lint:deps). Dependencies point inward:
 * domain ← engine ← {db, importer, simulator, telephony} ← apps; contracts is a leaf that the
 * server and the browser app share. docs/adr/0001 and docs/ARCHITECTURE.md explain why.
 */
const notTests = '\\.test\\.ts$';
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'The domain has no I/O, clock, randomness or environment: the simulator and the live dialer run the same code.',
      severity: 'error',
      from: { path: '^packages/domain/src', pathNot: notTests },
      to: {
        dependencyTypes: ['core'],
        path: '^(fs|fs/promises|net|http|https|http2|child_process|worker_threads|dgram|cluster|os|process|dns|tls|readline)$',
      },
    },
    {
      name: 'domain-imports-no-workspace',
      severity: 'error',
      from: { path: '^packages/domain/src' },
      to: { path: '^(packages/(engine|db|importer|simulator|telephony|contracts)|apps)/' },
    },
    {
      name: 'engine-owns-its-ports',
      comment:
        'The engine declares the ports it needs (engine/src/ports); adapters implement them. Integration tests may use the db test fixtures.',
      severity: 'error',
      from: { path: '^packages/engine/src', pathNot: notTests },
      to: { path: '^(packages/(db|importer/src/worker|telephony|simulator)|apps)/' },
    },
    {
      name: 'db-implements-ports-only',
      comment: 'The database adapter sees the engine only through its ports.',
      severity: 'error',
      from: { path: '^packages/db/src' },
      to: { path: '^packages/engine/src', pathNot: '^packages/engine/src/ports/' },
    },
    {
      name: 'nothing-imports-apps',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-do-not-import-each-other',
      severity: 'error',
      from: { path: '^apps/server/' },
      to: { path: '^apps/web/' },
    },
    {
      name: 'contracts-is-a-leaf',
      comment: 'What crosses the wire depends on nothing of ours, so the browser can take it alone.',
      severity: 'error',
      from: { path: '^packages/contracts/src', pathNot: notTests },
      to: { path: '^(packages|apps)/', pathNot: '^packages/contracts/' },
    },
    {
      name: 'web-imports-only-contracts',
      comment: 'The browser app talks to the server through the contracts and the API, never through server internals.',
      severity: 'error',
      from: { path: '^apps/web/' },
      to: {
        path: '^(packages/(domain|engine|db|importer|simulator|telephony)|apps/server)/',
        // …except the pure questionnaire walk (and the text helpers it uses): the designer's preview walks a draft in
        // the browser with the same code the server runs (ADR 0019); and the browser softphone (JsSIP, browser-only
        // code that never runs on the server) with its controller — those two files only, the rest of telephony stays
        // out (docs/telephony.md §3).
        pathNot:
          '^(packages/domain/src/(questionnaires|text)/|packages/telephony/src/softphone/(index|controller)\\.ts$)',
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(packages|apps)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|data)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
