/**
 * The WinRM transport: WS-Management/WinRS on `node:http`/`node:https`, NTLMv2 with message
 * encryption (`./ntlm/`), Basic over HTTPS, and a PowerShell bootstrap that carries scripts,
 * tasks and files on stdin. Loaded by the runtime on first use.
 *
 * @example
 * ```ts
 * import { WinrmTransport } from './transports/winrm/index.ts'; // internal: the runtime loads it on first use
 * const conn = await new WinrmTransport().connect(target, { signal });
 * ```
 * @module
 */
export { WinrmTransport, resolveWinrmSettings, type WinrmSettings, type WinrmTransportOptions } from './transport.ts';
export { WinrmConnection } from './connection.ts';
export { Winrs, DEFAULT_MAX_ENVELOPE_SIZE, DEFAULT_OPERATION_TIMEOUT_S } from './shell.ts';
export { WsmanHttp, basicAuth, type HttpAuth } from './http.ts';
export { ntlmAuth } from './ntlm-auth.ts';
