/**
 * Things in front of the real engine's unix socket, for the tests of how the runner reaches it:
 * a recording HTTP proxy (what headers the engine receives: X-Registry-Auth of a pull) that can
 * also hold pull requests unanswered, and a TLS front with client certificates (docker-in-docker
 * on 2376) made with openssl.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
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
