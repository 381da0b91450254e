/**
 * Reply parsing against replies recorded from real WinRM services by other WinRM clients
 * (test/fixtures/winrm/, see its README for source and licence), and the shape of Rivet's own
 * request envelopes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { bootstrapCommandLine, BOOTSTRAP_PS1, frame, MAX_COMMAND_LINE, STAGE1_PS1 } from '../../../src/transports/winrm/bootstrap.ts';
import { commandEnvelope, createShellEnvelope, maxSendChunk, receiveEnvelope, sendEnvelope, signalEnvelope } from '../../../src/transports/winrm/messages.ts';
import { commandIdOf, parseReply, receiveResultOf, shellIdOf, TIMED_OUT_CODE } from '../../../src/transports/winrm/reply.ts';
import { faultError } from '../../../src/transports/winrm/shell.ts';

const fixture = (path: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/winrm', path), 'utf8');

describe('recorded replies', () => {
  it('Create: ShellId from ResourceCreated (Windows with rsp:Shell, Windows without, OMI prefixes and whitespace)', () => {
    expect(shellIdOf(parseReply(fixture('masterzen-winrm/create_shell_response.xml')))).toBe('67A74734-DD32-4F10-89DE-49A060483810');
    expect(shellIdOf(parseReply(fixture('winrb-winrm/open_shell_v2.xml')))).toBe('62DE33F0-8674-43D9-B6A5-3298012CC4CD');
    const omi = parseReply(fixture('winrb-winrm/open_shell_omi.xml'));
    expect(shellIdOf(omi)).toBe('74142DC5-E14D-4FCC-86ED-63DA3EE8407E');
    expect(omi.relatesTo).toBe('uuid:C872AD16-50F1-4CD3-908B-35AED7E485B7');
  });

  it('Command: the CommandId; RelatesTo of the request', () => {
    const reply = parseReply(fixture('masterzen-winrm/command_response.xml'));
    expect(commandIdOf(reply)).toBe('1A6DEE6B-EC68-4DD6-87E9-030C0048ECC4');
    expect(reply.relatesTo).toBe('uuid:F530804C-6D02-4FA9-AE78-1997750594BA');
  });

  it('Receive: stdout and stderr while Running; Done with the exit code', () => {
    const running = receiveResultOf(parseReply(fixture('masterzen-winrm/receive_running_response.xml')));
    expect(running.done).toBe(false);
    expect(running.streams.map((s) => [s.name, s.data.toString()])).toEqual([
      ['stdout', "That's all folks!!!"],
      ['stderr', "This is stderr, I'm pretty sure!"],
    ]);
    const done = receiveResultOf(parseReply(fixture('masterzen-winrm/receive_done_123_response.xml')));
    expect(done).toEqual({ streams: [], done: true, exitCode: 123 });
  });

  it('faults: OperationTimeout (retried by the client), a WMI provider fault, an OMI fault without detail', () => {
    const timeout = parseReply(fixture('masterzen-winrm/operation_timeout_fault.xml')).fault!;
    expect(timeout).toMatchObject({ subcode: 'TimedOut', wsmanCode: TIMED_OUT_CODE });
    const wmi = parseReply(fixture('winrb-winrm/soap_fault_v1.xml')).fault!;
    expect(wmi).toEqual({ subcode: 'CannotProcessFilter', wsmanCode: '2150858778', message: 'The specified class does not exist in the given namespace.' });
    const omi = parseReply(fixture('winrb-winrm/soap_fault_omi.xml')).fault!;
    expect(omi).toEqual({ subcode: 'InternalError', wsmanCode: undefined, message: 'get-instance: instance name parameter is missing' });
    const error = faultError(wmi, 'Command', 'win1');
    expect(error.toJSON()).toMatchObject({
      kind: 'puppetlabs.tasks/command-error',
      issue_code: 'WSMAN_FAULT',
      msg: 'WinRM Command failed on win1: The specified class does not exist in the given namespace. (WSManFault 2150858778)',
      details: { operation: 'Command', subcode: 'CannotProcessFilter', wsman_code: '2150858778' },
    });
  });
});

describe("Rivet's request envelopes", () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });
  const header = { to: 'http://win1:5985/wsman', maxEnvelopeSize: 153600, operationTimeoutSeconds: 20, shellId: 'S-1' };

  it('Create: cmd resource URI, options, streams, escaped environment', () => {
    const { xml, messageId } = createShellEnvelope({ ...header, shellId: undefined }, { env: { A: `<&"'>` } });
    const env = parser.parse(xml)['s:Envelope'];
    expect(env['s:Header']['a:MessageID']).toBe(messageId);
    expect(env['s:Header']['w:ResourceURI']['#text']).toBe('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd');
    expect(env['s:Header']['w:MaxEnvelopeSize']['#text']).toBe('153600');
    expect(env['s:Header']['w:SelectorSet']).toBeUndefined();
    expect(xml).toContain('<rsp:Variable Name="A">&lt;&amp;&quot;&apos;&gt;</rsp:Variable>');
    expect(env['s:Body']['rsp:Shell']['rsp:Environment']['rsp:Variable']).toEqual({ '#text': `<&"'>`, '@_Name': 'A' });
  });

  it('Command, Send, Receive, Signal: shell selector, one Arguments element per argument, base64 stdin with End', () => {
    const body = (xml: string) => parser.parse(xml)['s:Envelope'];
    const command = body(commandEnvelope(header, 'powershell.exe', ['-a', 'b c'], { consoleModeStdin: false }).xml);
    expect(command['s:Header']['w:SelectorSet']['w:Selector']).toEqual({ '#text': 'S-1', '@_Name': 'ShellId' });
    expect(command['s:Body']['rsp:CommandLine']['rsp:Arguments']).toEqual(['-a', 'b c']);
    expect(command['s:Header']['w:OptionSet']['w:Option']).toEqual([
      { '#text': 'FALSE', '@_Name': 'WINRS_CONSOLEMODE_STDIN' },
      { '#text': 'FALSE', '@_Name': 'WINRS_SKIP_CMD_SHELL' },
    ]);
    const send = body(sendEnvelope(header, 'C-1', Buffer.from('hi'), true).xml)['s:Body']['rsp:Send']['rsp:Stream'];
    expect(send).toEqual({ '#text': 'aGk=', '@_Name': 'stdin', '@_CommandId': 'C-1', '@_End': 'true' });
    expect(body(receiveEnvelope(header, 'C-1').xml)['s:Body']['rsp:Receive']['rsp:DesiredStream']['#text']).toBe('stdout stderr');
    expect(body(signalEnvelope(header, 'C-1').xml)['s:Body']['rsp:Signal']['rsp:Code']).toBe('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate');
  });

  it('a Send chunk at the computed size stays within MaxEnvelopeSize', () => {
    const chunk = maxSendChunk(153600);
    expect(sendEnvelope(header, 'C-1', Buffer.alloc(chunk, 0xff), true).xml.length).toBeLessThanOrEqual(153600);
  });
});

describe('the PowerShell bootstrap', () => {
  it('stage 1 on the command line is far below cmd.exe\'s 8,191 characters; stage 2 and data travel on stdin', () => {
    const { command, args } = bootstrapCommandLine();
    const line = [command, ...args].join(' ');
    expect(line.length).toBeLessThan(MAX_COMMAND_LINE / 2);
    expect(Buffer.from(args.at(-1)!, 'base64').toString('utf16le')).toBe(STAGE1_PS1);
    const stdin = frame({ op: 'get', token: 't', path: 'C:\\x' }, []);
    expect(stdin.subarray(0, 17).toString()).toBe(`RIVETS${String(Buffer.byteLength(BOOTSTRAP_PS1)).padStart(10, '0')}\n`);
    expect(stdin.includes(Buffer.from('{"op":"get","token":"t","path":"C:\\\\x"}'))).toBe(true);
  });
});
