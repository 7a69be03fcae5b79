export { applyOverrides, hasOverrides } from './apply-overrides.js';
export { encodeComponent, encodeQuery } from './encode-query.js';
export { parseRouteQuery, type RouteQuery } from './parse-route-query.js';
export { PARAM_KEYS, PARAM_SPECS, paramsToJson, type ParamSpec, type RouteParamName, type RouteParams } from './route-params.js';
