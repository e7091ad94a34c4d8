/* server.c: connections, on libev (see server.h). One request per connection is in flight
 * at a time; pipelined requests wait in the read buffer and are answered in order. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/log.h"
#include "common/net.h"
#include "common/rpc_ops.h"
#include "http_parser.h"
#include "http_response.h"

#define READ_CHUNK 16384
/* A snapshot restore goes to raftd as one frame holding the body as it is. */
_Static_assert(HTTP_MAX_SNAPSHOT_BODY_BYTES <= FRAME_MAX_PAYLOAD, "a snapshot body must fit one RPC frame");
/* Unsent output above which pipelined requests wait for the client to read. */
#define OUT_HIGH_WATER (256 * 1024)
/* Buffers bigger than this are given back when a connection goes quiet. */
#define KEEP_BUF_BYTES (64 * 1024)
/* Freeing at least this much at once (a large snapshot upload's buffers) also hands the pages
 * back to the system: glibc keeps big freed blocks in its heap otherwise. */
#define TRIM_AFTER_BYTES (1024 * 1024)
/* After answering a malformed request: how long to drain the client before closing, so
 * the answer is not lost to a reset (Go's server waits likewise). */
#define DRAIN_TIMEOUT_S 2.0

struct conn {
	struct httpd_server *srv;
	struct conn *prev, *next;
	int fd;
	char peer[64];
	ev_io rio, wio;
	ev_timer timer;
	struct buf in, out;
	bool busy;               /* a request's RPC is in flight */
	int64_t call_id;
	enum route_peer call_peer;
	bool keep_alive;         /* of the request in flight */
	struct route_plan plan;  /* of the request in flight */
	bool continue_sent;      /* "100 Continue" already sent for the request being read */
	size_t max_body;         /* body limit of the request being read (its head chose it) */
	size_t in_high_water;    /* unparsed input held before reading pauses, from max_body */
	struct http_chunk_resume chunk_resume; /* of the request being read */
	bool close_after_write;  /* no more requests: flush, then shut down */
	bool draining;           /* output shut down; discarding input until EOF or timeout */
	bool read_paused;
};

struct httpd_server {
	struct ev_loop *loop;
	const struct config *cfg;
	struct rpc_client *peers[ROUTE_PEER_COUNT];
	int fd;
	ev_io accept_io;
	struct conn *conns;
	size_t nconns;
	uint64_t refused_conns;
};

static void conn_process(struct conn *c);

/* Frees b; returns the bytes it held. */
static size_t buf_release(struct buf *b)
{
	size_t cap = b->cap;
	buf_free(b);
	return cap;
}

static void trim_if_big(size_t freed)
{
	if (freed >= TRIM_AFTER_BYTES)
		malloc_trim(0);
}

/* Sets the limits for the request being read: the read buffer may hold one whole request of
 * that body limit plus slack, so only a connection whose head asked for a large body (and
 * was allowed it) may buffer more than the small default. */
static void conn_set_body_limit(struct conn *c, size_t max_body)
{
	c->max_body = max_body;
	c->in_high_water = HTTP_MAX_HEAD_BYTES + http_max_wire_body(max_body) + READ_CHUNK;
}

