/* swim_msg.c: the plain data of the SWIM core: the PRNG, tags, updates, messages, outputs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swim.h"
#include "swim_int.h"

/* ------------------------------------------------------------------ rng */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void swim_rng_seed(struct swim_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t swim_rng_next(struct swim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t swim_rng_below(struct swim_rng *r, uint32_t n)
{
	/* Lemire's multiply-shift; the bias for n far below 2^32 is negligible here. */
	return (uint32_t)(((swim_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* ------------------------------------------------------------------ names */

uint32_t swim_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

const char *swim_state_name(enum swim_state st)
{
	switch (st) {
	case SWIM_ALIVE: return "alive";
	case SWIM_SUSPECT: return "suspect";
	case SWIM_DEAD: return "failed";
	case SWIM_LEFT: return "left";
	}
	return "?";
}

/* ------------------------------------------------------------------ tags */

int swim_tags_encode(const struct swim_tag *tags, size_t n, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	if (cap > SWIM_TAGS_MAX)
		cap = SWIM_TAGS_MAX;
	for (size_t i = 0; i < n; i++) {
		const char *kv[2] = {tags[i].key ? tags[i].key : "", tags[i].value ? tags[i].value : ""};
		for (int j = 0; j < 2; j++) {
			size_t l = strlen(kv[j]) + 1;
			if (l > cap - len)
				return -E2BIG;
			memcpy(buf + len, kv[j], l);
			len += l;
		}
	}
	return (int)len;
}

static int tag_string(const uint8_t *buf, size_t len, size_t *pos, const char **out)
{
	const uint8_t *nul = memchr(buf + *pos, 0, len - *pos);
	if (!nul)
		return -EINVAL;
	*out = (const char *)buf + *pos;
	*pos = (size_t)(nul - buf) + 1;
	return 0;
}

int swim_tags_next(const uint8_t *buf, size_t len, size_t *pos, const char **key, const char **value)
{
	if (*pos >= len)
		return 0;
	if (tag_string(buf, len, pos, key) < 0 || *pos >= len || tag_string(buf, len, pos, value) < 0)
		return -EINVAL;
	return 1;
}

bool swim_tags_valid(const uint8_t *buf, size_t len)
{
	size_t pos = 0;
	const char *k, *v;
	int rc;
	if (len > SWIM_TAGS_MAX)
		return false;
	while ((rc = swim_tags_next(buf, len, &pos, &k, &v)) == 1)
		;
	return rc == 0;
}

/* ------------------------------------------------------------------ updates */

static size_t bounded_len(const char *s, size_t max, bool *ok)
{
	if (!s)
		return 0;
	size_t l = strnlen(s, max + 1);
	if (l > max)
		*ok = false;
	return l;
}

static const char *place(char **dst, const void *src, size_t len)
{
	char *start = *dst;
	if (len)
		memcpy(start, src, len);
	start[len] = 0;
	*dst += len + 1;
	return start;
}

static bool update_shape_ok(const struct swim_update *t, size_t node_len, size_t from_len, size_t addr_len,
			    size_t ename_len)
{
	switch (t->type) {
	case SWIM_UPD_ALIVE:
		return node_len > 0 && addr_len > 0 && swim_tags_valid(t->tags, t->tags_len);
	case SWIM_UPD_SUSPECT:
	case SWIM_UPD_DEAD:
	case SWIM_UPD_LEAVE:
	case SWIM_UPD_PRUNE:
		return node_len > 0 && from_len > 0;
	case SWIM_UPD_USER_EVENT:
		return ename_len > 0;
	}
	return false;
}

struct swim_update *swim_update_new(const struct swim_update *t)
{
	bool ok = true;
	size_t node_len = bounded_len(t->node, SWIM_NAME_MAX, &ok);
	size_t from_len = bounded_len(t->from, SWIM_NAME_MAX, &ok);
	size_t addr_len = bounded_len(t->addr, SWIM_ADDR_MAX, &ok);
	size_t ename_len = bounded_len(t->event_name, SWIM_NAME_MAX, &ok);
	size_t tags_len = t->tags ? t->tags_len : 0, payload_len = t->payload ? t->payload_len : 0;
	if (!ok || tags_len > SWIM_TAGS_MAX || payload_len > SWIM_EVENT_PAYLOAD_MAX ||
	    !update_shape_ok(t, node_len, from_len, addr_len, ename_len))
		return NULL;
	size_t extra = node_len + from_len + addr_len + ename_len + tags_len + payload_len + 6;
	struct swim_update *u = malloc(sizeof *u + extra);
	if (!u)
		return NULL;
	*u = *t;
	char *p = (char *)(u + 1);
	u->node = place(&p, t->node, node_len);
	u->from = place(&p, t->from, from_len);
	u->addr = place(&p, t->addr, addr_len);
	u->event_name = place(&p, t->event_name, ename_len);
	u->tags = (const uint8_t *)place(&p, t->tags, tags_len);
	u->tags_len = (uint16_t)tags_len;
	u->payload = (const uint8_t *)place(&p, t->payload, payload_len);
	u->payload_len = (uint16_t)payload_len;
	if (t->type != SWIM_UPD_ALIVE)
		u->port = 0;
	u->refs = 1;
	u->name_hash = swim_hash(u->node);
	return u;
}

struct swim_update *swim_update_ref(struct swim_update *u)
{
	u->refs++;
	return u;
}

void swim_update_unref(struct swim_update *u)
{
	if (u && --u->refs == 0)
		free(u);
}

size_t swim_update_wire_size(const struct swim_update *u)
{
	/* type, incarnation, port, ltime, flags and a 2-byte length before every string/blob */
	return 24 + strlen(u->node) + strlen(u->from) + strlen(u->addr) + strlen(u->event_name) + u->tags_len +
	       u->payload_len + 6 * 2;
}

/* ------------------------------------------------------------------ messages */

void swim_msg_init(struct swim_msg *m, enum swim_msg_type type)
{
	memset(m, 0, sizeof *m);
	m->type = type;
}

void swim_msg_free(struct swim_msg *m)
{
	for (size_t i = 0; i < m->nupdates; i++)
		swim_update_unref(m->updates[i]);
	for (size_t i = 0; i < m->nstates; i++)
		swim_update_unref(m->states[i].info);
	free(m->updates);
	free(m->states);
	swim_msg_init(m, m->type);
}

void swim_msg_move(struct swim_msg *dst, struct swim_msg *src)
{
	*dst = *src;
	swim_msg_init(src, src->type);
}

/* Grows an array to hold one more element: capacity doubles from 4 when n is a power of two. */
static int grow(void **arr, size_t n, size_t elem)
{
	if (n && (n & (n - 1)))
		return 0;
	size_t cap = n < 4 ? 4 : n * 2;
	if (n >= 4 || !*arr) {
		void *p = realloc(*arr, cap * elem);
		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	return 0;
}

int swim_msg_add_update(struct swim_msg *m, struct swim_update *u)
{
	if (m->nupdates >= SWIM_MAX_UPDATES)
		return -E2BIG;
	if (grow((void **)&m->updates, m->nupdates, sizeof *m->updates) < 0)
		return -ENOMEM;
	m->updates[m->nupdates++] = u;
	return 0;
}

int swim_msg_add_state(struct swim_msg *m, struct swim_update *info, uint32_t incarnation, enum swim_state st)
{
	if (m->nstates >= SWIM_MAX_STATES)
		return -E2BIG;
	if (grow((void **)&m->states, m->nstates, sizeof *m->states) < 0)
		return -ENOMEM;
	m->states[m->nstates++] = (struct swim_pp_entry){info, incarnation, st};
	return 0;
}

int swim_msg_validate(const struct swim_msg *m)
{
	if (m->type < SWIM_MSG_PING || m->type > SWIM_MSG_PUSH_PULL)
		return -EINVAL;
	if (!memchr(m->target, 0, sizeof m->target) || !memchr(m->target_addr.host, 0, sizeof m->target_addr.host))
		return -EINVAL;
	if (m->type == SWIM_MSG_INDIRECT_PING && (!m->target[0] || !m->target_addr.host[0]))
		return -EINVAL;
	if (m->nupdates > SWIM_MAX_UPDATES || (m->nupdates && !m->updates) || m->nstates > SWIM_MAX_STATES ||
	    (m->nstates && !m->states))
		return -EINVAL;
	for (size_t i = 0; i < m->nupdates; i++) {
		const struct swim_update *u = m->updates[i];
		if (!u || u->type < SWIM_UPD_ALIVE || u->type > SWIM_UPD_PRUNE)
			return -EINVAL;
	}
	for (size_t i = 0; i < m->nstates; i++) {
		const struct swim_pp_entry *e = &m->states[i];
		if (!e->info || e->info->type != SWIM_UPD_ALIVE || e->state < SWIM_ALIVE || e->state > SWIM_LEFT)
			return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ outputs */

void swim_out_init(struct swim_out *o)
{
	memset(o, 0, sizeof *o);
}

void swim_out_clear(struct swim_out *o)
{
	for (size_t i = 0; i < o->nsends; i++)
		swim_msg_free(&o->sends[i].msg);
	for (size_t i = 0; i < o->nevents; i++)
		swim_update_unref(o->events[i].update);
	o->nsends = o->nevents = 0;
}

void swim_out_free(struct swim_out *o)
{
	swim_out_clear(o);
	free(o->sends);
	free(o->events);
	swim_out_init(o);
}

struct swim_send *swim_out_send(struct swim_out *o, const struct swim_addr *to, bool reliable,
				enum swim_msg_type type)
{
	if (o->nsends == o->cap_sends) {
		size_t cap = o->cap_sends ? o->cap_sends * 2 : 8;
		struct swim_send *p = realloc(o->sends, cap * sizeof *p);
		if (!p)
			return NULL;
		o->sends = p;
		o->cap_sends = cap;
	}
	struct swim_send *snd = &o->sends[o->nsends++];
	snd->to = *to;
	snd->reliable = reliable;
	swim_msg_init(&snd->msg, type);
	return snd;
}

int swim_out_event(struct swim_out *o, enum swim_event_type type, struct swim_update *u, enum swim_state st,
		   uint32_t incarnation)
{
	if (o->nevents == o->cap_events) {
		size_t cap = o->cap_events ? o->cap_events * 2 : 8;
		struct swim_event *p = realloc(o->events, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		o->events = p;
		o->cap_events = cap;
	}
	o->events[o->nevents++] = (struct swim_event){type, swim_update_ref(u), st, incarnation};
	return 0;
}
