/* pool_stream.c: the reliable path of a pool: push/pull and the fallback ping over TCP.
 *
 * An outgoing stream connects, writes its one frame and reads answers until the peer closes.
 * An incoming stream reads one frame, hands it to the core, writes back what the core answers
 * to that peer (if anything) and closes. Every stream is bounded in size and in time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "pool_int.h"

struct stream {
	struct pool *p;
	struct stream *prev, *next;
	int fd;
	ev_io io;
	ev_timer timer;
	struct swim_addr peer;     /* outgoing: the member; incoming: its ephemeral address */
	bool outgoing;
	bool connecting;
	bool answered;             /* outgoing: a frame from the peer was accepted */
	bool handled;              /* incoming: the request frame went to the core */
	struct buf wbuf;           /* frames to write */
	size_t woff;
	struct buf rbuf;           /* bytes read, not yet a whole frame */
	struct contact *contact;   /* the pool_join riding on this stream */
};

static void stream_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void stream_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents);

bool stream_is_peer(const struct stream *st, const struct swim_addr *a)
{
	return !st->outgoing && st->peer.port == a->port && strcmp(st->peer.host, a->host) == 0;
}

static struct stream *stream_new(struct pool *p, int fd, const struct swim_addr *peer, bool outgoing)
{
	struct stream *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->p = p;
	st->fd = fd;
	st->peer = *peer;
	st->outgoing = outgoing;
	buf_init(&st->wbuf);
	buf_init(&st->rbuf);
	ev_io_init(&st->io, stream_io_cb, fd, outgoing ? EV_WRITE : EV_READ);
	ev_timer_init(&st->timer, stream_timeout_cb, POOL_STREAM_TIMEOUT_MS / 1000.0, 0.);
	st->io.data = st->timer.data = st;
	ev_io_start(p->loop, &st->io);
	ev_timer_start(p->loop, &st->timer);
	st->next = p->streams;
	if (p->streams)
		p->streams->prev = st;
	p->streams = st;
	return st;
}

/* Ends the stream; err is the reason a join contact failed (NULL: it worked). */
static void stream_finish(struct stream *st, const char *err)
{
	struct pool *p = st->p;
	ev_io_stop(p->loop, &st->io);
	ev_timer_stop(p->loop, &st->timer);
	close(st->fd);
	if (st->prev)
		st->prev->next = st->next;
	else
		p->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	struct contact *c = st->contact;
	buf_free(&st->wbuf);
	buf_free(&st->rbuf);
	free(st);
	if (c) {
		c->fn(c->arg, err);
		free(c);
	}
}

void stream_close_all(struct pool *p)
{
	while (p->streams)
		stream_finish(p->streams, "the pool is closing");
}

/* Appends one frame (u32 length, then the sealed message) to the stream's output. */
static int queue_frame(struct stream *st, const struct swim_msg *m)
{
	const struct buf *sealed = pool_seal_message(st->p, m, 0);
	if (!sealed || sealed->len > POOL_STREAM_MAX)
		return -1;
	uint8_t len[4] = {(uint8_t)(sealed->len >> 24), (uint8_t)(sealed->len >> 16), (uint8_t)(sealed->len >> 8),
			  (uint8_t)sealed->len};
	if (buf_append(&st->wbuf, len, sizeof len) < 0 || buf_append(&st->wbuf, sealed->data, sealed->len) < 0)
		return -1;
	return 0;
}

void stream_open(struct pool *p, const struct swim_addr *to, const struct swim_msg *m)
{
	struct contact *c = NULL;
	if (p->joining && m->type == SWIM_MSG_PUSH_PULL && m->join && !m->reply &&
	    to->port == p->joining_addr.port && strcmp(to->host, p->joining_addr.host) == 0) {
		c = p->joining;
		p->joining = NULL;
	}
	char why[128];
	int fd = pool_connect_socket(p, to);
	if (fd < 0) {
		snprintf(why, sizeof why, "connect: %s", strerror(errno));
		goto fail;
	}
	struct stream *st = stream_new(p, fd, to, true);
	if (!st) {
		close(fd);
		snprintf(why, sizeof why, "out of memory");
		goto fail;
	}
	st->connecting = true;
	st->contact = c;
	if (queue_frame(st, m) < 0)
		stream_finish(st, "could not encode the message");
	return;
fail:
	log_debug("%s: stream to %s:%u: %s", p->label, to->host, to->port, why);
	if (c) {
		c->fn(c->arg, why);
		free(c);
	}
}

