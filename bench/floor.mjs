/**
 * The floor of `npm run bench`: the least a Node.js program can do with ssh2 to run a command on
 * N targets. Per target: connect (key read and parsed once for the run), check the host key
 * against the one expected, exec, read the output, close. Plain JavaScript (no tsx), so its
 * start-up is node's own.
 *
 *   node bench/floor.mjs <spec.json>
 *
 * spec: { targets: [{ host, port }], user, keyPath, hostKey: "ssh-ed25519 AAAA...", concurrency,
 *         command, steps (commands per connection, default 1), upload?: { local, remote } }
 * Prints one line per failed target on stderr and exits 1 if any failed.
 * @module
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

const { Client, utils } = ssh2;
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const privateKey = utils.parseKey(readFileSync(spec.keyPath));
const expected = Buffer.from(spec.hostKey.split(/\s+/)[1], 'base64');
const steps = spec.steps ?? 1;

function exec(client, command) {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let code = null;
      channel.on('exit', (c) => (code = c));
      channel.on('close', () => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      channel.resume();
      channel.stderr.resume();
    });
  });
}

function upload(client, local, remote) {
  return new Promise((resolve, reject) => {
    client.sftp((error, sftp) => {
      if (error) return reject(error);
      sftp.fastPut(local, remote, (e) => {
        sftp.end();
        e ? reject(e) : resolve();
      });
    });
  });
}

function one(target) {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('error', reject);
    client.on('ready', async () => {
      try {
        if (spec.upload) await upload(client, spec.upload.local, `${spec.upload.remote}.${target.index}`);
        for (let i = 0; i < steps; i++) await exec(client, spec.command);
        client.end();
        resolve();
      } catch (error) {
        client.end();
        reject(error);
      }
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: spec.user,
      // The key as parsed once, offered directly (no `none` probe, no parse per connection).
      authHandler: [{ type: 'publickey', username: spec.user, key: privateKey }],
      hostVerifier: (key) => Buffer.compare(key, expected) === 0,
      readyTimeout: 60_000,
    });
  });
}

let failed = 0;
let next = 0;
async function worker() {
  while (next < spec.targets.length) {
    const target = spec.targets[next++];
    await one(target).catch((error) => {
      failed++;
      process.stderr.write(`${target.host}:${target.port}: ${error.message}\n`);
    });
  }
}
await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.targets.length) }, worker));
process.exitCode = failed > 0 ? 1 : 0;
