// TLS clients for the certstore probe: the probe connects, sends "<mode> <sslport>\n", and
// gets one line per HTTPS request back. Modes: "certs" (GET /cc.lsp with no certificate, a
// certificate signed by the store's CA, one of another CA and a self-signed one, over TLS 1.2
// and 1.3) and "served" (the server certificate's name, for favorRSA).
import net from 'node:net';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const file = (n) => readFileSync(join(here, n));

function get(port, opts) {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/cc.lsp', agent: false, rejectUnauthorized: false, ...opts }, (res) => {
      const cn = res.socket.getPeerCertificate()?.subject?.CN;
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ cn, body: body.trim() }));
    });
    req.on('error', (e) => resolve({ cn: null, body: `error ${e.code ?? e.message}` }));
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const server = net.createServer((c) => {
  let buf = '';
  c.setEncoding('latin1');
  c.on('data', async (d) => {
    buf += d;
    if (!buf.includes('\n')) return;
    const [mode, p] = buf.trim().split(' ');
    const port = Number(p);
    const out = [];
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3']) {
      if (mode === 'certs') {
        for (const who of ['none', 'client', 'client2', 'self']) {
          const o = { maxVersion };
          if (who !== 'none') Object.assign(o, { cert: file(`test-only-${who}.pem`), key: file(`test-only-${who}.key`) });
          const r = await get(port, o);
          out.push(`${maxVersion} ${who}\t${r.body}`);
        }
      } else {
        const r = await get(port, { maxVersion });
        out.push(`${maxVersion} served\t${r.cn}`);
      }
    }
    c.end(out.join('\n') + '\n');
  });
  c.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
