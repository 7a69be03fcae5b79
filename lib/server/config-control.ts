/**
 * Reloading the configuration of a running server: one reload function serves SIGHUP and
 * `POST /admin/config/reload`, and `GET /admin/config/status` reads what it did. The server
 * only calls it; `lip serve` supplies it (it knows the config file and the command-line
 * overrides), for one process or for every worker of `--workers`.
 */
export type ReloadTrigger = 'signal' | 'api';

/** What one reload did. Field paths only, never values (they may be secrets). */
export interface ReloadOutcome {
  /** `reloaded`: changes applied; `unchanged`: the file says what runs; `failed`: the running configuration is kept. */
  readonly status: 'reloaded' | 'unchanged' | 'failed';
  readonly trigger: ReloadTrigger;
  /** ISO time the reload ended. */
  readonly at: string;
  /** The file (or `<embedded default>`) that was read. */
  readonly config: string;
  /** Fields whose new values now apply (`backends[id]` names a whole row). */
  readonly changed: readonly string[];
  /** Fields that changed in the file and need a restart (a listener change refuses the reload whole). */
  readonly restart_required: readonly string[];
  /** Why a failed reload failed (every problem, as `file:line:col: path: message`). */
  readonly error?: string;
  /** Under `--workers`: each worker's own outcome. */
  readonly workers?: readonly WorkerOutcome[];
}

export interface WorkerOutcome {
  readonly worker: number;
  readonly pid: number;
  readonly status: ReloadOutcome['status'] | 'no_answer';
  readonly error?: string;
}

/** `GET /admin/config/status`. */
export interface ConfigStatus {
  readonly config: string;
  readonly started_at: string;
  /** The last reload (signal or API), or null when there was none. */
  readonly last_reload: ReloadOutcome | null;
  /** Fields changed in the file that wait for a restart (from the last successful reload). */
  readonly pending_restart: readonly string[];
  /** Under `--workers`: the status of each worker. */
  readonly workers?: readonly (ConfigStatus & { readonly worker: number; readonly pid: number })[];
}

export interface ConfigControl {
  /** `text`: the config file's text as the primary of `lip serve --workers` read it for every worker. */
  reload(trigger: ReloadTrigger, text?: string): Promise<ReloadOutcome>;
  status(): Promise<ConfigStatus>;
}
