/*
 * loadgen: the benchmarks' load client. Small C on epoll so that the server, not the client,
 * is what a run measures. Built at bench time with the machine's C compiler by
 * bench/loadgen-build.ts into bench/build/ (not in the repository).
 *
 *   loadgen --port P [--conns N] [--size S] [--depth D] [--warm MS] [--measure MS]
 *           [--mode tcp|ws|http|tls] [--path /p] [--server-pid PID]
 *
 * Every connection keeps `depth` messages of `size` bytes in flight (depth 1 = ping-pong) and
 * sends the next one when an echo has fully arrived.
 *   tcp   raw bytes; the echo is checked byte by byte.
 *   tls   the same over TLS (OpenSSL, certificate not verified); only when built with OpenSSL.
 *   ws    an HTTP upgrade, then masked binary client frames; server frames are parsed
 *         (2, 4 or 10 header bytes, continuation frames joined) and their length checked.
 *   http  GET `path` on keep-alive connections (pipelined when depth > 1); a response counts
 *         when it has fully arrived (Content-Length or chunked); a status other than 200 is bad.
 * Output: "warm" when the measured window starts, then one JSON line
 *   {"msgs":..,"ms":..,"bytes":..,"errors":..,"bad":..,"open":..,"srvCpuMs":..}
 * where srvCpuMs is the server process's user+system CPU time during the window, read from
 * /proc/PID/stat at the window's edges (-1 without --server-pid). Bounded: connection setup
 * gives up after 15 s; the run ends after warm + measure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

enum { M_TCP, M_WS, M_HTTP, M_TLS };
enum { S_CONNECTING, S_HANDSHAKE, S_RUN, S_DEAD };

typedef struct {
  int fd;
  int state;
  int want_out;   /* EPOLLOUT armed */
  long queued;    /* whole messages still to send */
  size_t off;     /* bytes of the current message already sent */
  /* ws frame parser */
  int hlen, hneed;
  unsigned char hdr[14];
  uint64_t left;  /* payload bytes of the current frame still to skip */
  uint64_t msglen;
  int fin;
  /* tcp: bytes of the current echo received; http: response accumulator */
  uint64_t got;
  char *acc;
  size_t acclen, acccap;
#ifdef HAVE_OPENSSL
  SSL *ssl;
#endif
} conn_t;

static int mode = M_TCP, port, nconns = 100, depth = 1, serverPid = -1;
static long size = 64, warmMs = 1000, measureMs = 4000;
static const char *path = "/";
static unsigned char *msg; /* what one message puts on the wire */
static size_t msglen;
static int counting;
static long long msgs, errors, bad;
static int epfd;
#ifdef HAVE_OPENSSL
static SSL_CTX *sslctx;
#endif

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double server_cpu_ms(void) {
  if (serverPid <= 0) return -1;
  char p[64], buf[2048];
  snprintf(p, sizeof p, "/proc/%d/stat", serverPid);
  FILE *f = fopen(p, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *s = strrchr(buf, ')');
  if (!s) return -1;
  /* fields after ")": state(3) ... utime(14) stime(15) */
  unsigned long long ut = 0, st = 0;
  int field = 2;
  for (char *q = s + 1; *q; q++) {
    if (*q == ' ') {
      field++;
      if (field == 14) ut = strtoull(q + 1, NULL, 10);
      if (field == 15) { st = strtoull(q + 1, NULL, 10); break; }
    }
  }
  return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static void arm(conn_t *c, int out) {
  if (c->want_out == out) return;
  c->want_out = out;
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void kill_conn(conn_t *c) {
  if (c->state == S_DEAD) return;
  if (counting || c->state != S_RUN) errors++;
  c->state = S_DEAD;
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
}

/* 1 = all sent, 0 = would block, -1 = error */
static ssize_t io_write(conn_t *c, const void *b, size_t n) {
#ifdef HAVE_OPENSSL
  if (c->ssl) {
    int r = SSL_write(c->ssl, b, (int)n);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) { errno = EAGAIN; return -1; }
    errno = EPIPE;
    return -1;
  }
#endif
  return send(c->fd, b, n, MSG_NOSIGNAL);
}

static ssize_t io_read(conn_t *c, void *b, size_t n) {
#ifdef HAVE_OPENSSL
  if (c->ssl) {
    int r = SSL_read(c->ssl, b, (int)n);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { errno = EAGAIN; return -1; }
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    errno = EPIPE;
    return -1;
  }
#endif
  return recv(c->fd, b, n, 0);
}

static void flush(conn_t *c) {
  while (c->queued > 0) {
    ssize_t w = io_write(c, msg + c->off, msglen - c->off);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) { arm(c, 1); return; }
      kill_conn(c);
      return;
    }
    c->off += (size_t)w;
    if (c->off == msglen) { c->off = 0; c->queued--; }
  }
  arm(c, 0);
}

