/* The bridge's TCP transport: listener, epoll loop, connections with an input
 * buffer and a bounded output queue. See bridge__transport.h. */
#include "bridge__transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bridge__queue.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"

#define LOG "bridge"
#define INPUT_INITIAL (64 * 1024)
#define READ_BUDGET (1024 * 1024) /* bytes read per connection per round: fairness */
#define CONN_SNDBUF (256 * 1024)
#define MAX_EVENTS 64

struct dtw__bt_conn {
  dtw__bt_t *t;
  int fd;
  unsigned id;
  char peer[64];
  char host[48]; /* peer address without the port: the per-address limit */
  void *user;
  /* input (poll thread only) */
  uint8_t *in;
  size_t in_len, in_cap;
  int64_t last_rx_ns, accepted_ns;
  int64_t progress_ns; /* last time a message was consumed or input began */
  bool consumed_any;   /* a whole message arrived (the handshake deadline is met) */
  int close_reason;    /* -1: open */
  /* output (under the lock) */
  dtw__bq_t q;
  bool want_out, broken;
  dtw__bq_frame_t stage[DTW__BQ_BATCH_MAX]; /* frames staged for one gather write */
  int n_stage;
};

struct dtw__bt {
  dtw__bt_config_t cfg;
  dtw__bt_handler_t h;
  char bind_address[256];
  char addr[64];
  int port;
  int lfd, efd, epfd;
  pthread_mutex_t lock;
  dtw__bt_conn_t **conns; /* open and closing ones: cap_conns slots */
  size_t n_conns, cap_conns;
  dtw__bt_conn_t **staged; /* connections with staged frames (cap_conns slots) */
  size_t n_staged;
  int reserve_fd;          /* spent to shed a connection when out of descriptors */
  int64_t accept_resume_ns; /* > 0: accepting paused until then */
  unsigned next_id;
  dtw__bt_stats_t st; /* under lock */
  dtw_log_limiter_t lim;
};

void dtw__bt_lock(dtw__bt_t *t) { pthread_mutex_lock(&t->lock); }
void dtw__bt_unlock(dtw__bt_t *t) { pthread_mutex_unlock(&t->lock); }
void dtw__bt_get_stats(const dtw__bt_t *t, dtw__bt_stats_t *out) { *out = t->st; }
size_t dtw__bt_conn_count(const dtw__bt_t *t) { return t->n_conns; }
const char *dtw__bt_address(const dtw__bt_t *t) { return t->addr; }
int dtw__bt_port(const dtw__bt_t *t) { return t->port; }
unsigned dtw__bt_conn_id(const dtw__bt_conn_t *c) { return c->id; }
const char *dtw__bt_conn_peer(const dtw__bt_conn_t *c) { return c->peer; }
int64_t dtw__bt_conn_last_rx(const dtw__bt_conn_t *c) { return c->last_rx_ns; }
void *dtw__bt_conn_user(const dtw__bt_conn_t *c) { return c->user; }
void dtw__bt_conn_set_user(dtw__bt_conn_t *c, void *user) { c->user = user; }
bool dtw__bt_conn_closing(const dtw__bt_conn_t *c) { return c->close_reason >= 0; }

bool dtw__bt_conn_close(dtw__bt_conn_t *c, int reason) {
  if (c->close_reason >= 0) return false;
  c->close_reason = reason;
  return true;
}

/* A reason found here: set it, and tell the layer above if it is the first. */
static void close_for(dtw__bt_conn_t *c, int why) {
  if (dtw__bt_conn_close(c, why)) c->t->h.on_closing(c->t->h.user, c, why);
}

void dtw__bt_wake(dtw__bt_t *t) {
  uint64_t one = 1;
  ssize_t w = write(t->efd, &one, sizeof one);
  (void)w; /* EAGAIN: the counter is already non-zero, the loop wakes anyway */
}

/* ---- output (lock held) ------------------------------------------------------------ */

static void set_want_out(dtw__bt_conn_t *c, bool want) {
  if (c->want_out == want || c->broken) return;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(c->t->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->want_out = want;
}

static void mark_broken(dtw__bt_conn_t *c) {
  if (c->broken) return;
  c->broken = true;
  dtw__bt_wake(c->t); /* reaped at the end of the next round */
}

static ssize_t sock_write(void *ctx, const struct iovec *iov, int niov) {
  dtw__bt_conn_t *c = ctx;
  struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)niov};
  for (;;) {
    ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w >= 0) return w;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  }
}

