// The test WinRM server's stand-in for `powershell.exe -EncodedCommand <Rivet's stage 1>`.
//
// There is no PowerShell on this machine (Debian has no package), so this does NOT run
// PowerShell. It checks that the encoded command is Rivet's stage 1 and that stage 2 on stdin is
// Rivet's bootstrap, then carries out the bootstrap's data protocol (header, files, program,
// stdin) with Linux equivalents: /bin/sh for cmd.exe, mv for Move-Item, a process-group kill for
// taskkill /T. So the tests prove the framing, the WinRS plumbing and Rivet's handling of
// results; the PowerShell text itself is checked only as text and by the live suite on Windows.
// `.ps1` files are run with /bin/sh (test tasks named .ps1 hold sh code); for `splat` (input
// method powershell) the declared `param()` names become `-Name value` arguments.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function readExact(n) {
  const buf = Buffer.alloc(n);
  let o = 0;
  while (o < n) {
    let r;
    try {
      r = readSync(0, buf, o, n - o, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      throw e;
    }
    if (r === 0) process.exit(124);
    o += r;
  }
  return buf;
}
function readFrame(magic) {
  const pre = readExact(17).toString('ascii');
  if (!pre.startsWith(magic)) process.exit(124);
  return readExact(Number(pre.slice(6, 16)));
}
function readRest() {
  const chunks = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    const r = readSync(0, buf, 0, buf.length, null);
    if (r === 0) return Buffer.concat(chunks);
    chunks.push(Buffer.from(buf.subarray(0, r)));
  }
}

const stage2 = readFrame('RIVETS').toString('utf8');
if (!stage2.startsWith('# rivet-bootstrap v1')) process.exit(124);
const h = JSON.parse(readFrame('RIVET1').toString('utf8'));
const sayPid = (dir) => writeSync(2, `RIVET_PID:${process.pid}${dir ? `:${dir}` : ''}\n`);
const fail = (code, msg) => {
  writeSync(2, `RIVET_${h.token}_ERROR:${code}:${msg}\n`);
  process.exit(125);
};
function newTempDir(parent) {
  parent = parent || tmpdir();
  if (!existsSync(parent) || !statSync(parent).isDirectory()) fail('TMPDIR_ERROR', `Could not make a temp dir in ${parent}: it does not exist`);
  try {
    return mkdtempSync(join(parent, 'rivet-'));
  } catch (e) {
    fail('TMPDIR_ERROR', `Could not make a temp dir in ${parent}: ${e.message}`);
  }
}
function writeFiles(dir, files, dirs) {
  for (const d of dirs ?? []) mkdirSync(join(dir, d), { recursive: true });
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    const fd = openSync(p, 'w');
    let left = f.size;
    const buf = Buffer.alloc(65536);
    while (left > 0) {
      const chunk = readExact(Math.min(left, buf.length));
      writeSync(fd, chunk);
      left -= chunk.length;
    }
    closeSync(fd);
    if (f.mode !== undefined) chmodSync(p, f.mode);
  }
}
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13, SIGUSR1: 10, SIGUSR2: 12, SIGABRT: 6 };
function run(argv, dir, env) {
  const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', cwd: dir, env: { ...process.env, ...env } });
  return new Promise((resolve) => {
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal] ?? 1)));
  });
}

switch (h.op) {
  case 'run': {
    const pr = h.program;
    let dir = h.dir;
    if (!dir && pr.kind !== 'cmd') {
      dir = newTempDir(h.tmpdir);
      sayPid(dir);
      writeFiles(dir, h.files, []);
    } else sayPid();
    let code;
    try {
      if (pr.kind === 'cmd') code = await run(['/bin/sh', '-c', pr.command], undefined, h.env);
      else if (pr.kind === 'file') {
        const path = join(dir, pr.path);
        const argv = pr.interpreter ? [...pr.interpreter, path, ...pr.args] : path.endsWith('.ps1') ? ['/bin/sh', path, ...pr.args] : [path, ...pr.args];
        code = await run(argv, dir, h.env);
      } else {
        const path = join(dir, pr.path);
        const params = JSON.parse(readRest().toString('utf8') || '{}');
        const block = /param\s*\(([\s\S]*?)\)\s*$/im.exec(readFileSync(path, 'utf8'))?.[1] ?? '';
        const declared = [...block.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1].toLowerCase());
        const args = Object.entries(params).filter(([k]) => declared.includes(k.toLowerCase())).flatMap(([k, v]) => [`-${k}`, typeof v === 'string' ? v : JSON.stringify(v)]);
        code = await run(['/bin/sh', path, ...args], dir, h.env);
      }
    } finally {
      if (h.cleanup && dir) rmSync(dir, { recursive: true, force: true });
    }
    process.exit(code);
  }
  case 'unpack': {
    sayPid();
    const dir = newTempDir(h.tmpdir);
    writeFiles(dir, h.files, h.dirs);
    writeSync(1, dir);
    process.exit(0);
  }
  case 'put': {
    const dir = newTempDir(h.tmpdir);
    sayPid(dir);
    try {
      const root = join(dir, h.name);
      if (h.isDir) {
        mkdirSync(root);
        writeFiles(root, h.files, h.dirs);
      } else writeFiles(dir, h.files, []);
      const mv = spawnSync('mv', ['-f', '--', root, h.dest], { encoding: 'utf8' });
      if (mv.status !== 0) fail('MV_ERROR', `Could not move temporary file '${root}' to ${h.dest}: ${mv.stderr.trim().replace(/\n/g, ' ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    process.exit(0);
  }
  case 'get': {
    sayPid();
    if (!existsSync(h.path)) fail('COPY_ERROR', `${h.path} does not exist`);
    const emit = (rel, full) => {
      const info = lstatSync(full);
      if (info.isDirectory()) {
        writeSync(1, `${JSON.stringify({ path: rel, type: 'dir', size: 0 })}\n`);
        for (const name of readdirSync(full).sort()) emit(rel === '' ? name : `${rel}/${name}`, join(full, name));
      } else {
        const data = readFileSync(full);
        writeSync(1, `${JSON.stringify({ path: rel, type: 'file', size: data.length })}\n`);
        writeSync(1, data);
      }
    };
    emit('', h.path);
    process.exit(0);
  }
  case 'kill': {
    sayPid();
    const alive = () => {
      try {
        process.kill(-h.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    try {
      process.kill(-h.pid, 'SIGKILL'); // taskkill /F /T
    } catch {}
    for (let n = 0; n < 100 && alive(); n++) await sleep(100);
    if (h.dir) rmSync(h.dir, { recursive: true, force: true });
    process.exit(alive() ? 1 : 0);
  }
  default:
    process.exit(124);
}
