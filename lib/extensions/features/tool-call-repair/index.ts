export { toolCallRepair, type ToolCallRepairConfig } from './tool-call-repair.js';
export { TOOL_CALL_REPAIRS, REPAIR_REASONS, type RepairReason } from './repair-reasons.js';
