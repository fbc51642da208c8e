// Runs the CLI from source (tests spawn it with `node --import tsx`), exactly as bin/dunetrace.js runs dist/.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