/* Count what the queue did, then ask for EPOLLOUT while anything waits. */
static void after_output(dtw__bt_conn_t *c, int rc, const dtw__bq_tally_t *tally) {
  dtw__bt_t *t = c->t;
  t->st.frames_out += tally->frames;
  t->st.bytes_out += tally->bytes;
  t->st.dropped += tally->dropped;
  t->st.writes += tally->writes;
  dtw_counter_add(t->cfg.frames_out, tally->frames);
  dtw_counter_add(t->cfg.bytes_out, tally->bytes);
  dtw_counter_add(t->cfg.dropped, tally->dropped);
  if (rc < 0)
    mark_broken(c);
  else
    set_want_out(c, !dtw__bq_empty(&c->q));
}

static void flush_stage(dtw__bt_conn_t *c) {
  int n = c->n_stage;
  c->n_stage = 0;
  if (c->broken || n == 0) return;
  dtw__bq_tally_t tally = {0};
  /* waiting for EPOLLOUT: the socket is full, queue without a failing write */
  int rc = dtw__bq_send_batch(&c->q, c->stage, n, c->want_out ? NULL : sock_write, c, &tally);
  after_output(c, rc, &tally);
}

void dtw__bt_stage(dtw__bt_conn_t *c, const struct iovec *iov, int niov) {
  if (c->broken) return;
  if (c->n_stage == DTW__BQ_BATCH_MAX) flush_stage(c);
  if (c->n_stage == 0) c->t->staged[c->t->n_staged++] = c;
  dtw__bq_frame_t *f = &c->stage[c->n_stage++];
  f->niov = niov < DTW__BQ_FRAME_IOV ? niov : DTW__BQ_FRAME_IOV;
  for (int i = 0; i < f->niov; i++) f->iov[i] = iov[i];
}

void dtw__bt_flush_staged(dtw__bt_t *t) {
  for (size_t i = 0; i < t->n_staged; i++) flush_stage(t->staged[i]);
  t->n_staged = 0;
}

void dtw__bt_send(dtw__bt_conn_t *c, const struct iovec *iov, int niov) {
  if (c->broken) return;
  if (c->n_stage > 0) flush_stage(c); /* keep the order */
  dtw__bq_tally_t tally = {0};
  int rc = dtw__bq_send(&c->q, iov, niov, sock_write, c, &tally);
  after_output(c, rc, &tally);
}

/* EPOLLOUT: write what the socket takes. */
static void flush(dtw__bt_conn_t *c) {
  if (c->broken) return;
  dtw__bq_tally_t tally = {0};
  int rc = dtw__bq_flush(&c->q, sock_write, c, &tally);
  after_output(c, rc, &tally);
}

/* ---- input (poll thread) ------------------------------------------------------------- */

static void on_readable(dtw__bt_conn_t *c) {
  dtw__bt_t *t = c->t;
  size_t max = t->cfg.input_max_bytes, budget = READ_BUDGET;
  while (c->close_reason < 0 && budget > 0) {
    if (c->in_len == c->in_cap) {
      size_t cap = c->in_cap * 2 > max ? max : c->in_cap * 2;
      uint8_t *p = cap > c->in_cap ? realloc(c->in, cap) : NULL;
      if (p == NULL) { /* past max: the layer above should have refused it sooner */
        close_for(c, DTW__BT_CLOSE_OVERSIZE);
        return;
      }
      c->in = p;
      c->in_cap = cap;
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_for(c, DTW__BT_CLOSE_PEER);
      return;
    }
    if (r == 0) {
      close_for(c, c->in_len > 0 ? DTW__BT_CLOSE_TRUNCATED : DTW__BT_CLOSE_PEER);
      return;
    }
    c->last_rx_ns = dtw_clock_mono_ns();
    if (c->in_len == 0) c->progress_ns = c->last_rx_ns; /* a message begins */
    c->in_len += (size_t)r;
    budget -= (size_t)r < budget ? (size_t)r : budget;
    size_t used = t->h.on_input(t->h.user, c, c->in, c->in_len);
    if (used > 0) {
      memmove(c->in, c->in + used, c->in_len - used);
      c->in_len -= used;
      c->consumed_any = true;
      c->progress_ns = c->last_rx_ns;
    }
  }
}

