/* events.c: Lamport-ordered user events with de-duplication (Serf's eventBuffer, as an idea). */
#include "events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct event_bucket {
	uint64_t ltime;
	struct swim_update **seen;  /* events with this Lamport time, one reference each */
	size_t nseen;
};

void lamport_witness(struct lamport *c, uint64_t seen)
{
	if (seen >= c->time)
		c->time = seen + 1;
}

uint64_t lamport_increment(struct lamport *c)
{
	return ++c->time;
}

int user_events_init(struct user_events *ev, size_t size)
{
	memset(ev, 0, sizeof *ev);
	ev->size = size ? size : 512;
	ev->buckets = calloc(ev->size, sizeof *ev->buckets);
	return ev->buckets ? 0 : -ENOMEM;
}

static void bucket_clear(struct event_bucket *b)
{
	for (size_t i = 0; i < b->nseen; i++)
		swim_update_unref(b->seen[i]);
	free(b->seen);
	b->seen = NULL;
	b->nseen = 0;
}

void user_events_free(struct user_events *ev)
{
	for (size_t i = 0; ev->buckets && i < ev->size; i++)
		bucket_clear(&ev->buckets[i]);
	free(ev->buckets);
	ev->buckets = NULL;
}

uint64_t user_events_fire_time(struct user_events *ev)
{
	/* Serf stamps the current time, then increments */
	uint64_t t = ev->clock.time;
	lamport_increment(&ev->clock);
	return t;
}

static bool same_event(const struct swim_update *a, const struct swim_update *b)
{
	return !strcmp(a->event_name, b->event_name) && a->payload_len == b->payload_len &&
	       !memcmp(a->payload, b->payload, a->payload_len);
}

int user_events_accept(struct user_events *ev, struct swim_update *u)
{
	lamport_witness(&ev->clock, u->ltime);
	if (u->ltime < ev->min_time)
		return 0;
	/* too old for the buffer to tell whether we saw it */
	uint64_t now = ev->clock.time;
	if (now > ev->size && u->ltime < now - ev->size)
		return 0;
	struct event_bucket *b = &ev->buckets[u->ltime % ev->size];
	if (b->nseen && b->ltime == u->ltime) {
		for (size_t i = 0; i < b->nseen; i++)
			if (same_event(b->seen[i], u))
				return 0;
	} else {
		bucket_clear(b);
		b->ltime = u->ltime;
	}
	struct swim_update **seen = realloc(b->seen, (b->nseen + 1) * sizeof *seen);
	if (!seen)
		return -ENOMEM;
	b->seen = seen;
	b->seen[b->nseen++] = swim_update_ref(u);
	return 1;
}

void user_events_joined(struct user_events *ev, uint64_t remote_ltime)
{
	if (remote_ltime > 0)
		lamport_witness(&ev->clock, remote_ltime - 1);
	if (remote_ltime > ev->min_time)
		ev->min_time = remote_ltime;
}

size_t user_events_recent(const struct user_events *ev, struct swim_update **out, size_t max)
{
	size_t n = 0;
	uint64_t t = ev->clock.time;
	for (size_t back = 0; back < ev->size && t > 0 && n < max; back++) {
		t--;
		const struct event_bucket *b = &ev->buckets[t % ev->size];
		if (!b->nseen || b->ltime != t)
			continue;
		for (size_t i = 0; i < b->nseen && n < max; i++)
			out[n++] = b->seen[i];
	}
	return n;
}
