// Part of the build (`npm run build`, run by `npm install`): compiles the config schemas'
// validators ahead of time into dist/config/precompiled/ (see lib/config/schema-validators.ts).
import { LOAD_OPTIONS } from '../dist/cli/config-source.js';
import { configSchemas, writePrecompiledValidators } from '../dist/config/index.js';

writePrecompiledValidators(configSchemas(LOAD_OPTIONS));
