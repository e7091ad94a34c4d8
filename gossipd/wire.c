/* wire.c: encoding and decoding struct swim_msg; the layout is described in wire.h. */
#include <errno.h>
#include <string.h>

#include "wire.h"

#define FLAG_WANT_NACK 1u
#define FLAG_JOIN 2u
#define FLAG_REPLY 4u
#define UPD_FLAG_COALESCE 1u

/* ------------------------------------------------------------------ error names */

static const char *const err_names[] = {
#define WIRE_NAME(name, short_name, text) short_name,
	WIRE_ERRORS(WIRE_NAME)
#undef WIRE_NAME
};
static const char *const err_texts[] = {
#define WIRE_TEXT(name, short_name, text) text,
	WIRE_ERRORS(WIRE_TEXT)
#undef WIRE_TEXT
};

const char *wire_err_name(enum wire_err e)
{
	return (unsigned)e < WIRE_NERRORS ? err_names[e] : "unknown";
}

const char *wire_err_text(enum wire_err e)
{
	return (unsigned)e < WIRE_NERRORS ? err_texts[e] : "unknown error";
}

/* ------------------------------------------------------------------ encoding */

struct wr {
	struct buf *b;
	int err;
};

static void put(struct wr *w, const void *p, size_t n)
{
	if (!w->err && n && buf_append(w->b, p, n) < 0)
		w->err = -ENOMEM;
}

static void put_u8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(w, b, 2);
}

static void put_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	put(w, b, 4);
}

static void put_u64(struct wr *w, uint64_t v)
{
	put_u32(w, (uint32_t)(v >> 32));
	put_u32(w, (uint32_t)v);
}

/* A string of at most max bytes (max <= 255) with a one-byte length. */
static void put_s8(struct wr *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max) {
		w->err = -EINVAL;
		return;
	}
	put_u8(w, (uint8_t)n);
	put(w, s, n);
}

static void put_b16(struct wr *w, const uint8_t *p, size_t n, size_t max)
{
	if (n > max) {
		w->err = -EINVAL;
		return;
	}
	put_u16(w, (uint16_t)n);
	put(w, p, n);
}

size_t wire_update_len(const struct swim_update *u)
{
	switch (u->type) {
	case SWIM_UPD_ALIVE:
		return 1 + 4 + 1 + strlen(u->node) + 1 + strlen(u->addr) + 2 + 2 + u->tags_len;
	case SWIM_UPD_SUSPECT:
	case SWIM_UPD_DEAD:
	case SWIM_UPD_LEAVE:
	case SWIM_UPD_PRUNE:
		return 1 + 4 + 1 + strlen(u->node) + 1 + strlen(u->from);
	case SWIM_UPD_USER_EVENT:
		return 1 + 1 + 8 + 1 + strlen(u->from) + 1 + strlen(u->event_name) + 2 + u->payload_len;
	}
	return 0;
}

static void put_update(struct wr *w, const struct swim_update *u)
{
	put_u8(w, (uint8_t)u->type);
	switch (u->type) {
	case SWIM_UPD_ALIVE:
		put_u32(w, u->incarnation);
		put_s8(w, u->node, SWIM_NAME_MAX);
		put_s8(w, u->addr, SWIM_ADDR_MAX);
		put_u16(w, u->port);
		put_b16(w, u->tags, u->tags_len, SWIM_TAGS_MAX);
		return;
	case SWIM_UPD_SUSPECT:
	case SWIM_UPD_DEAD:
	case SWIM_UPD_LEAVE:
	case SWIM_UPD_PRUNE:
		put_u32(w, u->incarnation);
		put_s8(w, u->node, SWIM_NAME_MAX);
		put_s8(w, u->from, SWIM_NAME_MAX);
		return;
	case SWIM_UPD_USER_EVENT:
		put_u8(w, u->coalesce ? UPD_FLAG_COALESCE : 0);
		put_u64(w, u->ltime);
		put_s8(w, u->from, SWIM_NAME_MAX);
		put_s8(w, u->event_name, SWIM_NAME_MAX);
		put_b16(w, u->payload, u->payload_len, SWIM_EVENT_PAYLOAD_MAX);
		return;
	}
	w->err = -EINVAL;
}

