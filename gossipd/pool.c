/* pool.c: a gossip pool's packets, timer and the dispatch of the core's obligations. Streams
 * are in pool_stream.c. */
#include "pool.h"
#include "random.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "pool_int.h"
#include "wire.h"

enum {
	UDP_RX_MAX = 65536,
	UDP_BATCH = 64,          /* datagrams read per wakeup, so streams and timers get a turn */
	DROP_LOG_EVERY_MS = 5000,
};

uint64_t pool_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pool_format_addr(const struct swim_addr *a, char *out, size_t len)
{
	snprintf(out, len, strchr(a->host, ':') ? "[%s]:%u" : "%s:%u", a->host, a->port);
}

/* When a drop for this reason was last logged (reasons are static strings). */
static uint64_t *drop_logged_at(struct pool *p, const char *why)
{
	size_t oldest = 0;
	for (size_t i = 0; i < POOL_DROP_REASONS; i++) {
		if (p->drop_why[i] == why)
			return &p->drop_logged_ms[i];
		if (p->drop_logged_ms[i] < p->drop_logged_ms[oldest])
			oldest = i;
	}
	p->drop_why[oldest] = why;
	p->drop_logged_ms[oldest] = 0;
	return &p->drop_logged_ms[oldest];
}

void pool_note_drop(struct pool *p, const struct swim_addr *from, const char *what, const char *why)
{
	p->dropped++;
	uint64_t now = pool_now_ms();
	char addr[SWIM_ADDR_MAX + 10];
	pool_format_addr(from, addr, sizeof addr);
	/* A misconfigured peer sends many; one line per reason every few seconds says enough. */
	uint64_t *last = drop_logged_at(p, why);
	if (*last && now - *last < DROP_LOG_EVERY_MS) {
		log_debug("%s: dropped %s from %s: %s", p->label, what, addr, why);
		return;
	}
	*last = now;
	log_warnx("%s: dropped %s from %s: %s (%llu dropped so far)", p->label, what, addr, why,
		  (unsigned long long)p->dropped);
}

int pool_open_message(struct pool *p, const uint8_t *data, size_t len, const struct swim_addr *from,
		      const char *what, struct swim_msg *m)
{
	struct buf plain;
	buf_init(&plain);
	if (keyring_enabled(p->keyring)) {
		enum keyring_err ke = keyring_decrypt(p->keyring, data, len, &plain);
		if (ke != KEYRING_OK) {
			pool_note_drop(p, from, what, keyring_err_text(ke));
			buf_free(&plain);
			return -1;
		}
		data = (const uint8_t *)plain.data;
		len = plain.len;
	}
	enum wire_err we = wire_decode(data, len, m);
	if (we == WIRE_BAD_MAGIC && len && data[0] == KEYRING_VERSION && !keyring_enabled(p->keyring))
		pool_note_drop(p, from, what, "it is encrypted, and encryption is not enabled here");
	else if (we != WIRE_OK)
		pool_note_drop(p, from, what, wire_err_text(we));
	buf_free(&plain);
	return we == WIRE_OK ? 0 : -1;
}

const struct buf *pool_seal_message(struct pool *p, const struct swim_msg *m, size_t max)
{
	buf_reset(&p->scratch);
	int rc = max ? wire_encode_packet(m, max, &p->scratch) : wire_encode(m, &p->scratch);
	if (rc < 0) {
		log_warnx("%s: cannot encode a %s message: %s", p->label, max ? "packet" : "stream",
			  strerror(-rc));
		return NULL;
	}
	if (!keyring_enabled(p->keyring))
		return &p->scratch;
	uint8_t nonce[KEYRING_NONCE_LEN];
	buf_reset(&p->sealed);
	if (random_bytes(nonce, sizeof nonce) < 0 ||
	    keyring_encrypt(p->keyring, nonce, p->scratch.data, p->scratch.len, &p->sealed) != KEYRING_OK) {
		log_warnx("%s: cannot encrypt a message", p->label);
		return NULL;
	}
	return &p->sealed;
}

/* A socket address for a swim_addr, or -1 when the host is not a numeric address. */
static int sockaddr_of(const struct swim_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, a->host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(a->port);
		*len = sizeof *v4;
		return 0;
	}
	if (inet_pton(AF_INET6, a->host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(a->port);
		*len = sizeof *v6;
		return 0;
	}
	return -1;
}

