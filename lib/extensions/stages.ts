/**
 * The extension stages, in their normative order (the ids are part of the contract). Request
 * stages run once per request before the route plan is compiled; `candidate_attempt_transform`
 * runs inside each leaf before its backend opens; the stream stages are operators on each
 * attempt's events, before the commit gate; `traffic_observation` receives copies off the hot
 * path. Authentication (before) and egress encoding (after) stay in the server and frontends.
 * @see docs/extensions.md
 */
export const STAGE_IDS = [
  'session_open',
  'secret_guard',
  'submit_request',
  'tool_catalog_filter',
  'request_wide_shaping',
  'pre_request_admission',
  'route_hinting',
  'candidate_attempt_transform',
  'attempt_lifecycle',
  'stream_event_mutation',
  'tool_event_reaction',
  'completion_gating',
  'final_stream_observation',
  'traffic_observation',
] as const;

export type StageId = (typeof STAGE_IDS)[number];

/** What a failing hook does: `fail_open` logs, counts and skips it; `fail_closed` stops the request. */
export type FailureMode = 'fail_open' | 'fail_closed';

export const FAILURE_MODES: readonly FailureMode[] = ['fail_open', 'fail_closed'];

/** The request stages whose hooks are `Call -> Promise<Call>` steps, in order. */
export const REQUEST_STAGES = [
  'session_open', 'secret_guard', 'submit_request', 'tool_catalog_filter', 'request_wide_shaping', 'pre_request_admission',
] as const satisfies readonly StageId[];

export type RequestStageId = (typeof REQUEST_STAGES)[number];

/** Each stage's failure mode for hooks that do not choose one. */
export const DEFAULT_FAILURE_MODE: Readonly<Record<StageId, FailureMode>> = {
  session_open: 'fail_open',
  secret_guard: 'fail_closed',
  submit_request: 'fail_closed',
  tool_catalog_filter: 'fail_open',
  request_wide_shaping: 'fail_open',
  pre_request_admission: 'fail_closed',
  route_hinting: 'fail_open',
  candidate_attempt_transform: 'fail_open',
  attempt_lifecycle: 'fail_open',
  stream_event_mutation: 'fail_open',
  tool_event_reaction: 'fail_open',
  completion_gating: 'fail_open',
  final_stream_observation: 'fail_open',
  traffic_observation: 'fail_open',
};

/** What each stage may do to the traffic (the inventory shows it). */
export const STAGE_ROLES: Readonly<Record<StageId, string>> = {
  session_open: 'mutate',
  secret_guard: 'mutate/reject',
  submit_request: 'mutate/reject',
  tool_catalog_filter: 'mutate',
  request_wide_shaping: 'mutate (per request and per attempt)',
  pre_request_admission: 'reject',
  route_hinting: 'advise',
  candidate_attempt_transform: 'per-candidate mutate/exclude',
  attempt_lifecycle: 'observe (core)',
  stream_event_mutation: 'mutate (one event in, one out)',
  tool_event_reaction: 'allow/deny, pass/rewrite/swallow/replace',
  completion_gating: 'pass/replace/reject',
  final_stream_observation: 'observe',
  traffic_observation: 'observe',
};
