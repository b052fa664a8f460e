#!/usr/bin/env node
// In the repository, `driftline` runs the collector's TypeScript source through tsx (a dev
// dependency), so tests and `pnpm start` need no build. The published package's bin is
// dist/cli/bin.js instead (package.json publishConfig.bin), compiled by `pnpm build`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/bin.ts');
