/**
 * Real local servers for the store tests: moto (a real S3 implementation, run by PPG_MOTO_PYTHON,
 * the tools venv of scripts/python-env.sh) and a tiny HTTP proxy in front of it that can go down,
 * answer 403 or hang, so the SDK meets real connection failures without the data behind it being
 * lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

const MOTO_SERIAL = [
  'import sys',
  'from werkzeug.serving import run_simple',
  'from moto.server import DomainDispatcherApplication, create_backend_app',
  'run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False)',
].join('\n');

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const python = process.env['PPG_MOTO_PYTHON'] ?? 'python3';
  // moto's own `python -m moto.server` runs threaded, and its If-Match / If-None-Match checks are a
  // read, then a separate write, without a lock: under load two writers with the same ETag can both
  // pass, which real S3 never allows (30 concurrent promotions then lost one history entry). One
  // request at a time makes moto's conditional writes atomic, as the services the store targets are.
  const child: ChildProcess = spawn(python, ['-c', MOTO_SERIAL, '127.0.0.1', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) break;
    if (
      await fetch(endpoint).then(
        () => true,
        () => false,
      )
    ) {
      return {
        endpoint,
        stop: async () => {
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            await new Promise((r) => child.once('exit', r));
          }
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(
    `moto did not start with '${python}' (needs moto[server] 5.2: eval "$(bash scripts/python-env.sh tools)" sets PPG_MOTO_PYTHON to a venv with it): ${stderr.slice(-500)}`,
  );
}

/**
 * forward: pass through · 403 / 503: answer that · hang: never answer · drip: answer 200 and then
 * send one body byte every 200 ms, forever · strip-conditions: forward without If-Match and
 * If-None-Match (a service that silently ignores conditional writes).
 */
export type ProxyMode = 'forward' | '403' | 'hang' | '503' | 'drip' | 'strip-conditions';

export class FaultProxy {
  mode: ProxyMode = 'forward';
  /** Requests seen, per mode (to show that retries really happened). */
  seen = 0;
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      this.seen += 1;
      if (this.mode === 'hang') return; // never answers
      if (this.mode === '403' || this.mode === '503') {
        const [status, code] = this.mode === '403' ? [403, 'AccessDenied'] : [503, 'SlowDown'];
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} by test proxy</Message></Error>`);
        return;
      }
      if (this.mode === 'drip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000', etag: '"drip"' });
        const timer = setInterval(() => res.write('{'), 200);
        res.on('close', () => clearInterval(timer));
        return;
      }
      const headers = { ...req.headers };
      if (this.mode === 'strip-conditions') {
        delete headers['if-match'];
        delete headers['if-none-match'];
      }
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  async down(): Promise<void> {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server!.close(r));
    this.server = undefined;
  }
}