static void conn_close(struct conn *c)
{
	struct httpd_server *s = c->srv;
	if (c->busy)
		rpc_cancel(s->peers[c->call_peer], c->call_id);
	ev_io_stop(s->loop, &c->rio);
	ev_io_stop(s->loop, &c->wio);
	ev_timer_stop(s->loop, &c->timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	size_t freed = buf_release(&c->in) + buf_release(&c->out) + c->plan.args.cap;
	route_plan_free(&c->plan);
	free(c);
	trim_if_big(freed);
}

static void queue_response(struct conn *c, const struct http_response *resp, bool keep_alive)
{
	if (!keep_alive)
		c->close_after_write = true;
	if (http_response_write(&c->out, resp, keep_alive, (time_t)ev_now(c->srv->loop)) < 0) {
		log_warnx("http: out of memory answering %s", c->peer);
		c->close_after_write = true;
	}
}

/* Answers a request that could not be parsed, then closes. Go's server words. */
static void queue_parse_error(struct conn *c, ssize_t rc, const struct http_request *req)
{
	struct http_response resp;
	http_response_init(&resp);
	int status = http_parse_status(rc);
	char msg[256];
	switch (status) {
	case 413:
		snprintf(msg, sizeof msg,
			 "Request body(%zu bytes) too large, max size: %zu bytes. See "
			 "https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.",
			 req->content_length, c->max_body);
		break;
	case 501:
		snprintf(msg, sizeof msg, "Unsupported transfer encoding");
		break;
	default:
		snprintf(msg, sizeof msg, "%d %s", status, http_status_text(status));
		break;
	}
	http_response_text(&resp, status, msg);
	log_debug("http: %s from=%s", msg, c->peer);
	queue_response(c, &resp, false);
	http_response_free(&resp);
}

static void ignore_reply(void *arg, const struct rpc_reply *reply)
{
}

static void on_reply(void *arg, const struct rpc_reply *reply)
{
	struct conn *c = arg;
	struct httpd_server *s = c->srv;
	struct http_response resp;
	http_response_init(&resp);
	c->busy = false;
	route_render(s->cfg, &c->plan, reply, &resp);
	queue_response(c, &resp, c->keep_alive);
	http_response_free(&resp);
	ev_timer_again(s->loop, &c->timer);
	/* A follow-up (the shutdown after a leave) goes out only once the answer is written:
	 * the supervisor stops this process as soon as it has it. */
	unsigned then_op = reply->status == 200 ? c->plan.then_op : 0;
	enum route_peer then_peer = c->plan.then_peer;
	conn_process(c); /* may free c */
	if (then_op && rpc_call(s->peers[then_peer], then_op, "{}", 2, ignore_reply, NULL) < 0)
		log_warnx("http: %s: %s not reachable", rpc_op_name(then_op), route_peer_name[then_peer]);
}

/* Routes one parsed request: answers it at once, or sends its RPC and marks c busy. */
static void dispatch(struct conn *c, const struct http_request *req, const char *body, size_t body_len)
{
	struct httpd_server *s = c->srv;
	struct http_response resp;
	http_response_init(&resp);
	c->keep_alive = req->keep_alive;
	route_plan_free(&c->plan);
	route_plan_init(&c->plan);

	struct route_request rr;
	char err[128];
	if (route_request_init(&rr, req->method.p, req->method.len, req->target.p, req->target.len, body, body_len,
			       err, sizeof err) < 0) {
		log_debug("http: %s from=%s", err, c->peer);
		http_response_text(&resp, 400, err);
		queue_response(c, &resp, c->keep_alive);
		http_response_free(&resp);
		return;
	}
	route_plan(s->cfg, &rr, &c->plan);
	log_debug("http: request %s %.*s from=%s", rr.method, (int)req->target.len, req->target.p, c->peer);
	route_request_free(&rr);

	if (c->plan.status) {
		route_render_immediate(&c->plan, &resp);
		queue_response(c, &resp, c->keep_alive);
		http_response_free(&resp);
		return;
	}
	int64_t id = rpc_call(s->peers[c->plan.peer], c->plan.op, c->plan.args.data, c->plan.args.len, on_reply, c);
	if (id < 0) {
		log_warnx("http: %s for %s: %s not reachable", rpc_op_name(c->plan.op), c->peer,
			  route_peer_name[c->plan.peer]);
		route_render_peer_down(&c->plan, s->cfg->server, &resp);
		queue_response(c, &resp, c->keep_alive);
		http_response_free(&resp);
		return;
	}
	/* The frame holds a copy now, and rendering the reply needs only the plan's other fields:
	 * give back the args (a snapshot restore's are the whole file) instead of keeping them
	 * while the call runs and the connection idles. */
	trim_if_big(buf_release(&c->plan.args));
	c->busy = true;
	c->call_id = id;
	c->call_peer = c->plan.peer;
	http_response_free(&resp);
}

/* Parses and dispatches what the read buffer holds, until a request is in flight, the
 * input runs out, or the client must read first. */
static void parse_pending(struct conn *c)
{
	while (!c->busy && !c->close_after_write && c->out.len - c->out.pos < OUT_HIGH_WATER) {
		size_t avail = c->in.len - c->in.pos;
		if (avail == 0)
			break;
		char *base = c->in.data + c->in.pos;
		struct http_request req;
		/* Two steps: the head (once whole) chooses the body limit the request is parsed with. */
		ssize_t head = http_parse_head(base, avail, &req);
		conn_set_body_limit(c, head > 0 ? http_body_limit(&req) : HTTP_MAX_BODY_BYTES);
		ssize_t n = head < 0 ? head : http_parse_request(base, avail, c->max_body, &c->chunk_resume, &req);
		if (n == HTTP_PARSE_INCOMPLETE) {
			/* curl waits a second for this before sending a body over 1 KB */
			if (!c->continue_sent && head > 0 && req.expect_continue) {
				buf_append_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
				c->continue_sent = true;
			}
			break;
		}
		if (n < 0) {
			queue_parse_error(c, n, &req);
			break;
		}
		c->continue_sent = false;
		size_t body_len = req.body.len;
		char *body = base + (req.body.p - base);
		if (req.chunked)
			body_len = http_chunked_decode(body, req.body.len, body);
		dispatch(c, &req, body, body_len);
		/* The plan copied what it needs from the buffer. */
		buf_consume(&c->in, (size_t)n);
		conn_set_body_limit(c, HTTP_MAX_BODY_BYTES);
		c->chunk_resume = (struct http_chunk_resume){0};
	}
}

/* Writes what it can. Returns -1 when the connection failed. */
static int flush_out(struct conn *c)
{
	while (c->out.pos < c->out.len) {
		ssize_t n = write(c->fd, c->out.data + c->out.pos, c->out.len - c->out.pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(c->srv->loop, &c->wio);
			return 0;
		}
		if (n <= 0)
			return -1;
		buf_consume(&c->out, (size_t)n);
	}
	ev_io_stop(c->srv->loop, &c->wio);
	return 0;
}

static void release_big_buffers(struct conn *c)
{
	size_t freed = 0;
	if (c->in.len == 0 && c->in.cap > KEEP_BUF_BYTES)
		freed += buf_release(&c->in);
	if (c->out.len == 0 && c->out.cap > KEEP_BUF_BYTES)
		freed += buf_release(&c->out);
	trim_if_big(freed);
}

/* The one place a connection moves forward: parse, write, pause or resume reading, and
 * close. Callers must not touch c afterwards. */
static void conn_process(struct conn *c)
{
	struct ev_loop *loop = c->srv->loop;
	if (!c->draining)
		parse_pending(c);
	if (flush_out(c) < 0) {
		conn_close(c);
		return;
	}
	if (c->out.pos < c->out.len)
		return; /* the write watcher calls back */
	release_big_buffers(c);
	if (c->close_after_write && !c->busy && !c->draining) {
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		buf_free(&c->in);
		ev_io_start(loop, &c->rio);
		c->read_paused = false;
		c->timer.repeat = DRAIN_TIMEOUT_S;
		ev_timer_again(loop, &c->timer);
		return;
	}
	bool too_much = c->in.len - c->in.pos >= c->in_high_water;
	if (too_much && !c->read_paused) {
		ev_io_stop(loop, &c->rio);
		c->read_paused = true;
	} else if (!too_much && c->read_paused) {
		ev_io_start(loop, &c->rio);
		c->read_paused = false;
	}
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	if (c->in.pos > 0)
		buf_compact(&c->in);
	if (buf_reserve(&c->in, READ_CHUNK) < 0) {
		log_warnx("http: out of memory reading from %s", c->peer);
		conn_close(c);
		return;
	}
	ssize_t n = read(c->fd, c->in.data + c->in.len, READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF or error: a pending blocking query is cancelled by conn_close. */
		conn_close(c);
		return;
	}
	if (c->draining) {
		buf_reset(&c->in);
		return;
	}
	c->in.len += (size_t)n;
	c->in.data[c->in.len] = '\0';
	if (!c->busy)
		ev_timer_again(loop, &c->timer);
	conn_process(c);
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	conn_process(w->data);
}

static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	if (c->busy && !c->draining) {
		ev_timer_again(loop, w); /* a blocking query may rightly take minutes */
		return;
	}
	log_debug("http: closing %s connection from %s", c->draining ? "drained" : "idle", c->peer);
	conn_close(c);
}

