/**
 * Public-key operations of ba.crypto as SharkSSL offers them to Lua: `sign`, `verify`,
 * `sigparams`, `keyparams`, `keysize`, `encrypt`, `decrypt`, and `ba.create.key`. Values are
 * the same bytes Mako produces (DER ECDSA signatures, PKCS#1 v1.5 RSA signatures over the
 * caller's hash, SEC1/PKCS#1 PEM keys), so keys and signatures move between the two servers.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';
import type { BaContext } from './context.js';
import { CURVES, sign as ecSign, type Curve } from '../net/ecdsa.js';
import { bigToBytes, bytesToBig, children, content, readNode, seq, uint } from '../net/der.js';
import { bytesField, pushNilMessage, pushSubTable } from '../vm/lua-values.js';
import {
  ecPrivatePem,
  ecSigMax,
  hashKnown,
  keyParamsKey,
  privateKey,
  publicKey,
  randomScalar,
  rsaDecrypt,
  rsaEncrypt,
  rsaFromParams,
  rsaPrivatePem,
  rsaSignHash,
  scalarFromRnd,
  verifyHashSig,
  type PkKey,
  type RsaPadding,
} from '../net/pk.js';

/** SharkSSL's hash-name matching: "md5", else "sha" + a digit picks by that digit. */
export function hashByName(name: string): string | null {
  if (name === 'md5') return 'md5';
  if (name.startsWith('sha')) {
    const d = name[3];
    if (d === '1') return 'sha1';
    if (d === '2') return 'sha256';
    if (d === '3') return 'sha384';
    if (d === '5') return 'sha512';
  }
  return null;
}

interface Options {
  x?: Buffer;
  y?: Buffer;
  n?: Buffer;
  e?: Buffer;
  password?: string;
  padding: RsaPadding;
  hash: string;
  label?: Buffer;
}

const POINT_CURVE: Record<number, Curve> = { 32: CURVES.SECP256R1!, 48: CURVES.SECP384R1!, 66: CURVES.SECP521R1! };

