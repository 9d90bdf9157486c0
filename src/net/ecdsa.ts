/**
 * ECDSA over a precomputed hash (node:crypto only signs data it hashes itself), for the
 * NIST P-256/384/521 and Brainpool r1 curves. BigInt arithmetic in Jacobian coordinates; not
 * constant-time, which is acceptable for a scripting API that signs a handful of values.
 */
import { createECDH, randomBytes } from 'node:crypto';

export interface Curve {
  /** Name node:crypto knows (createECDH, JWK "crv" where one exists). */
  node: string;
  /** Dotted OID of the named curve. */
  oid: string;
  /** Byte length of a coordinate / of the order. */
  size: number;
  p: bigint;
  a: bigint;
  b: bigint;
  gx: bigint;
  gy: bigint;
  n: bigint;
}

const h = (s: string): bigint => BigInt('0x' + s);

export const CURVES: Record<string, Curve> = {
  SECP256R1: {
    node: 'prime256v1',
    oid: '1.2.840.10045.3.1.7',
    size: 32,
    p: h('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff'),
    a: h('ffffffff00000001000000000000000000000000fffffffffffffffffffffffc'),
    b: h('5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b'),
    gx: h('6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'),
    gy: h('4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5'),
    n: h('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  },
  SECP384R1: {
    node: 'secp384r1',
    oid: '1.3.132.0.34',
    size: 48,
    p: h('fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff'),
    a: h('fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc'),
    b: h('b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef'),
    gx: h('aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7'),
    gy: h('3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f'),
    n: h('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
  },
  SECP521R1: {
    node: 'secp521r1',
    oid: '1.3.132.0.35',
    size: 66,
    p: (1n << 521n) - 1n,
    a: (1n << 521n) - 4n,
    b: h('0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00'),
    gx: h('00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66'),
    gy: h('011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650'),
    n: h('01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409'),
  },
  BRAINPOOLP256R1: {
    node: 'brainpoolP256r1',
    oid: '1.3.36.3.3.2.8.1.1.7',
    size: 32,
    p: h('a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377'),
    a: h('7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9'),
    b: h('26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6'),
    gx: h('8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262'),
    gy: h('547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997'),
    n: h('a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7'),
  },
  BRAINPOOLP384R1: {
    node: 'brainpoolP384r1',
    oid: '1.3.36.3.3.2.8.1.1.11',
    size: 48,
    p: h('8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53'),
    a: h('7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826'),
    b: h('04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11'),
    gx: h('1d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e'),
    gy: h('8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315'),
    n: h('8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565'),
  },
  BRAINPOOLP512R1: {
    node: 'brainpoolP512r1',
    oid: '1.3.36.3.3.2.8.1.1.13',
    size: 64,
    p: h('aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3'),
    a: h('7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94ca'),
    b: h('3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723'),
    gx: h('81aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d0098eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f822'),
    gy: h('7dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad80892'),
    n: h('aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069'),
  },
};

export function curveByOid(oid: string): [string, Curve] | null {
  for (const [name, c] of Object.entries(CURVES)) if (c.oid === oid) return [name, c];
  return null;
}

export function curveByNodeName(n: string): [string, Curve] | null {
  for (const [name, c] of Object.entries(CURVES)) if (c.node.toLowerCase() === n.toLowerCase()) return [name, c];
  return null;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function inv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

type Jac = [bigint, bigint, bigint];

function dbl(c: Curve, P: Jac): Jac {
  const [X, Y, Z] = P;
  if (Y === 0n || Z === 0n) return [1n, 1n, 0n];
  const p = c.p;
  const YY = (Y * Y) % p;
  const S = (4n * X * YY) % p;
  const ZZ = (Z * Z) % p;
  const M = (3n * X * X + c.a * ZZ * ZZ) % p;
  const X3 = mod(M * M - 2n * S, p);
  const Y3 = mod(M * (S - X3) - 8n * YY * YY, p);
  const Z3 = (2n * Y * Z) % p;
  return [X3, Y3, Z3];
}

function add(c: Curve, P: Jac, Q: Jac): Jac {
  if (P[2] === 0n) return Q;
  if (Q[2] === 0n) return P;
  const p = c.p;
  const Z1Z1 = (P[2] * P[2]) % p;
  const Z2Z2 = (Q[2] * Q[2]) % p;
  const U1 = (P[0] * Z2Z2) % p;
  const U2 = (Q[0] * Z1Z1) % p;
  const S1 = (P[1] * Q[2] * Z2Z2) % p;
  const S2 = (Q[1] * P[2] * Z1Z1) % p;
  if (U1 === U2) return S1 === S2 ? dbl(c, P) : [1n, 1n, 0n];
  const H = mod(U2 - U1, p);
  const R = mod(S2 - S1, p);
  const HH = (H * H) % p;
  const HHH = (H * HH) % p;
  const V = (U1 * HH) % p;
  const X3 = mod(R * R - HHH - 2n * V, p);
  const Y3 = mod(R * (V - X3) - S1 * HHH, p);
  const Z3 = (P[2] * Q[2] * H) % p;
  return [X3, Y3, Z3];
}

function mul(c: Curve, k: bigint, P: Jac): Jac {
  let R: Jac = [1n, 1n, 0n];
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    R = dbl(c, R);
    if ((k >> i) & 1n) R = add(c, R, P);
  }
  return R;
}

function affine(c: Curve, P: Jac): [bigint, bigint] | null {
  if (P[2] === 0n) return null;
  const zi = inv(P[2], c.p);
  const zi2 = (zi * zi) % c.p;
  return [(P[0] * zi2) % c.p, (P[1] * zi2 * zi) % c.p];
}

export function onCurve(c: Curve, x: bigint, y: bigint): boolean {
  if (x < 0n || y < 0n || x >= c.p || y >= c.p) return false;
  return mod(y * y - (x * x * x + c.a * x + c.b), c.p) === 0n;
}

/** k*G with OpenSSL (node's ECDH), which is much faster than the BigInt code; null if refused. */
function baseMulNative(c: Curve, k: bigint): [bigint, bigint] | null {
  try {
    const e = createECDH(c.node);
    let h = k.toString(16);
    h = h.padStart(c.size * 2, '0');
    e.setPrivateKey(Buffer.from(h, 'hex'));
    const pt = e.getPublicKey();
    return [BigInt('0x' + pt.subarray(1, 1 + c.size).toString('hex')), BigInt('0x' + pt.subarray(1 + c.size).toString('hex'))];
  } catch {
    return null;
  }
}

function baseMul(c: Curve, k: bigint): Jac {
  const p = k > 0n && k < c.n ? baseMulNative(c, k) : null;
  return p ? [p[0], p[1], 1n] : mul(c, k, [c.gx, c.gy, 1n]);
}

/** The public point of private scalar d. */
export function publicPoint(c: Curve, d: bigint): [bigint, bigint] {
  return affine(c, baseMul(c, d))!;
}

/** The hash as an integer, truncated to the order's bit length (as ECDSA specifies). */
function hashInt(c: Curve, hash: Uint8Array): bigint {
  let e = hash.length ? BigInt('0x' + Buffer.from(hash).toString('hex')) : 0n;
  const nbits = c.n.toString(2).length;
  const hbits = hash.length * 8;
  if (hbits > nbits) e >>= BigInt(hbits - nbits);
  return e;
}

function randomScalar(c: Curve): bigint {
  for (;;) {
    const k = BigInt('0x' + randomBytes(c.size + 8).toString('hex')) % c.n;
    if (k !== 0n) return k;
  }
}

export function sign(c: Curve, d: bigint, hash: Uint8Array): [bigint, bigint] {
  const e = hashInt(c, hash);
  for (;;) {
    const k = randomScalar(c);
    const R = affine(c, baseMul(c, k));
    if (!R) continue;
    const r = R[0] % c.n;
    if (r === 0n) continue;
    const s = (inv(k, c.n) * (e + r * d)) % c.n;
    if (s === 0n) continue;
    return [r, s];
  }
}

export function verify(c: Curve, Q: [bigint, bigint], hash: Uint8Array, r: bigint, s: bigint): boolean {
  if (r <= 0n || s <= 0n || r >= c.n || s >= c.n) return false;
  if (!onCurve(c, Q[0], Q[1])) return false;
  const e = hashInt(c, hash);
  const w = inv(s, c.n);
  const u1 = (e * w) % c.n;
  const u2 = (r * w) % c.n;
  const X = affine(c, add(c, baseMul(c, u1), mul(c, u2, [Q[0], Q[1], 1n])));
  if (!X) return false;
  return X[0] % c.n === r;
}
