/**
 * LSP compiler: byte-exact generated chunks, rendering through a real Lua 5.4
 * (wasmoon's high-level API, used only in this test), and line-number preservation.
 *
 * wasmoon's high-level API passes strings through C strings, so NUL and invalid UTF-8 are
 * checked on the generated source instead of by running it.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LuaFactory, type LuaEngine } from 'wasmoon';
import { compileLsp, LspSyntaxError } from '../../../src/http/lsp-compiler.js';

const factory = new LuaFactory();
let engine: LuaEngine | null = null;

async function lua(): Promise<LuaEngine> {
  engine ??= await factory.createEngine();
  return engine;
}

test.after(() => engine?.global.close());

/** Runs a compiled page with `_emit` appending to the output; returns the output. */
async function render(page: string | Buffer): Promise<string> {
  const L = await lua();
  const out: string[] = [];
  L.global.set('_emit', (s: string) => {
    out.push(s);
  });
  await L.doString(compileLsp(page).toString('utf8'));
  return out.join('');
}

/** Lines as the Lua lexer counts them: LF, CR, CRLF and LFCR each end one line. */
function luaLineAt(buf: Buffer, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) {
    const c = buf[i];
    if (c !== 0x0a && c !== 0x0d) continue;
    const d = buf[i + 1];
    if ((d === 0x0a || d === 0x0d) && d !== c && i + 1 < at) i++;
    line++;
  }
  return line;
}

const lit = (s: string): string => s;

test('generated chunks are byte-exact', async (t) => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['plain text', 'A', '_emit("A");'],
    ['code, expression, text', '<?lsp local x=42 ?>A<?lsp= x ?>B', '  local x=42  _emit("A");_emit(tostring( x ));_emit("B");'],
    ['expression without spaces', '<?lsp=x?>', '_emit(tostring(x));'],
    ['empty block', '<?lsp?>A', '  _emit("A");'],
    ['newline after ?> becomes a bare LF', '<?lsp x=1 ?>\nA', '  x=1  \n_emit("A");'],
    ['CRLF after ?> is one newline', '<?lsp x=1 ?>\r\nA', '  x=1  \n_emit("A");'],
    ['only one newline is dropped', '<?lsp ?>\n\nA', '   \n_emit("\\n\\z\nA");'],
    ['newline at the start of the file', '\nA', '\n_emit("A");'],
    ['CRLF at the start of the file', '\r\nA', '\n_emit("A");'],
    ['text line breaks stay inside the literal', 'a\nb', '_emit("a\\n\\z\nb");'],
    ['CRLF, lone CR and LFCR each count as one line', 'a\r\nb\rc\n\rd', '_emit("a\\r\\n\\z\nb\\r\\z\nc\\n\\r\\z\nd");'],
    ['a space after a hidden LF is escaped', 'a\n  b', '_emit("a\\n\\z\n\\032 b");'],
    ['tab is escaped', 'a\tb', '_emit("a\\tb");'],
    ['quotes, backslashes and ]] ', 'x"y\\z]]w[[', '_emit("x\\"y\\\\z]]w[[");'],
    ['NUL and controls use three-digit escapes', Buffer.from([0x61, 0x00, 0x31, 0x07, 0x7f]), '_emit("a\\0001\\007\\127");'],
    ['invalid UTF-8 is escaped, valid is kept', Buffer.from([0xff, 0xc3, 0xa9, 0xc3, 0x28, 0xed, 0xa0, 0x80]), '_emit("\\255\u00c3\u00a9\\195(\\237\\160\\128");'],
    ['whitespace-only text at the end is dropped', '<?lsp x=1 ?>A<?lsp y=2 ?>  \n\t\r\n ', '  x=1  _emit("A");  y=2  '],
    ['a whitespace-only file compiles to nothing', ' \n \n', ''],
    ['trailing whitespace after other text is kept', 'A \n', '_emit("A \\n\\z\n");'],
    ['nested <? ?> pair does not end the block', '<?lsp s="<?x?>" ?>B', '  s="<?x?>"  _emit("B");'],
    ['<?xml ?> in text is text', '<?xml version="1.0"?>', '_emit("<?xml version=\\"1.0\\"?>");'],
    ['a trailing line comment becomes a long comment', '<?lsp x=1 -- c ?>A\nB', '  x=1 --[=[ c ]=] _emit("A\\n\\z\nB");'],
    ['an expression ending in a line comment', '<?lsp= x -- c ?>A', '_emit(tostring( x --[=[ c ]=]));_emit("A");'],
    ['comment level avoids ]=] in the text', '<?lsp --a]=]b ?>', '  --[==[a]=]b ]==] '],
    ['comment level avoids a trailing ]=', '<?lsp --a]=?>', '  --[==[a]=]==] '],
    ['a comment block followed by its newline', '<?lsp -- c ?>\nA', '  --[=[ c ]=] \n_emit("A");'],
    ['a line comment ended inside the block stays', '<?lsp -- c\nx=1 ?>', '  -- c\nx=1  '],
    ['text inside a long comment escapes ]', '<?lsp --[[ ?>a]]b<?lsp ]] ?>', '  --[[  _emit("a\\093\\093b");  ]]  '],
  ];
  for (const [name, page, expected] of cases) {
    await t.test(name, () => {
      const expectedBytes = typeof expected === 'string' ? Buffer.from(lit(expected), 'latin1') : expected;
      assert.deepEqual(compileLsp(page), expectedBytes);
    });
  }
});

