/**
 * Parsing of WS-Management replies (fast-xml-parser, namespace prefixes removed: Windows, OMI and
 * the recorded fixtures use different prefixes for the same namespaces).
 *
 * @example
 * ```ts
 * const reply = parseReply(xml);
 * if (reply.fault) throw new Error(reply.fault.message);
 * const { streams, done, exitCode } = receiveResult(reply);
 * ```
 * @module
 */
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'Stream' || name === 'Selector' || name === 'Text',
});

type Node = Record<string, unknown>;

/** A SOAP fault (MS-WSMV 2.2.4.x): SOAP code/subcode, reason and the WSManFault code and message. */
export interface WsmanFault {
  /** SOAP subcode without prefix, e.g. `TimedOut`, `InvalidSelectors`, `AccessDenied`. */
  subcode: string | undefined;
  /** The WSManFault `Code` (a decimal HRESULT-like number, e.g. 2150858793 for a timeout). */
  wsmanCode: string | undefined;
  /** The most useful human text: WSManFault message, else the SOAP reason. */
  message: string;
}

export interface Reply {
  /** The body's first element's children, keyed by local name. */
  body: Node;
  relatesTo: string | undefined;
  fault: WsmanFault | undefined;
}

/** The WSManFault code of a Receive that found no output within OperationTimeout. */
export const TIMED_OUT_CODE = '2150858793';

/** Parses one reply envelope. Throws when the text is not a SOAP envelope. */
export function parseReply(xml: string): Reply {
  const doc = parser.parse(xml) as Node;
  const env = doc['Envelope'] as Node | undefined;
  if (env === undefined || typeof env !== 'object') throw new Error('The reply is not a SOAP envelope');
  const header = (env['Header'] ?? {}) as Node;
  const body = (typeof env['Body'] === 'object' && env['Body'] !== null ? env['Body'] : {}) as Node;
  const relatesTo = textOf(header['RelatesTo']);
  const fault = body['Fault'] === undefined ? undefined : parseFault(body['Fault'] as Node);
  return { body, relatesTo, fault };
}

function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).filter((t) => t !== undefined).join(' ');
  if (typeof value === 'object') {
    const text = (value as Node)['#text'];
    return text === undefined ? undefined : String(text);
  }
  return String(value);
}

function parseFault(fault: Node): WsmanFault {
  const code = (fault['Code'] ?? {}) as Node;
  const subcodeText = textOf(((code['Subcode'] ?? {}) as Node)['Value']);
  const subcode = subcodeText?.replace(/^.*:/, '');
  const reason = textOf(((fault['Reason'] ?? {}) as Node)['Text']);
  const detail = (fault['Detail'] ?? {}) as Node;
  const wsmanFault = detail['WSManFault'] as Node | undefined;
  const wsmanCode = wsmanFault?.['@_Code'] === undefined ? undefined : String(wsmanFault['@_Code']);
  const message = wsmanFault === undefined ? undefined : faultMessage(wsmanFault['Message']);
  return { subcode, wsmanCode, message: (message ?? reason ?? 'unknown WS-Management fault').replace(/\s+/g, ' ').trim() };
}

/** A WSManFault's message: text, or the innermost message of a provider's nested fault. */
function faultMessage(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return textOf(message);
  const node = message as Node;
  const provider = node['ProviderFault'] as Node | undefined;
  if (provider !== undefined && typeof provider === 'object') {
    const inner = provider['WSManFault'] as Node | undefined;
    return (inner ? faultMessage(inner['Message']) : undefined) ?? textOf(provider);
  }
  return textOf(node);
}

/** The ShellId of a Create reply (`ResourceCreated` selector, or `rsp:Shell/ShellId`). */
export function shellIdOf(reply: Reply): string {
  const created = reply.body['ResourceCreated'] as Node | undefined;
  const selectors = (((created?.['ReferenceParameters'] as Node | undefined)?.['SelectorSet'] as Node | undefined)?.['Selector'] ?? []) as Node[];
  const fromSelector = selectors.find((s) => s['@_Name'] === 'ShellId');
  const id = textOf(fromSelector) ?? textOf((reply.body['Shell'] as Node | undefined)?.['ShellId']);
  if (id === undefined || id === '') throw new Error('The Create reply has no ShellId');
  return id;
}

/** The CommandId of a Command reply. */
export function commandIdOf(reply: Reply): string {
  const id = textOf((reply.body['CommandResponse'] as Node | undefined)?.['CommandId']);
  if (id === undefined || id === '') throw new Error('The Command reply has no CommandId');
  return id;
}

export interface ReceiveResult {
  /** Decoded chunks in document order. */
  streams: Array<{ name: 'stdout' | 'stderr'; data: Buffer; end: boolean }>;
  done: boolean;
  exitCode: number | undefined;
}

/** Streams, command state and exit code of a Receive reply. */
export function receiveResultOf(reply: Reply): ReceiveResult {
  const response = (reply.body['ReceiveResponse'] ?? {}) as Node;
  const streams: ReceiveResult['streams'] = [];
  for (const s of (response['Stream'] ?? []) as Array<Node | string>) {
    const node: Node = typeof s === 'string' ? { '#text': s } : s;
    const name = node['@_Name'];
    if (name !== 'stdout' && name !== 'stderr') continue;
    const text = textOf(node) ?? '';
    streams.push({ name, data: Buffer.from(text, 'base64'), end: String(node['@_End'] ?? '').toLowerCase() === 'true' });
  }
  const state = response['CommandState'] as Node | undefined;
  const done = typeof state?.['@_State'] === 'string' && (state['@_State'] as string).endsWith('/Done');
  const exit = textOf(state?.['ExitCode']);
  const exitCode = exit === undefined || exit === '' || !Number.isFinite(Number(exit)) ? undefined : Number(exit);
  return { streams, done, exitCode };
}