static uint8_t msg_flags(const struct swim_msg *m)
{
	if (m->type == SWIM_MSG_INDIRECT_PING)
		return m->want_nack ? FLAG_WANT_NACK : 0;
	if (m->type == SWIM_MSG_PUSH_PULL)
		return (uint8_t)((m->join ? FLAG_JOIN : 0) | (m->reply ? FLAG_REPLY : 0));
	return 0;
}

/* Everything before the update count. */
static void put_head(struct wr *w, const struct swim_msg *m)
{
	if (m->type < SWIM_MSG_PING || m->type > SWIM_MSG_PUSH_PULL) {
		w->err = -EINVAL;
		return;
	}
	uint8_t h[WIRE_HEADER_LEN] = {WIRE_MAGIC0, WIRE_MAGIC1, WIRE_VERSION, (uint8_t)m->type, msg_flags(m)};
	put(w, h, sizeof h);
	switch (m->type) {
	case SWIM_MSG_PING:
		put_u32(w, m->seq);
		put_s8(w, m->target, SWIM_NAME_MAX);
		break;
	case SWIM_MSG_INDIRECT_PING:
		put_u32(w, m->seq);
		put_s8(w, m->target, SWIM_NAME_MAX);
		put_s8(w, m->target_addr.host, SWIM_ADDR_MAX);
		put_u16(w, m->target_addr.port);
		break;
	case SWIM_MSG_ACK:
	case SWIM_MSG_NACK:
		put_u32(w, m->seq);
		break;
	case SWIM_MSG_GOSSIP:
		break;
	case SWIM_MSG_PUSH_PULL:
		if (m->nstates > SWIM_MAX_STATES) {
			w->err = -EINVAL;
			return;
		}
		put_u64(w, m->event_ltime);
		put_u32(w, (uint32_t)m->nstates);
		for (size_t i = 0; i < m->nstates && !w->err; i++) {
			const struct swim_pp_entry *e = &m->states[i];
			if (!e->info || e->info->type != SWIM_UPD_ALIVE) {
				w->err = -EINVAL;
				return;
			}
			put_u8(w, (uint8_t)e->state);
			put_u32(w, e->incarnation);
			put_update(w, e->info);
		}
		break;
	}
}

/* Encodes m's head and its first n updates. */
static int encode(const struct swim_msg *m, size_t n, struct buf *out)
{
	size_t start = out->len;
	struct wr w = {out, 0};
	if (n > SWIM_MAX_UPDATES)
		return -EINVAL;
	put_head(&w, m);
	put_u16(&w, (uint16_t)n);
	for (size_t i = 0; i < n && !w.err; i++)
		put_update(&w, m->updates[i]);
	if (w.err) {
		out->len = start;  /* leave out as it was */
		if (out->cap)
			out->data[start] = 0;
	}
	return w.err;
}

int wire_encode(const struct swim_msg *m, struct buf *out)
{
	return encode(m, m->nupdates, out);
}

int wire_encode_packet(const struct swim_msg *m, size_t max, struct buf *out)
{
	/* encode the head once to learn its size, then add updates while they fit */
	size_t start = out->len;
	int rc = encode(m, 0, out);
	if (rc < 0)
		return rc;
	size_t used = out->len - start, n = 0;
	out->len = start;
	if (used > max)
		return -E2BIG;
	while (n < m->nupdates && n < SWIM_MAX_UPDATES && m->updates[n] &&
	       used + wire_update_len(m->updates[n]) <= max)
		used += wire_update_len(m->updates[n++]);
	rc = encode(m, n, out);
	return rc < 0 ? rc : (int)n;
}

/* ------------------------------------------------------------------ decoding */

struct rd {
	const uint8_t *p;
	size_t len, pos;
};