static void done(conn_t *c, long n) {
  if (counting) msgs += n;
  c->queued += n;
}

/* Every echoed byte must be 'a': compared with libc's memcmp against a block of 'a's (a byte
 * loop here made the client, not the server, the limit at 16 KiB messages). */
static unsigned char all_a[1 << 18];

static void on_tcp(conn_t *c, const unsigned char *b, size_t n) {
  long k = 0;
  if (!all_a[0]) memset(all_a, 'a', sizeof all_a);
  if (memcmp(b, all_a, n)) bad++;
  c->got += n;
  while (c->got >= (uint64_t)size) { c->got -= (uint64_t)size; k++; }
  if (k) done(c, k);
}

static void on_ws(conn_t *c, const unsigned char *b, size_t n) {
  long k = 0;
  size_t i = 0;
  while (i < n) {
    if (c->left) {
      size_t take = n - i < c->left ? n - i : (size_t)c->left;
      c->left -= take;
      i += take;
      if (!c->left && c->fin) {
        if (c->msglen == (uint64_t)size) k++; else bad++;
        c->msglen = 0;
      }
      continue;
    }
    c->hdr[c->hlen++] = b[i++];
    if (c->hlen == 2) {
      int l = c->hdr[1] & 0x7f;
      c->hneed = 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);
    }
    if (c->hlen >= 2 && c->hlen == c->hneed) {
      int op = c->hdr[0] & 0x0f, l = c->hdr[1] & 0x7f;
      uint64_t len = l;
      if (l == 126) len = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
      else if (l == 127) { len = 0; for (int j = 2; j < 10; j++) len = (len << 8) | c->hdr[j]; }
      c->hlen = 0;
      if (op >= 8) { /* control frame: a close ends the connection, others are skipped */
        if (op == 8) { kill_conn(c); return; }
        c->left = len;
        c->fin = 0;
        continue;
      }
      c->fin = (c->hdr[0] & 0x80) != 0;
      c->msglen += len;
      c->left = len;
      if (!len && c->fin) {
        if (c->msglen == (uint64_t)size) k++; else bad++;
        c->msglen = 0;
      }
    }
  }
  if (k) done(c, k);
}

static void acc_add(conn_t *c, const unsigned char *b, size_t n) {
  if (c->acclen + n > c->acccap) {
    c->acccap = (c->acclen + n) * 2 + 256;
    c->acc = realloc(c->acc, c->acccap);
  }
  memcpy(c->acc + c->acclen, b, n);
  c->acclen += n;
}

/* Length of the first whole HTTP response in the accumulator, 0 if incomplete, -1 if bad. */
static long http_response_len(conn_t *c, int *status) {
  char *a = c->acc;
  size_t n = c->acclen;
  char *end = memmem(a, n, "\r\n\r\n", 4);
  if (!end) return 0;
  size_t hl = (size_t)(end - a) + 4;
  *status = (n > 12 && !memcmp(a, "HTTP/1.", 7)) ? atoi(a + 9) : 0;
  long clen = -1;
  int chunked = 0;
  for (char *l = memchr(a, '\n', hl); l && l < end; l = memchr(l + 1, '\n', (size_t)(end - l))) {
    if (!strncasecmp(l + 1, "content-length:", 15)) clen = atol(l + 16);
    else if (!strncasecmp(l + 1, "transfer-encoding:", 18) && memmem(l, (size_t)(end - l), "chunked", 7)) chunked = 1;
  }
  if (!chunked) {
    if (clen < 0) clen = 0;
    return n >= hl + (size_t)clen ? (long)(hl + (size_t)clen) : 0;
  }
  size_t p = hl;
  for (;;) {
    char *crlf = memmem(a + p, n - p, "\r\n", 2);
    if (!crlf) return 0;
    long cl = strtol(a + p, NULL, 16);
    p = (size_t)(crlf - a) + 2;
    if (cl == 0) { /* no trailers expected */
      return n >= p + 2 ? (long)(p + 2) : 0;
    }
    p += (size_t)cl + 2;
    if (p > n) return 0;
  }
}

