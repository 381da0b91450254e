// Per-construct tests of the Puppet-language parser: each states the AST Puppet's own grammar
// (egrammar.ra) and lexer (lexer2.rb) give for the construct.
import { describe, expect, it } from 'vitest';
import { parsePuppet } from '../../src/puppet-lang/index.ts';
import { bin, block, body, call, name, num, one, str, strip, type, v, value } from './helpers.ts';

describe('plan definitions', () => {
  it('reads the name, typed parameters with defaults (type source kept) and the body', () => {
    const src = `plan mymod::deploy(
  TargetSpec $targets,
  Optional[String[1]] $version = undef,
  Integer $count = 3,
  $untyped,
) {
  return $count
}`;
    expect(one(src)).toEqual({
      kind: 'PlanDefinition',
      name: 'mymod::deploy',
      params: [
        { kind: 'Parameter', name: 'targets', type: type('TargetSpec'), typeSource: 'TargetSpec', capturesRest: false },
        {
          kind: 'Parameter',
          name: 'version',
          type: { kind: 'AccessExpression', target: type('Optional'), keys: [{ kind: 'AccessExpression', target: type('String'), keys: [num(1)] }] },
          typeSource: 'Optional[String[1]]',
          defaultValue: { kind: 'UndefLiteral' },
          capturesRest: false,
        },
        { kind: 'Parameter', name: 'count', type: type('Integer'), typeSource: 'Integer', defaultValue: num(3), capturesRest: false },
        { kind: 'Parameter', name: 'untyped', capturesRest: false },
      ],
      body: block({ kind: 'CallFunction', callee: name('return'), name: 'return', args: [v('count')], parens: false }),
    });
  });

  it('takes a plan without a parameter list, and one with ()', () => {
    expect(one('plan a { }')).toEqual({ kind: 'PlanDefinition', name: 'a', params: [], body: block() });
    expect(one('plan a() { }')).toEqual({ kind: 'PlanDefinition', name: 'a', params: [], body: block() });
  });

  it('gives the plan, its name and parameters source positions', () => {
    const [plan] = body('# c\nplan  p::q(\n  String $s\n) {\n}\n');
    expect(plan?.kind).toBe('PlanDefinition');
    if (plan?.kind !== 'PlanDefinition') return;
    expect(plan.loc).toMatchObject({ file: 'test.pp', line: 2, column: 1, endLine: 5, endColumn: 2, start: 4 });
    expect(plan.nameLoc).toMatchObject({ line: 2, column: 7, endColumn: 11 });
    expect(plan.params[0]?.loc).toMatchObject({ line: 3, column: 3, endLine: 3, endColumn: 12 });
    expect(plan.body.loc).toMatchObject({ line: 4, column: 3, endLine: 5, endColumn: 2 });
  });

  it('parses function, class and define headers so a caller can say "not a plan"', () => {
    expect(body('function m::f(Integer $a) >> Integer { $a + 1 }')[0]).toMatchObject({ kind: 'FunctionDefinition', name: 'm::f', returnType: { kind: 'TypeReference', name: 'Integer' } });
    expect(body('class m::c(String $p = "x") inherits m::base { }')[0]).toMatchObject({ kind: 'ClassDefinition', name: 'm::c', parent: 'm::base' });
    expect(body('define m::d($a) { }')[0]).toMatchObject({ kind: 'DefineDefinition', name: 'm::d' });
    expect(body("node 'web1', /^db/ { }")[0]).toMatchObject({ kind: 'NodeDefinition', hostnames: [{ kind: 'StringLiteral' }, { kind: 'RegexLiteral' }] });
    expect(strip(body('type M::T = Variant[String, Integer]')[0])).toMatchObject({ kind: 'TypeAlias', name: 'M::T', typeSource: 'Variant[String, Integer]' });
  });

  it('reads a splat parameter', () => {
    expect(body('function f(*$rest) { }')[0]).toMatchObject({ params: [{ name: 'rest', capturesRest: true }] });
  });
});

