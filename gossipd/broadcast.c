/* broadcast.c: the transmit-limited queue of piggybacked facts. */
#include "broadcast.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct bcast_item {
	struct swim_update *u;
	uint32_t transmits;
	uint32_t size;
	uint64_t id;
	size_t heap_pos;
	bool keyed;
};

/* The smallest fact is bigger than this; below it a packet is full. */
enum { MIN_UPDATE_BYTES = 32, MAX_SKIPPED = 32, MAX_TAKEN = SWIM_MAX_UPDATES };

uint32_t bcast_retransmit_limit(uint32_t mult, uint32_t n)
{
	/* ceil(log10(n + 1)) is the number of decimal digits of n (n >= 1); 0 for n = 0 */
	uint32_t digits = 0;
	for (uint64_t x = n; x > 0; x /= 10)
		digits++;
	return mult * digits;
}

void bcast_init(struct bcast_queue *q)
{
	memset(q, 0, sizeof *q);
}

static void item_release(struct bcast_queue *q, struct bcast_item *it)
{
	if (q->watch && it->u == q->watch) {
		q->watch_done = true;
		q->watch = NULL;
	}
	swim_update_unref(it->u);
	free(it);
}

void bcast_free(struct bcast_queue *q)
{
	for (size_t i = 0; i < q->len; i++)
		item_release(q, q->heap[i]);
	free(q->heap);
	free(q->index);
	bcast_init(q);
}

size_t bcast_len(const struct bcast_queue *q)
{
	return q->len;
}

void bcast_watch(struct bcast_queue *q, const struct swim_update *u)
{
	q->watch = u;
	q->watch_done = false;
}

/* ---------------------------------------------------------------- index by member name */

static size_t index_slot(const struct bcast_queue *q, const struct swim_update *u, bool *found)
{
	size_t mask = q->index_cap - 1, i = u->name_hash & mask;
	for (; q->index[i]; i = (i + 1) & mask) {
		const struct swim_update *v = q->index[i]->u;
		if (v->name_hash == u->name_hash && !strcmp(v->node, u->node)) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return i;
}

static int index_grow(struct bcast_queue *q)
{
	if ((q->index_len + 1) * 2 <= q->index_cap)
		return 0;
	size_t cap = q->index_cap ? q->index_cap * 2 : 64;
	struct bcast_item **old = q->index;
	size_t old_cap = q->index_cap;
	q->index = calloc(cap, sizeof *q->index);
	if (!q->index) {
		q->index = old;
		return -ENOMEM;
	}
	q->index_cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i])
			continue;
		bool found;
		q->index[index_slot(q, old[i]->u, &found)] = old[i];
	}
	free(old);
	return 0;
}

/* Linear probing deletion by backward shift, so lookups need no tombstones. */
static void index_remove(struct bcast_queue *q, struct bcast_item *it)
{
	bool found;
	size_t mask = q->index_cap - 1, i = index_slot(q, it->u, &found);
	if (!found || q->index[i] != it)
		return;
	q->index[i] = NULL;
	q->index_len--;
	for (size_t j = (i + 1) & mask; q->index[j]; j = (j + 1) & mask) {
		size_t home = q->index[j]->u->name_hash & mask;
		/* move j back to i when its home is not in (i, j] cyclically */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			q->index[i] = q->index[j];
			q->index[j] = NULL;
			i = j;
		}
	}
}

/* ---------------------------------------------------------------- the heap */

/* memberlist's order: fewer transmits first, then the newest (it also puts bigger facts first
 * among equals, to pack packets; we pack by skipping what does not fit). */
static bool item_before(const struct bcast_item *a, const struct bcast_item *b)
{
	return a->transmits < b->transmits || (a->transmits == b->transmits && a->id > b->id);
}

static void heap_set(struct bcast_queue *q, size_t i, struct bcast_item *it)
{
	q->heap[i] = it;
	it->heap_pos = i;
}

static void sift_up(struct bcast_queue *q, size_t i)
{
	struct bcast_item *it = q->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!item_before(it, q->heap[parent]))
			break;
		heap_set(q, i, q->heap[parent]);
		i = parent;
	}
	heap_set(q, i, it);
}

static void sift_down(struct bcast_queue *q, size_t i)
{
	struct bcast_item *it = q->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->len)
			break;
		if (c + 1 < q->len && item_before(q->heap[c + 1], q->heap[c]))
			c++;
		if (!item_before(q->heap[c], it))
			break;
		heap_set(q, i, q->heap[c]);
		i = c;
	}
	heap_set(q, i, it);
}

