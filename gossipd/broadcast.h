/* broadcast.h: the queue of facts waiting to be piggybacked, as memberlist's
 * TransmitLimitedQueue: each is sent at most `limit` times (retransmit_mult * ceil(log10(n + 1))),
 * the least-sent first (newest first among equally sent ones), and a newer fact about a member
 * replaces the queued one (invalidation). Facts without a member (user events) never replace.
 *
 *   struct bcast_queue q; bcast_init(&q);
 *   bcast_push(&q, update);                       // takes a reference of its own
 *   bcast_fill(&q, bcast_retransmit_limit(4, n), budget_bytes, &msg);
 *   bcast_free(&q);
 */
#ifndef GOSSIPD_BROADCAST_H
#define GOSSIPD_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swim.h"

struct bcast_item;

struct bcast_queue {
	struct bcast_item **heap;          /* binary heap: fewest transmits, then newest, on top */
	size_t len, cap;
	uint64_t next_id;
	struct bcast_item **index;         /* open addressing by member name, for invalidation */
	size_t index_cap, index_len;
	const struct swim_update *watch;   /* a fact whose end of life the owner waits for */
	bool watch_done;
};

/* memberlist's retransmitLimit: mult * ceil(log10(n + 1)). */
uint32_t bcast_retransmit_limit(uint32_t mult, uint32_t n);
void bcast_init(struct bcast_queue *q);
void bcast_free(struct bcast_queue *q);
/* Queues u (a new reference is taken). A membership fact replaces any queued fact about the
 * same member. Returns 0 or -ENOMEM. */
int bcast_push(struct bcast_queue *q, struct swim_update *u);
/* Appends to m the facts that fit in budget bytes (by swim_update_wire_size), counting one
 * transmission each and dropping those that reach limit. Returns how many were added. */
size_t bcast_fill(struct bcast_queue *q, uint32_t limit, size_t budget, struct swim_msg *m);
/* Drops the most-sent facts until at most max remain. */
void bcast_prune(struct bcast_queue *q, size_t max);
/* Watch u: watch_done becomes true when it was sent limit times or replaced. */
void bcast_watch(struct bcast_queue *q, const struct swim_update *u);
size_t bcast_len(const struct bcast_queue *q);

#endif
