/**
 * WS-Management / WinRS request envelopes (MS-WSMV 3.1.4): Create shell, Command, Send, Receive,
 * Signal, Delete. Built as text with {@link xmlEscape}: the envelopes are small and fixed in shape,
 * so a templating string builder is clearer than a generic XML builder.
 *
 * @example
 * ```ts
 * const xml = commandEnvelope(header('http://win1:5985/wsman', shellId), 'cmd', ['/c', 'ver']);
 * ```
 * @module
 */
import { randomUUID } from 'node:crypto';

export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
} as const;

export const RESOURCE_URI_CMD = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';
export const ACTION = {
  create: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  command: `${NS.rsp}/Command`,
  send: `${NS.rsp}/Send`,
  receive: `${NS.rsp}/Receive`,
  signal: `${NS.rsp}/Signal`,
} as const;
export const SIGNAL_TERMINATE = `${NS.rsp}/signal/terminate`;
export const SIGNAL_CTRL_C = `${NS.rsp}/signal/ctrl_c`;
const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';

/** Escapes text for XML element content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** What every request's header carries. */
export interface HeaderOptions {
  /** The endpoint URL (`wsa:To`). */
  to: string;
  /** `wsman:MaxEnvelopeSize`: the largest reply, in bytes. */
  maxEnvelopeSize: number;
  /** `wsman:OperationTimeout`, in seconds. */
  operationTimeoutSeconds: number;
  shellId?: string | undefined;
  /** Fresh per request unless given (tests). */
  messageId?: string | undefined;
}

export interface Envelope {
  xml: string;
  messageId: string;
}

function envelope(action: string, header: HeaderOptions, body: string, options = ''): Envelope {
  const messageId = header.messageId ?? `uuid:${randomUUID().toUpperCase()}`;
  const selector = header.shellId === undefined ? '' : `<w:SelectorSet><w:Selector Name="ShellId">${xmlEscape(header.shellId)}</w:Selector></w:SelectorSet>`;
  const xml =
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:p="${NS.p}" xmlns:rsp="${NS.rsp}">` +
    `<s:Header>` +
    `<a:To>${xmlEscape(header.to)}</a:To>` +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">${ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<a:Action s:mustUnderstand="true">${action}</a:Action>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<w:ResourceURI s:mustUnderstand="true">${RESOURCE_URI_CMD}</w:ResourceURI>` +
    `<w:MaxEnvelopeSize s:mustUnderstand="true">${header.maxEnvelopeSize}</w:MaxEnvelopeSize>` +
    `<w:OperationTimeout>PT${header.operationTimeoutSeconds}S</w:OperationTimeout>` +
    `<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>` +
    `<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>` +
    selector +
    options +
    `</s:Header>` +
    `<s:Body>${body}</s:Body>` +
    `</s:Envelope>`;
  return { xml, messageId };
}

function optionSet(options: Readonly<Record<string, string>>): string {
  const items = Object.entries(options)
    .map(([name, value]) => `<w:Option Name="${xmlEscape(name)}">${xmlEscape(value)}</w:Option>`)
    .join('');
  return `<w:OptionSet>${items}</w:OptionSet>`;
}

export interface CreateShellOptions {
  /** `WINRS_CODEPAGE`: 65001 (UTF-8) by default. */
  codepage?: number;
  noProfile?: boolean;
  workingDirectory?: string | undefined;
  /** Environment of every process in the shell (`rsp:Environment`). */
  env?: Readonly<Record<string, string>> | undefined;
  /** `rsp:IdleTimeOut`, seconds. */
  idleTimeoutSeconds?: number | undefined;
}