static int heap_reserve(struct bcast_queue *q)
{
	if (q->len < q->cap)
		return 0;
	size_t cap = q->cap ? q->cap * 2 : 64;
	struct bcast_item **h = realloc(q->heap, cap * sizeof *h);
	if (!h)
		return -ENOMEM;
	q->heap = h;
	q->cap = cap;
	return 0;
}

/* Callers reserve first. */
static void heap_insert(struct bcast_queue *q, struct bcast_item *it)
{
	heap_set(q, q->len++, it);
	sift_up(q, it->heap_pos);
}

static void heap_remove(struct bcast_queue *q, struct bcast_item *it)
{
	size_t i = it->heap_pos;
	struct bcast_item *last = q->heap[--q->len];
	if (i == q->len)
		return;
	heap_set(q, i, last);
	sift_up(q, i);
	sift_down(q, last->heap_pos);
}

/* Takes it out of the queue for good. */
static void item_drop(struct bcast_queue *q, struct bcast_item *it)
{
	heap_remove(q, it);
	if (it->keyed)
		index_remove(q, it);
	item_release(q, it);
}

int bcast_push(struct bcast_queue *q, struct swim_update *u)
{
	bool keyed = u->type != SWIM_UPD_USER_EVENT;
	if (heap_reserve(q) < 0 || (keyed && index_grow(q) < 0))
		return -ENOMEM;
	struct bcast_item *it = calloc(1, sizeof *it);
	if (!it)
		return -ENOMEM;
	it->u = swim_update_ref(u);
	it->size = (uint32_t)swim_update_wire_size(u);
	it->id = q->next_id++;
	it->keyed = keyed;
	if (keyed) {
		bool found;
		size_t slot = index_slot(q, u, &found);
		if (found) {
			/* the newer fact about this member invalidates the queued one */
			struct bcast_item *old = q->index[slot];
			heap_remove(q, old);
			item_release(q, old);
		} else {
			q->index_len++;
		}
		q->index[slot] = it;
	}
	heap_insert(q, it);
	return 0;
}

size_t bcast_fill(struct bcast_queue *q, uint32_t limit, size_t budget, struct swim_msg *m)
{
	struct bcast_item *taken[MAX_TAKEN], *aside[MAX_SKIPPED];
	size_t ntaken = 0, naside = 0, room = budget;
	while (q->len && room >= MIN_UPDATE_BYTES && ntaken < MAX_TAKEN && m->nupdates < SWIM_MAX_UPDATES) {
		struct bcast_item *it = q->heap[0];
		if (it->transmits >= limit) {  /* the cluster shrank: done with it */
			item_drop(q, it);
			continue;
		}
		if (it->size > room) {
			if (naside == MAX_SKIPPED)
				break;
			heap_remove(q, it);
			aside[naside++] = it;
			continue;
		}
		if (swim_msg_add_update(m, swim_update_ref(it->u)) < 0) {
			swim_update_unref(it->u);
			break;
		}
		room -= it->size;
		heap_remove(q, it);
		taken[ntaken++] = it;
	}
	/* the heap only shrank above, so these fit back without allocating */
	for (size_t i = 0; i < naside; i++)
		heap_insert(q, aside[i]);
	for (size_t i = 0; i < ntaken; i++) {
		struct bcast_item *it = taken[i];
		if (++it->transmits >= limit) {
			if (it->keyed)
				index_remove(q, it);
			item_release(q, it);
		} else {
			heap_insert(q, it);
		}
	}
	return ntaken;
}

static int cmp_items(const void *a, const void *b)
{
	const struct bcast_item *x = *(const struct bcast_item *const *)a, *y = *(const struct bcast_item *const *)b;
	return item_before(x, y) ? -1 : item_before(y, x) ? 1 : 0;
}

void bcast_prune(struct bcast_queue *q, size_t max)
{
	/* rare (a queue past its depth); drop an eighth more than needed so it stays rare */
	if (q->len <= max)
		return;
	size_t keep = max - max / 8;
	qsort(q->heap, q->len, sizeof *q->heap, cmp_items);  /* a sorted array is a valid heap */
	for (size_t i = keep; i < q->len; i++) {
		struct bcast_item *it = q->heap[i];
		if (it->keyed)
			index_remove(q, it);
		item_release(q, it);
	}
	q->len = keep;
	for (size_t i = 0; i < q->len; i++)
		q->heap[i]->heap_pos = i;
}
