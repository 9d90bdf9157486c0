/**
 * WebDAV dead properties (PROPPATCH), kept as BAS keeps them: the properties of "dir/name"
 * are in the XML file "dir/.DAV/name" (`<prop xmlns:d1="...">` with one element each), so a
 * directory served by BAS and by remora shows the same properties. The ".DAV" directories are
 * hidden from listings.
 */
import { promises as fsp } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { parseXml, serializeXml, xmlEscape, type XmlElement } from './dav-xml.js';

export const DEAD_PROP_DIR = '.DAV';

/** The file holding the dead properties of the file or directory at `path` (on disk). */
export function propFile(path: string): string {
  return join(dirname(path), DEAD_PROP_DIR, basename(path));
}

/** The dead properties of `path`; none when there is no file or it is unreadable. */
export async function readDeadProps(path: string): Promise<XmlElement[]> {
  let text: string;
  try {
    text = await fsp.readFile(propFile(path), 'utf8');
  } catch {
    return [];
  }
  try {
    return parseXml(text).children;
  } catch {
    return [];
  }
}

/** Stores `props` for `path` (removes the file when there are none). */
export async function writeDeadProps(path: string, props: XmlElement[]): Promise<void> {
  const file = propFile(path);
  if (props.length === 0) {
    await fsp.rm(file, { force: true });
    return;
  }
  const prefixes = new Map<string, string>();
  const prefixOf = (ns: string): string => {
    let x = prefixes.get(ns);
    if (!x) prefixes.set(ns, (x = `d${prefixes.size + 1}`));
    return x;
  };
  const body = props.map((p) => serializeXml(p, prefixOf)).join('\n');
  const decl = [...prefixes].map(([ns, x]) => ` xmlns:${x}="${xmlEscape(ns)}"`).join('');
  await fsp.mkdir(dirname(file), { recursive: true });
  await fsp.writeFile(file, `<?xml version="1.0" encoding="utf-8" ?>\n<prop${decl}>\n${body}\n</prop>\n`);
}

/** Moves or copies the dead properties of `from` along with the resource. */
export async function carryDeadProps(from: string, to: string, move: boolean): Promise<void> {
  const src = propFile(from);
  try {
    await fsp.access(src);
  } catch {
    await fsp.rm(propFile(to), { force: true }).catch(() => undefined);
    return;
  }
  await fsp.mkdir(dirname(propFile(to)), { recursive: true });
  if (move) await fsp.rename(src, propFile(to));
  else await fsp.copyFile(src, propFile(to));
}

/** Removes the dead properties of a deleted resource. */
export async function removeDeadProps(path: string): Promise<void> {
  await fsp.rm(propFile(path), { force: true });
}
