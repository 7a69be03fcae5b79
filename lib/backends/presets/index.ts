export { PRESETS } from './preset-table.js';
export { presetKind, type Preset } from './preset-kind.js';
