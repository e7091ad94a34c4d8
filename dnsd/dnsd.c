/* dnsd.c: consul-dnsd, the libev shell around answer.c. It serves DNS on UDP and TCP at
 * addresses.dns:ports.dns and keeps a catalog cache fresh with blocking CATALOG_DUMP queries
 * to raftd. Answers come from the cache, synchronously; while raftd is away the last cache
 * keeps serving, and before the first fill every query gets SERVFAIL.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "answer.h"
#include "catalog_view.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/net.h"
#include "common/privdrop.h"
#include "common/rpc.h"
#include "common/server_link.h"
#include "common/rpc_ops.h"

#define DUMP_WAIT_MS 300000     /* Consul's default blocking wait */
#define RETRY_MIN_S 0.1
#define RETRY_MAX_S 5.0
#define TCP_IDLE_S 10.0         /* miekg/dns closes idle TCP DNS connections after 8-10 s */
#define TCP_MAX_CONNS 64        /* bounds the memory a client can make us hold */
#define TCP_MAX_PENDING (128 * 1024) /* stop reading while this much output is unsent */
#define UDP_QUERY_MAX 4096      /* larger queries are not DNS queries we answer */
#define UDP_BATCH 32            /* datagrams read per wakeup before yielding to the loop */

struct dnsd {
	struct ev_loop *loop;
	struct config cfg;
	struct answer_config ac;
	struct catalog_view *view;
	uint64_t index;        /* of the cached view */
	uint64_t asked_index;  /* of the blocking query in flight */
	bool resync;           /* ask without an index: raftd may have restarted with a lower one */
	ev_tstamp asked_at;
	bool raft_down_logged;
	struct rpc_client *raft;
	char *raft_path;
	ev_timer retry;
	double retry_s;
	int udp_fd, tcp_fd;
	ev_io udp_w, tcp_w;
	ev_signal sigterm_w, sigint_w, sighup_w;
	size_t n_conns;
	uint64_t seed;
	uint64_t dropped; /* queries left unanswered: malformed, or out of memory */
	bool stopping;
	int argc;         /* the flags, kept to reload the configuration on SIGHUP */
	char **argv;
};

struct tcp_conn {
	struct dnsd *d;
	int fd;
	ev_io rw, ww;
	ev_timer idle;
	struct buf in, out;
};

/* ---- answering ---- */

static uint64_t next_seed(struct dnsd *d)
{
	d->seed = d->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return d->seed;
}

/* Answers one query; returns 0 with *resp to send and free, or <0 to send nothing. */
static int dnsd_answer(struct dnsd *d, bool tcp, const uint8_t *q, size_t len, uint8_t **resp, size_t *resp_len)
{
	struct answer_config ac = d->ac;
	int rc;

	ac.tcp = tcp;
	ac.seed = next_seed(d);
	ac.soa_serial = (uint32_t)ev_now(d->loop); /* Consul: the current Unix time */
	rc = answer_query(d->view, &ac, q, len, resp, resp_len);
	if (rc < 0) {
		d->dropped++;
		log_debug("dns: dropped a %zu-byte %s query (%s), %" PRIu64 " so far", len, tcp ? "tcp" : "udp",
			  rc == -ENOMEM ? "out of memory" : "not a query", d->dropped);
	}
	return rc;
}

static void udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dnsd *d = w->data;
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		uint8_t pkt[UDP_QUERY_MAX];
		struct sockaddr_storage from;
		socklen_t from_len = sizeof from;
		uint8_t *resp;
		size_t resp_len;
		ssize_t n = recvfrom(d->udp_fd, pkt, sizeof pkt, MSG_TRUNC, (struct sockaddr *)&from, &from_len);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("dns: udp receive");
			return;
		}
		if ((size_t)n > sizeof pkt) {
			d->dropped++;
			continue;
		}
		if (dnsd_answer(d, false, pkt, (size_t)n, &resp, &resp_len) < 0)
			continue;
		if (sendto(d->udp_fd, resp, resp_len, 0, (struct sockaddr *)&from, from_len) < 0)
			log_debug("dns: udp send: %s", strerror(errno));
		free(resp);
	}
}

