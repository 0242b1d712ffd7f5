// A plain HTTP forwarder on loopback for the security-key tests: a load balancer in front of
// several `gatehouse serve` instances, or a phishing relay that serves the real pages under
// another host name and passes everything on (rewriting Origin, as such relays do).
import http from 'node:http';

export interface ProxyOptions {
  /** The upstream base URL for this request. */
  pick(request: http.IncomingMessage): string;
  /** Headers to set on the forwarded request (a relay's forged Origin). */
  rewrite?: Record<string, string>;
}

export async function startProxy(port: number, options: ProxyOptions): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const target = new URL(options.pick(request));
    const headers: http.OutgoingHttpHeaders = { ...request.headers };
    for (const [name, value] of Object.entries(options.rewrite ?? {})) {
      if (headers[name] !== undefined || name === 'host') headers[name] = value;
    }
    const upstream = http.request({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

export function stopProxy(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
