import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { configFrom } from '../helpers/config.js';

/**
 * The deployment files (Dockerfile, compose.yaml with its HAProxy and lip configs, the systemd
 * unit, the Kubernetes manifest) cannot all be built and run where the tests run (no container
 * engine), so this spec reads them: every instruction, service, key and probe that the
 * drain and health semantics depend on, and every lip config in them through lip's own loader.
 * docs/deployment.md records what was built and run by hand.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');
const ENV = { LIP_API_KEY: 'a-key-of-sixteen-or-more' };

interface Instruction { readonly op: string; readonly args: string; readonly stage: number }

/** Dockerfile instructions: comments dropped, `\` continuations joined, stages numbered by FROM. */
function dockerfile(text: string): Instruction[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  let stage = -1;
  return logical.map((line) => {
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op!.toUpperCase() === 'FROM') stage++;
    return { op: op!.toUpperCase(), args: args!.replace(/\s+/g, ' '), stage };
  });
}

/** systemd unit: section -> key -> values (a key may repeat). */
function unitFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      expect(sections.has(header[1]!), `section [${header[1]}] appears once`).to.equal(false);
      sections.set(header[1]!, (current = new Map()));
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    expect(kv, `"${line}" is Key=value`).to.not.equal(null);
    expect(current, `"${line}" is inside a section`).to.not.equal(undefined);
    current!.set(kv![1]!, [...(current!.get(kv![1]!) ?? []), kv![2]!]);
  }
  return sections;
}

const seconds = (text: string) => {
  const m = /^(\d+)(ms|s|m)?$/.exec(String(text));
  expect(m, `a duration: ${text}`).to.not.equal(null);
  return Number(m![1]) * ({ ms: 0.001, s: 1, m: 60 }[m![2] ?? 's'] ?? 1);
};