describe('literals', () => {
  it('single-quoted strings keep all escapes but \\\\ and \\\'', () => {
    expect(value(String.raw`'a\'b\\c\nd$x'`)).toEqual(str(String.raw`a'b\c\nd$x`));
  });

  it('double-quoted strings process Puppet escapes (unknown ones keep the backslash)', () => {
    expect(value(String.raw`"t\tn\nr\rs\ss\$d\"q\'u\u00e9\u{1F600}\q"`)).toEqual(str("t\tn\nr\rs s$d\"q'u\u00e9\u{1F600}\\q", 'double'));
    expect(value('"a\\\nb"')).toEqual(str('ab', 'double'));
  });

  it('interpolates $var and ${expr}; a bare name in ${} is a variable', () => {
    expect(value('"a $b c ${d} ${e[0]} ${f.g} ${$h + 1} ${i + 1} $ $9"')).toEqual({
      kind: 'InterpolatedString',
      quote: 'double',
      parts: [
        { kind: 'TextSegment', value: 'a ' },
        { kind: 'Interpolation', expression: v('b'), braced: false },
        { kind: 'TextSegment', value: ' c ' },
        { kind: 'Interpolation', expression: v('d'), braced: true },
        { kind: 'TextSegment', value: ' ' },
        { kind: 'Interpolation', expression: { kind: 'AccessExpression', target: v('e'), keys: [num(0)] }, braced: true },
        { kind: 'TextSegment', value: ' ' },
        { kind: 'Interpolation', expression: { kind: 'CallMethod', receiver: v('f'), name: 'g', args: [], parens: false }, braced: true },
        { kind: 'TextSegment', value: ' ' },
        { kind: 'Interpolation', expression: bin('+', v('h'), num(1)), braced: true },
        { kind: 'TextSegment', value: ' ' },
        { kind: 'Interpolation', expression: bin('+', name('i'), num(1)), braced: true },
        { kind: 'TextSegment', value: ' $ ' },
        { kind: 'Interpolation', expression: v('9'), braced: false },
      ],
    });
  });

  it('${} turns a leading bare word or keyword into a variable too, as Puppet does', () => {
    expect(value('"${_x} ${true} ${x + 1} ${type}"')).toMatchObject({
      parts: [{ expression: v('_x') }, { value: ' ' }, { expression: v('true') }, { value: ' ' }, { expression: bin('+', name('x'), num(1)) }, { value: ' ' }, { expression: v('type') }],
    });
  });

  it('"$x[0]" interpolates only $x (the rest is text); strings nest inside ${}', () => {
    expect(value('"$x[0]"')).toMatchObject({ parts: [{ expression: v('x') }, { value: '[0]' }] });
    expect(value('"a${"b${c}"}d"')).toMatchObject({
      parts: [{ value: 'a' }, { expression: { kind: 'InterpolatedString', parts: [{ value: 'b' }, { expression: v('c') }] } }, { value: 'd' }],
    });
  });

  it('positions interpolations in the file', () => {
    const [assign] = body('$x = "ab ${c}"');
    if (assign?.kind !== 'AssignmentExpression' || assign.value.kind !== 'InterpolatedString') throw new Error('shape');
    expect(assign.value.parts[1]?.loc).toMatchObject({ column: 10, endColumn: 14 });
    if (assign.value.parts[1]?.kind !== 'Interpolation') throw new Error('shape');
    expect(assign.value.parts[1].expression.loc).toMatchObject({ column: 12, endColumn: 13 });
  });

  it('numbers: integers, floats, hex, octal, exponents', () => {
    expect(value('[1, 1.5, 0x1F, 0777, 1e3, 2.5E-2, 0]')).toEqual({
      kind: 'ArrayLiteral',
      elements: [
        num(1),
        { kind: 'NumberLiteral', value: 1.5, raw: '1.5', isFloat: true, radix: 10 },
        { kind: 'NumberLiteral', value: 31, raw: '0x1F', isFloat: false, radix: 16 },
        { kind: 'NumberLiteral', value: 511, raw: '0777', isFloat: false, radix: 8 },
        { kind: 'NumberLiteral', value: 1000, raw: '1e3', isFloat: true, radix: 10 },
        { kind: 'NumberLiteral', value: 0.025, raw: '2.5E-2', isFloat: true, radix: 10 },
        num(0),
      ],
    });
  });

  it('booleans, undef, default, regexes, types, names and bare words', () => {
    expect(value('[true, false, undef, default, /a\\/b[0-9]+/, TargetSpec, Mod::Type, present, mod::thing, _catch_errors, foo-bar]')).toEqual({
      kind: 'ArrayLiteral',
      elements: [
        { kind: 'BooleanLiteral', value: true },
        { kind: 'BooleanLiteral', value: false },
        { kind: 'UndefLiteral' },
        { kind: 'DefaultLiteral' },
        { kind: 'RegexLiteral', pattern: 'a/b[0-9]+' },
        type('TargetSpec'),
        type('Mod::Type'),
        name('present'),
        name('mod::thing'),
        str('_catch_errors', 'bare'),
        str('foo-bar', 'bare'),
      ],
    });
  });

  it('arrays and hashes, with trailing commas, nested, and keywords as hash keys', () => {
    expect(value("{ 'a' => [1, 2,], b => { c => undef }, type => function, }")).toEqual({
      kind: 'HashLiteral',
      braces: true,
      entries: [
        { kind: 'HashEntry', key: str('a'), value: { kind: 'ArrayLiteral', elements: [num(1), num(2)] } },
        { kind: 'HashEntry', key: name('b'), value: { kind: 'HashLiteral', braces: true, entries: [{ kind: 'HashEntry', key: name('c'), value: { kind: 'UndefLiteral' } }] } },
        { kind: 'HashEntry', key: str('type', 'bare'), value: str('function', 'bare') },
      ],
    });
    expect(value('[]')).toEqual({ kind: 'ArrayLiteral', elements: [] });
    expect(value('{}')).toEqual({ kind: 'HashLiteral', entries: [], braces: true });
  });
});

