// TLS clients for the https-certlist probe: the probe connects and sends "<sslport>\n"; the
// answer is the name of the certificate the HTTPS listener presents over TLS 1.2 and 1.3 to a
// client that accepts RSA and EC.
import net from 'node:net';
import tls from 'node:tls';

function served(port, maxVersion) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion }, () => {
      resolve(s.getPeerCertificate()?.subject?.CN ?? 'none');
      s.destroy();
    });
    s.on('error', (e) => resolve(`error ${e.code ?? e.message}`));
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

const server = net.createServer((c) => {
  let buf = '';
  c.setEncoding('latin1');
  c.on('data', async (d) => {
    buf += d;
    if (!buf.includes('\n')) return;
    const port = Number(buf.trim());
    const out = [];
    for (const v of ['TLSv1.2', 'TLSv1.3']) out.push(`${v}\t${await served(port, v)}`);
    c.end(out.join('\n') + '\n');
  });
  c.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