describe('deployment files', () => {
  describe('Dockerfile', () => {
    const steps = dockerfile(read('Dockerfile'));
    const final = Math.max(...steps.map((s) => s.stage));
    const inFinal = (op: string) => steps.filter((s) => s.stage === final && s.op === op);
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

    it('is multi-stage: named build stages, the runtime stage copies from them', () => {
      const froms = steps.filter((s) => s.op === 'FROM');
      expect(froms.length).to.be.at.least(3);
      const names = froms.flatMap((s) => /\sAS\s+(\S+)$/i.exec(s.args)?.[1] ?? []);
      expect(names).to.include.members(['build', 'deps']);
      const sources = inFinal('COPY').flatMap((s) => /--from=(\S+)/.exec(s.args)?.[1] ?? []);
      expect(sources).to.have.members(['deps', 'build']);
      expect(steps.filter((s) => s.stage === final && s.op === 'RUN').map((s) => s.args).join(' ')).not.to.match(/npm (ci|install)|g\+\+|tsc/);
    });

    it('installs production dependencies with npm ci --omit=dev and builds as npm run build does (tsc, then the precompiled config validators)', () => {
      expect(steps.some((s) => s.op === 'RUN' && /npm ci --omit=dev/.test(s.args))).to.equal(true);
      const build = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build!;
      expect(build).to.equal('tsc -p tsconfig.build.json && node scripts/precompile-validators.js');
      expect(steps.some((s) => s.op === 'RUN' && s.args.endsWith(build.replace(/^tsc/, 'npx tsc')))).to.equal(true);
      expect(steps.some((s) => s.op === 'COPY' && /^scripts\s/.test(s.args))).to.equal(true);
      expect(ignored).not.to.include('scripts');
    });

    it('runs as a non-root user, under tini, serving by default, stopped by SIGTERM', () => {
      const user = inFinal('USER');
      expect(user).to.have.length(1);
      expect(user[0]!.args).to.not.match(/^(root|0)(:|$)/);
      expect(JSON.parse(inFinal('ENTRYPOINT')[0]!.args)).to.deep.equal(['/usr/bin/tini', '--', 'node', 'bin/lip.js']);
      expect(JSON.parse(inFinal('CMD')[0]!.args)).to.deep.equal(['serve', '--multi-user']);
      expect(inFinal('STOPSIGNAL')[0]!.args).to.equal('SIGTERM');
      expect(steps.some((s) => s.stage === final && s.op === 'RUN' && /install .*\btini\b/.test(s.args))).to.equal(true);
    });

    it('has a HEALTHCHECK on /healthz at the port the baked config listens on, which EXPOSE names', () => {
      const [check] = inFinal('HEALTHCHECK');
      expect(check!.args).to.match(/--interval=\d+s/).and.to.contain('CMD ');
      const command = JSON.parse(check!.args.slice(check!.args.indexOf('CMD ') + 4)) as string[];
      expect(command.slice(0, 2)).to.deep.equal(['node', '-e']);
      const baked = configFrom(read('deploy/docker/lip.yaml'), ENV);
      expect(command[2]).to.contain(`http://127.0.0.1:${baked.server.port}/healthz`);
      expect(inFinal('EXPOSE')[0]!.args).to.equal(String(baked.server.port));
      expect([baked.server.host, baked.access.mode]).to.deep.equal(['0.0.0.0', 'multi_user']);
      expect(baked.auth.api_keys.map((k) => k.key)).to.deep.equal([ENV.LIP_API_KEY]);
    });

    it('copies only paths that exist and that .dockerignore keeps in the context', () => {
      const copies = steps.filter((s) => s.op === 'COPY' && !s.args.includes('--from='));
      expect(copies.length).to.be.greaterThan(3);
      for (const copy of copies) {
        const parts = copy.args.split(' ');
        for (const source of parts.slice(0, -1)) {
          expect(existsSync(`${ROOT}${source}`), `COPY ${source}`).to.equal(true);
          expect(ignored.filter((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `COPY ${source} is not ignored`).to.deep.equal([]);
        }
      }
      expect(ignored).to.include.members(['node_modules', 'dist', '.git', '.env']);
    });
  });

  describe('compose.yaml', () => {
    const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Record<string, any>> };
    const lip = configFrom(read('deploy/compose/lip.yaml'), ENV);
    const haproxy = read('deploy/compose/haproxy.cfg');

    it('has two lip instances, Redis and a load balancer, each with a health check', () => {
      expect(Object.keys(compose.services)).to.have.members(['redis', 'lip-1', 'lip-2', 'lb']);
      for (const [name, service] of Object.entries(compose.services)) {
        expect(service.healthcheck?.test, `${name} healthcheck`).to.be.an('array').with.property('0', 'CMD');
      }
      expect(compose.services.redis!.healthcheck.test).to.deep.equal(['CMD', 'redis-cli', 'ping']);
    });

    it('builds lip from this Dockerfile, mounts the lip config, and waits for a healthy Redis', () => {
      for (const name of ['lip-1', 'lip-2']) {
        const service = compose.services[name]!;
        expect(service.build).to.equal('.');
        expect(service.healthcheck.test.join(' ')).to.contain(`http://127.0.0.1:${lip.server.port}/readyz`);
        expect(service.volumes).to.deep.equal(['./deploy/compose/lip.yaml:/etc/lip/lip.yaml:ro']);
        expect(service.depends_on).to.deep.equal({ redis: { condition: 'service_healthy' } });
        expect(service.environment.LIP_API_KEY).to.match(/^\$\{LIP_API_KEY:\?/);
        // The stop grace period covers the drain delay and the shutdown timeout.
        expect(seconds(service.stop_grace_period)).to.be.at.least((lip.server.drain_delay + lip.server.shutdown_timeout) / 1000);
      }
      expect([lip.server.host, lip.access.mode, lip.redis.url, lip.routing.circuit_breaker.store]).to.deep.equal(['0.0.0.0', 'multi_user', 'redis://redis:6379', 'redis']);
    });

    it('puts the load balancer in front of both instances, checking /readyz fast enough to see a drain', () => {
      const lb = compose.services.lb!;
      expect(lb.depends_on).to.deep.equal({ 'lip-1': { condition: 'service_healthy' }, 'lip-2': { condition: 'service_healthy' } });
      expect(lb.volumes).to.deep.equal(['./deploy/compose/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
      expect(existsSync(`${ROOT}deploy/compose/haproxy.cfg`)).to.equal(true);
      const servers = [...haproxy.matchAll(/^\s*server\s+(\S+)\s+(\S+):(\d+)\s+check\b/gm)].map((m) => [m[1], m[2], Number(m[3])]);
      expect(servers).to.deep.equal([['lip-1', 'lip-1', lip.server.port], ['lip-2', 'lip-2', lip.server.port]]);
      expect(haproxy).to.match(/^\s*http-check send meth GET uri \/readyz$/m).and.to.match(/^\s*http-check expect status 200$/m);
      const inter = Number(/\binter (\d+)s\b/.exec(haproxy)![1]);
      const fall = Number(/\bfall (\d+)\b/.exec(haproxy)![1]);
      expect(inter * fall * 1000).to.be.lessThan(lip.server.drain_delay);
      expect(haproxy).to.match(/^\s*bind :(\d+)$/m);
      expect(lb.ports).to.deep.equal([`127.0.0.1:8080:${/^\s*bind :(\d+)$/m.exec(haproxy)![1]}`]);
      expect(Number(/timeout server (\d+)s/.exec(haproxy)![1])).to.be.at.least(300); // long streams
    });
  });

  describe('systemd unit', () => {
    const unit = unitFile(read('deploy/systemd/lip.service'));
    const service = unit.get('Service')!;
    const one = (key: string) => {
      expect(service.get(key), key).to.have.length(1);
      return service.get(key)![0]!;
    };

    it('has [Unit], [Service] and [Install] with the keys that start, reload and stop lip', () => {
      expect([...unit.keys()]).to.deep.equal(['Unit', 'Service', 'Install']);
      expect(unit.get('Unit')!.get('After')).to.deep.equal(['network-online.target']);
      expect(unit.get('Install')!.get('WantedBy')).to.deep.equal(['multi-user.target']);
      expect(one('ExecStart')).to.match(/^\/usr\/bin\/node \/opt\/lip\/bin\/lip\.js serve --config \/etc\/lip\/lip\.yaml --multi-user --workers auto$/);
      expect(one('ExecReload')).to.equal('/bin/kill -HUP $MAINPID');
      expect([one('KillSignal'), one('KillMode'), one('Restart')]).to.deep.equal(['SIGTERM', 'mixed', 'on-failure']);
      expect(seconds(one('TimeoutStopSec'))).to.be.at.least(20); // default drain_delay + shutdown_timeout
    });

    // Found by running the docs' examples: the unit's comment said `npm ci --omit=dev; npm run
    // build`, which fails (build runs tsc, a dev dependency). Its install steps are the docs'.
    it('installs lip as docs/deployment.md does (its comment\'s npm commands are the docs\')', () => {
      const npm = (commands: string) => commands.split('\n').filter((l) => /\bnpm /.test(l)).map((l) => l.replace(/\bsudo /g, '').trim());
      const systemd = /## systemd\n[\s\S]*?```\n([\s\S]*?)```/.exec(read('docs/deployment.md'))![1]!;
      // The comment's commands are its lines indented under `#`.
      const comment = read('deploy/systemd/lip.service').split('\n').filter((l) => l.startsWith('#   ')).map((l) => l.slice(1)).join('\n');
      expect(npm(systemd)).to.have.length.greaterThan(0);
      expect(npm(comment)).to.deep.equal(npm(systemd));
    });

    it('is hardened', () => {
      const expected: Record<string, string> = {
        NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes', DynamicUser: 'yes',
        ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectControlGroups: 'yes', RestrictNamespaces: 'yes',
        RestrictSUIDSGID: 'yes', LockPersonality: 'yes', CapabilityBoundingSet: '', SystemCallFilter: '@system-service',
        RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX', UMask: '0077',
      };
      for (const [key, value] of Object.entries(expected)) expect([key, one(key)]).to.deep.equal([key, value]);
    });
  });

  describe('Kubernetes manifest', () => {
    const docs = parseAllDocuments(read('deploy/kubernetes/lip.yaml')).map((d) => d.toJS() as Record<string, any>);
    const byKind = (kind: string) => docs.find((d) => d.kind === kind)!;
    const config = configFrom(byKind('ConfigMap').data['lip.yaml'], ENV);
    const pod = byKind('Deployment').spec.template.spec;
    const container = pod.containers[0];

    it('probes liveness on /healthz and readiness on /readyz, fast enough to see a drain', () => {
      expect(docs.map((d) => d.kind)).to.deep.equal(['ConfigMap', 'Deployment', 'Service']);
      expect(container.livenessProbe.httpGet.path).to.equal('/healthz');
      expect(container.startupProbe.httpGet.path).to.equal('/healthz');
      expect(container.readinessProbe.httpGet.path).to.equal('/readyz');
      const ready = container.readinessProbe;
      expect(ready.periodSeconds * ready.failureThreshold * 1000).to.be.lessThan(config.server.drain_delay);
      expect(container.ports[0].containerPort).to.equal(config.server.port);
    });

    it('gives a terminating pod the drain delay and the shutdown timeout, and runs it unprivileged', () => {
      expect(pod.terminationGracePeriodSeconds * 1000).to.be.greaterThan(config.server.drain_delay + config.server.shutdown_timeout);
      expect(pod.securityContext.runAsNonRoot).to.equal(true);
      expect(container.securityContext).to.deep.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(container.args).to.deep.equal(['serve', '--multi-user', '--workers', '2']);
      expect(config.access.mode).to.equal('multi_user');
    });
  });

  it('npm start builds first, then execs lip (so a signal to npm start reaches lip)', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.prestart).to.equal('npm run build');
    expect(scripts.start).to.equal('exec node bin/lip.js serve');
  });
});