/* ---- connections ----------------------------------------------------------------------- */

static void conn_free(dtw__bt_conn_t *c) {
  dtw__bq_fini(&c->q);
  free(c->in);
  free(c);
}

/* Hand c to on_close, unlink and free it. */
static void conn_close(dtw__bt_t *t, dtw__bt_conn_t *c) {
  t->h.on_close(t->h.user, c);
  pthread_mutex_lock(&t->lock);
  for (size_t i = 0; i < t->n_conns; i++) {
    if (t->conns[i] == c) {
      t->conns[i] = t->conns[--t->n_conns];
      break;
    }
  }
  for (size_t i = 0; i < t->n_staged; i++) { /* normally flushed already */
    if (t->staged[i] == c) {
      t->staged[i] = t->staged[--t->n_staged];
      break;
    }
  }
  t->st.conns = t->n_conns;
  pthread_mutex_unlock(&t->lock);
  dtw_gauge_set(t->cfg.conns, (double)t->n_conns);
  epoll_ctl(t->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  conn_free(c);
}

static void peer_name(const struct sockaddr_storage *sa, char *out, size_t cap, char *host,
                      size_t hcap) {
  snprintf(host, hcap, "?");
  int port = 0;
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)hcap);
    port = ntohs(in->sin_port);
  } else if (sa->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in->sin6_addr, host, (socklen_t)hcap);
    port = ntohs(in->sin6_port);
  }
  snprintf(out, cap, "%s:%d", host, port);
}

/* Out of descriptors: shed the pending connection on the reserved descriptor
 * (its peer sees a close, not a hang) and pause accepting, so the listener's
 * level-triggered readiness cannot spin the loop. */
static void out_of_fds(dtw__bt_t *t, int e) {
  bool shed = false;
  if (t->reserve_fd >= 0) {
    close(t->reserve_fd);
    int fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      shed = true;
    }
    t->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  t->h.on_refused(t->h.user, "?", DTW__BT_REFUSE_NO_FD);
  struct epoll_event ev = {.events = 0, .data.ptr = &t->lfd};
  epoll_ctl(t->epfd, EPOLL_CTL_MOD, t->lfd, &ev);
  t->accept_resume_ns = dtw_clock_mono_ns() + t->cfg.accept_pause_ns;
  dtw_log_limited(&t->lim, DTW_LOG_WARN, LOG,
                  "accept: %s: %s a connection, not accepting for %.0f ms", strerror(e),
                  shed ? "refused" : "could not refuse", (double)t->cfg.accept_pause_ns / 1e6);
}

static void resume_accept(dtw__bt_t *t, int64_t now) {
  if (t->accept_resume_ns == 0 || now < t->accept_resume_ns) return;
  t->accept_resume_ns = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &t->lfd};
  epoll_ctl(t->epfd, EPOLL_CTL_MOD, t->lfd, &ev);
}

/* Room for a connection from host: 0, or the DTW__BT_REFUSE_* reason. When
 * every slot is taken, the connection idle longest gives its slot (closed now,
 * freed at the end of the round). */
static int admit(dtw__bt_t *t, const char *host, int64_t now) {
  size_t open = 0, same = 0;
  dtw__bt_conn_t *victim = NULL;
  int64_t oldest = INT64_MAX;
  for (size_t i = 0; i < t->n_conns; i++) {
    dtw__bt_conn_t *c = t->conns[i];
    if (c->close_reason >= 0 || c->broken) continue;
    open++;
    if (strcmp(c->host, host) == 0) same++;
    int64_t since = t->h.idle_since && t->cfg.slot_idle_ns > 0 ? t->h.idle_since(t->h.user, c)
                                                               : INT64_MAX;
    if (since < oldest) {
      oldest = since;
      victim = c;
    }
  }
  if (t->cfg.max_conns_per_addr > 0 && same >= t->cfg.max_conns_per_addr)
    return DTW__BT_REFUSE_PER_ADDR;
  if (open < t->cfg.max_conns) return 0;
  if (victim == NULL || now - oldest < t->cfg.slot_idle_ns) return DTW__BT_REFUSE_FULL;
  close_for(victim, DTW__BT_CLOSE_EVICTED);
  return 0;
}

