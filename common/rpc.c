/* rpc.c: request/reply links over Unix stream sockets, framed by frame.h, on libev. */
#include "rpc.h"
#include "byteorder.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "frame.h"
#include "log.h"
#include "net.h"
#include "rpc_ops.h"

#define RPC_META_LEN 24
#define READ_CHUNK 16384
#define BACKOFF_MIN 0.05
#define BACKOFF_MAX 2.0

/* ---- reply payload ---- */


int rpc_reply_encode(struct buf *out, const struct rpc_reply *reply)
{
	uint8_t meta[RPC_META_LEN] = {0};
	put_be(meta, reply->status, 4);
	put_be(meta + 4, reply->known_leader ? 1 : 0, 4);
	put_be(meta + 8, reply->index, 8);
	put_be(meta + 16, reply->last_contact_ms, 4);
	if (buf_append(out, meta, sizeof meta) < 0)
		return -ENOMEM;
	if (reply->body_len && buf_append(out, reply->body, reply->body_len) < 0)
		return -ENOMEM;
	return 0;
}

int rpc_reply_decode(const uint8_t *payload, size_t len, struct rpc_reply *out)
{
	if (len < RPC_META_LEN)
		return -EPROTO;
	uint64_t flags = get_be(payload + 4, 4);
	if (flags > 1)
		return -EPROTO;
	out->status = (uint32_t)get_be(payload, 4);
	out->known_leader = flags & 1;
	out->index = get_be(payload + 8, 8);
	out->last_contact_ms = (uint32_t)get_be(payload + 16, 4);
	out->body = (const char *)payload + RPC_META_LEN;
	out->body_len = len - RPC_META_LEN;
	return 0;
}

/* ---- shared socket helpers ---- */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Reads what is available into in. Returns >0 bytes read, 0 on EOF, -EAGAIN, or -errno. */
static ssize_t read_some(int fd, struct buf *in)
{
	buf_compact(in);
	if (buf_reserve(in, READ_CHUNK) < 0)
		return -ENOMEM;
	ssize_t n = read(fd, in->data + in->len, READ_CHUNK);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	in->len += (size_t)n;
	return n;
}

/* An emptied buffer above this size gives its memory back: one large snapshot or catalog
 * dump must not pin its size in every process it passed through. */
#define BUF_KEEP_BYTES (1u << 20)

static void buf_release_if_idle(struct buf *b)
{
	if (b->pos >= b->len && b->cap > BUF_KEEP_BYTES)
		buf_free(b);
}

/* Writes what it can of out. Returns 0 when all is written, 1 when some remains, or -errno. */
static int write_some(int fd, struct buf *out)
{
	while (out->pos < out->len) {
		ssize_t n = write(fd, out->data + out->pos, out->len - out->pos);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -errno;
		}
		buf_consume(out, (size_t)n);
	}
	buf_reset(out);
	buf_release_if_idle(out);
	return 0;
}

/* ---- client ---- */

struct pending {
	int64_t id;
	rpc_reply_cb cb;
	void *arg;
	struct pending *next;
};

struct rpc_client {
	struct ev_loop *loop;
	char *path;
	char *peer;
	int fd;
	bool connecting; /* a TCP connect in progress: calls queue until it completes */
	ev_io rio, wio;
	ev_timer retry;
	double backoff_s;
	struct buf in, out;
	int64_t next_id;
	struct pending *pending;
	bool was_connected;
	bool failure_logged;
};

static void client_try_connect(struct rpc_client *c);

static void client_fail_pending(struct rpc_client *c)
{
	char msg[256];
	int len = snprintf(msg, sizeof msg, "rpc error: %s is unreachable", c->peer);
	struct rpc_reply r = {.status = 503, .body = msg, .body_len = (size_t)len};
	while (c->pending) {
		struct pending *p = c->pending;
		c->pending = p->next;
		p->cb(p->arg, &r);
		free(p);
	}
}

static void client_disconnect(struct rpc_client *c, const char *why)
{
	if (c->fd < 0)
		return;
	bool was_connecting = c->connecting;
	if (was_connecting)
		log_debug("connect to %s at %s: %s; retrying", c->peer, c->path, why);
	else
		log_warnx("link to %s lost: %s; reconnecting", c->peer, why);
	c->connecting = false;
	ev_io_stop(c->loop, &c->rio);
	ev_io_stop(c->loop, &c->wio);
	close(c->fd);
	c->fd = -1;
	buf_reset(&c->in);
	buf_reset(&c->out);
	/* A link that worked is retried at once; a peer that keeps refusing, ever more slowly. */
	if (!was_connecting)
		c->backoff_s = BACKOFF_MIN;
	ev_timer_set(&c->retry, c->backoff_s, 0);
	ev_timer_start(c->loop, &c->retry);
	if (was_connecting)
		c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff_s * 2;
	client_fail_pending(c);
}