int pool_connect_socket(const struct pool *p, const struct swim_addr *a)
{
	struct sockaddr_storage ss, local;
	socklen_t len, local_len;
	if (sockaddr_of(a, &ss, &len) < 0) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct swim_addr from = {.port = 0};
	snprintf(from.host, sizeof from.host, "%s", p->bind_addr);
	if (sockaddr_of(&from, &local, &local_len) == 0 && local.ss_family == ss.ss_family &&
	    strcmp(p->bind_addr, "0.0.0.0") != 0 && strcmp(p->bind_addr, "::") != 0)
		(void)bind(fd, (struct sockaddr *)&local, local_len);  /* best effort: only the logs differ */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void pool_addr_of_sockaddr(const struct sockaddr_storage *ss, struct swim_addr *out)
{
	memset(out, 0, sizeof *out);
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &v6->sin6_addr, out->host, sizeof out->host);
		out->port = ntohs(v6->sin6_port);
	} else {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &v4->sin_addr, out->host, sizeof out->host);
		out->port = ntohs(v4->sin_port);
	}
}

static void udp_send(struct pool *p, const struct swim_addr *to, const struct swim_msg *m)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (sockaddr_of(to, &ss, &len) < 0) {
		log_debug("%s: no route to member address %s", p->label, to->host);
		return;
	}
	const struct buf *pkt = pool_seal_message(p, m, WIRE_UDP_MAX);
	if (pkt && sendto(p->udp_fd, pkt->data, pkt->len, 0, (struct sockaddr *)&ss, len) < 0)
		log_debug("%s: send to %s:%u: %s", p->label, to->host, to->port, strerror(errno));
}

static void arm_timer(struct pool *p)
{
	uint64_t now = pool_now_ms(), at = swim_next_deadline(p->swim);
	uint64_t delay_ms = at > now ? at - now : 0;
	if (delay_ms > 1000)
		delay_ms = 1000;
	ev_timer_stop(p->loop, &p->timer);
	ev_timer_set(&p->timer, (double)delay_ms / 1000.0, 0.);
	ev_timer_start(p->loop, &p->timer);
}

void pool_flush(struct pool *p, struct swim_out *o, struct stream *origin)
{
	for (size_t i = 0; i < o->nsends; i++) {
		struct swim_send *s = &o->sends[i];
		if (!s->reliable)
			udp_send(p, &s->to, &s->msg);
		else if (origin && stream_is_peer(origin, &s->to))
			stream_answer(origin, &s->msg);
		else
			stream_open(p, &s->to, &s->msg);
	}
	for (size_t i = 0; i < o->nevents; i++)
		p->on_event(p->arg, p, &o->events[i]);
	swim_out_clear(o);
	if (p->on_left && swim_leave_propagated(p->swim)) {
		pool_left_fn fn = p->on_left;
		p->on_left = NULL;
		fn(p->left_arg);
	}
	arm_timer(p);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct pool *p = w->data;
	struct swim_out o;
	swim_out_init(&o);
	swim_tick(p->swim, pool_now_ms(), &o);
	pool_flush(p, &o, NULL);
	swim_out_free(&o);
}

static void udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct pool *p = w->data;
	struct swim_out o;
	swim_out_init(&o);
	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t n = recvfrom(p->udp_fd, p->rxbuf, UDP_RX_MAX, 0, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			break;
		struct swim_addr from;
		pool_addr_of_sockaddr(&ss, &from);
		struct swim_msg m;
		if (pool_open_message(p, p->rxbuf, (size_t)n, &from, "packet", &m) < 0)
			continue;
		/* The core counts what it refuses (late acks are routine): no warning here. */
		swim_recv(p->swim, pool_now_ms(), &from, &m, &o);
		swim_msg_free(&m);
		pool_flush(p, &o, NULL);
	}
	swim_out_free(&o);
}

