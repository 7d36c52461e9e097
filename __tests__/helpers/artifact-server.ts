/**
 * A local artifact service speaking the protocol the toolkit's artifact client (@actions/artifact
 * v2+ backend) uses: Twirp JSON calls CreateArtifact / FinalizeArtifact on
 * /twirp/github.actions.results.api.v1.ArtifactService/, and the signed upload URL answered by an
 * Azure-blob-style endpoint taking Put Block and Put Block List. What arrives is kept per artifact.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/';

export interface ReceivedArtifact {
  name: string;
  /** What CreateArtifact was asked (backend ids, expiry, version). */
  create: Record<string, unknown>;
  finalize?: Record<string, unknown>;
  /** The assembled blob (a zip). */
  blob?: Buffer;
  id: number;
}

export interface ArtifactServer {
  url: string;
  artifacts: ReceivedArtifact[];
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

export async function startArtifactServer(): Promise<ArtifactServer> {
  const artifacts: ReceivedArtifact[] = [];
  const blocks = new Map<string, Buffer>();
  let url = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', url);
      const data = await body(req);
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'POST' && u.pathname === `${SERVICE}CreateArtifact`) {
        const create = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        const name = String(create['name']);
        if (artifacts.some((a) => a.name === name)) return json(409, { code: 'already_exists', msg: `artifact ${name} exists` });
        artifacts.push({ name, create, id: artifacts.length + 1 });
        return json(200, { ok: true, signed_upload_url: `${url}/blob/${encodeURIComponent(name)}?sig=local` });
      }
      if (req.method === 'POST' && u.pathname === `${SERVICE}FinalizeArtifact`) {
        const finalize = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        const artifact = artifacts.find((a) => a.name === finalize['name']);
        if (!artifact?.blob) return json(404, { code: 'not_found', msg: 'no upload for this artifact' });
        artifact.finalize = finalize;
        return json(200, { ok: true, artifact_id: String(artifact.id) });
      }
      if (req.method === 'PUT' && u.pathname.startsWith('/blob/')) {
        const name = decodeURIComponent(u.pathname.slice('/blob/'.length));
        const headers = {
          'x-ms-request-id': String(Date.now()),
          'x-ms-version': '2024-11-04',
          ETag: '"0x1"',
          'Last-Modified': new Date().toUTCString(),
        };
        const comp = u.searchParams.get('comp');
        if (comp === 'block') {
          blocks.set(`${name}/${u.searchParams.get('blockid')}`, data);
          res.writeHead(201, headers);
          return res.end();
        }
        if (comp === 'blocklist') {
          const ids = [...data.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]!);
          const artifact = artifacts.find((a) => a.name === name);
          if (!artifact) return json(404, {});
          artifact.blob = Buffer.concat(ids.map((id) => blocks.get(`${name}/${id}`) ?? Buffer.alloc(0)));
          res.writeHead(201, headers);
          return res.end();
        }
        // A single-shot Put Blob (small uploads).
        const artifact = artifacts.find((a) => a.name === name);
        if (!artifact) return json(404, {});
        artifact.blob = data;
        res.writeHead(201, headers);
        return res.end();
      }
      json(404, { code: 'not_found', msg: `${req.method} ${u.pathname}` });
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    artifacts,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