/* ---- TCP: 2-byte length prefix, several queries per connection ---- */

static void tcp_close(struct tcp_conn *c)
{
	struct dnsd *d = c->d;

	ev_io_stop(d->loop, &c->rw);
	ev_io_stop(d->loop, &c->ww);
	ev_timer_stop(d->loop, &c->idle);
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	d->n_conns--;
}

/* Writes what it can; returns false if the connection was closed. */
static bool tcp_flush(struct tcp_conn *c)
{
	struct dnsd *d = c->d;

	while (c->out.pos < c->out.len) {
		ssize_t n = write(c->fd, c->out.data + c->out.pos, c->out.len - c->out.pos);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(d->loop, &c->ww);
			return true;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			tcp_close(c);
			return false;
		}
		buf_consume(&c->out, (size_t)n);
	}
	ev_io_stop(d->loop, &c->ww);
	if (!ev_is_active(&c->rw))
		ev_io_start(d->loop, &c->rw);
	return true;
}

/* Answers every complete query in the input. Returns false if the connection must close. */
static bool tcp_process(struct tcp_conn *c)
{
	while (c->in.len - c->in.pos >= 2) {
		const uint8_t *p = (const uint8_t *)c->in.data + c->in.pos;
		size_t mlen = (size_t)(p[0] << 8 | p[1]);
		uint8_t *resp;
		size_t resp_len;

		if (mlen == 0)
			return false;
		if (c->in.len - c->in.pos < 2 + mlen)
			break;
		if (dnsd_answer(c->d, true, p + 2, mlen, &resp, &resp_len) == 0) {
			uint8_t pre[2] = {(uint8_t)(resp_len >> 8), (uint8_t)resp_len};
			int rc = resp_len > 65535 ? -EMSGSIZE : buf_append(&c->out, pre, 2);

			if (rc == 0)
				rc = buf_append(&c->out, resp, resp_len);
			free(resp);
			if (rc < 0)
				return false;
		}
		buf_consume(&c->in, 2 + mlen);
	}
	buf_compact(&c->in);
	return true;
}

static void tcp_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *c = w->data;
	ssize_t n;

	if (buf_reserve(&c->in, 2048) < 0) {
		tcp_close(c);
		return;
	}
	n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		tcp_close(c);
		return;
	}
	c->in.len += (size_t)n;
	ev_timer_again(loop, &c->idle);
	if (!tcp_process(c)) {
		tcp_close(c);
		return;
	}
	if (c->out.len - c->out.pos > TCP_MAX_PENDING)
		ev_io_stop(loop, &c->rw); /* a client that does not read: wait for it */
	tcp_flush(c);
}

static void tcp_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	tcp_flush(w->data);
}

static void tcp_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	tcp_close(w->data);
}

static void tcp_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dnsd *d = w->data;
	struct tcp_conn *c;
	int fd = accept4(d->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("dns: tcp accept");
		return;
	}
	if (d->n_conns >= TCP_MAX_CONNS || (c = calloc(1, sizeof *c)) == NULL) {
		log_debug("dns: tcp connection refused: %zu open", d->n_conns);
		close(fd);
		return;
	}
	c->d = d;
	c->fd = fd;
	buf_init(&c->in);
	buf_init(&c->out);
	ev_io_init(&c->rw, tcp_read_cb, fd, EV_READ);
	ev_io_init(&c->ww, tcp_write_cb, fd, EV_WRITE);
	ev_init(&c->idle, tcp_idle_cb);
	c->idle.repeat = TCP_IDLE_S;
	c->rw.data = c->ww.data = c->idle.data = c;
	ev_io_start(loop, &c->rw);
	ev_timer_again(loop, &c->idle);
	d->n_conns++;
}

/* ---- listening ---- */

/* ---- the catalog cache ---- */

static void refresh(struct dnsd *d);