describe('heredocs', () => {
  it('@(END) is literal text: no interpolation, no escapes; the margin | and - trim apply', () => {
    const src = '$x = @(END)\n    a ${b} \\n\n      c\n    |- END\n$y = 1\n';
    const parsed = body(src);
    expect(parsed).toHaveLength(2);
    expect(strip(parsed[0])).toMatchObject({
      value: { kind: 'Heredoc', tag: 'END', syntax: '', escapes: [], interpolated: false, value: str('a ${b} \\n\n  c', 'heredoc') },
    });
    expect(strip(parsed[1])).toEqual({ kind: 'AssignmentExpression', operator: '=', target: v('y'), value: num(1) });
  });

  it('@("END":json/tn) interpolates and processes the chosen escapes; positions map into the file', () => {
    const src = 'plan p() {\n  $x = @("END":json/tn)\n    {"a": "${b}\\t\\s"}\n    | END\n  notice($x)\n}\n';
    const [plan] = body(src);
    if (plan?.kind !== 'PlanDefinition') throw new Error('shape');
    const [assign, notice] = plan.body.body;
    expect(strip(assign)).toMatchObject({
      value: {
        kind: 'Heredoc',
        tag: 'END',
        syntax: 'json',
        escapes: ['\\', 't', 'n'],
        interpolated: true,
        value: { kind: 'InterpolatedString', quote: 'heredoc', parts: [{ value: '{"a": "' }, { expression: v('b') }, { value: '\t\\s"}\n' }] },
      },
    });
    if (assign?.kind !== 'AssignmentExpression' || assign.value.kind !== 'Heredoc' || assign.value.value.kind !== 'InterpolatedString') throw new Error('shape');
    expect(assign.value.value.parts[1]?.loc).toMatchObject({ line: 3, column: 12, endColumn: 16 });
    expect(notice).toMatchObject({ kind: 'CallFunction', name: 'notice', loc: { line: 5 } });
  });

  it('a heredoc inside an interpolation of a heredoc', () => {
    const src = '$x = @("A")\n  a ${f(@(B))\n    b\n    |- B\n  } c\n  |- A\n$y = 2\n';
    const parsed = body(src);
    expect(parsed).toHaveLength(2);
    expect(strip(parsed[0])).toMatchObject({
      value: { value: { parts: [{ value: 'a ' }, { expression: { name: 'f', args: [{ kind: 'Heredoc', value: str('b', 'heredoc') }] } }, { value: ' c' }] } },
    });
  });

  it('two heredocs on one line take their texts in order', () => {
    const parsed = body('f(@(A), @(B))\na\n|-A\nb\n|-B\n$z = 1');
    expect(strip(parsed[0])).toMatchObject({ args: [{ value: { value: 'a' } }, { value: { value: 'b' } }] });
    expect(parsed[1]).toMatchObject({ kind: 'AssignmentExpression', loc: { line: 6 } });
  });
});

