// A request to a streaming route (server-sent events) over real HTTP: fastify's inject waits for the
// response to end, which a live stream never does. Resolves with the status, headers and the first
// chunk of the body (an error body is read to its end), then closes the connection.
import { request } from 'node:http';

export interface StreamAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function streamRequest(baseUrl: string, opts: { method?: string; path: string; headers?: Record<string, string>; timeoutMs?: number }): Promise<StreamAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${opts.path}`, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => {
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      };
      const streaming = String(res.headers['content-type']).startsWith('text/event-stream');
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (streaming) done();
      });
      res.on('end', done);
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}