static void retry_later(struct dnsd *d)
{
	ev_timer_stop(d->loop, &d->retry);
	ev_timer_set(&d->retry, d->retry_s, 0);
	ev_timer_start(d->loop, &d->retry);
	d->retry_s = d->retry_s * 2 > RETRY_MAX_S ? RETRY_MAX_S : d->retry_s * 2;
}

static void raft_trouble(struct dnsd *d, const char *why)
{
	d->resync = true;
	if (!d->raft_down_logged)
		log_warnx("catalog: cannot refresh from raftd (%s): %s; retrying", d->raft_path, why);
	d->raft_down_logged = true;
	retry_later(d);
}

static void on_dump(void *arg, const struct rpc_reply *r)
{
	struct dnsd *d = arg;
	char err[160];
	bool fast = ev_now(d->loop) - d->asked_at < 1.0;

	if (d->stopping)
		return;
	if (r->status != 200) {
		snprintf(err, sizeof err, "status %" PRIu32 ": %.*s", r->status, (int)(r->body_len > 100 ? 100 : r->body_len),
			 r->body ? r->body : "");
		raft_trouble(d, err);
		return;
	}
	d->resync = false;
	/* parse when the index moved, or after asking without one (raftd may be new) */
	if (d->view == NULL || r->index != d->index || d->asked_index == 0) {
		struct catalog_view *v = catalog_view_parse(r->body ? r->body : "", r->body_len, err, sizeof err);

		if (v == NULL) {
			raft_trouble(d, err);
			return;
		}
		if (d->view == NULL)
			log_info("catalog: cache filled at index %" PRIu64 ": %zu nodes, %zu service instances", r->index,
				 v->n_nodes, v->n_instances);
		else
			log_debug("catalog: index %" PRIu64 ": %zu nodes, %zu service instances", r->index, v->n_nodes,
				  v->n_instances);
		catalog_view_free(d->view);
		d->view = v;
		d->index = r->index;
		malloc_trim(0); /* the parse tree was the peak: give it back while idle */
	}
	if (d->raft_down_logged)
		log_info("catalog: refreshing from raftd again");
	d->raft_down_logged = false;
	d->retry_s = RETRY_MIN_S;
	/* A blocking query that comes straight back unchanged is not blocking (index 0, or a
	 * peer that ignores it): pace it rather than spin. */
	if (fast && r->index == d->asked_index) {
		ev_timer_stop(d->loop, &d->retry);
		ev_timer_set(&d->retry, 1.0, 0);
		ev_timer_start(d->loop, &d->retry);
		return;
	}
	refresh(d);
}

static void refresh(struct dnsd *d)
{
	char args[80];
	uint64_t index = d->resync ? 0 : d->index;
	int n = snprintf(args, sizeof args, "{\"index\":%" PRIu64 ",\"wait_ms\":%d}", index, DUMP_WAIT_MS);
	int64_t id;

	d->asked_index = index;
	d->asked_at = ev_now(d->loop);
	id = rpc_call(d->raft, RPC_CATALOG_DUMP, args, (size_t)n, on_dump, d);
	if (id == -ENOTCONN) {
		/* still connecting, or raftd restarting: the client reconnects by itself */
		if (d->retry_s >= 1.0)
			raft_trouble(d, "not connected");
		else
			retry_later(d);
	} else if (id < 0) {
		raft_trouble(d, strerror((int)-id));
	}
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	refresh(w->data);
}

/* ---- start and stop ---- */

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct dnsd *d = w->data;

	log_info("signal %d: shutting down", w->signum);
	d->stopping = true;
	ev_break(loop, EVBREAK_ALL);
}