void stream_answer(struct stream *st, const struct swim_msg *m)
{
	if (queue_frame(st, m) < 0)
		log_warnx("%s: could not answer %s:%u", st->p->label, st->peer.host, st->peer.port);
}

void stream_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct pool *p = w->data;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(p->tcp_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct swim_addr peer;
		pool_addr_of_sockaddr(&ss, &peer);
		if (!stream_new(p, fd, &peer, false))
			close(fd);
	}
}

/* Hands one whole frame to the core. Returns 0, or -1 when the frame was dropped. */
static int stream_deliver(struct stream *st, const uint8_t *frame, size_t len)
{
	struct pool *p = st->p;
	struct swim_msg m;
	if (pool_open_message(p, frame, len, &st->peer, "stream", &m) < 0)
		return -1;
	m.reliable = true;
	struct swim_out o;
	swim_out_init(&o);
	int rc = swim_recv(p->swim, pool_now_ms(), &st->peer, &m, &o);
	if (rc < 0)
		log_debug("%s: stream from %s:%u refused by the membership core", p->label, st->peer.host, st->peer.port);
	swim_msg_free(&m);
	pool_flush(p, &o, st->outgoing ? NULL : st);
	swim_out_free(&o);
	return rc < 0 ? -1 : 0;
}

/* Takes whole frames off rbuf. Returns 0, or -1 when the stream must end (bad frame). */
static int stream_take_frames(struct stream *st)
{
	while (st->rbuf.len >= 4) {
		const uint8_t *b = (const uint8_t *)st->rbuf.data;
		uint32_t len = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		if (len > POOL_STREAM_MAX) {
			pool_note_drop(st->p, &st->peer, "stream", "frame larger than the stream limit");
			return -1;
		}
		if (st->rbuf.len < 4 + (size_t)len)
			return 0;
		int rc = stream_deliver(st, b + 4, len);
		buf_consume(&st->rbuf, 4 + (size_t)len);
		if (rc < 0)
			return -1;
		if (st->outgoing)
			st->answered = true;
		else {
			st->handled = true;  /* one request per incoming stream */
			return 0;
		}
	}
	return 0;
}

static void stream_switch(struct stream *st, int events)
{
	ev_io_stop(st->p->loop, &st->io);
	ev_io_set(&st->io, st->fd, events);
	ev_io_start(st->p->loop, &st->io);
}

static void stream_write(struct stream *st)
{
	if (st->connecting) {
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			char why[128];
			snprintf(why, sizeof why, "connect: %s", strerror(soerr));
			stream_finish(st, why);
			return;
		}
		st->connecting = false;
	}
	while (st->woff < st->wbuf.len) {
		ssize_t n = send(st->fd, st->wbuf.data + st->woff, st->wbuf.len - st->woff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			char why[128];
			snprintf(why, sizeof why, "write: %s", strerror(errno));
			stream_finish(st, why);
			return;
		}
		st->woff += (size_t)n;
	}
	if (st->outgoing)
		stream_switch(st, EV_READ);  /* now wait for the answer */
	else
		stream_finish(st, NULL);     /* the answer is out */
}

static void stream_read(struct stream *st)
{
	for (;;) {
		if (buf_reserve(&st->rbuf, 65536) < 0) {
			stream_finish(st, "out of memory");
			return;
		}
		ssize_t n = recv(st->fd, st->rbuf.data + st->rbuf.len, 65536, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			char why[128];
			snprintf(why, sizeof why, "read: %s", strerror(errno));
			stream_finish(st, why);
			return;
		}
		if (n == 0) {
			stream_finish(st, !st->outgoing || st->answered ? NULL :
				     "closed without an answer (is encryption configured the same on both sides?)");
			return;
		}
		st->rbuf.len += (size_t)n;
		if (stream_take_frames(st) < 0) {
			stream_finish(st, "the answer was refused (see the log)");
			return;
		}
		if (!st->outgoing && st->handled) {
			if (st->wbuf.len)
				stream_switch(st, EV_WRITE);
			else
				stream_finish(st, NULL);
			return;
		}
	}
}

static void stream_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct stream *st = w->data;
	if (revents & EV_WRITE)
		stream_write(st);
	else if (revents & EV_READ)
		stream_read(st);
}

static void stream_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct stream *st = w->data;
	log_debug("%s: stream with %s:%u timed out", st->p->label, st->peer.host, st->peer.port);
	stream_finish(st, "timed out");
}