export class CryptoPk {
  constructor(readonly ctx: BaContext) {}

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    this.ctx.pushBa(L);
    vm.getField(L, -1, 'crypto');
    const fns: Record<string, (L: LState) => number> = {
      sign: (L) => this.signOrDecrypt(L, 'sign'),
      decrypt: (L) => this.signOrDecrypt(L, 'decrypt'),
      keysize: (L) => this.signOrDecrypt(L, 'keysize'),
      verify: (L) => this.verifyOrEncrypt(L, 'verify'),
      encrypt: (L) => this.verifyOrEncrypt(L, 'encrypt'),
      sigparams: (L) => this.sigparams(L),
      keyparams: (L) => this.keyparams(L),
    };
    for (const [name, fn] of Object.entries(fns)) vm.setHost(L, -1, name, fn);
    vm.pop(L, 1);
    pushSubTable(vm, L, 'create');
    vm.setHost(L, -1, 'key', (L) => this.createKey(L));
    vm.pop(L, 2);
  }



  /** The options table SharkSSL reads from the last argument. */
  private options(L: LState): Options {
    const vm = this.vm;
    const ix = vm.top(L);
    const op: Options = { padding: 'pkcs1', hash: 'sha1' };
    if (ix < 1 || vm.type(L, ix) !== T_TABLE) return op;
    op.x = bytesField(this.vm, L, ix, 'x');
    op.y = bytesField(this.vm, L, ix, 'y');
    if (op.x && op.y) return op;
    op.x = op.y = undefined;
    const n = bytesField(this.vm, L, ix, 'n');
    const e = bytesField(this.vm, L, ix, 'e');
    if (n && e) {
      op.n = n;
      op.e = e;
    }
    op.password = bytesField(this.vm, L, ix, 'password')?.toString('latin1');
    const pad = bytesField(this.vm, L, ix, 'padding')?.toString('latin1') ?? 'pkcs1';
    if (pad === 'oaep') {
      op.label = bytesField(this.vm, L, ix, 'label');
      const h = hashByName(bytesField(this.vm, L, ix, 'hashid')?.toString('latin1') ?? 'sha1');
      if (!h) throw new LuaRaise('Unknown hash algorithm');
      op.hash = h;
      op.padding = 'oaep';
    } else if (pad === 'none') op.padding = 'none';
    else if (pad !== 'pkcs1') throw new LuaRaise('Unknown padding');
    return op;
  }

  /** sign(hash, key [,op]), decrypt(data, key [,op]), keysize(key [,op]). */
  private signOrDecrypt(L: LState, what: 'sign' | 'decrypt' | 'keysize'): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const op = this.options(L);
    const data = args.checkBytes(L, 1, what);
    const text = what === 'keysize' ? data.toString('latin1') : args.checkString(L, 2, what);
    const key = privateKey(text, op.password);
    if (!key) return pushNilMessage(this.vm, L, 'Invalid key');
    if (what === 'keysize') {
      vm.pushInteger(L, key.kind === 'ec' ? ecSigMax(key.curve) : key.n.length);
      vm.pushString(L, key.kind === 'ec' ? 'ECC' : 'RSA');
      return 2;
    }
    let out: Buffer | null = null;
    if (what === 'sign') {
      if (op.padding !== 'oaep' && hashKnown(data.length)) {
        if (key.kind === 'ec') {
          const [r, s] = ecSign(key.curve, key.d!, data);
          out = seq(uint(bigToBytes(r)), uint(bigToBytes(s)));
        } else if (data.length !== 16) out = rsaSignHash(key, data); // BAS refuses MD5 RSA signatures
      }
    } else if (key.kind === 'rsa') out = rsaDecrypt(key, data, op.padding, op.hash, op.label);
    if (!out) return pushNilMessage(this.vm, L, 'failed');
    vm.pushBytes(L, out);
    return 1;
  }

  /** verify(sig, key, hash [,op]) / verify(sig, hash, {x,y}|{n,e}); encrypt(data, key|{n,e} [,op]). */
  private verifyOrEncrypt(L: LState, what: 'verify' | 'encrypt'): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const data = args.checkBytes(L, 1, what);
    const op = this.options(L);
    let key: PkKey | null;
    let hashIx = 2;
    if (op.x && op.y) {
      const c = op.x.length === op.y.length ? POINT_CURVE[op.x.length] : undefined;
      key = c ? { kind: 'ec', name: '', curve: c, x: bytesToBig(op.x), y: bytesToBig(op.y) } : null;
    } else if (op.n && op.e) {
      key = op.n.length % 64 === 0 ? rsaFromParams(op.n, op.e) : null;
    } else {
      key = publicKey(args.checkString(L, 2, what));
      hashIx = 3;
    }
    if (!key) return pushNilMessage(this.vm, L, 'invalid pubkey');
    if (what === 'verify' && op.padding !== 'oaep') {
      const hash = vm.toBytes(L, hashIx);
      if (!hash) return pushNilMessage(this.vm, L, 'Incorrect use');
      vm.pushBoolean(L, verifyHashSig(key, data, hash));
      return 1;
    }
    if (what === 'encrypt' && key.kind === 'rsa') {
      const out = rsaEncrypt(key, data, op.padding, op.hash, op.label);
      if (!out) return pushNilMessage(this.vm, L, 'failed');
      vm.pushBytes(L, out);
      return 1;
    }
    return pushNilMessage(this.vm, L, 'Incorrect use');
  }

  /** sigparams(der) -> r, s (padded to 32/48/66 bytes); sigparams(r, s) -> der. */
  private sigparams(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    if (vm.top(L) === 1) {
      const der = args.checkBytes(L, 1, 'sigparams');
      let r: Buffer, s: Buffer;
      try {
        const kids = children(readNode(der));
        if (kids.length < 2 || kids[0]!.tag !== 2 || kids[1]!.tag !== 2) throw new Error();
        // As SharkSSL's integer reader: without the sign byte.
        r = stripZeros(content(kids[0]!));
        s = stripZeros(content(kids[1]!));
      } catch {
        return pushNilMessage(this.vm, L, 'invalid');
      }
      if (r.length > 66 || s.length > 66) return pushNilMessage(this.vm, L, 'invalid');
      const len = r.length <= 32 ? 32 : r.length <= 48 ? 48 : 66;
      const pad = (b: Buffer): Buffer => (b.length > len ? b.subarray(b.length - len) : Buffer.concat([Buffer.alloc(len - b.length), b]));
      vm.pushBytes(L, pad(r));
      vm.pushBytes(L, pad(s));
      return 2;
    }
    const r = args.checkBytes(L, 1, 'sigparams');
    const s = args.checkBytes(L, 2, 'sigparams');
    if (r.length !== s.length || (r.length !== 32 && r.length !== 48 && r.length !== 66)) return pushNilMessage(this.vm, L, 'invalid');
    vm.pushBytes(L, seq(uint(r), uint(s)));
    return 1;
  }

  /** keyparams(pem [,password]) -> x, y (EC) or n, e (RSA). */
  private keyparams(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const text = args.checkString(L, 1, 'keyparams');
    const pwd = args.isNoneOrNil(L, 2) ? undefined : args.checkString(L, 2, 'keyparams');
    const key = keyParamsKey(text, pwd);
    if (!key) return pushNilMessage(this.vm, L, 'failed');
    if (key.kind === 'ec') {
      vm.pushBytes(L, bigToBytes(key.x, key.curve.size));
      vm.pushBytes(L, bigToBytes(key.y, key.curve.size));
    } else {
      vm.pushBytes(L, key.n);
      // SharkSSL keeps the exponent in whole 32-bit words.
      const elen = (key.e.length + 3) & ~3;
      vm.pushBytes(L, Buffer.concat([Buffer.alloc(elen - key.e.length), key.e]));
    }
    return 2;
  }

  /** ba.create.key([{key="ecc"|"rsa", curve=, bits=, rnd=}]) -> PEM. */
  private createKey(L: LState): number {
    const vm = this.vm;
    let kind = 'ecc';
    let curveName = 'SECP256R1';
    let bits = 2048;
    let rnd: Buffer | undefined;
    if (vm.type(L, 1) === T_TABLE) {
      kind = bytesField(this.vm, L, 1, 'key')?.toString('latin1') ?? kind;
      curveName = bytesField(this.vm, L, 1, 'curve')?.toString('latin1') ?? curveName;
      vm.getField(L, 1, 'bits');
      const b = vm.toInteger(L, -1);
      vm.pop(L, 1);
      if (b !== null) bits = b;
      rnd = bytesField(this.vm, L, 1, 'rnd');
    }
    if (kind[0] === 'e') {
      let c: Curve | undefined;
      if (curveName.length === 9) c = { '2': CURVES.SECP256R1, '3': CURVES.SECP384R1, '5': CURVES.SECP521R1 }[curveName[4]!];
      else if (curveName.length === 15) c = { '2': CURVES.BRAINPOOLP256R1, '3': CURVES.BRAINPOOLP384R1, '5': CURVES.BRAINPOOLP512R1 }[curveName[10]!];
      if (!c) throw new LuaRaise(`Unknown ECC curve '${curveName}'`);
      let d: bigint;
      if (rnd) {
        const v = scalarFromRnd(c, rnd);
        if (v === null) throw new LuaRaise(`Option 'rnd' too short for '${curveName}'`);
        d = v;
      } else d = randomScalar(c);
      vm.pushString(L, ecPrivatePem(c, d));
      return 1;
    }
    if (kind[0] === 'r') {
      // SharkSSL builds keys whose size is a multiple of 64 bits in a 2 KB buffer (up to 3072 bits).
      if (bits % 64 !== 0 || bits < 512 || bits > 3072) return pushNilMessage(this.vm, L, 'malloc');
      vm.pushString(L, rsaPrivatePem(bits));
      return 1;
    }
    return pushNilMessage(this.vm, L, 'invalidparam');
  }
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

export function installCryptoPk(ctx: BaContext): CryptoPk {
  const lib = new CryptoPk(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