describe('operators', () => {
  it('follows Puppet precedence: in > =~ > * > + > << > == > < > and > or', () => {
    expect(value('1 + 2 * 3')).toEqual(bin('+', num(1), bin('*', num(2), num(3))));
    expect(value('$a or $b and $c')).toEqual(bin('or', v('a'), bin('and', v('b'), v('c'))));
    expect(value('$a == 1 and $b != 2')).toEqual(bin('and', bin('==', v('a'), num(1)), bin('!=', v('b'), num(2))));
    expect(value("'a' in $x == true")).toEqual(bin('==', bin('in', str('a'), v('x')), { kind: 'BooleanLiteral', value: true }));
    expect(value('$s =~ /x/ and $t !~ String')).toEqual(bin('and', bin('=~', v('s'), { kind: 'RegexLiteral', pattern: 'x' }), bin('!~', v('t'), type('String'))));
    // Puppet puts == above <: `a == b < c` is `(a == b) < c`.
    expect(value('$a == $b < $c')).toEqual(bin('<', bin('==', v('a'), v('b')), v('c')));
    expect(value('1 << 2 + 3')).toEqual(bin('<<', num(1), bin('+', num(2), num(3))));
    expect(value('10 - 4 - 3')).toEqual(bin('-', bin('-', num(10), num(4)), num(3)));
    expect(value('7 % 3 / 2 >> 1')).toEqual(bin('>>', bin('/', bin('%', num(7), num(3)), num(2)), num(1)));
    expect(value('$a <= 1 or $b >= 2 or $c > 3')).toMatchObject({ operator: 'or', right: { operator: '>' } });
  });

  it('unary !, - and * (splat) bind tighter than any infix operator', () => {
    expect(value('!$a and -$b * 2')).toEqual(bin('and', { kind: 'UnaryExpression', operator: '!', operand: v('a') }, bin('*', { kind: 'UnaryExpression', operator: '-', operand: v('b') }, num(2))));
    expect(value('f(*$args)')).toEqual(call('f', [{ kind: 'UnaryExpression', operator: '*', operand: v('args') }]));
  });

  it('keeps parentheses', () => {
    expect(value('(1 + 2) * 3')).toEqual(bin('*', { kind: 'ParenthesizedExpression', expression: bin('+', num(1), num(2)) }, num(3)));
  });

  it('a / after an operand is division, and a regex where an operand is expected', () => {
    expect(value('$a / $b / 2')).toEqual(bin('/', bin('/', v('a'), v('b')), num(2)));
    expect(value('$a =~ /b/')).toEqual(bin('=~', v('a'), { kind: 'RegexLiteral', pattern: 'b' }));
  });
});

