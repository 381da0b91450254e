#!/usr/bin/env node
// The `rivet` command: plain Node on the built JavaScript in dist/ (npm run build). tsx is loaded
// only when a TypeScript plan file is imported (see docs/ARCHITECTURE.md, "Build and loading").
import { main } from '../dist/cli/main.js';

await main();
