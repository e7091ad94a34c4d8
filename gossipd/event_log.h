/* event_log.h: Consul's user events as this agent keeps them: the gossip payload that carries
 * one (ID, filters, payload) and the buffer of the most recent 256 events that
 * /v1/event/list shows. Pure: no I/O.
 *
 *   struct user_event ev = {.name = "deploy", .payload = p, .payload_len = n};
 *   user_event_new_id(&ev, random16);
 *   user_event_encode(&ev, &gossip_payload);            // fits SWIM_EVENT_PAYLOAD_MAX or -E2BIG
 *   ... on receipt: user_event_decode(name, data, len, ltime, &ev);
 *   if (user_event_wanted(&ev, node_name, NULL)) event_log_add(&log, &ev);
 *   event_log_render(&log, "deploy", &out);             // /v1/event/list?name=deploy
 *
 * Gossip payload (ours): id[16] | s8 node_filter | s8 service_filter | s8 tag_filter | payload.
 */
#ifndef GOSSIPD_EVENT_LOG_H
#define GOSSIPD_EVENT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define EVENT_LOG_SIZE 256     /* Consul's agent keeps the last 256 */
#define EVENT_ID_LEN 36        /* a UUID in text */

struct user_event {
	char id[EVENT_ID_LEN + 1];
	char *name;
	uint8_t *payload;
	size_t payload_len;
	char *node_filter, *service_filter, *tag_filter;  /* "" when unset */
	uint64_t ltime;
};

/* Sets ev->id from 16 random bytes (as a version-4 UUID). */
void user_event_new_id(struct user_event *ev, const uint8_t random16[16]);
/* The gossip payload of ev. 0, -E2BIG (a filter over 255 bytes) or -ENOMEM. */
int user_event_encode(const struct user_event *ev, struct buf *out);
/* Fills ev (owning copies) from a received gossip event. 0, or -EINVAL on a malformed payload
 * (ev then needs no freeing), -ENOMEM. */
int user_event_decode(const char *name, const uint8_t *data, size_t len, uint64_t ltime, struct user_event *ev);
void user_event_free(struct user_event *ev);
/* Whether this agent should keep the event: the node filter (a regular expression) matches
 * our name; a service filter matches one of `services` (names, NULL-terminated; NULL means
 * "not known yet": then only the node filter is checked) and a tag filter one of its tags
 * (`tags[i]` is the NULL-terminated tag list of services[i]). */
bool user_event_wanted(const struct user_event *ev, const char *node_name, const char *const *services,
		       const char *const *const *tags);
/* Appends ev's JSON object as /v1/event/fire renders it. */
void user_event_render(const struct user_event *ev, struct buf *out);

struct event_log {
	struct user_event items[EVENT_LOG_SIZE];
	size_t start, n;
	uint64_t version;  /* moves on every add: the blocking index of /v1/event/list */
};

void event_log_init(struct event_log *l);
void event_log_free(struct event_log *l);
/* Takes ev's contents (ev is left empty); the oldest event goes when the log is full. */
void event_log_add(struct event_log *l, struct user_event *ev);
/* The Lamport time of the event with that ID in the log (0 when it is not there). */
uint64_t event_log_ltime_of(const struct event_log *l, const char *id);
/* Appends the JSON array of /v1/event/list, oldest first; name NULL or "" for all. */
void event_log_render(const struct event_log *l, const char *name, struct buf *out);

#endif
