/**
 * A TCP proxy on 127.0.0.1 that delays every chunk by half the round-trip time in each direction
 * (order kept), to measure Rivet on a WAN-like link without kernel netem. Run as its own process:
 *   tsx bench/latency-proxy.ts <targetPort> <rttMs>   -> prints the listening port on stdout.
 */
import { createConnection, createServer, type Socket } from 'node:net';

const [targetPort, rttMs] = process.argv.slice(2).map(Number);
if (!targetPort || rttMs === undefined || Number.isNaN(rttMs)) throw new Error('usage: latency-proxy.ts <targetPort> <rttMs>');
const oneWay = rttMs / 2;

function delayed(from: Socket, to: Socket): void {
  let last = 0;
  from.on('data', (chunk) => {
    const due = Math.max(performance.now() + oneWay, last);
    last = due;
    setTimeout(() => to.write(chunk), due - performance.now());
  });
  from.on('end', () => setTimeout(() => to.end(), Math.max(0, last - performance.now()) + oneWay));
  from.on('error', () => to.destroy());
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = createConnection({ host: '127.0.0.1', port: targetPort, noDelay: true });
  delayed(client, upstream);
  delayed(upstream, client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