static void client_dispatch(struct rpc_client *c, const struct frame_hdr *hdr, const uint8_t *payload)
{
	struct rpc_reply r;
	if (hdr->flags != FRAME_REPLY || rpc_reply_decode(payload, hdr->len, &r) < 0) {
		client_disconnect(c, "malformed reply");
		return;
	}
	for (struct pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
		if ((uint32_t)(*pp)->id != hdr->request_id)
			continue;
		struct pending *p = *pp;
		*pp = p->next;
		p->cb(p->arg, &r);
		free(p);
		return;
	}
	/* A reply to a cancelled call: nothing waits for it. */
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rpc_client *c = w->data;
	ssize_t n = read_some(c->fd, &c->in);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return;
	if (n <= 0) {
		client_disconnect(c, n == 0 ? "peer closed the connection" : strerror((int)-n));
		return;
	}
	while (c->fd >= 0) {
		struct frame_hdr hdr;
		const uint8_t *payload;
		ssize_t used = frame_decode((const uint8_t *)c->in.data + c->in.pos, c->in.len - c->in.pos, &hdr,
					    &payload);
		if (used == 0)
			break;
		if (used < 0) {
			client_disconnect(c, "malformed frame");
			return;
		}
		/* Callbacks may call rpc_call (which only touches c->out), so payload stays valid. */
		client_dispatch(c, &hdr, payload);
		if (c->fd < 0)
			return;
		buf_consume(&c->in, (size_t)used);
		buf_release_if_idle(&c->in);
	}
}

static void client_connected(struct rpc_client *c);

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rpc_client *c = w->data;
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			client_disconnect(c, strerror(err));
			return;
		}
		client_connected(c);
	}
	int rc = write_some(c->fd, &c->out);
	if (rc < 0)
		client_disconnect(c, strerror(-rc));
	else if (rc == 0)
		ev_io_stop(loop, &c->wio);
}

static void client_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_try_connect(w->data);
}

/* Splits "host:port" (a TCP target); returns false for a Unix socket path. */
static bool tcp_target(const char *target, char *host, size_t host_len, char *port, size_t port_len)
{
	if (target[0] == '/')
		return false;
	const char *colon = strrchr(target, ':');
	if (!colon || (size_t)(colon - target) >= host_len || strlen(colon + 1) >= port_len)
		return false;
	const char *h = target;
	size_t n = (size_t)(colon - target);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') { /* [::1]:8300 */
		h++;
		n -= 2;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	strcpy(port, colon + 1);
	return true;
}

/* Starts a connection: Unix sockets connect at once, TCP ones may be left in progress.
 * Returns the fd (with *in_progress set) or -errno. */
static int client_open(const char *target, bool *in_progress)
{
	char host[256], port[16];
	*in_progress = false;
	if (!tcp_target(target, host, sizeof host, port, sizeof port)) {
		struct sockaddr_un sa;
		int err = unix_addr(&sa, target);
		if (err < 0)
			return err;
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || set_nonblock_cloexec(fd) < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		return fd;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = fd < 0 ? -errno : 0;
	if (fd >= 0) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			if (errno == EINPROGRESS) {
				*in_progress = true;
			} else {
				err = -errno;
				close(fd);
				fd = -1;
			}
		}
	}
	freeaddrinfo(ai);
	return fd >= 0 ? fd : err;
}

static void client_connected(struct rpc_client *c)
{
	c->connecting = false;
	if (c->was_connected || c->failure_logged)
		log_info("connected to %s", c->peer);
	c->was_connected = true;
	c->failure_logged = false;
	c->backoff_s = BACKOFF_MIN;
	if (c->out.len == c->out.pos)
		ev_io_stop(c->loop, &c->wio);
}