static void describe_peer(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, len, "%s:%d", host, port);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct httpd_server *s = w->data;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(s->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				log_warn("http: accept");
			return;
		}
		if (s->nconns >= HTTPD_MAX_CONNS) {
			if (s->refused_conns++ % 100 == 0)
				log_warnx("http: %zu connections open, refusing more (%llu refused so far)", s->nconns,
					  (unsigned long long)s->refused_conns);
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* as Go's server does */
		c->srv = s;
		c->fd = fd;
		describe_peer(&ss, c->peer, sizeof c->peer);
		buf_init(&c->in);
		buf_init(&c->out);
		route_plan_init(&c->plan);
		conn_set_body_limit(c, HTTP_MAX_BODY_BYTES);
		ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
		ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
		ev_init(&c->timer, conn_timer_cb);
		c->timer.repeat = HTTPD_IDLE_TIMEOUT_S;
		c->rio.data = c->wio.data = c->timer.data = c;
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		ev_io_start(loop, &c->rio);
		ev_timer_again(loop, &c->timer);
	}
}

struct httpd_server *httpd_server_listen(struct ev_loop *loop, const struct config *cfg)
{
	struct httpd_server *s = calloc(1, sizeof *s);
	if (!s)
		fatalx("out of memory");
	s->loop = loop;
	s->cfg = cfg;
	s->fd = -1;
	if (cfg->port_http < 0) {
		log_info("http: disabled (ports.http is -1)");
		return s;
	}
	const char *addr = cfg->addr_http ? cfg->addr_http : (cfg->client_addr ? cfg->client_addr : "127.0.0.1");
	char err[256];
	int fd = net_listen(addr, cfg->port_http, SOCK_STREAM, err, sizeof err);
	if (fd < 0)
		fatalx("http: %s", err);
	s->fd = fd;
	log_info("http: listening on %s:%d", addr, cfg->port_http);
	return s;
}

void httpd_server_start(struct httpd_server *s, struct rpc_client *const peers[ROUTE_PEER_COUNT])
{
	for (int i = 0; i < ROUTE_PEER_COUNT; i++)
		s->peers[i] = peers[i];
	if (s->fd < 0)
		return;
	ev_io_init(&s->accept_io, accept_cb, s->fd, EV_READ);
	s->accept_io.data = s;
	ev_io_start(s->loop, &s->accept_io);
}

void httpd_server_free(struct httpd_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	if (s->fd >= 0) {
		ev_io_stop(s->loop, &s->accept_io);
		close(s->fd);
	}
	free(s);
}
