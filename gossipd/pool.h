/* pool.h: one gossip pool on the network (the LAN pool on 8301, or the servers' WAN pool on
 * 8302): the libev shell around the pure SWIM core. It owns the UDP socket, the TCP listener
 * and its streams, the core's timer, and the encryption of every packet and stream with the
 * keyring it is given (an empty keyring: plain text). What the core decides about members and
 * user events comes back through on_event.
 *
 *   struct pool_params pp = {.label = "lan", .bind_addr = "10.0.0.10", .port = 8301, ...};
 *   struct pool *p = pool_open(loop, &pp, on_event, g, err, sizeof err);
 *   pool_join(p, &addr, on_contact, ctx);      // on_contact(ctx, NULL) once a push/pull answered
 *   swim_member_count(pool_swim(p));           // queries go straight to the core
 *
 * Streams (TCP) carry one request frame and at most one answer frame each way:
 *   frame = u32 length (big-endian) | payload,  payload = [encrypted] wire-encoded swim_msg
 * The answer goes back on the connection the request came in on, so the core's `from` for a
 * stream is the peer's ephemeral address, used only to recognise those answers. */
#ifndef GOSSIPD_POOL_H
#define GOSSIPD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyring.h"
#include "swim.h"

struct ev_loop;
struct pool;

/* Largest stream frame accepted: a push/pull of a few thousand members fits many times over. */
#define POOL_STREAM_MAX (8u << 20)
/* A stream, from connect to the last byte, may take this long (memberlist's TCP timeout). */
#define POOL_STREAM_TIMEOUT_MS 10000

struct pool_params {
	const char *label;            /* "lan" / "wan", for logs */
	const char *bind_addr;        /* numeric address to bind */
	int port;
	const char *name;             /* this member's name in the pool */
	const char *advertise_addr;   /* the address other members reach us at */
	const struct swim_tag *tags;
	size_t ntags;
	const struct swim_config *swim;
	const struct keyring *keyring; /* kept by the caller, who may change it at any time */
};

typedef void (*pool_event_fn)(void *arg, struct pool *p, const struct swim_event *ev);
/* A join's contact attempt ended: err is NULL when the member answered our push/pull, else a
 * short reason ("connect: Connection refused", "timed out", ...). */
typedef void (*pool_contact_fn)(void *arg, const char *err);
/* Our leave has spread (or there is nobody left to tell). */
typedef void (*pool_left_fn)(void *arg);

/* Binds UDP and TCP on bind_addr:port and starts the core. Returns NULL with the reason in err. */
struct pool *pool_open(struct ev_loop *loop, const struct pool_params *pp, pool_event_fn on_event, void *arg,
		       char *err, size_t err_len);
void pool_close(struct pool *p);
struct swim *pool_swim(struct pool *p);
const char *pool_label(const struct pool *p);

/* Contacts one address with a join push/pull; on_contact runs exactly once. */
void pool_join(struct pool *p, const struct swim_addr *addr, pool_contact_fn on_contact, void *arg);
/* Graceful leave; on_left runs exactly once, when swim_leave_propagated says so (the caller
 * bounds the wait). */
void pool_leave(struct pool *p, pool_left_fn on_left, void *arg);
/* swim_force_leave on this pool: 0 or -ENOENT. */
int pool_force_leave(struct pool *p, const char *name, bool prune);
/* swim_set_tags / swim_user_event on this pool, with the results sent. */
int pool_set_tags(struct pool *p, const struct swim_tag *tags, size_t ntags);
int pool_user_event(struct pool *p, const char *name, const uint8_t *payload, size_t len);

/* "host:port" ("[v6]:port") of a member address. */
void pool_format_addr(const struct swim_addr *a, char *out, size_t len);
/* Packets and streams dropped since start (undecryptable, malformed, oversized). */
uint64_t pool_dropped(const struct pool *p);

#endif
