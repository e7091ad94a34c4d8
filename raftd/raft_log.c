/* raft_log.c: the in-memory Raft log (see raft_log.h). */
#include "raft_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void raft_log_init(struct raft_log *l)
{
	memset(l, 0, sizeof *l);
}

static void drop_range(struct raft_log *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		l->bytes -= l->ents[i].len;
		free(l->ents[i].data);
	}
}

void raft_log_free(struct raft_log *l)
{
	drop_range(l, 0, l->n);
	free(l->ents);
	memset(l, 0, sizeof *l);
}

void raft_log_reset(struct raft_log *l, uint64_t index, uint64_t term)
{
	drop_range(l, 0, l->n);
	l->n = 0;
	l->offset = index;
	l->offset_term = term;
	l->stable = index;
}

uint64_t raft_log_first(const struct raft_log *l)
{
	return l->offset + 1;
}

uint64_t raft_log_last(const struct raft_log *l)
{
	return l->offset + l->n;
}

uint64_t raft_log_last_term(const struct raft_log *l)
{
	return l->n ? l->ents[l->n - 1].term : l->offset_term;
}

int raft_log_term(const struct raft_log *l, uint64_t index, uint64_t *term)
{
	if (index == l->offset) {
		*term = l->offset_term;
		return 0;
	}
	if (index < l->offset || index > raft_log_last(l))
		return -ENOENT;
	*term = l->ents[index - l->offset - 1].term;
	return 0;
}

const struct raft_entry *raft_log_get(const struct raft_log *l, uint64_t index)
{
	if (index <= l->offset || index > raft_log_last(l))
		return NULL;
	return &l->ents[index - l->offset - 1];
}

void raft_log_append(struct raft_log *l, const struct raft_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct raft_entry *ents = realloc(l->ents, cap * sizeof *ents);
		if (!ents)
			abort();
		l->ents = ents;
		l->cap = cap;
	}
	struct raft_entry *d = &l->ents[l->n];
	*d = *e;
	d->index = raft_log_last(l) + 1;
	d->data = NULL;
	if (e->len) {
		d->data = malloc(e->len);
		if (!d->data)
			abort();
		memcpy(d->data, e->data, e->len);
	}
	l->bytes += e->len;
	l->n++;
}

void raft_log_truncate_from(struct raft_log *l, uint64_t index)
{
	if (index <= l->offset || index > raft_log_last(l))
		return;
	size_t keep = (size_t)(index - l->offset - 1);
	drop_range(l, keep, l->n);
	l->n = keep;
	if (l->stable >= index)
		l->stable = index - 1;
}

void raft_log_compact_to(struct raft_log *l, uint64_t index)
{
	if (index <= l->offset || index > raft_log_last(l))
		return;
	size_t drop = (size_t)(index - l->offset);
	l->offset_term = l->ents[drop - 1].term;
	drop_range(l, 0, drop);
	memmove(l->ents, l->ents + drop, (l->n - drop) * sizeof *l->ents);
	l->n -= drop;
	l->offset = index;
	if (l->stable < index)
		l->stable = index;
	/* Give memory back when the log shrank a lot (after a snapshot). */
	if (l->cap > 64 && l->n < l->cap / 4) {
		size_t cap = l->n < 16 ? 16 : l->n * 2;
		struct raft_entry *ents = realloc(l->ents, cap * sizeof *ents);
		if (ents) {
			l->ents = ents;
			l->cap = cap;
		}
	}
}
