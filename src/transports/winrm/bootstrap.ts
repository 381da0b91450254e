/**
 * How Rivet runs anything but a bare WinRS command on Windows: a small fixed PowerShell bootstrap
 * goes on the command line (`powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass
 * -EncodedCommand <base64 UTF-16LE>`, about 5,000 characters, under cmd's 8,191), and everything
 * else travels on stdin as data: a header (JSON: the operation, env, file sizes) followed by the
 * files' bytes and then the program's own stdin. The bootstrap never evaluates anything it reads:
 * scripts, parameters and env values are data, so no size limit of the command line applies and
 * no secret reaches a command line.
 *
 * Operations: `run` (make a private temp dir, write files, start a program with the env, pass the
 * rest of stdin to it, exit with its code, remove the dir), `unpack` (files into a new temp dir,
 * print its path), `put` (upload with Bolt's move semantics), `get` (download as a framed stream),
 * `kill` (taskkill /T of a process tree, confirmed).
 *
 * First line on stderr is `RIVET_PID:<pid>[:<temp dir>]` (for `kill` and its clean-up); a setup
 * failure is `RIVET_<token>_ERROR:<ISSUE_CODE>:<message>` on stderr with exit code 125.
 *
 * @example
 * ```ts
 * const { command, args } = bootstrapCommandLine();
 * const stdin = frame({ op: 'run', token, program: { kind: 'cmd', command: 'ver' } }, []);
 * ```
 * @module
 */

/** Marks the stdin format; bumped when the header changes. */
export const FRAME_MAGIC = 'RIVET1';

export type Program =
  /** A cmd.exe command line (`cmd.exe /d /s /c "<command>"`). */
  | { kind: 'cmd'; command: string }
  /** A file in the temp dir, run by extension or with an interpreter. */
  | { kind: 'file'; path: string; args: readonly string[]; interpreter?: readonly string[] | undefined }
  /** A .ps1 file whose declared parameters are splatted from the JSON on stdin (input_method powershell). */
  | { kind: 'splat'; path: string };

export interface FramedFile {
  /** Relative path ('/'-separated) inside the temp dir or upload. */
  path: string;
  size: number;
  /** POSIX mode bits of the source (kept where the target has modes; ignored by Windows). */
  mode?: number | undefined;
}

export type Header =
  | {
      op: 'run';
      token: string;
      /** Parent of the private temp dir; default `[IO.Path]::GetTempPath()`. */
      tmpdir?: string | undefined;
      /** An existing dir (from `unpack`) to run in, instead of a new one. */
      dir?: string | undefined;
      cleanup: boolean;
      files: FramedFile[];
      program: Program;
      env: Record<string, string>;
    }
  | { op: 'unpack'; token: string; tmpdir?: string | undefined; files: FramedFile[]; dirs: string[] }
  | { op: 'put'; token: string; dest: string; name: string; isDir: boolean; files: FramedFile[]; dirs: string[]; tmpdir?: string | undefined }
  | { op: 'get'; token: string; path: string }
  | { op: 'kill'; token: string; pid: number; dir?: string | undefined };

/** Marks the second stage (the bootstrap script itself) on stdin. */
export const STAGE2_MAGIC = 'RIVETS';

