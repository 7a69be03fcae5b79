import type { ClientTool } from '../../../helpers/clients/index.js';
import type { RepairReason } from '../../../../lib/extensions/features/tool-call-repair/index.js';

/**
 * One row of the tool-call repair table: the tools the client declares, what the upstream
 * sends (name and argument chunks), and what the client must receive, with the reasons the
 * plugin must count. Every reason code (but `canceled`, see the unit spec) and every dialect.
 */
export interface RepairCase {
  readonly reason: RepairReason;
  readonly dialect: string;
  readonly tools: readonly ClientTool[];
  readonly sent: { readonly name: string; readonly args: readonly string[] };
  readonly received: { readonly name: string; readonly args: unknown };
  readonly reasons: readonly RepairReason[];
}

const D = {
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  'draft-07': 'http://json-schema.org/draft-07/schema#',
  'draft-06': 'http://json-schema.org/draft-06/schema#',
  'draft-04': 'http://json-schema.org/draft-04/schema#',
} as const;

const weather = (schema: Record<string, unknown>, name = 'get_weather'): ClientTool => ({ name, description: 'Weather in a city', parameters: schema });
const closed = (dialect: keyof typeof D, extra: Record<string, unknown> = {}, required = ['city']) => ({
  $schema: D[dialect], type: 'object', properties: { city: { type: 'string' }, ...extra }, ...(required.length ? { required } : {}), additionalProperties: false,
});
const big = 'x'.repeat(70_000);

export const REPAIR_CASES: readonly RepairCase[] = [
  { reason: 'valid_pass_through', dialect: '2020-12 (implicit)', tools: [weather({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] })],
    sent: { name: 'get_weather', args: ['{"ci', 'ty":"Pa', 'ris"}'] }, received: { name: 'get_weather', args: { city: 'Paris' } }, reasons: ['valid_pass_through'] },
  { reason: 'syntax_repaired', dialect: 'draft-07', tools: [weather(closed('draft-07'))],
    sent: { name: 'get_weather', args: ['{"city":', '"Par'] }, received: { name: 'get_weather', args: { city: 'Par' } }, reasons: ['syntax_repaired'] },
  { reason: 'syntax_repaired', dialect: 'draft-06 (dangling comma)', tools: [weather(closed('draft-06'))],
    sent: { name: 'get_weather', args: ['{"city":"Paris",'] }, received: { name: 'get_weather', args: { city: 'Paris' } }, reasons: ['syntax_repaired'] },
  { reason: 'const_inserted', dialect: '2019-09 (pending final property)', tools: [weather(closed('2019-09', { unit: { const: 'celsius' } }, ['city', 'unit']))],
    sent: { name: 'get_weather', args: ['{"city":"Paris","unit"'] }, received: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } }, reasons: ['syntax_repaired', 'const_inserted'] },
  { reason: 'enum_inserted', dialect: 'draft-04', tools: [weather(closed('draft-04', { unit: { type: 'string', enum: ['celsius'] } }, ['city', 'unit']))],
    sent: { name: 'get_weather', args: ['{"city":"Paris"}'] }, received: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } }, reasons: ['enum_inserted'] },
  { reason: 'default_inserted', dialect: '2020-12 ($ref to $defs)', tools: [weather({ ...closed('2020-12', { unit: { $ref: '#/$defs/unit' } }, ['city', 'unit']), $defs: { unit: { type: 'string', default: 'kelvin' } } })],
    sent: { name: 'get_weather', args: ['{"city":"Paris"}'] }, received: { name: 'get_weather', args: { city: 'Paris', unit: 'kelvin' } }, reasons: ['default_inserted'] },
  { reason: 'tool_name_normalized', dialect: 'draft-07', tools: [weather(closed('draft-07'))],
    sent: { name: 'Get-Weather', args: ['{"city":"Paris"}'] }, received: { name: 'get_weather', args: { city: 'Paris' } }, reasons: ['tool_name_normalized'] },
  { reason: 'property_renamed', dialect: '2019-09', tools: [weather(closed('2019-09'))],
    sent: { name: 'get_weather', args: ['{"City":"Paris"}'] }, received: { name: 'get_weather', args: { city: 'Paris' } }, reasons: ['property_renamed'] },
  { reason: 'additional_property_removed', dialect: 'draft-06', tools: [weather(closed('draft-06'))],
    sent: { name: 'get_weather', args: ['{"city":"Paris","mood":"sunny"}'] }, received: { name: 'get_weather', args: { city: 'Paris' } }, reasons: ['additional_property_removed'] },
  { reason: 'ambiguous_tool_name', dialect: '2020-12', tools: [weather(closed('2020-12')), weather(closed('2020-12'), 'get-weather')],
    sent: { name: 'GetWeather', args: ['{"city":"Paris"}'] }, received: { name: 'GetWeather', args: { city: 'Paris' } }, reasons: ['ambiguous_tool_name'] },
  { reason: 'ambiguous_property', dialect: 'draft-04', tools: [weather({ ...closed('draft-04', { city_name: { type: 'string' }, 'city-name': { type: 'string' } }, []) })],
    sent: { name: 'get_weather', args: ['{"CityName":"Paris"}'] }, received: { name: 'get_weather', args: { CityName: 'Paris' } }, reasons: ['ambiguous_property'] },
  { reason: 'unrepairable', dialect: 'draft-07', tools: [weather(closed('draft-07', { country: { type: 'string' } }, ['city', 'country']))],
    sent: { name: 'get_weather', args: ['{"city":"Paris"}'] }, received: { name: 'get_weather', args: { city: 'Paris' } }, reasons: ['unrepairable'] },
  { reason: 'scalar_coercion_disabled', dialect: '2019-09', tools: [weather(closed('2019-09', { days: { type: 'integer' } }))],
    sent: { name: 'get_weather', args: ['{"city":"Paris","days":"3"}'] }, received: { name: 'get_weather', args: { city: 'Paris', days: '3' } }, reasons: ['scalar_coercion_disabled'] },
  { reason: 'schema_invalid', dialect: '2020-12', tools: [weather({ ...closed('2020-12', { unit: { $ref: '#/$defs/missing' } }) })],
    sent: { name: 'get_weather', args: ['{"City":"Paris"}'] }, received: { name: 'get_weather', args: { City: 'Paris' } }, reasons: ['schema_invalid'] },
  { reason: 'schema_unsupported', dialect: 'draft-07 (catastrophic pattern)', tools: [weather(closed('draft-07', { code: { type: 'string', pattern: '^(a+)+$' } }))],
    sent: { name: 'get_weather', args: [`{"city":"Paris","code":"${'a'.repeat(40)}!"}`] }, received: { name: 'get_weather', args: { city: 'Paris', code: `${'a'.repeat(40)}!` } }, reasons: ['schema_unsupported'] },
  { reason: 'args_too_large', dialect: 'draft-06', tools: [weather(closed('draft-06'))],
    sent: { name: 'get_weather', args: [`{"City":"${big}`, '"}'] }, received: { name: 'get_weather', args: { City: big } }, reasons: ['args_too_large'] },
];