describe('access, calls and lambdas', () => {
  it('access chains and types with parameters', () => {
    expect(value("$r[0]['status']")).toEqual({ kind: 'AccessExpression', target: { kind: 'AccessExpression', target: v('r'), keys: [num(0)] }, keys: [str('status')] });
    expect(value('$a[1, 2]')).toEqual({ kind: 'AccessExpression', target: v('a'), keys: [num(1), num(2)] });
    expect(value('Array[String, 1]')).toEqual({ kind: 'AccessExpression', target: type('Array'), keys: [type('String'), num(1)] });
  });

  it('[ after whitespace starts an array (Puppet LISTSTART), not an access', () => {
    expect(body('$a = $b\n[$c, $d] = $e')).toHaveLength(2);
  });

  it('method calls with and without parentheses, chained across lines', () => {
    expect(value('$r.ok')).toEqual({ kind: 'CallMethod', receiver: v('r'), name: 'ok', args: [], parens: false });
    expect(value("$s.split(',')[0]")).toEqual({
      kind: 'AccessExpression',
      target: { kind: 'CallMethod', receiver: v('s'), name: 'split', args: [str(',')], parens: true },
      keys: [num(0)],
    });
    expect(value('$rs\n  .filter |$r| { $r.ok }\n  .map |$r| { $r.target }')).toMatchObject({
      kind: 'CallMethod',
      name: 'map',
      receiver: { kind: 'CallMethod', name: 'filter', receiver: v('rs') },
    });
  });

  it('lambdas with typed parameters, defaults and a return type', () => {
    expect(value('$x.reduce(0) |Integer $memo, $v = 1| >> Integer { $memo + $v }')).toEqual({
      kind: 'CallMethod',
      receiver: v('x'),
      name: 'reduce',
      args: [num(0)],
      parens: true,
      lambda: {
        kind: 'Lambda',
        params: [
          { kind: 'Parameter', name: 'memo', type: type('Integer'), typeSource: 'Integer', capturesRest: false },
          { kind: 'Parameter', name: 'v', defaultValue: num(1), capturesRest: false },
        ],
        returnType: type('Integer'),
        body: block(bin('+', v('memo'), v('v'))),
      },
    });
  });

  it('function calls with parentheses, with lambdas (parallelize, background)', () => {
    expect(value("fail_plan('m')")).toEqual(call('fail_plan', [str('m')]));
    expect(value('out::message ( "x" )')).toEqual(call('out::message', [str('x', 'double')]));
    expect(value('parallelize($ts) |$t| { run_command("hostname", $t) }')).toMatchObject({
      kind: 'CallFunction',
      name: 'parallelize',
      lambda: { params: [{ name: 't' }], body: { body: [{ kind: 'CallFunction', name: 'run_command' }] } },
    });
    expect(value('background() || { ctrl::sleep(1) }')).toMatchObject({ name: 'background', args: [], lambda: { params: [], body: { body: [{ name: 'ctrl::sleep' }] } } });
    expect(value("Integer('42')")).toEqual({ kind: 'CallFunction', callee: type('Integer'), name: 'Integer', args: [str('42')], parens: true });
    expect(value('type($x)')).toEqual(call('type', [v('x')]));
  });

  it('hash arguments without braces become one brace-less hash', () => {
    expect(value("run_command($c, $t, '_catch_errors' => true, _run_as => 'root')")).toEqual(
      call('run_command', [
        v('c'),
        v('t'),
        {
          kind: 'HashLiteral',
          braces: false,
          entries: [
            { kind: 'HashEntry', key: str('_catch_errors'), value: { kind: 'BooleanLiteral', value: true } },
            { kind: 'HashEntry', key: str('_run_as', 'bare'), value: str('root') },
          ],
        },
      ]),
    );
  });

  it('statement functions take arguments without parentheses (notice, return, fail...)', () => {
    expect(body("notice 'x', 1\nreturn $y\nfail 'no'").map(strip)).toEqual([
      { kind: 'CallFunction', callee: name('notice'), name: 'notice', args: [str('x'), num(1)], parens: false },
      { kind: 'CallFunction', callee: name('return'), name: 'return', args: [v('y')], parens: false },
      { kind: 'CallFunction', callee: name('fail'), name: 'fail', args: [str('no')], parens: false },
    ]);
  });

  it('a name that is not a statement function followed by an expression is two expressions, as in Puppet', () => {
    expect(body("fail_plan 'm'").map(strip)).toEqual([name('fail_plan'), str('m')]);
  });
});

describe('assignments', () => {
  it('=, +=, -= and destructuring', () => {
    expect(one('$a = 1')).toEqual({ kind: 'AssignmentExpression', operator: '=', target: v('a'), value: num(1) });
    expect(one('$a += [1]')).toMatchObject({ operator: '+=' });
    expect(one('$a -= 1')).toMatchObject({ operator: '-=' });
    expect(one('[$a, $b] = [1, 2]')).toEqual({
      kind: 'AssignmentExpression',
      operator: '=',
      target: { kind: 'ArrayLiteral', elements: [v('a'), v('b')] },
      value: { kind: 'ArrayLiteral', elements: [num(1), num(2)] },
    });
    expect(one('$a = $b = 2')).toMatchObject({ target: v('a'), value: { kind: 'AssignmentExpression', target: v('b') } });
  });
});

describe('conditionals', () => {
  it('if / elsif / else', () => {
    expect(one('if $a { 1 } elsif $b { 2 } else { 3 }')).toEqual({
      kind: 'IfExpression',
      test: v('a'),
      consequent: block(num(1)),
      alternate: { kind: 'IfExpression', test: v('b'), consequent: block(num(2)), alternate: block(num(3)) },
    });
  });

  it('unless / else', () => {
    expect(one('unless $a { 1 } else { }')).toEqual({ kind: 'UnlessExpression', test: v('a'), consequent: block(num(1)), alternate: block() });
  });

  it('if is an expression (its value can be assigned)', () => {
    expect(value('if $a { 1 } else { 2 }')).toMatchObject({ kind: 'IfExpression' });
  });

  it('case with several values per option, regexes, types and default', () => {
    expect(value("case $x { 'a', 'b': { 1 } /^c/: { } ResultSet: { 2 } default: { 3 } }")).toEqual({
      kind: 'CaseExpression',
      subject: v('x'),
      options: [
        { kind: 'CaseOption', values: [str('a'), str('b')], body: block(num(1)) },
        { kind: 'CaseOption', values: [{ kind: 'RegexLiteral', pattern: '^c' }], body: block() },
        { kind: 'CaseOption', values: [type('ResultSet')], body: block(num(2)) },
        { kind: 'CaseOption', values: [{ kind: 'DefaultLiteral' }], body: block(num(3)) },
      ],
    });
  });

  it('selectors, with and without braces', () => {
    expect(value("$x ? { 'a' => 1, default => 2, }")).toEqual({
      kind: 'SelectorExpression',
      subject: v('x'),
      entries: [
        { kind: 'SelectorEntry', match: str('a'), value: num(1) },
        { kind: 'SelectorEntry', match: { kind: 'DefaultLiteral' }, value: num(2) },
      ],
    });
    expect(value('$x ? Integer => 1')).toMatchObject({ kind: 'SelectorExpression', entries: [{ match: type('Integer') }] });
  });
});