static void client_try_connect(struct rpc_client *c)
{
	if (c->fd >= 0 || !*c->path)
		return;
	bool in_progress;
	int fd = client_open(c->path, &in_progress);
	if (fd < 0) {
		if (!c->failure_logged) {
			log_debug("connect to %s at %s: %s; retrying", c->peer, c->path, strerror(-fd));
			c->failure_logged = true;
		}
		ev_timer_stop(c->loop, &c->retry);
		ev_timer_set(&c->retry, c->backoff_s, 0);
		ev_timer_start(c->loop, &c->retry);
		c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff_s * 2;
		return;
	}
	c->fd = fd;
	ev_timer_stop(c->loop, &c->retry);
	ev_io_set(&c->rio, fd, EV_READ);
	ev_io_set(&c->wio, fd, EV_WRITE);
	ev_io_start(c->loop, &c->rio);
	if (in_progress) {
		c->connecting = true;
		ev_io_start(c->loop, &c->wio); /* writable = the connect finished, one way or the other */
	} else {
		client_connected(c);
	}
}

struct rpc_client *rpc_client_new(struct ev_loop *loop, const char *socket_path, const char *peer_name)
{
	struct rpc_client *c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(socket_path)) || !(c->peer = strdup(peer_name)))
		fatalx("out of memory");
	c->loop = loop;
	c->fd = -1;
	c->next_id = 1;
	c->backoff_s = BACKOFF_MIN;
	buf_init(&c->in);
	buf_init(&c->out);
	ev_init(&c->rio, client_read_cb);
	ev_init(&c->wio, client_write_cb);
	ev_init(&c->retry, client_retry_cb);
	c->rio.data = c->wio.data = c->retry.data = c;
	client_try_connect(c);
	return c;
}

void rpc_client_free(struct rpc_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		ev_io_stop(c->loop, &c->rio);
		ev_io_stop(c->loop, &c->wio);
		close(c->fd);
		c->fd = -1;
	}
	ev_timer_stop(c->loop, &c->retry);
	client_fail_pending(c);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->path);
	free(c->peer);
	free(c);
}

void rpc_client_retarget(struct rpc_client *c, const char *target)
{
	if (strcmp(c->path, target) == 0)
		return;
	char *path = strdup(target);
	if (!path)
		fatalx("out of memory");
	log_info("link to %s: now %s", c->peer, *target ? target : "(none)");
	if (c->fd >= 0) {
		ev_io_stop(c->loop, &c->rio);
		ev_io_stop(c->loop, &c->wio);
		close(c->fd);
		c->fd = -1;
		c->connecting = false;
		buf_reset(&c->in);
		buf_reset(&c->out);
	}
	ev_timer_stop(c->loop, &c->retry);
	client_fail_pending(c);
	free(c->path);
	c->path = path;
	c->backoff_s = BACKOFF_MIN;
	c->failure_logged = false;
	if (*target)
		client_try_connect(c);
}

bool rpc_client_connected(const struct rpc_client *c)
{
	return c->fd >= 0 && !c->connecting;
}

int64_t rpc_call(struct rpc_client *c, unsigned op, const char *args, size_t args_len, rpc_reply_cb cb, void *arg)
{
	if (c->fd < 0)
		client_try_connect(c);
	if (c->fd < 0)
		return -ENOTCONN;
	struct pending *p = malloc(sizeof *p);
	if (!p)
		return -ENOMEM;
	int64_t id = c->next_id++;
	if ((uint32_t)c->next_id == 0)
		c->next_id++;
	struct frame_hdr hdr = {.type = (uint16_t)op, .flags = FRAME_REQUEST, .request_id = (uint32_t)id,
				.sender = (uint32_t)getpid()};
	int rc = frame_append(&c->out, &hdr, args, args_len);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*p = (struct pending){.id = id, .cb = cb, .arg = arg, .next = c->pending};
	c->pending = p;
	if (c->connecting)
		return id; /* sent when the connect completes */
	rc = write_some(c->fd, &c->out);
	if (rc == 1)
		ev_io_start(c->loop, &c->wio);
	else if (rc < 0) {
		/* The call is pending, so the disconnect reports it through cb as promised; but the
		 * caller expects cb to run later, not inside rpc_call: defer via the retry path. */
		ev_io_start(c->loop, &c->wio);
	}
	return id;
}

void rpc_cancel(struct rpc_client *c, int64_t call_id)
{
	for (struct pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == call_id) {
			struct pending *p = *pp;
			*pp = p->next;
			free(p);
			return;
		}
	}
}

/* ---- server ---- */

struct sconn;

struct rpc_req {
	struct sconn *conn; /* NULL once the client has gone */
	uint32_t request_id;
	uint16_t op;
	bool close_after; /* rpc_req_close(): the link closes once this reply is written */
	rpc_abandon_cb abandon_cb;
	void *abandon_arg;
	struct rpc_req *prev, *next;
};

