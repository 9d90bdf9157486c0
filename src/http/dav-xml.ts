/**
 * The small XML reader WebDAV request bodies need (PROPFIND, PROPPATCH, LOCK): elements with
 * namespaces, attributes and text. No DTDs: a body with `<!DOCTYPE` is refused, so entity
 * expansion cannot blow up. Also the text escaping the DAV responses use.
 */

export interface XmlElement {
  /** Namespace URI ("DAV:"), "" when none. */
  ns: string;
  /** Local name. */
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  /** The element's own text (concatenated). */
  text: string;
}

export class XmlError extends Error {}

const NAME = /^[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*(?::[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*)?/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!(cp > 0 && cp <= 0x10ffff)) throw new XmlError('bad character reference');
      return String.fromCodePoint(cp);
    }
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`unknown entity ${m}`);
    return v;
  });
}

/** Parses a document; throws XmlError when it is not well-formed (or has a DTD). */
export function parseXml(src: string, maxDepth = 64): XmlElement {
  let i = 0;
  const stack: { el: XmlElement; qname: string; scope: Map<string, string> }[] = [];
  let root: XmlElement | null = null;
  const skipMisc = (): boolean => {
    if (src.startsWith('<?', i)) {
      const e = src.indexOf('?>', i + 2);
      if (e < 0) throw new XmlError('unterminated processing instruction');
      i = e + 2;
      return true;
    }
    if (src.startsWith('<!--', i)) {
      const e = src.indexOf('-->', i + 4);
      if (e < 0) throw new XmlError('unterminated comment');
      i = e + 3;
      return true;
    }
    if (src.startsWith('<!DOCTYPE', i) || src.startsWith('<!ENTITY', i)) throw new XmlError('DTDs are not accepted');
    return false;
  };
  const resolve = (qname: string, scope: Map<string, string>, attr: boolean): [string, string] => {
    const c = qname.indexOf(':');
    if (c < 0) return [attr ? '' : (scope.get('') ?? ''), qname];
    const ns = scope.get(qname.slice(0, c));
    if (ns === undefined) throw new XmlError(`unbound prefix in ${qname}`);
    return [ns, qname.slice(c + 1)];
  };
  while (i < src.length) {
    if (src[i] !== '<') {
      const e = src.indexOf('<', i);
      const text = src.slice(i, e < 0 ? src.length : e);
      const top = stack[stack.length - 1];
      if (top) top.el.text += decodeEntities(text);
      else if (text.trim() !== '') throw new XmlError('text outside the root element');
      i = e < 0 ? src.length : e;
      continue;
    }
    if (skipMisc()) continue;
    if (src.startsWith('<![CDATA[', i)) {
      const e = src.indexOf(']]>', i);
      const top = stack[stack.length - 1];
      if (e < 0 || !top) throw new XmlError('bad CDATA section');
      top.el.text += src.slice(i + 9, e);
      i = e + 3;
      continue;
    }
    if (src[i + 1] === '/') {
      const m = NAME.exec(src.slice(i + 2, i + 2 + 512));
      const top = stack.pop();
      if (!m || !top || m[0] !== top.qname) throw new XmlError('mismatched end tag');
      i += 2 + m[0].length;
      while (/\s/.test(src[i] ?? '')) i++;
      if (src[i] !== '>') throw new XmlError('bad end tag');
      i++;
      continue;
    }
    const m = NAME.exec(src.slice(i + 1, i + 1 + 512));
    if (!m) throw new XmlError('bad start tag');
    if (root && stack.length === 0) throw new XmlError('a second root element');
    if (stack.length >= maxDepth) throw new XmlError('too deeply nested');
    const qname = m[0];
    i += 1 + qname.length;
    const rawAttrs: [string, string][] = [];
    let selfClose = false;
    for (;;) {
      while (/\s/.test(src[i] ?? '')) i++;
      if (src[i] === '>') {
        i++;
        break;
      }
      if (src.startsWith('/>', i)) {
        i += 2;
        selfClose = true;
        break;
      }
      const am = NAME.exec(src.slice(i, i + 512));
      if (!am) throw new XmlError('bad attribute');
      i += am[0].length;
      while (/\s/.test(src[i] ?? '')) i++;
      if (src[i] !== '=') throw new XmlError('attribute without value');
      i++;
      while (/\s/.test(src[i] ?? '')) i++;
      const q = src[i];
      if (q !== '"' && q !== "'") throw new XmlError('unquoted attribute');
      const e = src.indexOf(q, i + 1);
      if (e < 0) throw new XmlError('unterminated attribute');
      rawAttrs.push([am[0], decodeEntities(src.slice(i + 1, e))]);
      i = e + 1;
    }
    const parentScope = stack[stack.length - 1]?.scope ?? new Map<string, string>([['xml', 'http://www.w3.org/XML/1998/namespace']]);
    let scope = parentScope;
    for (const [k, v] of rawAttrs) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (scope === parentScope) scope = new Map(parentScope);
        scope.set(k === 'xmlns' ? '' : k.slice(6), v);
      }
    }
    const [ns, name] = resolve(qname, scope, false);
    const el: XmlElement = { ns, name, attrs: new Map(), children: [], text: '' };
    for (const [k, v] of rawAttrs) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
      const [ans, aname] = resolve(k, scope, true);
      el.attrs.set(ans ? `${ans} ${aname}` : aname, v);
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.el.children.push(el);
    else root = el;
    if (!selfClose) stack.push({ el, qname, scope });
  }
  if (!root || stack.length) throw new XmlError('incomplete document');
  return root;
}

/** The first child in namespace `ns` called `name`. */
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === ns && c.name === name);
}

/** Escapes text for element content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/**
 * Writes `el` back as XML with its namespaces given prefixes by `prefixOf` (so the caller
 * declares them once); used for dead property values and lock owners.
 */
export function serializeXml(el: XmlElement, prefixOf: (ns: string) => string): string {
  const qn = el.ns ? `${prefixOf(el.ns)}:${el.name}` : el.name;
  let attrs = '';
  for (const [k, v] of el.attrs) {
    const sp = k.indexOf(' ');
    const an = sp < 0 ? k : `${prefixOf(k.slice(0, sp))}:${k.slice(sp + 1)}`;
    attrs += ` ${an}="${xmlEscape(v)}"`;
  }
  const inner = el.children.length ? '\n' + el.children.map((c) => serializeXml(c, prefixOf)).join('\n') + '\n' : xmlEscape(el.text);
  return inner === '' ? `<${qn}${attrs}/>` : `<${qn}${attrs}>${inner}</${qn}>`;
}

/**
 * `el` as a fragment that stands alone: its namespaces get prefixes `<p>1`, `<p>2`, ...
 * declared on the element itself (Mako writes a lock owner as `<n1:owner xmlns:n1="DAV:">`).
 */
export function serializeStandalone(el: XmlElement, p = 'n'): string {
  const prefixes = new Map<string, string>();
  const prefixOf = (ns: string): string => {
    let x = prefixes.get(ns);
    if (!x) prefixes.set(ns, (x = `${p}${prefixes.size + 1}`));
    return x;
  };
  const body = serializeXml(el, prefixOf);
  const decl = [...prefixes].map(([ns, x]) => ` xmlns:${x}="${xmlEscape(ns)}"`).join('');
  const m = /^<[^\s/>]+/.exec(body)!;
  return m[0] + decl + body.slice(m[0].length);
}