test('accepts a string page as UTF-8', () => {
  assert.equal(compileLsp('é✓').toString('utf8'), '_emit("é✓");');
});

test('pages render as BAS renders them', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['acceptance: local and expression', '<?lsp local x=42 ?>A<?lsp= x ?>B', 'A42B'],
    ['acceptance: newline after ?>', '<?lsp x=1 ?>\nA', 'A'],
    ['a block may split a statement', '<?lsp for i=1,3 do ?>x<?lsp end ?>', 'xxx'],
    ['loop with expression', '<?lsp for i=1,3 do ?><?lsp= i ?>,<?lsp end ?>', '1,2,3,'],
    ['<?lsp=x?> without spaces', '<?lsp x=7 ?><?lsp=x?>', '7'],
    ['tostring of nil and float', '<?lsp= nil ?>|<?lsp= 1.5 ?>|<?lsp= true ?>', 'nil|1.5|true'],
    ['CRLF after ?>', '<?lsp ?>\r\nA', 'A'],
    ['lone CR after ?> is kept', '<?lsp ?>\rA', '\rA'],
    ['only the first newline after ?> is dropped', '<?lsp ?>\n\nA', '\nA'],
    ['newline at the start of the file', '\nA\n', 'A\n'],
    ['CRLF at the start of the file', '\r\n\r\nA', '\r\nA'],
    ['trailing whitespace-only text is dropped', '<?lsp ?>A<?lsp ?>\n \t\n', 'A'],
    ['trailing whitespace of text is kept', 'A \n', 'A \n'],
    ['line breaks and spaces are kept', 'a\n  b\r\n\tc\rd\n\re \n \n', 'a\n  b\r\n\tc\rd\n\re \n \n'],
    ['special characters', 'q"b\\s]]e]=]o[[?><?', 'q"b\\s]]e]=]o[[?><?'],
    ['UTF-8 text', 'héllo ✓ 😀', 'héllo ✓ 😀'],
    ['nested pair inside a string', '<?lsp _emit("<?xml?>") ?>!', '<?xml?>!'],
    ['nested pair in a comment', '<?lsp --[[ <?x?> ]] ?>ok', 'ok'],
    ['block ending in a line comment still emits the text after it', '<?lsp x = 1 -- note ?>A\nB<?lsp= x ?>', 'A\nB1'],
    ['expression ending in a line comment', '<?lsp= "a" .. "b" -- c ?>X', 'abX'],
    ['a long comment across blocks hides text', 'a<?lsp --[[ ?>hidden]]x]=]<?lsp ]] ?>b', 'ab'],
    ['if/else across blocks', '<?lsp local v = 2 if v > 1 then ?>big<?lsp else ?>small<?lsp end ?>', 'big'],
    ['function defined across blocks', '<?lsp local function f(n) ?>[<?lsp= n ?>]<?lsp end f(1) f(2) ?>', '[1][2]'],
    ['text before an open tag at the end', 'x<?lsp ?>', 'x'],
  ];
  for (const [name, page, expected] of cases) {
    await t.test(name, async () => {
      assert.equal(await render(page), expected);
    });
  }
});

test('an unterminated block is a syntax error naming its line', () => {
  assert.throws(
    () => compileLsp('a\nb\r\n<?lsp x = 1\n'),
    (e: unknown) => e instanceof LspSyntaxError && e.line === 3 && /without '\?>'/.test(e.message),
  );
});

test('a Lua error on page line 5 is reported at line 5', async () => {
  const page = [
    '<html>', // 1
    '<?lsp local a = 1', // 2
    '  local b = 2 ?>', // 3
    'text <?lsp= a ?> more\r', // 4
    '<p><?lsp error("x") ?></p>', // 5
  ].join('\n');
  const chunk = compileLsp(page);
  const at = chunk.indexOf('error("x")');
  assert.equal(luaLineAt(chunk, at), 5);
  const L = await lua();
  L.global.set('_emit', () => undefined);
  await assert.rejects(L.doString(chunk.toString('utf8')), /:5: x/);
});

test('line numbers survive comments, dropped newlines and CRLF pages', async () => {
  const page = [
    '<?lsp -- first line comment ?>', // 1 (newline dropped)
    '<?lsp x = 1 -- trailing ?>after', // 2
    'text', // 3
    '<?lsp --[[ long', // 4
    ' comment ]] ?>', // 5
    '<?lsp= "v" -- c ?> tail', // 6
    '<?lsp error("boom") ?>', // 7
  ].join('\r\n');
  const chunk = compileLsp(page);
  assert.equal(luaLineAt(chunk, chunk.indexOf('error("boom")')), 7);
  const L = await lua();
  L.global.set('_emit', () => undefined);
  await assert.rejects(L.doString(chunk.toString('utf8')), /:7: boom/);
});