static void on_accept(dtw__bt_t *t) {
  /* closing connections hold slots until the end of the round: when the table
   * is full of them, the rest wait in the backlog for the next round */
  while (t->n_conns < t->cap_conns) {
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    int fd = accept4(t->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE)
        out_of_fds(t, errno);
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        dtw_log_limited(&t->lim, DTW_LOG_WARN, LOG, "accept: %s", strerror(errno));
      return;
    }
    char peer[64], host[48];
    peer_name(&sa, peer, sizeof peer, host, sizeof host);
    int64_t now = dtw_clock_mono_ns();
    int why = admit(t, host, now);
    if (why != 0) {
      t->h.on_refused(t->h.user, peer, why);
      close(fd);
      continue;
    }
    dtw__bt_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL || (c->in = malloc(INPUT_INITIAL)) == NULL) {
      free(c);
      close(fd);
      continue;
    }
    c->t = t;
    c->fd = fd;
    c->in_cap = INPUT_INITIAL;
    c->close_reason = -1;
    c->last_rx_ns = c->accepted_ns = c->progress_ns = now;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    snprintf(c->host, sizeof c->host, "%s", host);
    dtw__bq_init(&c->q, t->cfg.queue_bytes, t->cfg.queue_frames);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* small frames, low latency */
    /* bound what the kernel buffers (autotuning goes to MiBs): past it our queue
     * drops the oldest frames, so a slow client gets recent data, not seconds-old */
    int sndbuf = CONN_SNDBUF;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
      close(fd);
      conn_free(c);
      continue;
    }
    pthread_mutex_lock(&t->lock);
    c->id = ++t->next_id;
    if (t->h.on_open(t->h.user, c) < 0) {
      pthread_mutex_unlock(&t->lock);
      epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      conn_free(c);
      continue;
    }
    t->conns[t->n_conns++] = c;
    t->st.conns = t->n_conns;
    t->st.accepted++;
    pthread_mutex_unlock(&t->lock);
    dtw_gauge_set(t->cfg.conns, (double)t->n_conns);
  }
}

/* ---- the loop ---------------------------------------------------------------------------- */

int dtw__bt_dispatch(dtw__bt_t *t, int64_t timeout_ns) {
  struct epoll_event evs[MAX_EVENTS];
  if (t->accept_resume_ns > 0) { /* wake in time to accept again */
    int64_t left = t->accept_resume_ns - dtw_clock_mono_ns();
    if (left < 0) left = 0;
    if (timeout_ns < 0 || left < timeout_ns) timeout_ns = left;
  }
  /* nanoseconds: the fan-out period is below epoll_wait's millisecond */
  struct timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
  int nev = epoll_pwait2(t->epfd, evs, MAX_EVENTS, timeout_ns < 0 ? NULL : &ts, NULL);
  if (nev < 0) return errno == EINTR ? 0 : DTW_EIO;
  for (int i = 0; i < nev; i++) {
    void *p = evs[i].data.ptr;
    if (p == &t->lfd) {
      on_accept(t);
    } else if (p == &t->efd) {
      uint64_t v;
      ssize_t r = read(t->efd, &v, sizeof v);
      (void)r;
    } else {
      dtw__bt_conn_t *c = p;
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
      if (evs[i].events & EPOLLOUT) {
        pthread_mutex_lock(&t->lock);
        flush(c);
        pthread_mutex_unlock(&t->lock);
      }
    }
  }
  return nev;
}

/* The deadlines of an open connection. */
static void check_deadlines(dtw__bt_t *t, dtw__bt_conn_t *c, int64_t now) {
  if (c->close_reason >= 0) return;
  if (t->cfg.handshake_timeout_ns > 0 && !c->consumed_any &&
      now - c->accepted_ns > t->cfg.handshake_timeout_ns)
    close_for(c, DTW__BT_CLOSE_HANDSHAKE);
  else if (t->cfg.frame_timeout_ns > 0 && c->in_len > 0 &&
           now - c->progress_ns > t->cfg.frame_timeout_ns)
    close_for(c, DTW__BT_CLOSE_SLOW);
  else if (t->cfg.idle_timeout_ns > 0 && now - c->last_rx_ns > t->cfg.idle_timeout_ns)
    close_for(c, DTW__BT_CLOSE_IDLE);
}

