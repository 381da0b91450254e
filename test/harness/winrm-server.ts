/**
 * A WinRM (WS-Management / WinRS) protocol test server, for tests and for pointing any WinRM
 * client at (`npm run winrm-test-server -- --port PORT --user USER --password PASSWORD
 * [--encryption required|optional]`).
 *
 * - Auth: Basic, and NTLM (`Authorization: Negotiate <raw NTLMSSP>`) through Rivet's
 *   `NtlmAcceptor`, with one context per TCP connection as on Windows.
 * - Message encryption (`multipart/encrypted`, HTTP-SPNEGO-session-encrypted); `encryption:
 *   'required'` is Windows' default `AllowUnencrypted=false`: plaintext SOAP over HTTP (and so
 *   Basic over HTTP) is refused with 401. `optional` accepts both.
 * - Shell flow: Create (cmd shell, Environment, WorkingDirectory), Command, Send (End closes
 *   stdin), Receive (long-polls up to OperationTimeout, then the `w:TimedOut` fault, code
 *   2150858793), Signal terminate (kills the command's process group), Delete; RelatesTo echoes
 *   MessageID; unknown shells are an InvalidSelectors fault (2150858843); requests larger than
 *   `maxEnvelopeSizeKb` are refused; replies honour the request's MaxEnvelopeSize.
 * - Execution: /bin/sh stands in for cmd.exe (`<Command> <Arguments...>` run by `sh -c`).
 *   `powershell.exe -EncodedCommand X`: when X is Rivet's stage-1 bootstrap, the stand-in
 *   `winrm-powershell-standin.mjs` carries out the bootstrap's data protocol with Linux
 *   equivalents (it does not run PowerShell: none is installable here); when `pwsh` is on PATH,
 *   any other encoded command runs in it; otherwise it is a fault.
 *
 * @example
 * ```ts
 * const server = await startWinrmTestServer({ user: 'vagrant', password: 'vagrant' });
 * // ... http://127.0.0.1:${server.port}/wsman
 * await server.stop();
 * ```
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { decryptMessage, encryptMessage, isEncryptedContentType, NtlmAcceptor, type NtlmSession } from '../../src/transports/winrm/ntlm/index.ts';

export interface WinrmTestServerOptions {
  user: string;
  password: string;
  /** `required` (default) = AllowUnencrypted=false; `optional` = AllowUnencrypted=true. */
  encryption?: 'required' | 'optional';
  port?: number;
  host?: string;
  /** The service's MaxEnvelopeSizekb: larger requests are refused (default 500). */
  maxEnvelopeSizeKb?: number;
  /** Caps every Receive's OperationTimeout (ms), to make TimedOut faults quick in tests. */
  maxOperationTimeoutMs?: number;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Log each request's action to stderr. */
  verbose?: boolean;
}

export interface WinrmServerStats {
  connections: number;
  requests: number;
  encryptedRequests: number;
  plaintextRequests: number;
  ntlmHandshakes: number;
  timedOutFaults: number;
  signals: number;
  actions: string[];
}

export interface TestWinrmServer {
  port: number;
  url: string;
  stats: WinrmServerStats;
  stop(): Promise<void>;
}

const STANDIN = fileURLToPath(new URL('./winrm-powershell-standin.mjs', import.meta.url));
const RSP = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';
const TIMED_OUT = '2150858793';

interface Command {
  id: string;
  child: ChildProcess;
  out: Array<{ name: 'stdout' | 'stderr'; data: Buffer }>;
  stdoutEnded: boolean;
  stderrEnded: boolean;
  exitCode: number | undefined;
  waiters: Set<() => void>;
}
interface Shell {
  id: string;
  env: Record<string, string>;
  cwd: string | undefined;
  commands: Map<string, Command>;
}
interface ConnState {
  acceptor?: NtlmAcceptor;
  session?: NtlmSession;
  user?: string;
}

