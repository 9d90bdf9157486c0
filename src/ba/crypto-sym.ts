/**
 * `ba.crypto.symmetric` (AES-GCM, AES-CBC, AES-CCM objects with SharkSSL's wire format and
 * limits), `ba.crypto.PBKDF2` and `ba.crypto.sha1`.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync } from 'node:crypto';
import { LuaRaise } from '../vm/lua-error.js';
import { T_NUMBER, T_STRING, type LState, type LuaVM } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';
import { hashByName } from './crypto-pk.js';

interface SymState {
  mode: 'gcm' | 'cbc' | 'ccm';
  key: Buffer;
  iv: Buffer;
  /** CBC only: the direction chosen at creation. */
  encrypt: boolean;
  aad: Buffer;
}

const HASH_LEN: Record<string, number> = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

export class CryptoSym {
  private readonly objs: HandleTable<SymState>;

  constructor(readonly ctx: BaContext) {
    this.objs = new HandleTable(ctx.vm, HandleTag.symmetric);
  }

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    vm.newMetatable(L, 'BASYMMETRIC');
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, 'setauth', (L) => this.setauth(L));
    vm.setHost(L, -1, 'encrypt', (L) => this.encrypt(L));
    vm.setHost(L, -1, 'decrypt', (L) => this.decrypt(L));
    vm.setHost(L, -1, '__gc', (L) => {
      this.objs.release(this.objs.idAt(L, 1));
      return 0;
    });
    this.objs.mtRef = vm.ref(L);

    this.ctx.pushBa(L);
    vm.getField(L, -1, 'crypto');
    vm.setHost(L, -1, 'symmetric', (L) => this.create(L));
    vm.setHost(L, -1, 'PBKDF2', (L) => this.pbkdf2(L));
    vm.setHost(L, -1, 'sha1', (L) => this.sha1(L));
    vm.pop(L, 2);
  }

  private check(L: LState, fname: string): SymState {
    const st = this.objs.at(L, 1);
    if (!st) this.ctx.args.typeError(L, 1, fname, 'BASYMMETRIC');
    return st;
  }

  /** ba.crypto.symmetric(alg, key, iv [, "encrypt"|"decrypt"]) */
  private create(L: LState): number {
    const args = this.ctx.args;
    const alg = args.checkString(L, 1, 'symmetric');
    const key = args.checkBytes(L, 2, 'symmetric');
    const iv = args.checkBytes(L, 3, 'symmetric');
    if (key.length !== 16 && key.length !== 32) throw new LuaRaise('Key length must be 16 or 32');
    let st: SymState;
    if (alg === 'CCM' || alg === 'GCM' || alg === 'aesgcm') {
      if (iv.length !== 12) throw new LuaRaise('IV len must be 12');
      st = { mode: alg === 'CCM' ? 'ccm' : 'gcm', key, iv, encrypt: true, aad: Buffer.alloc(0) };
    } else if (alg === 'CBC') {
      if (iv.length !== 16) throw new LuaRaise('IV len must be 16');
      const t = this.vm.type(L, 4);
      if (t !== T_STRING && t !== T_NUMBER) throw new LuaRaise('CBC requires mode (arg 4)');
      st = { mode: 'cbc', key, iv: Buffer.from(iv), encrypt: this.vm.toStr(L, 4) === 'encrypt', aad: Buffer.alloc(0) };
    } else {
      // BAS's message here comes from a malformed format string; kept as scripts see it.
      throw new LuaRaise("invalid option '%'' to 'lua_pushfstring'");
    }
    this.objs.push(L, this.objs.add(st));
    return 1;
  }

  /** PKCS7 flag at `ix`: absent -> false; "PKCS7" -> true; another string raises. */
  private padFlag(L: LState, ix: number): boolean {
    const t = this.vm.type(L, ix);
    if (t !== T_STRING && t !== T_NUMBER) return false;
    if (this.vm.toStr(L, ix) !== 'PKCS7') throw new LuaRaise('Padding must be PKCS7');
    return true;
  }

  private checkLen(st: SymState, len: number): void {
    if (len > 0xffff) throw new LuaRaise('Max data len is 0xFFF0');
    if (st.mode === 'cbc' ? len & 15 : len & 7) throw new LuaRaise('Invalid block length');
  }

  private cipherName(st: SymState): string {
    return `aes-${st.key.length * 8}-${st.mode}`;
  }

  private setauth(L: LState): number {
    const st = this.check(L, 'setauth');
    st.aad = this.ctx.args.checkBytes(L, 2, 'setauth');
    return 0;
  }

  private encrypt(L: LState): number {
    const vm = this.vm;
    const st = this.check(L, 'encrypt');
    let data = this.ctx.args.checkBytes(L, 2, 'encrypt');
    if (this.padFlag(L, 3)) {
      const block = st.mode === 'cbc' ? 16 : 8;
      const n = block - (data.length % block);
      this.checkLen(st, data.length + n);
      data = Buffer.concat([data, Buffer.alloc(n, n)]);
    } else this.checkLen(st, data.length);
    if (st.mode === 'cbc') {
      if (!st.encrypt) throw new LuaRaise('Not in encrypt mode');
      const c = createCipheriv(this.cipherName(st), st.key, st.iv).setAutoPadding(false);
      const out = Buffer.concat([c.update(data), c.final()]);
      // The IV chains on from one call to the next, as in one long CBC stream.
      if (out.length) st.iv = out.subarray(out.length - 16);
      vm.pushBytes(L, out);
      return 1;
    }
    let out: Buffer;
    let tag: Buffer;
    if (st.mode === 'gcm') {
      const c = createCipheriv(('aes-' + st.key.length * 8 + '-gcm') as 'aes-128-gcm', st.key, st.iv);
      c.setAAD(st.aad);
      out = Buffer.concat([c.update(data), c.final()]);
      tag = c.getAuthTag();
    } else {
      const c = createCipheriv(('aes-' + st.key.length * 8 + '-ccm') as 'aes-128-ccm', st.key, st.iv, { authTagLength: 16 });
      c.setAAD(st.aad, { plaintextLength: data.length });
      out = Buffer.concat([c.update(data), c.final()]);
      tag = c.getAuthTag();
    }
    vm.pushBytes(L, out);
    vm.pushBytes(L, tag);
    return 2;
  }

  private decrypt(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const st = this.check(L, 'decrypt');
    const data = args.checkBytes(L, 2, 'decrypt');
    this.checkLen(st, data.length);
    let out: Buffer | null = null;
    let pad: boolean;
    if (st.mode === 'cbc') {
      pad = this.padFlag(L, 3);
      if (st.encrypt) throw new LuaRaise('Not in decrypt mode');
      const c = createDecipheriv(this.cipherName(st), st.key, st.iv).setAutoPadding(false);
      out = Buffer.concat([c.update(data), c.final()]);
      if (data.length) st.iv = Buffer.from(data.subarray(data.length - 16));
    } else {
      const tag = args.checkBytes(L, 3, 'decrypt');
      if (tag.length !== 16) throw new LuaRaise('Arg 2: tag len must be 16');
      pad = this.padFlag(L, 4);
      try {
        if (st.mode === 'gcm') {
          const c = createDecipheriv(('aes-' + st.key.length * 8 + '-gcm') as 'aes-128-gcm', st.key, st.iv);
          c.setAAD(st.aad);
          c.setAuthTag(tag);
          out = Buffer.concat([c.update(data), c.final()]);
        } else {
          const c = createDecipheriv(('aes-' + st.key.length * 8 + '-ccm') as 'aes-128-ccm', st.key, st.iv, { authTagLength: 16 });
          c.setAuthTag(tag);
          c.setAAD(st.aad, { plaintextLength: data.length });
          out = c.update(data);
          c.final();
        }
      } catch {
        out = null;
      }
    }
    if (!out) {
      vm.pushNil(L);
      vm.pushString(L, 'decrypt failed');
      return 2;
    }
    if (pad && out.length) {
      // As in BAS: the last byte says how much to drop, unchecked.
      out = out.subarray(0, Math.max(0, out.length - out[out.length - 1]!));
    }
    vm.pushBytes(L, out);
    return 1;
  }

  /** PBKDF2(hash, password, salt, iterations, keylen): at least the hash's length. */
  private pbkdf2(L: LState): number {
    const args = this.ctx.args;
    const salt = args.checkBytes(L, 3, 'PBKDF2');
    let dkLen = args.checkInteger(L, 5, 'PBKDF2') & 0xffff;
    const algo = hashByName(args.checkString(L, 1, 'PBKDF2'));
    if (!algo) throw new LuaRaise('Unknown hash algorithm');
    const pwd = args.checkBytes(L, 2, 'PBKDF2');
    const iter = args.checkInteger(L, 4, 'PBKDF2');
    if (dkLen < HASH_LEN[algo]!) dkLen = HASH_LEN[algo]!;
    if (iter < 1 || iter > 0xffffffff) return 0;
    this.vm.pushBytes(L, pbkdf2Sync(pwd, salt, iter, dkLen, algo));
    return 1;
  }

  /** sha1(data) -> 20 raw bytes; sha1() -> a SHA-1 hash function, like hash("sha1"). */
  private sha1(L: LState): number {
    const vm = this.vm;
    if (vm.top(L) > 0) {
      const data = this.ctx.args.checkBytes(L, 1, 'sha1');
      vm.pushBytes(L, createHash('sha1').update(data).digest());
      return 1;
    }
    vm.settop(L, 0);
    vm.pushString(L, 'sha1');
    return this.callHash(L);
  }

  /** Set by the hash module: runs ba.crypto.hash with the arguments on the stack top. */
  callHash: (L: LState) => number = () => 0;
}

export function installCryptoSym(ctx: BaContext): CryptoSym {
  const lib = new CryptoSym(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
