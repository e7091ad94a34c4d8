/* pool_int.h: what pool.c (packets, timer, dispatch) and pool_stream.c (TCP streams) share. */
#ifndef GOSSIPD_POOL_INT_H
#define GOSSIPD_POOL_INT_H

#include <ev.h>

#include "buf.h"
#include "pool.h"

struct stream;

#define POOL_DROP_REASONS 8

/* A pool_join in progress, waiting for its stream to end. */
struct contact {
	pool_contact_fn fn;
	void *arg;
};

struct pool {
	struct ev_loop *loop;
	char label[8];
	char bind_addr[SWIM_ADDR_MAX + 1];  /* streams leave from it too, as peers know us by it */
	struct swim *swim;
	const struct keyring *keyring;
	pool_event_fn on_event;
	void *arg;
	int udp_fd, tcp_fd;
	ev_io udp_io, tcp_io;
	ev_timer timer;
	uint8_t *rxbuf;              /* one UDP datagram */
	struct buf scratch, sealed;  /* encoding and encryption of outgoing packets */
	struct stream *streams;      /* open streams, both directions */
	/* pool_join hands its contact to the stream its push/pull opens */
	struct contact *joining;
	struct swim_addr joining_addr;
	pool_left_fn on_left;
	void *left_arg;
	uint64_t dropped;
	/* rate limit of the drop warnings, per reason */
	const char *drop_why[POOL_DROP_REASONS];
	uint64_t drop_logged_ms[POOL_DROP_REASONS];
};

uint64_t pool_now_ms(void);
/* Sends what o holds (answers for `origin`'s peer go back on that stream), publishes its
 * events, clears it and re-arms the timer. */
void pool_flush(struct pool *p, struct swim_out *o, struct stream *origin);
/* Decrypts (when the keyring is on) and decodes one packet or stream frame into m. Returns 0,
 * or -1 after counting and logging the drop (`what` is "packet" or "stream"). */
int pool_open_message(struct pool *p, const uint8_t *data, size_t len, const struct swim_addr *from,
		      const char *what, struct swim_msg *m);
/* Encodes m (all of it when max is 0, else as a packet of at most max bytes) and encrypts it
 * when the keyring is on. Returns a pointer to the bytes (valid until the next call), or NULL. */
const struct buf *pool_seal_message(struct pool *p, const struct swim_msg *m, size_t max);
/* Counts and logs (rate-limited) a dropped packet or stream. */
void pool_note_drop(struct pool *p, const struct swim_addr *from, const char *what, const char *why);
struct sockaddr_storage;
void pool_addr_of_sockaddr(const struct sockaddr_storage *ss, struct swim_addr *out);
/* A non-blocking TCP socket from our bind address to a (numeric) address, or -1 with errno set. */
int pool_connect_socket(const struct pool *p, const struct swim_addr *a);

/* pool_stream.c */
void stream_accept_cb(struct ev_loop *loop, ev_io *w, int revents);
/* Opens a stream to `to` carrying m; a pending join's contact rides on it when it is the join. */
void stream_open(struct pool *p, const struct swim_addr *to, const struct swim_msg *m);
/* Queues m as the answer on the stream its request came in on. */
void stream_answer(struct stream *st, const struct swim_msg *m);
bool stream_is_peer(const struct stream *st, const struct swim_addr *a);
void stream_close_all(struct pool *p);

#endif