static void on_http(conn_t *c, const unsigned char *b, size_t n) {
  acc_add(c, b, n);
  long k = 0;
  for (;;) {
    int status = 0;
    long len = http_response_len(c, &status);
    if (len <= 0) break;
    if (status != 200) bad++;
    memmove(c->acc, c->acc + len, c->acclen - (size_t)len);
    c->acclen -= (size_t)len;
    k++;
  }
  if (k) done(c, k);
}

static void start_run(conn_t *c) {
  c->state = S_RUN;
  c->queued = depth;
  flush(c);
}

static void on_handshake(conn_t *c, const unsigned char *b, size_t n) {
  acc_add(c, b, n);
  char *end = memmem(c->acc, c->acclen, "\r\n\r\n", 4);
  if (!end) return;
  if (c->acclen < 12 || memcmp(c->acc, "HTTP/1.1 101", 12)) { kill_conn(c); return; }
  size_t hl = (size_t)(end - c->acc) + 4, rest = c->acclen - hl;
  unsigned char tmp[256];
  if (rest > sizeof tmp) rest = sizeof tmp;
  memcpy(tmp, c->acc + hl, rest);
  c->acclen = 0;
  start_run(c);
  if (rest) on_ws(c, tmp, rest);
}

static unsigned char rbuf[1 << 18];

static void on_readable(conn_t *c) {
  for (int loops = 0; loops < 16 && c->state != S_DEAD; loops++) {
    ssize_t r = io_read(c, rbuf, sizeof rbuf);
    if (r == 0) { kill_conn(c); return; }
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      kill_conn(c);
      return;
    }
    if (c->state == S_HANDSHAKE) on_handshake(c, rbuf, (size_t)r);
    else if (mode == M_WS) on_ws(c, rbuf, (size_t)r);
    else if (mode == M_HTTP) on_http(c, rbuf, (size_t)r);
    else on_tcp(c, rbuf, (size_t)r);
    if ((size_t)r < sizeof rbuf) break;
  }
  if (c->state == S_RUN && c->queued) flush(c);
}

static void send_upgrade(conn_t *c) {
  char req[512];
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char key[25];
  for (int i = 0; i < 22; i++) key[i] = b64[rand() & 63];
  key[21] = b64[(rand() & 3) << 4]; /* 16 bytes encode to 22 chars + "==" */
  key[22] = '=', key[23] = '=', key[24] = 0;
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   path, key);
  if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) kill_conn(c);
}

/* Connection established (TCP, then TLS when used): start the protocol. */
static void connected(conn_t *c) {
  if (mode == M_WS) { c->state = S_HANDSHAKE; send_upgrade(c); }
  else start_run(c);
}

static void on_event(conn_t *c, uint32_t ev) {
  if (c->state == S_CONNECTING) {
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) { kill_conn(c); return; }
#ifdef HAVE_OPENSSL
    if (mode == M_TLS) {
      if (!c->ssl) {
        c->ssl = SSL_new(sslctx);
        SSL_set_fd(c->ssl, c->fd);
        SSL_set_tlsext_host_name(c->ssl, "localhost");
      }
      int r = SSL_connect(c->ssl);
      if (r != 1) {
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) arm(c, 0);
        else if (e == SSL_ERROR_WANT_WRITE) arm(c, 1);
        else kill_conn(c);
        return;
      }
    }
#endif
    arm(c, 0);
    connected(c);
    return;
  }
  if (ev & (EPOLLERR)) { kill_conn(c); return; }
  if (ev & (EPOLLIN | EPOLLHUP)) on_readable(c);
  if (c->state != S_DEAD && (ev & EPOLLOUT) && c->queued) flush(c);
}