struct sconn {
	struct rpc_server *server;
	int fd;
	ev_io rio, wio;
	struct buf in, out;
	struct rpc_req *reqs;
	bool closing;    /* a reply asked for the link to close once the output is written */
	bool in_handler; /* inside the read loop: closing waits until it returns */
	struct sconn *prev, *next;
};

struct rpc_server {
	struct ev_loop *loop;
	int fd;
	ev_io accept_io;
	char *path;
	rpc_handler handler;
	void *arg;
	struct sconn *conns;
	bool local_only; /* a Unix socket: only our uid, root, or also_uid may connect */
	bool also_uid_set;
	uid_t also_uid;
	uint64_t dropped_malformed;
};

static void req_unlink(struct rpc_req *req)
{
	struct sconn *sc = req->conn;
	if (!sc)
		return;
	if (req->prev)
		req->prev->next = req->next;
	else
		sc->reqs = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
	req->conn = NULL;
}

static void sconn_close(struct sconn *sc)
{
	struct rpc_server *s = sc->server;
	ev_io_stop(s->loop, &sc->rio);
	ev_io_stop(s->loop, &sc->wio);
	close(sc->fd);
	while (sc->reqs) {
		struct rpc_req *req = sc->reqs;
		req_unlink(req);
		if (req->abandon_cb)
			req->abandon_cb(req->abandon_arg, req);
	}
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		s->conns = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	buf_free(&sc->in);
	buf_free(&sc->out);
	free(sc);
}

static int sconn_flush(struct sconn *sc)
{
	int rc = write_some(sc->fd, &sc->out);
	if (rc == 1)
		ev_io_start(sc->server->loop, &sc->wio);
	else
		ev_io_stop(sc->server->loop, &sc->wio);
	/* A write error shows up as EOF or an error on the next read, which closes the link. */
	return rc;
}

/* Closes a closing link once its output is written, or cannot be (a write error stops the
 * write watcher, and reading is already stopped). */
static void sconn_close_if_done(struct sconn *sc)
{
	if (sc->closing && !sc->in_handler && !ev_is_active(&sc->wio))
		sconn_close(sc);
}

static void sconn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sconn *sc = w->data;
	sconn_flush(sc);
	sconn_close_if_done(sc);
}

static void sconn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sconn *sc = w->data;
	struct rpc_server *s = sc->server;
	ssize_t n = read_some(sc->fd, &sc->in);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return;
	if (n <= 0) {
		sconn_close(sc);
		return;
	}
	for (;;) {
		struct frame_hdr hdr;
		const uint8_t *payload;
		ssize_t used = frame_decode((const uint8_t *)sc->in.data + sc->in.pos, sc->in.len - sc->in.pos,
					    &hdr, &payload);
		if (used == 0)
			return;
		if (used < 0 || hdr.flags != FRAME_REQUEST) {
			/* A sibling role sent garbage: a bug on its side. Drop only this link. */
			s->dropped_malformed++;
			log_warnx("malformed frame on %s from pid %u; closing that link", s->path, hdr.sender);
			sconn_close(sc);
			return;
		}
		struct rpc_req *req = calloc(1, sizeof *req);
		if (!req) {
			log_warnx("out of memory; closing a link on %s", s->path);
			sconn_close(sc);
			return;
		}
		req->conn = sc;
		req->request_id = hdr.request_id;
		req->op = hdr.type;
		req->next = sc->reqs;
		if (sc->reqs)
			sc->reqs->prev = req;
		sc->reqs = req;
		/* The handler may reply at once, which only appends to sc->out, so the payload
		 * (inside sc->in) stays valid during the call. */
		sc->in_handler = true;
		s->handler(s->arg, req, hdr.type, (const char *)payload, hdr.len);
		sc->in_handler = false;
		buf_consume(&sc->in, (size_t)used);
		buf_release_if_idle(&sc->in);
		if (sc->closing) { /* nothing more is read from a link being closed */
			ev_io_stop(s->loop, &sc->rio);
			sconn_close_if_done(sc);
			return;
		}
	}
}

static bool peer_allowed(const struct rpc_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid() || (s->also_uid_set && cred.uid == s->also_uid);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rpc_server *s = w->data;
	int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept on %s", s->path);
		return;
	}
	if (s->local_only && !peer_allowed(s, fd)) {
		log_warnx("refused a connection on %s from another user", s->path);
		close(fd);
		return;
	}
	struct sconn *sc = calloc(1, sizeof *sc);
	if (!sc) {
		close(fd);
		return;
	}
	sc->server = s;
	sc->fd = fd;
	buf_init(&sc->in);
	buf_init(&sc->out);
	ev_io_init(&sc->rio, sconn_read_cb, fd, EV_READ);
	ev_io_init(&sc->wio, sconn_write_cb, fd, EV_WRITE);
	sc->rio.data = sc->wio.data = sc;
	sc->next = s->conns;
	if (s->conns)
		s->conns->prev = sc;
	s->conns = sc;
	ev_io_start(loop, &sc->rio);
}