/**
 * Random pages: every code block calls __L(k), which records the line Lua itself reports; it
 * must equal the page line of that call. The rendered output must equal a reference rendering
 * of the same segments.
 */
test('random pages: real Lua line numbers and output match the page', async () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const textAtoms = ['a', 'b', ' ', '  ', '\t', '\n', '\r\n', '\r', '\n\r', '"', '\\', ']]', '[[', '?>', '<?', 'é', '=', '-', '--'];
  const nl = ['\n', '\r\n', '\r'];
  const L = await lua();
  for (let round = 0; round < 200; round++) {
    type Seg = { kind: 'text'; s: string } | { kind: 'code'; s: string; k: number } | { kind: 'expr'; s: string; k: number; value: string };
    const segs: Seg[] = [];
    let k = 0;
    const count = 1 + rnd(8);
    for (let j = 0; j < count; j++) {
      let s = '';
      for (let m = rnd(6); m > 0; m--) s += textAtoms[rnd(textAtoms.length)];
      if (s.includes('<?lsp')) s = s.replace(/<\?lsp/g, '');
      segs.push({ kind: 'text', s });
      const key = k++;
      if (rnd(3) === 0) {
        const value = `v${key}`;
        const body = `${rnd(2) ? ' ' : ''}__L(${key}, "${value}")${rnd(2) ? nl[rnd(3)] : ''}${rnd(3) === 0 ? ' -- c' : ''}${rnd(2) ? ' ' : ''}`;
        segs.push({ kind: 'expr', s: body, k: key, value });
      } else {
        let body = rnd(2) ? ' ' : '';
        if (rnd(2)) body += `local _ = 1${nl[rnd(3)]}`;
        body += `__L(${key})`;
        if (rnd(3) === 0) body += ` --[[ x${nl[rnd(3)]}]]`;
        if (rnd(3) === 0) body += ' -- trailing comment';
        if (rnd(2)) body += nl[rnd(3)] + (rnd(2) ? '  ' : '');
        segs.push({ kind: 'code', s: body, k: key });
      }
    }
    if (rnd(2)) segs.push({ kind: 'text', s: rnd(2) ? ' \n\t' : 'end\n' });

    // Build the page and the expected page line of each __L call.
    let page = '';
    const expectedLine = new Map<number, number>();
    for (const seg of segs) {
      if (seg.kind === 'text') page += seg.s;
      else {
        page += seg.kind === 'expr' ? '<?lsp=' : '<?lsp';
        const callAt = Buffer.byteLength(page) + Buffer.byteLength(seg.s.slice(0, seg.s.indexOf('__L(')));
        page += seg.s + '?>';
        expectedLine.set(seg.k, callAt);
      }
    }
    const pageBytes = Buffer.from(page, 'utf8');
    for (const [key, at] of expectedLine) expectedLine.set(key, luaLineAt(pageBytes, at));

    // Reference rendering of the same segments.
    let expected = '';
    let afterTag = true; // start of file behaves like after ?>
    const last = segs.length - 1;
    segs.forEach((seg, idx) => {
      if (seg.kind === 'text') {
        let s = seg.s;
        if (afterTag) s = s.startsWith('\r\n') ? s.slice(2) : s.startsWith('\n') ? s.slice(1) : s;
        const isFinal = idx === last && !segs.slice(idx + 1).some((x) => x.kind !== 'text');
        if (!(isFinal && /^[ \t\r\n]*$/.test(s))) expected += s;
        afterTag = false;
      } else {
        if (seg.kind === 'expr') expected += seg.value;
        afterTag = true;
      }
    });

    const lines = new Map<number, number>();
    const out: string[] = [];
    L.global.set('_emit', (s: string) => {
      out.push(s);
    });
    L.global.set('__R', (key: number, line: number) => {
      lines.set(key, line);
    });
    await L.doString('function __L(k, v) __R(k, debug.getinfo(2, "l").currentline) return v end');
    const chunk = compileLsp(pageBytes);
    try {
      await L.doString(chunk.toString('utf8'));
    } catch (e) {
      assert.fail(`round ${round}: ${String(e)}\npage: ${JSON.stringify(page)}\nchunk: ${JSON.stringify(chunk.toString('utf8'))}`);
    }
    const ctx = `round ${round}, page ${JSON.stringify(page)}`;
    assert.equal(out.join(''), expected, ctx);
    assert.deepEqual(new Map([...lines].sort((a, b) => a[0] - b[0])), new Map([...expectedLine].sort((a, b) => a[0] - b[0])), ctx);
  }
});

test('fixture page renders to its expected output', async () => {
  const dir = new URL('../../../../test/fixtures/http/lsp/', import.meta.url);
  const page = readFileSync(new URL('page.lsp', dir));
  const expected = readFileSync(new URL('page.out', dir), 'utf8');
  assert.equal(await render(page), expected);
});
