// The receiver from source, for `npm run fuzz` (what it fixes is what it fuzzes; no build step).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
