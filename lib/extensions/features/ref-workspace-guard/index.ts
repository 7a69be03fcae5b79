export { refWorkspaceGuard, workspaceView, GATED_TOOL, HEAT_PREFIX, type RefWorkspaceGuardConfig, type WorkspaceView } from './ref-workspace-guard.js';
