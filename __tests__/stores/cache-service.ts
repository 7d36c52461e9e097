/**
 * A local EMULATION of the GitHub Actions cache service v2, as @actions/cache 6 calls it: the
 * three twirp routes (CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL,
 * JSON with proto field names) and the signed blob URLs they hand out (Azure "Put Blob" for the
 * upload, a plain GET for the download). Matching follows the service: exact key + version first,
 * then each restore key as a prefix, newest entry first; entries are immutable.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Entry {
  id: number;
  key: string;
  version: string;
  blob?: Buffer;
  finalizedAt?: number;
}

const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

export class CacheServiceEmulation {
  readonly token = 'emulated-runtime-token';
  /** Routes answering 403 (twirp permission_denied), e.g. 'CreateCacheEntry'. */
  deny = new Set<string>();
  entries: Entry[] = [];
  private server?: Server;
  private seq = 0;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body, type }) => {
          res.writeHead(status, {
            'content-type': type ?? 'application/json',
            ...(status === 201 ? { etag: '"0x1"', 'last-modified': new Date().toUTCString() } : {}),
          });
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string | Buffer; type?: string }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const data = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith('/devstoreaccount1/cache/')) {
      const entry = this.entries.find((e) => String(e.id) === url.pathname.split('/').pop());
      if (!entry) return { status: 404, body: '' };
      if (req.method === 'PUT') {
        entry.blob = data;
        return { status: 201, body: '' };
      }
      if (!entry.blob) return { status: 404, body: '' };
      return { status: 200, body: entry.blob, type: 'application/octet-stream' };
    }
    if (!url.pathname.startsWith(SERVICE) || req.method !== 'POST')
      return { status: 404, body: '{"code":"not_found","msg":"no such route"}' };
    const method = url.pathname.slice(SERVICE.length);
    if (req.headers.authorization !== `Bearer ${this.token}`) return { status: 401, body: '{"code":"unauthenticated","msg":"bad token"}' };
    if (this.deny.has(method)) return { status: 403, body: '{"code":"permission_denied","msg":"token may not use the cache"}' };
    const body = JSON.parse(data.toString() || '{}') as { key?: string; version?: string; restore_keys?: string[] };
    const blobUrl = (e: Entry) => `${this.url}devstoreaccount1/cache/${e.id}?sig=emulated`;
    const json = (o: unknown) => ({ status: 200, body: JSON.stringify(o) });
    switch (method) {
      case 'CreateCacheEntry': {
        if (this.entries.some((e) => e.key === body.key && e.version === body.version)) {
          return json({ ok: false, message: 'cache entry with the same key, version, and scope already exists' });
        }
        const entry: Entry = { id: ++this.seq, key: body.key ?? '', version: body.version ?? '' };
        this.entries.push(entry);
        return json({ ok: true, signed_upload_url: blobUrl(entry) });
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = this.entries.find((e) => e.key === body.key && e.version === body.version && e.blob && !e.finalizedAt);
        if (!entry) return json({ ok: false, message: 'no uploaded entry to finalize' });
        entry.finalizedAt = ++this.seq;
        return json({ ok: true, entry_id: String(entry.id) });
      }
      case 'GetCacheEntryDownloadURL': {
        const ready = this.entries
          .filter((e) => e.finalizedAt && e.version === body.version)
          .sort((a, b) => b.finalizedAt! - a.finalizedAt!);
        const hit =
          ready.find((e) => e.key === body.key) ??
          (body.restore_keys ?? []).map((k) => ready.find((e) => e.key.startsWith(k))).find((e) => e);
        return hit ? json({ ok: true, signed_download_url: blobUrl(hit), matched_key: hit.key }) : json({ ok: false });
      }
      default:
        return { status: 404, body: '{"code":"bad_route","msg":"no such method"}' };
    }
  }
}