static struct rpc_server *server_start(struct ev_loop *loop, int fd, const char *name, bool local_only,
					rpc_handler handler, void *arg)
{
	struct rpc_server *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(name)))
		fatalx("out of memory");
	s->loop = loop;
	s->fd = fd;
	s->local_only = local_only;
	s->handler = handler;
	s->arg = arg;
	ev_io_init(&s->accept_io, accept_cb, fd, EV_READ);
	s->accept_io.data = s;
	ev_io_start(loop, &s->accept_io);
	return s;
}

struct rpc_server *rpc_server_listen_tcp(struct ev_loop *loop, const char *addr, int port, rpc_handler handler,
					 void *arg)
{
	char err[256], name[300];
	int fd = net_listen(addr, port, SOCK_STREAM, err, sizeof err);
	if (fd < 0) {
		log_warnx("%s", err);
		return NULL;
	}
	snprintf(name, sizeof name, "%s:%d", addr, port);
	return server_start(loop, fd, name, false, handler, arg);
}

struct rpc_server *rpc_server_listen_unix(struct ev_loop *loop, const char *socket_path, rpc_handler handler,
					  void *arg)
{
	struct sockaddr_un sa;
	if (unix_addr(&sa, socket_path) < 0) {
		log_warnx("socket path too long: %s", socket_path);
		return NULL;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("socket for %s", socket_path);
		return NULL;
	}
	/* A socket file left by a previous run of this role would make bind fail. */
	unlink(socket_path);
	mode_t old = umask(0077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0 || listen(fd, 64) < 0) {
		log_warn("listen on %s", socket_path);
		close(fd);
		return NULL;
	}
	return server_start(loop, fd, socket_path, true, handler, arg);
}

void rpc_server_allow_uid(struct rpc_server *s, uid_t uid)
{
	s->also_uid = uid;
	s->also_uid_set = true;
}

void rpc_server_free(struct rpc_server *s)
{
	if (!s)
		return;
	while (s->conns)
		sconn_close(s->conns);
	ev_io_stop(s->loop, &s->accept_io);
	close(s->fd);
	free(s->path);
	free(s);
}

void rpc_reply_send(struct rpc_req *req, const struct rpc_reply *reply)
{
	struct sconn *sc = req->conn;
	if (sc) {
		req_unlink(req);
		struct buf payload;
		buf_init(&payload);
		struct frame_hdr hdr = {.type = req->op, .flags = FRAME_REPLY, .request_id = req->request_id,
					.sender = (uint32_t)getpid()};
		if (rpc_reply_encode(&payload, reply) < 0 ||
		    frame_append(&sc->out, &hdr, payload.data, payload.len) < 0) {
			/* Too large or out of memory: the caller still gets an answer. */
			log_warnx("reply to %s could not be encoded (%zu bytes)", rpc_op_name(req->op),
				  reply->body_len);
			static const char msg[] = "reply too large";
			struct rpc_reply err = {.status = 500, .body = msg, .body_len = sizeof msg - 1};
			buf_reset(&payload);
			if (rpc_reply_encode(&payload, &err) == 0)
				frame_append(&sc->out, &hdr, payload.data, payload.len);
		}
		buf_free(&payload);
		sconn_flush(sc);
		if (req->close_after) {
			sc->closing = true;
			ev_io_stop(sc->server->loop, &sc->rio);
			sconn_close_if_done(sc);
		}
	}
	free(req);
}

void rpc_req_close(struct rpc_req *req)
{
	req->close_after = true;
}

void rpc_reply_simple(struct rpc_req *req, uint32_t status, uint64_t index, const char *body, size_t len)
{
	struct rpc_reply r = {.status = status, .known_leader = true, .index = index, .body = body,
			      .body_len = len};
	rpc_reply_send(req, &r);
}

void rpc_req_on_abandon(struct rpc_req *req, rpc_abandon_cb cb, void *arg)
{
	req->abandon_cb = cb;
	req->abandon_arg = arg;
}

bool rpc_req_abandoned(const struct rpc_req *req)
{
	return req->conn == NULL;
}
