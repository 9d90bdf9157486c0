/**
 * `ba.create.csr`, `ba.create.certificate`, `ba.parsecert` and `ba.parsecerttime` with BAS's
 * argument forms, error strings and DER layout (see src/net/x509.ts).
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_NUMBER, T_STRING, T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';
import type { BaContext } from './context.js';
import { pem } from '../net/der.js';
import { keyFromSpki, privateKey } from '../net/pk.js';
import { KEY_USAGES, NS_CERT_TYPES, certSubject, createCertificate, createCsr, csrSignatureOk, parseCert, parseCertTime, parseCsr, sameKey, type Dn } from '../net/x509.js';
import { bytesField, pushNilMessage, pushRecord, pushSubTable } from '../vm/lua-values.js';

const CSR_HASHES = ['sha256', 'sha384', 'sha512'];

export class CryptoX509 {
  constructor(readonly ctx: BaContext) {}

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    this.ctx.pushBa(L);
    vm.setHost(L, -1, 'parsecert', (L) => this.parsecert(L));
    vm.setHost(L, -1, 'parsecerttime', (L) => {
      const t = this.ctx.args.checkBytes(L, 1, 'parsecerttime');
      vm.pushInteger(L, parseCertTime(t));
      return 1;
    });
    pushSubTable(vm, L, 'create');
    vm.setHost(L, -1, 'csr', (L) => this.csr(L));
    vm.setHost(L, -1, 'certificate', (L) => this.certificate(L));
    vm.pop(L, 2);
  }



  /** A key argument: a PEM string or {key=, pwd=}. */
  private keyArg(L: LState, ix: number, fname: string): { text: string; pwd?: string } {
    if (this.vm.type(L, ix) === T_TABLE) {
      const pwd = bytesField(this.vm, L, ix, 'pwd')?.toString('latin1');
      const key = bytesField(this.vm, L, ix, 'key');
      if (!key) throw new LuaRaise(`Tab arg #${ix}: key required!`);
      return { text: key.toString('latin1'), pwd };
    }
    return { text: this.ctx.args.checkString(L, ix, fname) };
  }

  /** Names from a table of strings, each looked up case-insensitively in `set`. */
  private bits(L: LState, ix: number, set: Record<string, number>, pushed: string[]): number {
    const vm = this.vm;
    // BAS has left the name fields it read on the stack above the arguments.
    const top = vm.top(L);
    if (ix > top && pushed[ix - top - 1] !== undefined) this.ctx.args.argError(ix, 'csr', `table expected, got ${pushed[ix - top - 1]}`);
    this.ctx.args.checkTable(L, ix, 'csr');
    let bits = 0;
    vm.pushNil(L);
    while (vm.next(L, ix)) {
      const s = this.ctx.args.checkString(L, -1, 'csr');
      const bit = set[s.toUpperCase()];
      if (bit === undefined) throw new LuaRaise(`Arg #${ix}, invalid opt: ${s}`);
      bits |= bit;
      vm.pop(L, 1);
    }
    return bits;
  }

  /** ba.create.csr(key, dn [, altnames], certtypes, keyusage [, hash]) -> PEM. */
  private csr(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const top = vm.top(L);
    const k = this.keyArg(L, 1, 'csr');
    const key = privateKey(k.text, k.pwd);
    if (!key) return pushNilMessage(this.vm, L, 'pem_key_unrecognized_format');
    let san: Buffer | undefined;
    let flags: number;
    const t3 = vm.type(L, 3);
    if (t3 === T_STRING || t3 === T_NUMBER) {
      san = vm.toBytes(L, 3)!;
      if (san.length === 0) san = undefined;
      flags = 4;
    } else flags = 3;
    args.checkTable(L, 2, 'csr');
    const dn: Dn = {};
    const cn = bytesField(this.vm, L, 2, 'commonname');
    if (!cn) throw new LuaRaise('Tab arg #2: commonname required!');
    dn.commonname = cn;
    const pushed = ['string'];
    for (const f of ['countryname', 'unit', 'province', 'locality', 'organization', 'email'] as const) {
      const v = bytesField(this.vm, L, 2, f);
      if (v) dn[f] = v;
      pushed.push(v ? 'string' : 'nil');
    }
    const certTypes = this.bits(L, flags, NS_CERT_TYPES, pushed) || NS_CERT_TYPES.SSL_SERVER!;
    const keyUsage = this.bits(L, flags + 1, KEY_USAGES, pushed) || KEY_USAGES.DIGITAL_SIGNATURE!;
    let hash = 'sha256';
    if (top > flags + 1) {
      const h = args.checkString(L, flags + 2, 'csr');
      if (!CSR_HASHES.includes(h.toLowerCase())) throw new LuaRaise(`Arg #${flags + 2}, invalid opt: ${h}`);
      hash = h.toLowerCase();
    }
    const der = createCsr({ key, dn, san: san ?? cn, certTypes, keyUsage, hash });
    if (!der) return pushNilMessage(this.vm, L, 'failed');
    vm.pushString(L, pem('CERTIFICATE REQUEST', der));
    return 1;
  }

  /**
   * ba.create.certificate(csr, key, from, to, serial [, hash]) (self-signed) or
   * ba.create.certificate(csr, cacert, cakey, from, to, serial [, hash]) -> PEM.
   */
  private certificate(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const top = vm.top(L);
    const csrText = args.checkString(L, 1, 'certificate');
    const keyIx = vm.type(L, 5) === T_TABLE ? 3 : 2;
    const m = /BEGIN CERTIFICATE REQUEST-*\r?\n?([\s\S]*?)-*END CERTIFICATE REQUEST/.exec(csrText);
    if (!m) return pushNilMessage(this.vm, L, '#1, invalid CSR');
    const csr = parseCsr(Buffer.from(m[1]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
    const k = this.keyArg(L, keyIx, 'certificate');
    const key = privateKey(k.text, k.pwd);
    if (!key) return pushNilMessage(this.vm, L, '#3, invalid key');
    let issuer: Buffer | null = null;
    if (keyIx === 3) {
      const certText = args.checkString(L, 2, 'certificate');
      const cm = /BEGIN CERTIFICATE-*\r?\n?([\s\S]*?)-*END CERTIFICATE/.exec(certText);
      issuer = cm ? certSubject(Buffer.from(cm[1]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')) : null;
      if (!issuer) return pushNilMessage(this.vm, L, '#2, invalid certificate');
    }
    const serialIx = keyIx + 3;
    const serial = vm.toBigInt(L, serialIx);
    if (serial === null) {
      // BAS has pushed the decoded CSR (a userdata) and its base64 text by now.
      if (serialIx === top + 1) args.argError(serialIx, 'certificate', 'number expected, got userdata');
      if (serialIx === top + 2) args.argError(serialIx, 'certificate', 'number expected, got string');
      args.checkInteger(L, serialIx, 'certificate');
    }
    // BAS reads the optional hash name from the serial's position, so any hash argument fails.
    if (top > serialIx) throw new LuaRaise(`Arg #${serialIx}, invalid opt: ${vm.toStr(L, serialIx)}`);
    // BAS evaluates the two dates as C call arguments: the second one first.
    const to = this.date(L, keyIx + 2, top);
    const from = this.date(L, keyIx + 1, top);
    if (!csr) return pushNilMessage(this.vm, L, 'failed');
    const csrKey = keyFromSpki(csr.spki);
    if (!csrKey || !csrSignatureOk(csr.der, csrKey)) return pushNilMessage(this.vm, L, 'failed');
    if (!issuer && !sameKey(csrKey, key)) return pushNilMessage(this.vm, L, 'failed');
    const der = createCertificate({ csr, key, issuer, from, to, serial: serial!, hash: 'sha256' });
    if (!der) return pushNilMessage(this.vm, L, 'failed');
    vm.pushString(L, pem('CERTIFICATE', der));
    return 1;
  }

  /** {year=, month= [, day, hour, min, sec]} -> "YYYYMMDDhhmmss". */
  private date(L: LState, ix: number, top: number): string {
    const vm = this.vm;
    if (ix === top + 1) this.ctx.args.argError(ix, 'certificate', 'table expected, got userdata');
    if (ix === top + 2) this.ctx.args.argError(ix, 'certificate', 'table expected, got string');
    this.ctx.args.checkTable(L, ix, 'certificate');
    const field = (name: string, required: boolean): number => {
      vm.getField(L, ix, name);
      const n = vm.toNumber(L, -1);
      vm.pop(L, 1);
      if (n === null) {
        if (required) throw new LuaRaise(`Tab arg #${ix}: ${name} required!`);
        return 0;
      }
      return Math.trunc(n);
    };
    const p = (n: number, w: number): string => (n < 0 ? '-' + String(-n).padStart(w - 1, '0') : String(n).padStart(w, '0'));
    return p(field('year', true), 4) + p(field('month', true), 2) + p(field('day', false), 2) + p(field('hour', false), 2) + p(field('min', false), 2) + p(field('sec', false), 2);
  }

  /** ba.parsecert(der) -> {tzfrom, tzto, subject, issuer [, san]}; no value when not a certificate. */
  private parsecert(L: LState): number {
    const vm = this.vm;
    const der = this.ctx.args.checkBytes(L, 1, 'parsecert');
    const c = parseCert(der);
    if (!c) return 0;
    const dnRecord = (dn: typeof c.subject): Record<string, Uint8Array> => {
      const out: Record<string, Uint8Array> = {};
      for (const f of ['countryname', 'province', 'locality', 'organization', 'unit', 'commonname'] as const) out[f] = dn[f] ?? Buffer.alloc(0);
      return out;
    };
    pushRecord(vm, L, { tzfrom: c.tzfrom, tzto: c.tzto, subject: dnRecord(c.subject), issuer: dnRecord(c.issuer), san: c.san ?? undefined });
    return 1;
  }
}

export function installCryptoX509(ctx: BaContext): CryptoX509 {
  const lib = new CryptoX509(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