void dtw__bt_reap(dtw__bt_t *t, int64_t now) {
  resume_accept(t, now);
  for (size_t i = 0; i < t->n_conns;) {
    dtw__bt_conn_t *c = t->conns[i];
    check_deadlines(t, c, now);
    pthread_mutex_lock(&t->lock);
    bool gone = c->broken || c->close_reason >= 0;
    pthread_mutex_unlock(&t->lock);
    if (gone) {
      conn_close(t, c); /* swaps the last connection into slot i */
      continue;
    }
    i++;
  }
}

void dtw__bt_close_all(dtw__bt_t *t) {
  while (t->n_conns > 0) conn_close(t, t->conns[0]);
}

/* ---- create / destroy ----------------------------------------------------------------------- */

static int open_listener(dtw__bt_t *t, char *err, size_t errlen) {
  char port[16];
  snprintf(port, sizeof port, "%d", t->cfg.port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int g = getaddrinfo(t->bind_address, port, &hints, &ai);
  if (g != 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "'%s': %s", t->bind_address, gai_strerror(g));
  int rc = DTW_EIO, e = 0;
  for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      e = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 64) < 0) {
      e = errno;
      close(fd);
      continue;
    }
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    if (sa.ss_family == AF_INET6) {
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, t->addr, sizeof t->addr);
      t->port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    } else {
      inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, t->addr, sizeof t->addr);
      t->port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
    }
    t->lfd = fd;
    rc = 0;
    break;
  }
  freeaddrinfo(ai);
  if (rc < 0)
    return dtw_errf(err, errlen, DTW_EIO, "cannot listen on %s:%s: %s", t->bind_address, port,
                    strerror(e));
  return 0;
}

int dtw__bt_create(const dtw__bt_config_t *cfg, const dtw__bt_handler_t *handler,
                   dtw__bt_t **out, char *err, size_t errlen) {
  int rc;
  dtw__bt_t *t = calloc(1, sizeof *t);
  if (t == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "bridge: out of memory");
  t->cfg = *cfg;
  t->h = *handler;
  t->lfd = t->efd = t->epfd = -1;
  t->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (t->cfg.accept_pause_ns <= 0) t->cfg.accept_pause_ns = 100000000;
  snprintf(t->bind_address, sizeof t->bind_address, "%s", cfg->bind_address);
  t->cfg.bind_address = t->bind_address;
  pthread_mutex_init(&t->lock, NULL);
  /* evicted and refused-late connections close at the end of a round: room for them */
  t->cap_conns = 2 * (cfg->max_conns ? cfg->max_conns : 1) + MAX_EVENTS;
  if ((t->conns = calloc(t->cap_conns, sizeof *t->conns)) == NULL ||
      (t->staged = calloc(t->cap_conns, sizeof *t->staged)) == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "bridge: out of memory");
    goto fail;
  }
  if ((rc = open_listener(t, err, errlen)) < 0) goto fail;
  t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  t->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (t->efd < 0 || t->epfd < 0) {
    rc = dtw_errf(err, errlen, DTW_EIO, "bridge: eventfd/epoll: %s", strerror(errno));
    goto fail;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &t->lfd};
  struct epoll_event ev2 = {.events = EPOLLIN, .data.ptr = &t->efd};
  if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->lfd, &ev) < 0 ||
      epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->efd, &ev2) < 0) {
    rc = dtw_errf(err, errlen, DTW_EIO, "bridge: epoll_ctl: %s", strerror(errno));
    goto fail;
  }
  *out = t;
  return 0;
fail:
  dtw__bt_destroy(t);
  return rc;
}

void dtw__bt_destroy(dtw__bt_t *t) {
  if (t == NULL) return;
  dtw__bt_close_all(t);
  if (t->lfd >= 0) close(t->lfd);
  if (t->efd >= 0) close(t->efd);
  if (t->epfd >= 0) close(t->epfd);
  if (t->reserve_fd >= 0) close(t->reserve_fd);
  free(t->conns);
  free(t->staged);
  pthread_mutex_destroy(&t->lock);
  free(t);
}