/** Transfer Create of a cmd shell with stdin and stdout/stderr streams (MS-WSMV 3.1.4.5). */
export function createShellEnvelope(header: HeaderOptions, options: CreateShellOptions = {}): Envelope {
  const env = options.env && Object.keys(options.env).length > 0
    ? `<rsp:Environment>${Object.entries(options.env).map(([k, v]) => `<rsp:Variable Name="${xmlEscape(k)}">${xmlEscape(v)}</rsp:Variable>`).join('')}</rsp:Environment>`
    : '';
  const cwd = options.workingDirectory === undefined ? '' : `<rsp:WorkingDirectory>${xmlEscape(options.workingDirectory)}</rsp:WorkingDirectory>`;
  const idle = options.idleTimeoutSeconds === undefined ? '' : `<rsp:IdleTimeOut>PT${options.idleTimeoutSeconds}S</rsp:IdleTimeOut>`;
  const body = `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>${cwd}${env}${idle}</rsp:Shell>`;
  const opts = optionSet({ WINRS_NOPROFILE: options.noProfile === false ? 'FALSE' : 'TRUE', WINRS_CODEPAGE: String(options.codepage ?? 65001) });
  return envelope(ACTION.create, { ...header, shellId: undefined }, body, opts);
}

/** Command (MS-WSMV 3.1.4.11): runs `command` with one `rsp:Arguments` element per argument. */
export function commandEnvelope(header: HeaderOptions, command: string, args: readonly string[] = [], options: { skipCmdShell?: boolean; consoleModeStdin?: boolean | undefined } = {}): Envelope {
  const argsXml = args.map((a) => `<rsp:Arguments>${xmlEscape(a)}</rsp:Arguments>`).join('');
  const body = `<rsp:CommandLine><rsp:Command>${xmlEscape(command)}</rsp:Command>${argsXml}</rsp:CommandLine>`;
  const opts = optionSet({ WINRS_CONSOLEMODE_STDIN: options.consoleModeStdin === false ? 'FALSE' : 'TRUE', WINRS_SKIP_CMD_SHELL: options.skipCmdShell ? 'TRUE' : 'FALSE' });
  return envelope(ACTION.command, header, body, opts);
}

/** Send (MS-WSMV 3.1.4.13): one chunk of stdin; `end` closes the command's stdin. */
export function sendEnvelope(header: HeaderOptions, commandId: string, data: Buffer, end: boolean): Envelope {
  const endAttr = end ? ' End="true"' : '';
  const body = `<rsp:Send><rsp:Stream Name="stdin" CommandId="${xmlEscape(commandId)}"${endAttr}>${data.toString('base64')}</rsp:Stream></rsp:Send>`;
  return envelope(ACTION.send, header, body);
}

/** Receive (MS-WSMV 3.1.4.14) of stdout and stderr of one command. */
export function receiveEnvelope(header: HeaderOptions, commandId: string): Envelope {
  const body = `<rsp:Receive><rsp:DesiredStream CommandId="${xmlEscape(commandId)}">stdout stderr</rsp:DesiredStream></rsp:Receive>`;
  return envelope(ACTION.receive, header, body, optionSet({ WSMAN_CMDSHELL_OPTION_KEEPALIVE: 'TRUE' }));
}

/** Signal (MS-WSMV 3.1.4.12): `terminate` (default) or `ctrl_c`. */
export function signalEnvelope(header: HeaderOptions, commandId: string, code: string = SIGNAL_TERMINATE): Envelope {
  const body = `<rsp:Signal CommandId="${xmlEscape(commandId)}"><rsp:Code>${code}</rsp:Code></rsp:Signal>`;
  return envelope(ACTION.signal, header, body);
}

/** Transfer Delete of the shell. */
export function deleteShellEnvelope(header: HeaderOptions): Envelope {
  return envelope(ACTION.delete, header, '');
}

/**
 * Bytes of a Send envelope around `n` raw stdin bytes, so a chunk plus its envelope stays within a
 * limit: base64 grows data by 4/3, and the envelope (with ids) is under 2 KiB.
 */
export function maxSendChunk(maxEnvelopeSize: number): number {
  const room = maxEnvelopeSize - 4096;
  return Math.max(1024, Math.floor((room * 3) / 4 / 3) * 3);
}