class Fault extends Error {
  constructor(
    readonly subcode: string,
    readonly wsmanCode: string,
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false, trimValues: true, isArray: (n) => n === 'Arguments' || n === 'Variable' || n === 'Option' || n === 'Stream' });
const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
const hasPwsh = (): boolean => spawnSync('sh', ['-c', 'command -v pwsh'], { stdio: 'ignore' }).status === 0;

export async function startWinrmTestServer(options: WinrmTestServerOptions): Promise<TestWinrmServer> {
  const encryption = options.encryption ?? 'required';
  const maxRequest = (options.maxEnvelopeSizeKb ?? 500) * 1024;
  const secure = options.tls !== undefined;
  const shells = new Map<string, Shell>();
  const conns = new WeakMap<Socket, ConnState>();
  const stats: WinrmServerStats = { connections: 0, requests: 0, encryptedRequests: 0, plaintextRequests: 0, ntlmHandshakes: 0, timedOutFaults: 0, signals: 0, actions: [] };
  const sockets = new Set<Socket>();
  const pwsh = hasPwsh();

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 16 * 1024 * 1024) chunks.push(c); // beyond that the request is refused anyway
    });
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks), size).catch((error: Error) => {
        if (options.verbose) process.stderr.write(`[winrm-test-server] error: ${error.stack ?? error.message}\n`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`test server error: ${error.message}`);
      });
    });
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, size: number): Promise<void> {
    const socket = req.socket;
    let conn = conns.get(socket);
    if (conn === undefined) {
      conn = {};
      conns.set(socket, conn);
    }
    const authz = String(req.headers.authorization ?? '');
    const challenge = (extra: Record<string, string> = {}): void => {
      res.writeHead(401, { 'WWW-Authenticate': ['Negotiate', 'Basic realm="WSMAN"'], 'Content-Length': '0', ...extra });
      res.end();
    };
    let authenticated = conn.session !== undefined;
    if (/^Basic /i.test(authz)) {
      const [user, ...rest] = Buffer.from(authz.slice(6), 'base64').toString('utf8').split(':');
      if (user !== options.user || rest.join(':') !== options.password) return challenge();
      authenticated = true;
    } else if (/^(Negotiate|NTLM) /i.test(authz)) {
      const token = Buffer.from(authz.replace(/^\S+\s+/, ''), 'base64');
      const type = token.length >= 12 ? token.readUInt32LE(8) : 0;
      if (type === 1) {
        conn.acceptor = new NtlmAcceptor((user) => (user.toLowerCase() === options.user.toLowerCase() ? options.password : undefined));
        conn.session = undefined;
        const reply = conn.acceptor.challenge(token);
        res.writeHead(401, { 'WWW-Authenticate': `Negotiate ${reply.toString('base64')}`, 'Content-Length': '0' });
        return void res.end();
      }
      if (type === 3 && conn.acceptor !== undefined) {
        try {
          const accepted = conn.acceptor.accept(token);
          conn.session = accepted.session;
          conn.user = accepted.user;
          stats.ntlmHandshakes++;
        } catch {
          conn.acceptor = undefined;
          return challenge();
        }
        authenticated = true;
      } else return challenge();
    }
    if (!authenticated) return challenge();
    if (size === 0) {
      res.writeHead(200, { 'Content-Length': '0' });
      return void res.end();
    }
    const type = String(req.headers['content-type'] ?? '');
    const encrypted = isEncryptedContentType(type);
    let soap: Buffer;
    if (encrypted) {
      if (conn.session === undefined) return challenge();
      try {
        soap = decryptMessage(conn.session, body, type);
      } catch {
        conn.session = undefined;
        return challenge();
      }
      stats.encryptedRequests++;
    } else {
      if (encryption === 'required' && !secure) {
        // AllowUnencrypted=false: Windows refuses plaintext SOAP over HTTP.
        res.writeHead(401, { 'Content-Length': '0' });
        return void res.end();
      }
      soap = body;
      stats.plaintextRequests++;
    }
    stats.requests++;
    let replyXml: string;
    let status = 200;
    let messageId = '';
    try {
      if (size > maxRequest) throw new Fault('EncodingLimit', '2150858817', 'The WS-Management service cannot process the request because the request envelope is larger than MaxEnvelopeSizekb.');
      const doc = parser.parse(soap.toString('utf8'));
      const env = doc.Envelope;
      if (!env?.Header) throw new Fault('InvalidMessageInformationHeader', '2150858817', 'Not a SOAP envelope');
      const header = env.Header;
      messageId = text(header.MessageID);
      const action = text(header.Action);
      if (!messageId || !action || !text(header.ResourceURI)) throw new Fault('InvalidMessageInformationHeader', '2150858817', 'Missing MessageID, Action or ResourceURI');
      stats.actions.push(action.replace(/^.*\//, ''));
      if (options.verbose) process.stderr.write(`[winrm-test-server] ${action.replace(/^.*\//, '')}\n`);
      const maxReply = Number(text(header.MaxEnvelopeSize) || 153600);
      const timeoutMs = Math.min(parseDuration(text(header.OperationTimeout)) ?? 60_000, options.maxOperationTimeoutMs ?? Infinity);
      const shellId = selector(header);
      replyXml = await dispatch(action, env.Body ?? {}, shellId, maxReply, timeoutMs, messageId);
    } catch (error) {
      if (!(error instanceof Fault)) throw error;
      if (error.wsmanCode === TIMED_OUT) stats.timedOutFaults++;
      status = error.status;
      replyXml = faultXml(error, messageId);
    }
    const plain = Buffer.from(replyXml, 'utf8');
    if (encrypted && conn.session) {
      const { body: out, contentType } = encryptMessage(conn.session, plain);
      res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(out.length) });
      return void res.end(out);
    }
    res.writeHead(status, { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': String(plain.length) });
    res.end(plain);
  }

  async function dispatch(action: string, body: Record<string, any>, shellId: string | undefined, maxReply: number, timeoutMs: number, messageId: string): Promise<string> {
    const op = action.replace(/^.*\//, '');
    if (op === 'Create') {
      const shellNode = body.Shell ?? {};
      const env: Record<string, string> = {};
      for (const v of shellNode.Environment?.Variable ?? []) env[String(v['@_Name'])] = text(v);
      const id = randomUUID().toUpperCase();
      shells.set(id, { id, env, cwd: text(shellNode.WorkingDirectory) || undefined, commands: new Map() });
      return envelope(
        'http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse',
        messageId,
        `<x:ResourceCreated><a:Address>${xmlEscape(`http://127.0.0.1/wsman`)}</a:Address><a:ReferenceParameters><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">${id}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` +
          `<rsp:Shell><rsp:ShellId>${id}</rsp:ShellId><rsp:ResourceUri>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</rsp:ResourceUri><rsp:Owner>${xmlEscape(options.user)}</rsp:Owner><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`,
      );
    }
    const shell = shellId === undefined ? undefined : shells.get(shellId);
    if (shell === undefined) throw new Fault('InvalidSelectors', '2150858843', 'The request for the Windows Remote Shell with ShellId is not valid: the shell was not found.');
    if (op === 'Delete') {
      for (const c of shell.commands.values()) killGroup(c);
      shells.delete(shell.id);
      return envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse', messageId, '');
    }
    if (op === 'Command') {
      const line = body.CommandLine ?? {};
      const command = text(line.Command);
      const args: string[] = (line.Arguments ?? []).map((a: unknown) => text(a));
      const child = start(command, args, shell);
      const id = randomUUID().toUpperCase();
      const cmd: Command = { id, child, out: [], stdoutEnded: false, stderrEnded: false, exitCode: undefined, waiters: new Set() };
      const wake = (): void => {
        for (const w of cmd.waiters) w();
        cmd.waiters.clear();
      };
      child.stdout!.on('data', (d: Buffer) => (cmd.out.push({ name: 'stdout', data: d }), wake()));
      child.stderr!.on('data', (d: Buffer) => (cmd.out.push({ name: 'stderr', data: d }), wake()));
      child.stdout!.on('end', () => ((cmd.stdoutEnded = true), wake()));
      child.stderr!.on('end', () => ((cmd.stderrEnded = true), wake()));
      child.stdin!.on('error', () => {}); // a command that exits without reading stdin
      child.on('error', () => ((cmd.exitCode = 127), (cmd.stdoutEnded = cmd.stderrEnded = true), wake()));
      child.on('exit', (code, signal) => ((cmd.exitCode = code ?? 128 + (SIGNALS[signal ?? ''] ?? 1)), wake()));
      shell.commands.set(id, cmd);
      return envelope(`${RSP}/CommandResponse`, messageId, `<rsp:CommandResponse><rsp:CommandId>${id}</rsp:CommandId></rsp:CommandResponse>`);
    }
    const commandIdOf = (node: any): Command => {
      const id = String(node?.['@_CommandId'] ?? '');
      const cmd = shell.commands.get(id);
      if (cmd === undefined) throw new Fault('InvalidParameter', '2150858843', `The command ${id} was not found in shell ${shell.id}.`);
      return cmd;
    };
    if (op === 'Send') {
      for (const s of body.Send?.Stream ?? []) {
        const cmd = commandIdOf(s);
        const data = Buffer.from(text(s), 'base64');
        if (data.length > 0 && !cmd.child.stdin!.destroyed) cmd.child.stdin!.write(data);
        if (String(s['@_End'] ?? '').toLowerCase() === 'true') cmd.child.stdin!.end();
      }
      return envelope(`${RSP}/SendResponse`, messageId, '<rsp:SendResponse/>');
    }
    if (op === 'Receive') {
      const cmd = commandIdOf(body.Receive?.DesiredStream);
      const done = (): boolean => cmd.exitCode !== undefined && cmd.stdoutEnded && cmd.stderrEnded;
      if (cmd.out.length === 0 && !done()) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          cmd.waiters.add(() => (clearTimeout(timer), resolve()));
        });
      }
      if (cmd.out.length === 0 && !done()) throw new Fault('TimedOut', TIMED_OUT, 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.');
      // Output that fits in the reply (base64 + envelope within MaxEnvelopeSize).
      let room = Math.floor(((maxReply - 2048) * 3) / 4);
      const streams: string[] = [];
      while (cmd.out.length > 0 && room > 0) {
        const first = cmd.out[0]!;
        const take = first.data.subarray(0, room);
        if (take.length === first.data.length) cmd.out.shift();
        else first.data = first.data.subarray(take.length);
        room -= take.length + 200;
        streams.push(`<rsp:Stream Name="${first.name}" CommandId="${cmd.id}">${take.toString('base64')}</rsp:Stream>`);
      }
      const finished = cmd.out.length === 0 && done();
      const state = finished
        ? `<rsp:Stream Name="stdout" CommandId="${cmd.id}" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="${cmd.id}" End="true"></rsp:Stream><rsp:CommandState CommandId="${cmd.id}" State="${RSP}/CommandState/Done"><rsp:ExitCode>${cmd.exitCode}</rsp:ExitCode></rsp:CommandState>`
        : `<rsp:CommandState CommandId="${cmd.id}" State="${RSP}/CommandState/Running"></rsp:CommandState>`;
      return envelope(`${RSP}/ReceiveResponse`, messageId, `<rsp:ReceiveResponse>${streams.join('')}${state}</rsp:ReceiveResponse>`);
    }
    if (op === 'Signal') {
      const cmd = commandIdOf(body.Signal);
      stats.signals++;
      if (text(body.Signal?.Code).endsWith('/terminate') || text(body.Signal?.Code).endsWith('/ctrl_c')) killGroup(cmd);
      shell.commands.delete(cmd.id);
      return envelope(`${RSP}/SignalResponse`, messageId, '<rsp:SignalResponse/>');
    }
    throw new Fault('ActionNotSupported', '2150858771', `The action ${action} is not supported by the test server.`);
  }

  function start(command: string, args: string[], shell: Shell): ChildProcess {
    const env = { ...process.env, ...shell.env };
    const spawnOptions = { detached: true, env, cwd: shell.cwd, stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'] };
    if (/^powershell(\.exe)?$/i.test(command)) {
      const at = args.findIndex((a) => /^-enc(odedcommand)?$/i.test(a));
      if (at < 0 || args[at + 1] === undefined) throw new Fault('InternalError', '2147942402', 'The test server runs powershell.exe only with -EncodedCommand.');
      const script = Buffer.from(args[at + 1]!, 'base64').toString('utf16le');
      if (script.startsWith("$rivet='stage1';")) return spawn(process.execPath, [STANDIN], spawnOptions);
      if (pwsh) return spawn('pwsh', ['-NoProfile', '-NonInteractive', '-EncodedCommand', args[at + 1]!], spawnOptions);
      throw new Fault('InternalError', '2147942402', 'The system cannot find the file specified (the test server has no PowerShell: only Rivet\'s bootstrap is understood).');
    }
    // /bin/sh in place of cmd.exe (WINRS_SKIP_CMD_SHELL=FALSE): the command line as one string.
    return spawn('/bin/sh', ['-c', [command, ...args].join(' ')], spawnOptions);
  }

  function killGroup(cmd: Command): void {
    if (cmd.child.pid === undefined) return;
    try {
      process.kill(-cmd.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  const server = secure ? https.createServer({ key: options.tls!.key, cert: options.tls!.cert }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 120_000;
  server.on('connection', (s: Socket) => {
    stats.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  if (secure) server.on('secureConnection', () => {});
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}/wsman`,
    stats,
    async stop() {
      for (const shell of shells.values()) for (const c of shell.commands.values()) killGroup(c);
      shells.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return String((value as Record<string, unknown>)['#text'] ?? '');
  return String(value);
}

function selector(header: Record<string, any>): string | undefined {
  const sel = header.SelectorSet?.Selector;
  const list = Array.isArray(sel) ? sel : sel === undefined ? [] : [sel];
  const found = list.find((s: any) => s?.['@_Name'] === 'ShellId');
  return found === undefined ? undefined : text(found);
}

function parseDuration(value: string): number | undefined {
  const m = /^PT(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(value);
  if (!m) return undefined;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function envelope(action: string, relatesTo: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="${RSP}" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">` +
    `<s:Header><a:Action>${action}</a:Action><a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>${xmlEscape(relatesTo)}</a:RelatesTo></s:Header>` +
    `<s:Body>${body}</s:Body></s:Envelope>`
  );
}

function faultXml(fault: Fault, relatesTo: string): string {
  return envelope(
    'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
    relatesTo,
    `<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:${fault.subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">${xmlEscape(fault.message)}</s:Text></s:Reason>` +
      `<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="${fault.wsmanCode}" Machine="127.0.0.1"><f:Message>${xmlEscape(fault.message)}</f:Message></f:WSManFault></s:Detail></s:Fault>`,
  );
}

/** `npm run winrm-test-server -- --port PORT --user USER --password PASSWORD [--encryption required|optional]` */
async function main(argv: string[]): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' }, encryption: { type: 'string' }, host: { type: 'string' }, verbose: { type: 'boolean' } },
  });
  if (!values.port || !values.user || values.password === undefined) {
    process.stderr.write('usage: npm run winrm-test-server -- --port PORT --user USER --password PASSWORD [--encryption required|optional] [--host 127.0.0.1] [--verbose]\n');
    process.exit(2);
  }
  const encryption = values.encryption ?? 'required';
  if (encryption !== 'required' && encryption !== 'optional') {
    process.stderr.write(`--encryption must be required or optional, not ${encryption}\n`);
    process.exit(2);
  }
  const server = await startWinrmTestServer({ port: Number(values.port), user: values.user, password: values.password, encryption, host: values.host ?? '127.0.0.1', verbose: values.verbose ?? false });
  process.stdout.write(`WinRM test server on ${server.url} (user ${values.user}, encryption ${encryption}); Ctrl-C stops it\n`);
  const stop = (): void => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) void main(process.argv.slice(2));