describe('apply blocks and resources', () => {
  it('apply with arguments and resources inside', () => {
    expect(one("apply($targets, _catch_errors => true) {\n  package { 'nginx': ensure => present }\n}")).toEqual({
      kind: 'ApplyExpression',
      args: [v('targets'), { kind: 'HashLiteral', braces: false, entries: [{ kind: 'HashEntry', key: str('_catch_errors', 'bare'), value: { kind: 'BooleanLiteral', value: true } }] }],
      body: block({
        kind: 'ResourceExpression',
        form: 'regular',
        typeName: name('package'),
        bodies: [{ kind: 'ResourceBody', title: str('nginx'), operations: [{ kind: 'AttributeOperation', name: 'ensure', operator: '=>', value: name('present') }] }],
      }),
    });
  });

  it('several bodies, virtual and exported resources, class resources, defaults, overrides, relationships and collectors', () => {
    expect(one("file { '/a': ensure => file; '/b': ensure => directory, }")).toMatchObject({ bodies: [{ title: str('/a') }, { title: str('/b') }] });
    expect(one("@user { 'u': }")).toMatchObject({ kind: 'ResourceExpression', form: 'virtual' });
    expect(one("@@host { 'h': ip => '1' }")).toMatchObject({ kind: 'ResourceExpression', form: 'exported' });
    expect(one("class { 'ntp': servers => [] }")).toMatchObject({ kind: 'ResourceExpression', typeName: name('class') });
    expect(one("File { mode => '0644' }")).toMatchObject({ kind: 'ResourceDefaultsExpression', typeRef: type('File') });
    expect(one("File['/a'] { mode => '0644' }")).toMatchObject({ kind: 'ResourceOverrideExpression' });
    expect(one("Package['a'] -> Service['b'] ~> Exec['c']")).toMatchObject({ kind: 'RelationshipExpression', operator: '~>', left: { operator: '->' } });
    expect(one("User <| title == 'u' |>")).toMatchObject({ kind: 'CollectExpression', exported: false, query: { operator: '==' } });
    expect(one('exec { "x": unless => "test -f y", * => $attrs }')).toMatchObject({
      bodies: [{ operations: [{ name: 'unless' }, { name: '*', value: v('attrs') }] }],
    });
  });
});

describe('comments', () => {
  it('keeps # and /* */ comments with positions, in order, not in the tree', () => {
    const { program, comments } = parsePuppet('# top\nplan p() { /* in\nside */ $a = 1 # end\n}\n', 'c.pp');
    expect(comments.map((c) => [c.style, c.text, c.loc.line, c.loc.column])).toEqual([
      ['line', ' top', 1, 1],
      ['block', ' in\nside ', 2, 12],
      ['line', ' end', 3, 16],
    ]);
    expect(program.body).toHaveLength(1);
  });

  it('a # inside a string is not a comment', () => {
    expect(parsePuppet("$a = '# no'", 'c.pp').comments).toEqual([]);
  });
});

describe('whole plans', () => {
  it('parses the Bolt documentation example with catch_errors and a case on the result', () => {
    const src = `plan mymodule::handle_errors(TargetSpec $targets) {
  $result_or_error = run_plan('mymodule::myplan', '_catch_errors' => true)
  $result = case $result_or_error {
    ResultSet: { $result_or_error }
    Error['bolt/run-failure'] : { $result_or_error.details['result_set'] }
    default : { fail_plan($result_or_error) } }
  run_task('mymodule::task', $result.ok_set)
}`;
    const [plan] = body(src);
    expect(plan).toMatchObject({ kind: 'PlanDefinition', body: { body: [{ kind: 'AssignmentExpression' }, { value: { kind: 'CaseExpression' } }, { kind: 'CallFunction', name: 'run_task' }] } });
  });
});
