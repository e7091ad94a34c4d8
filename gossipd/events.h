/* events.h: Serf's user events: a Lamport clock and the de-duplication buffer. An event is
 * (ltime, name, payload); one seen before, or older than the buffer remembers, or older than
 * the minimum time set at join, is not delivered again. Pure.
 *
 *   struct user_events ev; user_events_init(&ev, 512);
 *   uint64_t lt = user_events_fire_time(&ev);        // ltime for an event we fire
 *   if (user_events_accept(&ev, update) == 1) deliver_and_rebroadcast(update);
 */
#ifndef GOSSIPD_EVENTS_H
#define GOSSIPD_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "swim.h"

/* Lamport clock (Serf's LamportClock): time() is the current value, witness() moves past a seen
 * time. */
struct lamport {
	uint64_t time;
};
void lamport_witness(struct lamport *c, uint64_t seen);
/* Returns the new time after increasing it by one. */
uint64_t lamport_increment(struct lamport *c);

struct user_events {
	struct lamport clock;
	uint64_t min_time;             /* events older than this are ignored (set on join) */
	size_t size;                   /* buckets: Lamport times remembered */
	struct event_bucket *buckets;  /* indexed by ltime % size */
};

/* 0 or -ENOMEM. size 0 means 512. */
int user_events_init(struct user_events *ev, size_t size);
void user_events_free(struct user_events *ev);
/* The Lamport time to stamp on an event we fire now (the clock moves past it). */
uint64_t user_events_fire_time(struct user_events *ev);
/* Witnesses u->ltime and records u. Returns 1 if the event is new (deliver and rebroadcast it),
 * 0 if it is a duplicate or too old, -ENOMEM. */
int user_events_accept(struct user_events *ev, struct swim_update *u);
/* Fills out with up to max of the most recent events remembered (borrowed pointers), newest
 * first, for push/pull anti-entropy (Serf sends its event buffer too). Returns the count. */
size_t user_events_recent(const struct user_events *ev, struct swim_update **out, size_t max);
/* On join: ignore events before the remote's clock (Serf's eventMinTime), witness it. */
void user_events_joined(struct user_events *ev, uint64_t remote_ltime);

#endif
