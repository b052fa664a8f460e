#!/usr/bin/env node
// The published `driftline` executable (package.json publishConfig.bin): the compiled CLI, no
// TypeScript at run time. In the repository, bin/driftline.mjs runs this file from source.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
