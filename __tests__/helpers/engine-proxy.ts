/**
 * Things in front of the real engine's unix socket, for the tests of how the runner reaches it:
 * a recording HTTP proxy (what headers the engine receives: X-Registry-Auth of a pull) that can
 * also hold pull requests unanswered, and a TLS front with client certificates (docker-in-docker
 * on 2376) made with openssl.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';

export interface RecordingProxy {
  /** DOCKER_HOST for clients of the proxy. */
  host: string;
  /** Every request: method, path (with query) and headers. */
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>;
  /** When true, /images/create is held without an answer (an engine stuck on a registry). */
  stallPulls: boolean;
  /** The decoded X-Registry-Auth of each pull. */
  pullAuths(): Array<Record<string, unknown> | null>;
  stop(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 forwarding to the engine's unix socket (plain requests, no upgrades). */
export async function startRecordingProxy(socketPath: string): Promise<RecordingProxy> {
  const requests: RecordingProxy['requests'] = [];
  const held: Array<() => void> = [];
  const proxy: RecordingProxy = {
    host: '',
    requests,
    stallPulls: false,
    pullAuths: () =>
      requests
        .filter((r) => r.method === 'POST' && /\/images\/create\b/.test(r.path))
        .map((r) => {
          const raw = r.headers['x-registry-auth'];
          if (typeof raw !== 'string') return null;
          return JSON.parse(Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;
        }),
    stop: async () => {
      for (const release of held) release();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  const server: Server = createHttpServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    if (proxy.stallPulls && /\/images\/create\b/.test(req.url ?? '')) {
      held.push(() => res.destroy());
      return;
    }
    const upstream = request({ socketPath, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  proxy.host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

export interface TlsFront {
  port: number;
  /** DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem of a client the front accepts. */
  certPath: string;
  stop(): Promise<void>;
}

/** A TLS server with client-certificate verification, piping each connection to the engine's socket. */
export async function startTlsFront(socketPath: string, dir: string): Promise<TlsFront> {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ppg-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, ext] of [
    ['server', 'server.ext'],
    ['client', 'client.ext'],
  ] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}-cert.pem`,
      '-extfile',
      ext,
    );
  }
  // The names the docker client looks for in DOCKER_CERT_PATH.
  writeFileSync(join(dir, 'cert.pem'), readFileSync(join(dir, 'client-cert.pem')));
  writeFileSync(join(dir, 'key.pem'), readFileSync(join(dir, 'client-key.pem')));
  const open = new Set<Socket>();
  const server: TlsServer = createTlsServer(
    {
      key: readFileSync(join(dir, 'server-key.pem')),
      cert: readFileSync(join(dir, 'server-cert.pem')),
      ca: readFileSync(join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => {
      const upstream = connect(socketPath);
      open.add(socket);
      open.add(upstream);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
      socket.on('close', close);
      upstream.on('close', close);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    certPath: dir,
    stop: () =>
      new Promise<void>((done) => {
        for (const s of open) s.destroy();
        server.close(() => done());
      }),
  };
}

export interface SlowEngineProxy {
  /** DOCKER_HOST for clients of the proxy. */
  host: string;
  /** Every request line the engine was sent, in order: "POST /v1.41/containers/create?name=…". */
  requests: string[];
  /**
   * What to hold: `create-reply` forwards the create request (the engine makes the container) and
   * holds its answer; `attach` holds the attach request itself (the window between create and start).
   */
  hold: Set<'create-reply' | 'attach'>;
  /** Resolves once something is being held (a create: once the engine has answered it). */
  held(): Promise<void>;
  /** Lets everything held through. */
  release(): void;
  stop(): Promise<void>;
}

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\/\S*) HTTP\/1\.[01]\r\n/g;

/**
 * A slow engine: a TCP proxy in front of the engine's unix socket (upgrades, attach included)
 * that can hold the engine's reply to a container create for as long as a test needs — the
 * window in which a client has asked for a container but does not know it exists yet.
 */
export async function startSlowEngineProxy(socketPath: string): Promise<SlowEngineProxy> {
  const open = new Set<Socket>();
  const releases: Array<() => void> = [];
  let onHeld: (() => void) | undefined;
  let heldPromise = new Promise<void>((r) => (onHeld = r));
  const markHeld = () => onHeld?.();
  const proxy: SlowEngineProxy = {
    host: '',
    requests: [],
    hold: new Set(),
    held: () => heldPromise,
    release: () => {
      for (const release of releases.splice(0)) release();
      heldPromise = new Promise<void>((r) => (onHeld = r));
    },
    stop: () =>
      new Promise<void>((done) => {
        proxy.release();
        for (const s of open) s.destroy();
        server.close(() => done());
      }),
  };
  const server = createNetServer((client) => {
    const upstream = connect(socketPath);
    open.add(client);
    open.add(upstream);
    // Replies are held from a create request on (a connection carries one request at a time).
    let holdReplies = false;
    const heldReplies: Buffer[] = [];
    let holdRequests = false;
    const heldRequests: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      if (holdRequests) {
        heldRequests.push(chunk);
        return;
      }
      const text = chunk.toString('latin1');
      for (const m of text.matchAll(REQUEST_LINE)) {
        const line = `${m[1]} ${m[2]}`;
        proxy.requests.push(line);
        if (proxy.hold.has('create-reply') && /^POST \S*\/containers\/create\b/.test(line)) {
          holdReplies = true;
          releases.push(() => {
            holdReplies = false;
            for (const b of heldReplies.splice(0)) client.write(b);
          });
        }
        if (proxy.hold.has('attach') && /^POST \S*\/containers\/[^/]+\/attach\b/.test(line)) {
          holdRequests = true;
          heldRequests.push(chunk);
          releases.push(() => {
            holdRequests = false;
            for (const b of heldRequests.splice(0)) upstream.write(b);
          });
          markHeld();
          return;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!holdReplies) return void client.write(chunk);
      heldReplies.push(chunk);
      markHeld(); // the engine has answered: the container exists, the client does not know it
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  proxy.host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
