import { configChanges, reloadProblems, withRestartFieldsKept, type Config } from '../config/index.js';
import { keyScope } from '../backends/credentials/key-states.js';
import { sameStore, storeLimits } from '../continuity/index.js';
import { createRuntime, keepsCatalogSource, keepsGeoipSource } from '../core/runtime.js';
import { isLipError, LipError } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';
import type { ConfigControl, ConfigStatus, ReloadOutcome, ReloadTrigger } from '../server/config-control.js';
import type { LipServer } from '../server/lip-server.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The one reload function of a `lip serve` process (SIGHUP and `POST /admin/config/reload`):
 * re-reads the file named at start, and when it is valid swaps in a runtime built from it.
 * A file that cannot be read, is invalid, or changes a listener, the access mode or the
 * admission caps (`reloadProblems`: all or nothing, for access safety) keeps the running
 * configuration. The logger's and the metrics' settings keep their running values while the
 * rest applies; both kinds are reported as `restart_required`.
 * Stores whose settings did not change are handed on (one SQLite writer; circuits kept; a
 * continuity store whose limits alone changed takes them in place, `reconfigure`), and
 * the routing decisions of `GET /admin/routes` always are, as are the API keys' states. The
 * circuits of a backend the reload points at another upstream or removes are closed
 * (`movedBackends`), as its API keys' states are forgotten.
 * Reloads run one at a time, in the order they were asked for.
 */
export class Reloader implements ConfigControl {
  private last: ReloadOutcome | null = null;
  private pending: readonly string[] = [];
  private readonly startedAt = new Date().toISOString();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly server: LipServer,
    /**
     * Reads and validates the config file (command-line overrides applied), or the text given
     * for it (read by the primary of `lip serve --workers`); throws when it cannot.
     */
    private readonly load: (text?: string) => Config,
    private readonly logger: Logger,
  ) {}

  reload(trigger: ReloadTrigger, text?: string): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.run(trigger, text));
    this.queue = run.catch(() => undefined);
    return run;
  }

  status(): Promise<ConfigStatus> {
    return Promise.resolve({ config: this.server.config.source, started_at: this.startedAt, last_reload: this.last, pending_restart: this.pending });
  }

  private async run(trigger: ReloadTrigger, text: string | undefined): Promise<ReloadOutcome> {
    const running = this.server.runtimeNow;
    const base = { trigger, config: running.config.source };
    let outcome: ReloadOutcome;
    try {
      // Queued behind a reload that ran into the shutdown: nothing is read or built (LipServer.reload refuses one that gets there).
      if (this.server.stopping) throw new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down');
      const next = this.load(text);
      const { changed, restartRequired } = configChanges(running.config, next);
      const refused = reloadProblems(running.config, next);
      if (refused.length > 0) {
        const error = refused.join('; ');
        this.logger.error('reload refused; keeping the running configuration', { trigger, error, restart_required: restartRequired });
        this.last = { status: 'failed', ...base, at: new Date().toISOString(), changed: [], restart_required: restartRequired, error };
        return this.last;
      }
      if (changed.length > 0) {
        const effective = withRestartFieldsKept(next, running.config);
        // Only another store (its kind, its SQLite file, its Redis) opens a new one: the limits (resume_window included, which the
        // new sessions read too) apply to the running one in place (below); the session switches (client_session_ids,
        // resume_token_key, lineage) are the sessions' alone.
        const keepStore = sameStore(running.config.continuity, effective.continuity)
          && (effective.continuity.store !== 'redis' || same(effective.redis, running.config.redis));
        const limits = storeLimits(effective.continuity);
        // A memory breaker has nothing on Redis: a change of redis settings alone keeps its circuits.
        const keepBreaker = same(effective.routing.circuit_breaker, running.config.routing.circuit_breaker)
          && (effective.routing.circuit_breaker.store !== 'redis' || same(effective.redis, running.config.redis));
        const featureState = same(effective.redis, running.config.redis) ? running.extensions?.state : undefined;
        const catalogSource = running.catalog && keepsCatalogSource(running.config, effective) ? running.catalog.source : undefined;
        const geoipSource = running.geoipSource && keepsGeoipSource(running.config, effective) ? running.geoipSource : undefined;
        // The response cache keeps its answers through a reload that leaves its settings (and a Redis one's redis) as they are;
        // the new executor gives none whose backend row changed or went (Executor.backendRow), and checks each route first.
        const cache = running.cache && same(effective.cache, running.config.cache) && (effective.cache.store !== 'redis' || same(effective.redis, running.config.redis)) ? running.cache : undefined;
        // One writer per recording file: a reload that records to the same path keeps it (its rotation settings follow the new config).
        const recordingWriter = running.recorder && effective.recording.enabled && effective.recording.path === running.config.recording.path ? running.recorder.writer : undefined;
        const runtime = createRuntime(effective, {
          logger: this.logger,
          ...(keepStore ? { continuity: running.continuity } : {}), ...(keepBreaker ? { breaker: running.breaker } : {}), ...(featureState ? { featureState } : {}),
          ...(catalogSource ? { catalogSource } : {}), ...(geoipSource ? { geoipSource } : {}), ...(cache ? { cache } : {}),
          ...(recordingWriter ? { recordingWriter } : {}),
          // GET /admin/routes keeps its history (resized when diagnostics.recent_routes changed).
          routes: running.executor.routes,
          // API keys still configured for the same upstream keep their retirement and cool-down.
          ...(running.keyStates ? { keyStates: running.keyStates } : {}),
          // A worker's backends keep renewing credentials with the other workers.
          ...(running.renewals ? { renewals: running.renewals } : {}),
        });
        // Its features' start() first (bounded, never rejects): their hooks see no request before, and the old bundles stop after.
        await runtime.started;
        // Unless the server began to stop meanwhile (then server.reload refuses it and closes it), the
        // new configuration takes over now: what a circuit learnt is about the upstream its backend
        // named (a Redis breaker, kept or new, still lists them), and a kept store takes the new
        // limits (a shorter ttl, a lower cap evict now).
        if (!this.server.stopping) {
          runtime.breaker.forget(movedBackends(running.config, effective));
          if (keepStore && !same(limits, storeLimits(running.config.continuity))) runtime.continuity.reconfigure(limits);
        }
        await this.server.reload(runtime);
      }
      outcome = { status: changed.length > 0 ? 'reloaded' : 'unchanged', ...base, config: next.source, at: new Date().toISOString(), changed, restart_required: restartRequired };
      this.pending = restartRequired;
      const fields = { trigger, config: next.source, changed, restart_required: restartRequired };
      if (changed.length > 0) this.logger.info('configuration reloaded', { ...fields, default_route: next.routing.default_route });
      else this.logger.info('configuration unchanged', fields);
      if (restartRequired.length > 0) this.logger.warn('reload: these fields keep their running values until a restart', { fields: restartRequired });
    } catch (err) {
      const error = isLipError(err) ? err.message : String(err);
      outcome = { status: 'failed', ...base, at: new Date().toISOString(), changed: [], restart_required: [], error };
      this.logger.error('reload failed; keeping the running configuration', { trigger, error });
    }
    this.last = outcome;
    return outcome;
  }
}

/**
 * The backends of `before` that `after` removes, switches off or points at another upstream:
 * another `kind` or `base_url` (`keyScope`, the rule the API keys' states follow too).
 */
function movedBackends(before: Config, after: Config): Set<string> {
  const kept = new Set(after.backends.filter((row) => row.enabled).map(keyScope));
  return new Set(before.backends.filter((row) => !kept.has(keyScope(row))).map((row) => row.id));
}
