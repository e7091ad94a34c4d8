/* raft_wire.c: the byte encoding of Raft messages (see raft_wire.h). */
#include "raft_wire.h"

#include <errno.h>
#include <string.h>

#include "byteorder.h"

#define FLAG_REJECT 1u
#define FLAG_TRANSFER 2u
#define FIXED_LEN (3 + 9 * 8 + 4)
#define ENTRY_HDR_LEN (8 + 8 + 1 + 4)

static int append_be(struct buf *out, uint64_t v, int bytes)
{
	unsigned char b[8];
	put_be(b, v, bytes);
	return buf_append(out, (const char *)b, (size_t)bytes);
}

int raft_wire_encode(struct buf *out, const struct raft_msg *m, const char *from_addr)
{
	unsigned char head[FIXED_LEN];
	size_t alen = from_addr ? strlen(from_addr) : 0;
	if (alen > RAFT_ADDR_MAX - 1)
		alen = RAFT_ADDR_MAX - 1;
	head[0] = RAFT_WIRE_VERSION;
	head[1] = m->type;
	head[2] = (unsigned char)((m->reject ? FLAG_REJECT : 0) | (m->transfer ? FLAG_TRANSFER : 0));
	const uint64_t fields[9] = {m->from, m->to, m->term, m->index, m->log_term,
				    m->commit, m->ctx, m->hint_index, m->hint_term};
	for (int i = 0; i < 9; i++)
		put_be(head + 3 + 8 * i, fields[i], 8);
	uint32_t n = m->entries ? m->n_entries : 0;
	put_be(head + 3 + 72, n, 4);
	unsigned char alen_byte = (unsigned char)alen;
	int rc = buf_append(out, (const char *)head, 3);
	if (rc == 0)
		rc = buf_append(out, (const char *)&alen_byte, 1);
	if (rc == 0 && alen)
		rc = buf_append(out, from_addr, alen);
	if (rc == 0)
		rc = buf_append(out, (const char *)head + 3, sizeof head - 3);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const struct raft_entry *e = &m->entries[i];
		unsigned char eh[ENTRY_HDR_LEN];
		put_be(eh, e->term, 8);
		put_be(eh + 8, e->index, 8);
		eh[16] = e->type;
		put_be(eh + 17, e->len, 4);
		rc = buf_append(out, (const char *)eh, sizeof eh);
		if (rc == 0 && e->len)
			rc = buf_append(out, (const char *)e->data, e->len);
	}
	if (rc == 0 && m->type == RAFT_MSG_SNAPSHOT && m->snapshot) {
		const struct raft_snapshot *s = m->snapshot;
		unsigned char conf[RAFT_CONFIG_MAX_BYTES];
		size_t clen = raft_config_encode(&s->config, conf);
		if ((rc = append_be(out, s->index, 8)) == 0 && (rc = append_be(out, s->term, 8)) == 0 &&
		    (rc = append_be(out, clen, 4)) == 0 && (rc = buf_append(out, (const char *)conf, clen)) == 0 &&
		    (rc = append_be(out, s->len, 8)) == 0 && s->len)
			rc = buf_append(out, (const char *)s->data, (size_t)s->len);
	}
	return rc < 0 ? -ENOMEM : 0;
}

/* A bounds-checked reader over the input. */
struct reader {
	const unsigned char *p;
	size_t left;
	bool bad;
};

static uint64_t get(struct reader *r, int bytes)
{
	if (r->bad || r->left < (size_t)bytes) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | r->p[i];
	r->p += bytes;
	r->left -= (size_t)bytes;
	return v;
}

static const unsigned char *take(struct reader *r, uint64_t len)
{
	if (r->bad || r->left < len) {
		r->bad = true;
		return NULL;
	}
	const unsigned char *at = r->p;
	r->p += len;
	r->left -= (size_t)len;
	return at;
}