static void build_message(void) {
  if (mode == M_HTTP) {
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    msg = malloc((size_t)n);
    memcpy(msg, req, (size_t)n);
    msglen = (size_t)n;
    size = 0;
    return;
  }
  if (mode != M_WS) {
    msg = malloc((size_t)size);
    memset(msg, 'a', (size_t)size);
    msglen = (size_t)size;
    return;
  }
  int ext = size < 126 ? 0 : size < 65536 ? 2 : 8;
  msglen = 2 + (size_t)ext + 4 + (size_t)size;
  msg = malloc(msglen);
  unsigned char *h = msg;
  h[0] = 0x82; /* FIN + binary */
  if (!ext) h[1] = 0x80 | (unsigned char)size;
  else if (ext == 2) { h[1] = 0x80 | 126; h[2] = (unsigned char)(size >> 8); h[3] = (unsigned char)size; }
  else { h[1] = 0x80 | 127; for (int i = 0; i < 8; i++) h[2 + i] = (unsigned char)((uint64_t)size >> (56 - 8 * i)); }
  unsigned char *mask = h + 2 + ext;
  for (int i = 0; i < 4; i++) mask[i] = (unsigned char)(rand() & 0xff);
  unsigned char *p = mask + 4;
  for (long i = 0; i < size; i++) p[i] = (unsigned char)('a' ^ mask[i & 3]);
}

static int run_until(conn_t *cs, double until, int (*stop)(conn_t *)) {
  struct epoll_event evs[256];
  for (;;) {
    if (stop && stop(cs)) return 1;
    double left = until - now_ms();
    if (left <= 0) return 0;
    int n = epoll_wait(epfd, evs, 256, left > 100 ? 100 : (int)left + 1);
    for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, evs[i].events);
  }
}

static int all_running(conn_t *cs) {
  for (int i = 0; i < nconns; i++) {
    if (cs[i].state == S_CONNECTING || cs[i].state == S_HANDSHAKE) return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--conns")) nconns = atoi(v);
    else if (!strcmp(k, "--size")) size = atol(v);
    else if (!strcmp(k, "--depth")) depth = atoi(v);
    else if (!strcmp(k, "--warm")) warmMs = atol(v);
    else if (!strcmp(k, "--measure")) measureMs = atol(v);
    else if (!strcmp(k, "--path")) path = v;
    else if (!strcmp(k, "--server-pid")) serverPid = atoi(v);
    else if (!strcmp(k, "--mode")) {
      mode = !strcmp(v, "ws") ? M_WS : !strcmp(v, "http") ? M_HTTP : !strcmp(v, "tls") ? M_TLS : M_TCP;
#ifndef HAVE_OPENSSL
      if (mode == M_TLS) { fprintf(stderr, "loadgen: built without OpenSSL\n"); return 2; }
#endif
    } else { fprintf(stderr, "loadgen: unknown option %s\n", k); return 2; }
  }
  if (!port || nconns < 1 || depth < 1 || (mode != M_HTTP && size < 1)) {
    fprintf(stderr, "usage: loadgen --port P [--conns N] [--size S] [--depth D] [--warm MS] [--measure MS] [--mode tcp|ws|http|tls] [--path /p] [--server-pid PID]\n");
    return 2;
  }
  srand((unsigned)getpid());
#ifdef HAVE_OPENSSL
  if (mode == M_TLS) {
    sslctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(sslctx, SSL_VERIFY_NONE, NULL);
  }
#endif
  build_message();
  epfd = epoll_create1(0);
  conn_t *cs = calloc((size_t)nconns, sizeof *cs);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  for (int i = 0; i < nconns; i++) {
    conn_t *c = &cs[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = S_CONNECTING;
    c->want_out = 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) kill_conn(c);
  }
  if (!run_until(cs, now_ms() + 15000, all_running)) {
    fprintf(stderr, "loadgen: connection setup did not finish in 15 s\n");
    return 1;
  }
  run_until(cs, now_ms() + (double)warmMs, NULL);
  counting = 1;
  msgs = 0;
  double cpu0 = server_cpu_ms(), t0 = now_ms();
  fputs("warm\n", stdout);
  fflush(stdout);
  run_until(cs, t0 + (double)measureMs, NULL);
  double t1 = now_ms(), cpu1 = server_cpu_ms();
  counting = 0;
  int open = 0;
  for (int i = 0; i < nconns; i++) open += cs[i].state == S_RUN;
  printf("{\"msgs\":%lld,\"ms\":%.1f,\"bytes\":%lld,\"errors\":%lld,\"bad\":%lld,\"open\":%d,\"srvCpuMs\":%.1f}\n", msgs,
         t1 - t0, msgs * (long long)(mode == M_HTTP ? 0 : size), errors, bad, open,
         cpu0 < 0 || cpu1 < 0 ? -1.0 : cpu1 - cpu0);
  fflush(stdout);
  return 0;
}