function framed(magic: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${magic}${String(body.length).padStart(10, '0')}\n`, 'ascii'), body]);
}

/**
 * The stdin of a bootstrap run: the bootstrap script (stage 2), the header, then the bytes that
 * follow (files, then the program's stdin).
 */
export function frame(header: Header, payload: readonly Buffer[]): Buffer {
  return Buffer.concat([framed(STAGE2_MAGIC, Buffer.from(BOOTSTRAP_PS1, 'utf8')), framed(FRAME_MAGIC, Buffer.from(JSON.stringify(header), 'utf8')), ...payload]);
}

/**
 * Stage 1, the only thing on the command line: reads the framed stage 2 from stdin and runs it.
 * Encoded, it is about 1,000 characters.
 */
export const STAGE1_PS1 =
  "$rivet='stage1';$i=[Console]::OpenStandardInput();function R([int]$n){$b=New-Object byte[] $n;$o=0;while($o -lt $n){$r=$i.Read($b,$o,$n-$o);if($r -le 0){exit 124};$o+=$r};,$b}" +
  ";$p=[Text.Encoding]::ASCII.GetString((R 17));if(-not $p.StartsWith('RIVETS')){exit 124}" +
  ';. ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString((R ([int]$p.Substring(6,10))))))';

/**
 * The bootstrap (PowerShell 3+). It reads exact byte counts from the raw stdin stream, so what it
 * does not read stays in the pipe for the program it starts (which inherits the handle).
 */
export const BOOTSTRAP_PS1 = String.raw`# rivet-bootstrap v1
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$in = $i
function Read-Exact([long]$n) {
  $buf = New-Object byte[] $n; $o = 0
  while ($o -lt $n) { $r = $in.Read($buf, $o, $n - $o); if ($r -le 0) { throw 'stdin ended early' }; $o += $r }
  ,$buf
}
function Copy-Exact([long]$n, [IO.Stream]$to) {
  $buf = New-Object byte[] 65536
  while ($n -gt 0) { $r = $in.Read($buf, 0, [Math]::Min($n, 65536)); if ($r -le 0) { throw 'stdin ended early' }; $to.Write($buf, 0, $r); $n -= $r }
}
$pre = [Text.Encoding]::ASCII.GetString((Read-Exact 17))
if (-not $pre.StartsWith('RIVET1')) { exit 124 }
$h = [Text.Encoding]::UTF8.GetString((Read-Exact ([long]$pre.Substring(6, 10)))) | ConvertFrom-Json
function Say-Pid($dir) { [Console]::Error.WriteLine("RIVET_PID:$PID" + $(if ($dir) { ":$dir" } else { '' })) }
function Fail([string]$code, [string]$msg) { [Console]::Error.WriteLine("RIVET_$($h.token)_ERROR:$($code):$msg"); exit 125 }
function New-TempDir($parent) {
  if (-not $parent) { $parent = [IO.Path]::GetTempPath() }
  if (-not (Test-Path -LiteralPath $parent -PathType Container)) { Fail 'TMPDIR_ERROR' "Could not make a temp dir in $($parent): it does not exist" }
  try { (New-Item -ItemType Directory -Path (Join-Path $parent ('rivet-' + [guid]::NewGuid().ToString('N')))).FullName } catch { Fail 'TMPDIR_ERROR' "Could not make a temp dir in $($parent): $_" }
}
function Write-Files($dir, $files, $dirs) {
  foreach ($d in @($dirs)) { if ($d) { [void](New-Item -ItemType Directory -Force -Path (Join-Path $dir $d)) } }
  foreach ($f in @($h.files)) {
    $p = Join-Path $dir $f.path; [void](New-Item -ItemType Directory -Force -Path (Split-Path -Parent $p))
    try { $s = [IO.File]::Open($p, 'Create', 'Write'); try { Copy-Exact $f.size $s } finally { $s.Close() } } catch { Fail 'WRITE_ERROR' "Could not write $($p): $_" }
  }
}
function Quote-Arg([string]$a) {
  if ($a -ne '' -and $a -notmatch '[\s"]') { return $a }
  '"' + ($a -replace '(\\*)"', '$1$1\"' -replace '(\\+)$', '$1$1') + '"'
}
function Start-Program([string]$exe, [string[]]$argv, $dir) {
  $psi = New-Object Diagnostics.ProcessStartInfo
  $psi.FileName = $exe; $psi.Arguments = (@($argv | ForEach-Object { Quote-Arg $_ }) -join ' ')
  $psi.UseShellExecute = $false; if ($dir) { $psi.WorkingDirectory = $dir }
  foreach ($e in @($h.env.PSObject.Properties)) { $psi.EnvironmentVariables[$e.Name] = [string]$e.Value }
  $p = [Diagnostics.Process]::Start($psi); $p.WaitForExit(); $p.ExitCode
}
$ps = Join-Path $PSHOME 'powershell.exe'
$psArgs = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass')
switch ($h.op) {
  'run' {
    $pr = $h.program; $dir = $h.dir
    if (-not $dir -and $pr.kind -ne 'cmd') { $dir = New-TempDir $h.tmpdir; Say-Pid $dir; Write-Files $dir $h.files @() } else { Say-Pid $null }
    try {
      switch ($pr.kind) {
        'cmd' { $psi = New-Object Diagnostics.ProcessStartInfo; $code = 0
          $psi.FileName = "$env:ComSpec"; $psi.Arguments = '/d /s /c "' + $pr.command + '"'; $psi.UseShellExecute = $false
          foreach ($e in @($h.env.PSObject.Properties)) { $psi.EnvironmentVariables[$e.Name] = [string]$e.Value }
          $p = [Diagnostics.Process]::Start($psi); $p.WaitForExit(); $code = $p.ExitCode }
        'file' {
          $path = Join-Path $dir $pr.path; $argv = @($pr.args)
          if ($pr.interpreter) { $i = @($pr.interpreter); $code = Start-Program $i[0] (@($i | Select-Object -Skip 1) + $path + $argv) $dir }
          elseif ($path -like '*.ps1') { $code = Start-Program $ps ($psArgs + '-File' + $path + $argv) $dir }
          elseif ($path -like '*.exe') { $code = Start-Program $path $argv $dir }
          else { $code = Start-Program "$env:ComSpec" (@('/d', '/c', $path) + $argv) $dir } }
        'splat' {
          $path = Join-Path $dir $pr.path
          $s = '$p = [Console]::In.ReadToEnd() | ConvertFrom-Json; $d = (Get-Command -Name ' + "'" + ($path -replace "'", "''") + "'" + ').Parameters.Keys; $a = @{}; foreach ($x in $p.PSObject.Properties) { if ($d -contains $x.Name) { $a[$x.Name] = $x.Value } }; & ' + "'" + ($path -replace "'", "''") + "'" + ' @a; if ($LASTEXITCODE) { exit $LASTEXITCODE }; if (-not $?) { exit 1 }'
          $code = Start-Program $ps ($psArgs + '-EncodedCommand' + [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($s))) $dir }
      }
    } finally { if ($h.cleanup -and $dir) { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue } }
    exit $code
  }
  'unpack' { Say-Pid $null; $dir = New-TempDir $h.tmpdir; Write-Files $dir $h.files $h.dirs; [Console]::Out.Write($dir); exit 0 }
  'put' {
    $dir = New-TempDir $h.tmpdir; Say-Pid $dir
    try {
      $root = Join-Path $dir $h.name
      if ($h.isDir) { [void](New-Item -ItemType Directory -Force -Path $root); Write-Files $root $h.files $h.dirs } else { Write-Files $dir $h.files @() }
      try { Move-Item -LiteralPath $root -Destination $h.dest -Force } catch { Fail 'MV_ERROR' "Could not move temporary file '$root' to $($h.dest): $_" }
    } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    exit 0
  }
  'get' {
    Say-Pid $null
    if (-not (Test-Path -LiteralPath $h.path)) { Fail 'COPY_ERROR' "$($h.path) does not exist" }
    $out = [Console]::OpenStandardOutput(); $item = Get-Item -LiteralPath $h.path -Force
    $items = if ($item.PSIsContainer) { @($item) + @(Get-ChildItem -LiteralPath $h.path -Recurse -Force) } else { @($item) }
    $base = $item.FullName.TrimEnd('\')
    foreach ($it in $items) {
      $rel = if ($it.FullName -eq $base) { '' } else { $it.FullName.Substring($base.Length + 1).Replace('\', '/') }
      if ($it.PSIsContainer) { $line = ConvertTo-Json -Compress @{ path = $rel; type = 'dir'; size = 0 } }
      else { $line = ConvertTo-Json -Compress @{ path = $rel; type = 'file'; size = $it.Length } }
      $b = [Text.Encoding]::UTF8.GetBytes($line + "` + '`n' + String.raw`"); $out.Write($b, 0, $b.Length)
      if (-not $it.PSIsContainer) { $s = [IO.File]::OpenRead($it.FullName); try { $s.CopyTo($out) } finally { $s.Close() } }
    }
    $out.Flush(); exit 0
  }
  'kill' {
    Say-Pid $null
    & "$env:SystemRoot\System32\taskkill.exe" /F /T /PID $h.pid 2>&1 | Out-Null
    for ($n = 0; $n -lt 100 -and (Get-Process -Id $h.pid -ErrorAction SilentlyContinue); $n++) { Start-Sleep -Milliseconds 100 }
    if ($h.dir) { Remove-Item -LiteralPath $h.dir -Recurse -Force -ErrorAction SilentlyContinue }
    if (Get-Process -Id $h.pid -ErrorAction SilentlyContinue) { exit 1 }; exit 0
  }
}
exit 124
`;

/** `powershell.exe` and its arguments for the bootstrap (the encoded command is UTF-16LE base64). */
export function bootstrapCommandLine(script: string = STAGE1_PS1): { command: string; args: string[] } {
  return {
    command: 'powershell.exe',
    args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(script, 'utf16le').toString('base64')],
  };
}

/** cmd.exe's limit on a command line (Microsoft KB 830473). */
export const MAX_COMMAND_LINE = 8191;
