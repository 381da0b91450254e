#!/usr/bin/env node
// Rivet ships its TypeScript source and runs it through tsx, the same loader that runs plans
// (see docs/ARCHITECTURE.md, "No build step").
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main();