static bool take(struct rd *r, size_t n, const uint8_t **out)
{
	if (n > r->len - r->pos)
		return false;
	*out = r->p + r->pos;
	r->pos += n;
	return true;
}

static bool get_u8(struct rd *r, uint8_t *v)
{
	const uint8_t *b;
	if (!take(r, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool get_u16(struct rd *r, uint16_t *v)
{
	const uint8_t *b;
	if (!take(r, 2, &b))
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

static bool get_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *b;
	if (!take(r, 4, &b))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

static bool get_u64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (!get_u32(r, &hi) || !get_u32(r, &lo))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* Reads a one-byte-length string into dst (max + 1 bytes), NUL-terminated. */
static enum wire_err get_s8(struct rd *r, char *dst, size_t max)
{
	uint8_t n;
	const uint8_t *b;
	if (!get_u8(r, &n))
		return WIRE_TRUNCATED;
	if (n > max)
		return WIRE_TOO_LONG;
	if (!take(r, n, &b))
		return WIRE_TRUNCATED;
	if (memchr(b, 0, n))
		return WIRE_BAD_STRING;
	memcpy(dst, b, n);
	dst[n] = 0;
	return WIRE_OK;
}

static enum wire_err get_b16(struct rd *r, const uint8_t **p, uint16_t *n, size_t max)
{
	if (!get_u16(r, n))
		return WIRE_TRUNCATED;
	if (*n > max)
		return WIRE_TOO_LONG;
	return take(r, *n, p) ? WIRE_OK : WIRE_TRUNCATED;
}

#define TRY(expr)                               \
	do {                                    \
		enum wire_err e_ = (expr);      \
		if (e_ != WIRE_OK)              \
			return e_;              \
	} while (0)
#define NEED(ok) TRY((ok) ? WIRE_OK : WIRE_TRUNCATED)

static enum wire_err get_update(struct rd *r, struct swim_update **out)
{
	char node[SWIM_NAME_MAX + 1] = "", from[SWIM_NAME_MAX + 1] = "", addr[SWIM_ADDR_MAX + 1] = "",
	     ename[SWIM_NAME_MAX + 1] = "";
	struct swim_update t = {.node = node, .from = from, .addr = addr, .event_name = ename};
	uint8_t type, flags;
	NEED(get_u8(r, &type));
	switch (type) {
	case SWIM_UPD_ALIVE:
		NEED(get_u32(r, &t.incarnation));
		TRY(get_s8(r, node, SWIM_NAME_MAX));
		TRY(get_s8(r, addr, SWIM_ADDR_MAX));
		NEED(get_u16(r, &t.port));
		TRY(get_b16(r, &t.tags, &t.tags_len, SWIM_TAGS_MAX));
		break;
	case SWIM_UPD_SUSPECT:
	case SWIM_UPD_DEAD:
	case SWIM_UPD_LEAVE:
	case SWIM_UPD_PRUNE:
		NEED(get_u32(r, &t.incarnation));
		TRY(get_s8(r, node, SWIM_NAME_MAX));
		TRY(get_s8(r, from, SWIM_NAME_MAX));
		break;
	case SWIM_UPD_USER_EVENT:
		NEED(get_u8(r, &flags));
		if (flags & ~UPD_FLAG_COALESCE)
			return WIRE_BAD_FLAGS;
		t.coalesce = flags & UPD_FLAG_COALESCE;
		NEED(get_u64(r, &t.ltime));
		TRY(get_s8(r, from, SWIM_NAME_MAX));
		TRY(get_s8(r, ename, SWIM_NAME_MAX));
		TRY(get_b16(r, &t.payload, &t.payload_len, SWIM_EVENT_PAYLOAD_MAX));
		break;
	default:
		return WIRE_BAD_UPDATE_TYPE;
	}
	t.type = (enum swim_update_type)type;
	*out = swim_update_new(&t);
	return *out ? WIRE_OK : WIRE_BAD_UPDATE;
}

static enum wire_err get_states(struct rd *r, struct swim_msg *m)
{
	uint32_t n;
	NEED(get_u64(r, &m->event_ltime));
	NEED(get_u32(r, &n));
	if (n > SWIM_MAX_STATES)
		return WIRE_TOO_MANY;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t st;
		uint32_t inc;
		struct swim_update *info;
		NEED(get_u8(r, &st));
		if (st > SWIM_LEFT)
			return WIRE_BAD_STATE;
		NEED(get_u32(r, &inc));
		TRY(get_update(r, &info));
		if (info->type != SWIM_UPD_ALIVE) {
			swim_update_unref(info);
			return WIRE_BAD_STATE;
		}
		if (swim_msg_add_state(m, info, inc, (enum swim_state)st) < 0) {
			swim_update_unref(info);
			return WIRE_NOMEM;
		}
	}
	return WIRE_OK;
}

static enum wire_err get_head(struct rd *r, struct swim_msg *m)
{
	const uint8_t *h;
	NEED(take(r, WIRE_HEADER_LEN, &h));
	if (h[0] != WIRE_MAGIC0 || h[1] != WIRE_MAGIC1)
		return WIRE_BAD_MAGIC;
	if (h[2] != WIRE_VERSION)
		return WIRE_BAD_VERSION;
	if (h[3] < SWIM_MSG_PING || h[3] > SWIM_MSG_PUSH_PULL)
		return WIRE_BAD_TYPE;
	swim_msg_init(m, (enum swim_msg_type)h[3]);
	uint8_t flags = h[4];
	uint8_t allowed = m->type == SWIM_MSG_INDIRECT_PING ? FLAG_WANT_NACK
			  : m->type == SWIM_MSG_PUSH_PULL     ? FLAG_JOIN | FLAG_REPLY
							      : 0;
	if (flags & ~allowed)
		return WIRE_BAD_FLAGS;
	m->want_nack = flags & FLAG_WANT_NACK;
	m->join = flags & FLAG_JOIN;
	m->reply = flags & FLAG_REPLY;
	switch (m->type) {
	case SWIM_MSG_PING:
		NEED(get_u32(r, &m->seq));
		return get_s8(r, m->target, SWIM_NAME_MAX);
	case SWIM_MSG_INDIRECT_PING:
		NEED(get_u32(r, &m->seq));
		TRY(get_s8(r, m->target, SWIM_NAME_MAX));
		TRY(get_s8(r, m->target_addr.host, SWIM_ADDR_MAX));
		NEED(get_u16(r, &m->target_addr.port));
		/* whom to probe, and where: swim_msg_validate requires both */
		return m->target[0] && m->target_addr.host[0] ? WIRE_OK : WIRE_EMPTY;
	case SWIM_MSG_ACK:
	case SWIM_MSG_NACK:
		NEED(get_u32(r, &m->seq));
		return WIRE_OK;
	case SWIM_MSG_GOSSIP:
		return WIRE_OK;
	case SWIM_MSG_PUSH_PULL:
		return get_states(r, m);
	}
	return WIRE_BAD_TYPE;
}

static enum wire_err get_msg(struct rd *r, struct swim_msg *m)
{
	uint16_t n;
	TRY(get_head(r, m));
	NEED(get_u16(r, &n));
	if (n > SWIM_MAX_UPDATES)
		return WIRE_TOO_MANY;
	for (uint16_t i = 0; i < n; i++) {
		struct swim_update *u;
		TRY(get_update(r, &u));
		if (swim_msg_add_update(m, u) < 0) {
			swim_update_unref(u);
			return WIRE_NOMEM;
		}
	}
	return r->pos == r->len ? WIRE_OK : WIRE_TRAILING;
}

enum wire_err wire_decode(const uint8_t *p, size_t len, struct swim_msg *out)
{
	struct rd r = {p, len, 0};
	swim_msg_init(out, SWIM_MSG_PING);
	enum wire_err e = get_msg(&r, out);
	if (e != WIRE_OK)
		swim_msg_free(out);
	return e;
}
