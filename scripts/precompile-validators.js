// Part of the build (`npm run build`, run by `npm install`, `npm start` and `npm test`): compiles
// the validators of the config schemas, of every client protocol's request schemas and of the
// recording format's record schema ahead of time into dist/precompiled/
// (see lib/wire/precompiled-validators.ts).
import { LOAD_OPTIONS } from '../dist/cli/config-source.js';
import { configSchemas, writeConfigValidators } from '../dist/config/index.js';
import { RECORD_SCHEMA, RECORD_VALIDATORS } from '../dist/replay/record-schema.js';
import { PRECOMPILED_DIR, removeOtherValidators, REQUEST_SCHEMAS, REQUEST_VALIDATORS, writePrecompiledValidators } from '../dist/wire/index.js';

// LOAD_OPTIONS imports the frontend registry, so every protocol's request schemas are listed by now.
const config = writeConfigValidators(configSchemas(LOAD_OPTIONS));
const requests = writePrecompiledValidators(REQUEST_VALIDATORS, REQUEST_SCHEMAS);
const record = writePrecompiledValidators(RECORD_VALIDATORS, [RECORD_SCHEMA]);
// Modules are replaced in place, never all removed first: a lip started from this checkout
// meanwhile (a second `npm test` beside this one) always finds each module whole.
removeOtherValidators([...config, ...requests, ...record]);
process.stdout.write(`precompiled ${config.length} config, ${requests.length} request and 1 record schema validators into ${PRECOMPILED_DIR}\n`);
