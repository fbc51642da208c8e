import { apiSuite } from './api-suite.js';

// The REST API on the default backend, embedded PGlite. postgres.test.ts runs the same suite on a server.
apiSuite('PGlite');