static void answer_config_init(struct answer_config *ac, const struct config *cfg)
{
	memset(ac, 0, sizeof *ac);
	ac->domain = cfg->domain;
	ac->datacenter = cfg->datacenter;
	ac->node_ttl_s = cfg->dns_node_ttl_s;
	ac->service_ttl_s = cfg->dns_service_ttl_s;
	ac->only_passing = cfg->dns_only_passing;
	ac->enable_truncate = cfg->dns_enable_truncate;
	ac->node_meta_txt = true; /* Consul's enable_additional_node_meta_txt default */
	ac->udp_answer_limit = cfg->dns_udp_answer_limit;
	if (cfg->recursors.n > 0)
		log_warnx("dns: recursors are not supported yet: names outside %s are refused", cfg->domain);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* SIGHUP: reread flags and files. dns_config, the domain, the datacenter and the log level
 * take effect now; a new address, port or data dir needs a restart. */
static void hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct dnsd *d = w->data;
	struct config fresh;
	char err[1024];

	if (role_config_reload(&d->cfg, d->argc, d->argv, &fresh, err, sizeof err) < 0) {
		log_error("reload: keeping the old configuration: %s", err);
		return;
	}
	if (fresh.port_dns != d->cfg.port_dns || !same_str(fresh.addr_dns, d->cfg.addr_dns) ||
	    !same_str(fresh.data_dir, d->cfg.data_dir))
		log_warnx("reload: a new DNS address, port or data dir takes effect at restart");
	config_free(&d->cfg);
	d->cfg = fresh;
	log_set_level(d->cfg.log_level);
	answer_config_init(&d->ac, &d->cfg);
	log_info("reload: configuration reloaded");
}

int main(int argc, char **argv)
{
	struct dnsd d;

	memset(&d, 0, sizeof d);
	d.argc = argc;
	d.argv = argv;
	role_start("dnsd", argc, argv, &d.cfg);
	if (d.cfg.port_dns < 0) {
		log_info("dns disabled (ports.dns = %d)", d.cfg.port_dns);
		config_free(&d.cfg);
		return 0;
	}
	d.loop = EV_DEFAULT;
	answer_config_init(&d.ac, &d.cfg);
	if (getrandom(&d.seed, sizeof d.seed, 0) != (ssize_t)sizeof d.seed)
		d.seed = (uint64_t)getpid() ^ (uint64_t)ev_time();

	char err[256];
	if ((d.udp_fd = net_listen(d.cfg.addr_dns, d.cfg.port_dns, SOCK_DGRAM, err, sizeof err)) < 0 ||
	    (d.tcp_fd = net_listen(d.cfg.addr_dns, d.cfg.port_dns, SOCK_STREAM, err, sizeof err)) < 0)
		fatalx("dns: %s", err);
	log_info("dns: listening on %s:%d (udp, tcp), domain %s", d.cfg.addr_dns, d.cfg.port_dns, d.cfg.domain);
	priv_drop(d.cfg.user);

	ev_io_init(&d.udp_w, udp_cb, d.udp_fd, EV_READ);
	ev_io_init(&d.tcp_w, tcp_accept_cb, d.tcp_fd, EV_READ);
	d.udp_w.data = d.tcp_w.data = &d;
	ev_io_start(d.loop, &d.udp_w);
	ev_io_start(d.loop, &d.tcp_w);
	ev_signal_init(&d.sigterm_w, stop_cb, SIGTERM);
	ev_signal_init(&d.sigint_w, stop_cb, SIGINT);
	ev_signal_init(&d.sighup_w, hup_cb, SIGHUP);
	d.sigterm_w.data = d.sigint_w.data = d.sighup_w.data = &d;
	ev_signal_start(d.loop, &d.sigterm_w);
	ev_signal_start(d.loop, &d.sigint_w);
	ev_signal_start(d.loop, &d.sighup_w);

	d.raft_path = config_run_path(&d.cfg, "raft.sock");
	d.raft = server_link_new(d.loop, &d.cfg, "raftd");  /* a server's, on client agents */
	ev_init(&d.retry, retry_cb);
	d.retry.data = &d;
	d.retry_s = RETRY_MIN_S;
	refresh(&d);

	ev_run(d.loop, 0);
	if (!d.stopping)
		fatalx("event loop returned");
	rpc_client_free(d.raft);
	catalog_view_free(d.view);
	free(d.raft_path);
	close(d.udp_fd);
	close(d.tcp_fd);
	config_free(&d.cfg);
	return 0;
}
