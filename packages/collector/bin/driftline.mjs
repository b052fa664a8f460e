#!/usr/bin/env node
// The `driftline` CLI runs the collector's TypeScript source directly on Node 20 through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