struct pool *pool_open(struct ev_loop *loop, const struct pool_params *pp, pool_event_fn on_event, void *arg,
		       char *err, size_t err_len)
{
	struct pool *p = calloc(1, sizeof *p);
	if (!p || !(p->rxbuf = malloc(UDP_RX_MAX))) {
		free(p);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	p->loop = loop;
	snprintf(p->label, sizeof p->label, "%s", pp->label);
	snprintf(p->bind_addr, sizeof p->bind_addr, "%s", pp->bind_addr);
	p->keyring = pp->keyring;
	p->on_event = on_event;
	p->arg = arg;
	buf_init(&p->scratch);
	buf_init(&p->sealed);
	p->udp_fd = p->tcp_fd = -1;
	uint64_t seed;
	if (random_bytes(&seed, sizeof seed) < 0)
		seed = pool_now_ms() ^ (uint64_t)getpid();
	p->swim = swim_new(pp->swim, pp->name, pp->advertise_addr, (uint16_t)pp->port, 1, pp->tags, pp->ntags,
			   seed);
	if (!p->swim) {
		snprintf(err, err_len, "%s: bad member name, address or tags for %s", pp->label, pp->name);
		pool_close(p);
		return NULL;
	}
	char why[200];
	if ((p->udp_fd = net_listen(pp->bind_addr, pp->port, SOCK_DGRAM, why, sizeof why)) < 0 ||
	    (p->tcp_fd = net_listen(pp->bind_addr, pp->port, SOCK_STREAM, why, sizeof why)) < 0) {
		snprintf(err, err_len, "serf %s: %s", pp->label, why);
		pool_close(p);
		return NULL;
	}
	ev_io_init(&p->udp_io, udp_cb, p->udp_fd, EV_READ);
	ev_io_init(&p->tcp_io, stream_accept_cb, p->tcp_fd, EV_READ);
	ev_init(&p->timer, timer_cb);
	p->udp_io.data = p->tcp_io.data = p->timer.data = p;
	ev_io_start(loop, &p->udp_io);
	ev_io_start(loop, &p->tcp_io);
	/* The first tick reports our own join. */
	struct swim_out o;
	swim_out_init(&o);
	swim_tick(p->swim, pool_now_ms(), &o);
	pool_flush(p, &o, NULL);
	swim_out_free(&o);
	return p;
}

void pool_close(struct pool *p)
{
	if (!p)
		return;
	stream_close_all(p);
	if (p->udp_fd >= 0) {
		ev_io_stop(p->loop, &p->udp_io);
		close(p->udp_fd);
	}
	if (p->tcp_fd >= 0) {
		ev_io_stop(p->loop, &p->tcp_io);
		close(p->tcp_fd);
	}
	if (p->loop)
		ev_timer_stop(p->loop, &p->timer);
	swim_free(p->swim);
	buf_free(&p->scratch);
	buf_free(&p->sealed);
	free(p->rxbuf);
	free(p);
}

struct swim *pool_swim(struct pool *p)
{
	return p->swim;
}

const char *pool_label(const struct pool *p)
{
	return p->label;
}

uint64_t pool_dropped(const struct pool *p)
{
	return p->dropped;
}

void pool_join(struct pool *p, const struct swim_addr *addr, pool_contact_fn on_contact, void *arg)
{
	struct contact *c = malloc(sizeof *c);
	if (!c) {
		on_contact(arg, "out of memory");
		return;
	}
	*c = (struct contact){on_contact, arg};
	p->joining = c;
	p->joining_addr = *addr;
	struct swim_out o;
	swim_out_init(&o);
	swim_join(p->swim, pool_now_ms(), addr, 1, &o);
	pool_flush(p, &o, NULL);
	swim_out_free(&o);
	if (p->joining) {  /* no stream took it */
		p->joining = NULL;
		free(c);
		on_contact(arg, "could not open a stream");
	}
}

void pool_leave(struct pool *p, pool_left_fn on_left, void *arg)
{
	p->on_left = on_left;
	p->left_arg = arg;
	struct swim_out o;
	swim_out_init(&o);
	swim_leave(p->swim, pool_now_ms(), &o);
	pool_flush(p, &o, NULL);
	swim_out_free(&o);
}

int pool_force_leave(struct pool *p, const char *name, bool prune)
{
	struct swim_out o;
	swim_out_init(&o);
	int rc = swim_force_leave(p->swim, pool_now_ms(), name, prune, &o);
	pool_flush(p, &o, NULL);
	swim_out_free(&o);
	return rc;
}

int pool_set_tags(struct pool *p, const struct swim_tag *tags, size_t ntags)
{
	struct swim_out o;
	swim_out_init(&o);
	int rc = swim_set_tags(p->swim, pool_now_ms(), tags, ntags, &o);
	pool_flush(p, &o, NULL);
	swim_out_free(&o);
	return rc;
}

int pool_user_event(struct pool *p, const char *name, const uint8_t *payload, size_t len)
{
	struct swim_out o;
	swim_out_init(&o);
	int rc = swim_user_event(p->swim, pool_now_ms(), name, payload, len, false, &o);
	pool_flush(p, &o, NULL);
	swim_out_free(&o);
	return rc;
}
