/**
 * Shell quoting (src/core/shell.ts): POSIX words round-trip through `sh`, PowerShell words through
 * PowerShell's single-quoted string rules, and {@link ShellCommand} renders each value as one word.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { powershellQuote, RawShellText, ShellCommand, shellDialectOf, shellJoin, shellQuote, commandFor } from '../../src/core/shell.ts';
import { Sensitive } from '../../src/core/result.ts';

const noNul = fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', ''));
const tag = (strings: TemplateStringsArray, ...values: ConstructorParameters<typeof ShellCommand>[1]): ShellCommand => new ShellCommand(strings, values);

/**
 * PowerShell's tokenizer for a verbatim string (about_Quoting_Rules): between single quotes
 * (ASCII or U+2018..U+201B) everything is literal, and a doubled quote is one quote.
 */
function parsePowerShellWords(line: string): string[] {
  const quote = /['\u2018\u2019\u201A\u201B]/;
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (!quote.test(line[i]!)) throw new Error(`unquoted word at ${i} in ${JSON.stringify(line)}`);
    let word = '';
    i++;
    for (;;) {
      if (i >= line.length) throw new Error('unterminated string');
      const c = line[i]!;
      if (quote.test(c)) {
        if (i + 1 < line.length && quote.test(line[i + 1]!)) {
          word += c;
          i += 2;
          continue;
        }
        i++;
        break;
      }
      word += c;
      i++;
    }
    words.push(word);
  }
  return words;
}

describe('POSIX quoting', () => {
  it('shellQuote round-trips any string through sh', () => {
    fc.assert(
      fc.property(fc.array(noNul, { minLength: 1, maxLength: 40 }), (values) => {
        const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellJoin(values)}`]);
        expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('leaves safe words bare and quotes the rest', () => {
    expect(shellQuote('abc-1.2/x')).toBe('abc-1.2/x');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('PowerShell quoting', () => {
  it('always single-quotes, doubling ASCII and typographic single quotes', () => {
    expect(powershellQuote('abc')).toBe("'abc'");
    expect(powershellQuote('1e3')).toBe("'1e3'");
    expect(powershellQuote('a,b')).toBe("'a,b'");
    expect(powershellQuote("it's")).toBe("'it''s'");
    expect(powershellQuote('\u2019x')).toBe("'\u2019\u2019x'");
    expect(powershellQuote('$(Get-Date) `n $env:PATH')).toBe("'$(Get-Date) `n $env:PATH'");
    expect(() => powershellQuote('a\0')).toThrow(/NUL/);
  });

  it('any string comes back as the same single word under PowerShell quoting rules', () => {
    fc.assert(
      fc.property(fc.array(noNul, { minLength: 1, maxLength: 10 }), (values) => {
        const line = tag`${values}`.render('powershell');
        expect(parsePowerShellWords(line)).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ShellCommand', () => {
  it('quotes each value as one word, arrays as several, raw text and nested commands as they are', () => {
    const dir = "/srv/my app's";
    const cmd = tag`mkdir -p ${dir}/releases && rm -f ${['a.log', 'b c.log']} ${new RawShellText('| wc -l')} ${tag`echo ${'$HOME'}`} ${3}`;
    expect(cmd.render('posix')).toBe(`mkdir -p '/srv/my app'\\''s'/releases && rm -f a.log 'b c.log' | wc -l echo '$HOME' 3`);
    expect(cmd.render('powershell')).toBe(`mkdir -p '/srv/my app''s'/releases && rm -f 'a.log' 'b c.log' | wc -l echo '$HOME' '3'`);
    expect(String(cmd)).toBe(cmd.render('posix'));
    expect(JSON.stringify({ cmd })).toBe(JSON.stringify({ cmd: cmd.render('posix') }));
    expect(tag`ls ${[]}`.render('posix')).toBe('ls ');
  });

  it('rejects values that are no words, naming the position (and Sensitive values: use envVars)', () => {
    expect(() => tag`a ${'x'} ${undefined as unknown as string}`).toThrow(/value \$\{2\} is undefined/);
    expect(() => tag`a ${{} as unknown as string}`).toThrow(/an object/);
    expect(() => tag`a ${new Sensitive('pw') as unknown as string}`).toThrow(/envVars/);
    expect(() => tag`a ${['ok', 'b\0']}`).toThrow(/NUL/);
    expect(() => tag`a ${Number.NaN}`).toThrow(/NaN/);
    expect(() => new ShellCommand([undefined as unknown as string], [])).toThrow(/invalid escape/);
  });

  it('picks the shell from the target transport: PowerShell on WinRM, sh elsewhere', () => {
    expect(shellDialectOf({ transport: 'winrm' })).toBe('powershell');
    expect(shellDialectOf({ transport: 'ssh' })).toBe('posix');
    const cmd = tag`echo ${"it's"}`;
    expect(commandFor(cmd, { transport: 'winrm' })).toBe("echo 'it''s'");
    expect(commandFor(cmd, { transport: 'local' })).toBe(`echo 'it'\\''s'`);
    expect(commandFor('echo as written', { transport: 'winrm' })).toBe('echo as written');
  });
});