static int fail(const char **why, const char *what)
{
	*why = what;
	return -EPROTO;
}

int raft_wire_decode(const unsigned char *in, size_t len, struct raft_wire_msg *out, const char **why)
{
	struct reader r = {.p = in, .left = len};
	struct raft_msg *m = &out->msg;
	memset(m, 0, sizeof *m);
	if (get(&r, 1) != RAFT_WIRE_VERSION)
		return fail(why, r.bad ? "truncated header" : "unknown version");
	m->type = (uint8_t)get(&r, 1);
	uint64_t flags = get(&r, 1);
	uint64_t alen = get(&r, 1);
	if (r.bad || alen > RAFT_ADDR_MAX - 1)
		return fail(why, r.bad ? "truncated header" : "sender address too long");
	const unsigned char *addr = take(&r, alen);
	if (r.bad)
		return fail(why, "truncated header");
	if (alen && memchr(addr, '\0', (size_t)alen))
		return fail(why, "NUL in the sender address");
	if (alen)
		memcpy(out->from_addr, addr, (size_t)alen);
	out->from_addr[alen] = '\0';
	uint64_t *fields[9] = {&m->from, &m->to, &m->term, &m->index, &m->log_term,
			       &m->commit, &m->ctx, &m->hint_index, &m->hint_term};
	for (int i = 0; i < 9; i++)
		*fields[i] = get(&r, 8);
	uint64_t n = get(&r, 4);
	if (r.bad)
		return fail(why, "truncated header");
	if (m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_READ_INDEX_RESP)
		return fail(why, "unknown message type");
	if (flags & ~(uint64_t)(FLAG_REJECT | FLAG_TRANSFER))
		return fail(why, "unknown flags");
	m->reject = flags & FLAG_REJECT;
	m->transfer = flags & FLAG_TRANSFER;
	if (n > RAFT_MAX_APPEND_ENTRIES)
		return fail(why, "too many entries");
	if (n && m->type != RAFT_MSG_APPEND)
		return fail(why, "entries in a message that carries none");
	if (n > r.left / ENTRY_HDR_LEN)
		return fail(why, "truncated entries");
	for (uint64_t i = 0; i < n; i++) {
		struct raft_entry *e = &out->entries[i];
		e->term = get(&r, 8);
		e->index = get(&r, 8);
		e->type = (uint8_t)get(&r, 1);
		uint64_t elen = get(&r, 4);
		if (r.bad)
			return fail(why, "truncated entry");
		if (e->type > RAFT_ENTRY_CONFIG)
			return fail(why, "unknown entry type");
		if (elen > RAFT_MAX_ENTRY_BYTES)
			return fail(why, "entry too large");
		e->len = (uint32_t)elen;
		e->data = (unsigned char *)take(&r, elen);
		if (r.bad)
			return fail(why, "truncated entry");
	}
	m->n_entries = (uint32_t)n;
	m->entries = n ? out->entries : NULL;
	if (m->type == RAFT_MSG_SNAPSHOT) {
		struct raft_snapshot *s = &out->snapshot;
		memset(s, 0, sizeof *s);
		s->index = get(&r, 8);
		s->term = get(&r, 8);
		uint64_t clen = get(&r, 4);
		if (r.bad || clen > RAFT_CONFIG_MAX_BYTES)
			return fail(why, "bad snapshot header");
		const unsigned char *conf = take(&r, clen);
		if (r.bad || raft_config_decode(conf, (size_t)clen, &s->config) != 0)
			return fail(why, "bad snapshot configuration");
		s->len = get(&r, 8);
		if (r.bad || s->len > RAFT_MAX_SNAPSHOT_BYTES)
			return fail(why, "bad snapshot length");
		s->data = take(&r, s->len);
		if (r.bad)
			return fail(why, "truncated snapshot");
		m->snapshot = s;
	}
	if (r.left)
		return fail(why, "trailing bytes");
	return 0;
}
