/* raftd_reads.c: consul-raftd's replies and reads: blocking queries held until the index
 * moves, and Consul's consistency modes (?stale from any server, the default from the
 * leader under its lease, ?consistent after a quorum round). */
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "raftd_int.h"
#include "ops.h"
#include "rpc_ops.h"
#include "snapshot_file.h"

/* ---- replies ---- */

static uint64_t reply_index(const struct raftd *d)
{
	uint64_t i = store_index(d->store);
	return i ? i : 1; /* Consul's clients reject X-Consul-Index 0 */
}

void reply(struct raftd *d, struct rpc_req *req, int status, const struct buf *body)
{
	struct rpc_reply r = {.status = (uint32_t)status,
			      .known_leader = raft_leader(d->raft) != 0,
			      .index = reply_index(d),
			      .last_contact_ms = (uint32_t)(raft_last_contact_ticks(d->raft) * TICK_MS),
			      .body = body->data,
			      .body_len = body->len};
	rpc_reply_send(req, &r);
}

void reply_str(struct raftd *d, struct rpc_req *req, int status, const char *text)
{
	struct buf b = {.data = (char *)text, .len = strlen(text)};
	reply(d, req, status, &b);
}

static void answer_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	if (op == RPC_SNAPSHOT_SAVE) {
		snapshot_save_answer(d, req);
		return;
	}
	struct buf body;
	buf_init(&body);
	int status = ops_read(d->store, op, args, len, &body);
	reply(d, req, status, &body);
	buf_free(&body);
}

char *copy_args(const char *args, size_t len)
{
	char *c = malloc(len + 1);
	if (!c)
		abort();
	if (len)
		memcpy(c, args, len);
	c[len] = '\0';
	return c;
}

/* ---- blocking queries ---- */

static void waiter_unlink(struct waiter *w)
{
	struct raftd *d = w->d;
	if (w->prev)
		w->prev->next = w->next;
	else
		d->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	ev_timer_stop(d->loop, &w->timer);
	rpc_req_on_abandon(w->req, NULL, NULL);
}

static void waiter_free(struct waiter *w)
{
	free(w->args);
	free(w);
}

/* Answers with the data as it is now: after a write, or when the wait runs out. */
static void waiter_answer(struct waiter *w)
{
	answer_read(w->d, w->req, w->op, w->args, w->args_len);
	waiter_free(w);
}

static void waiter_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct waiter *w = t->data;
	waiter_unlink(w);
	waiter_answer(w);
}

static void waiter_abandon_cb(void *arg, struct rpc_req *req)
{
	struct waiter *w = arg;
	waiter_unlink(w);
	rpc_reply_send(req, &(struct rpc_reply){.status = 503}); /* only frees req: the client is gone */
	waiter_free(w);
}

/* Re-runs the reads whose index has been passed. They are taken off the list first, since
 * answering one may close a connection and abandon others. */
void wake_waiters(struct raftd *d)
{
	uint64_t now = store_index(d->store);
	if (now == d->waiters_seen_index)
		return;
	d->waiters_seen_index = now;
	struct waiter *ready = NULL;
	for (struct waiter *w = d->waiters, *next; w; w = next) {
		next = w->next;
		if (now > w->min_index) {
			waiter_unlink(w);
			w->next = ready;
			ready = w;
		}
	}
	while (ready) {
		struct waiter *w = ready;
		ready = w->next;
		waiter_answer(w);
	}
}

/* Holds the read when the caller already has this index; otherwise answers now. */
void handle_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	uint64_t min_index = 0, wait_ms = WAIT_DEFAULT_MS;
	char err[128];
	yajl_val a = len ? json_parse(args, len, err, sizeof err) : NULL;
	if (a) {
		json_u64(json_get(a, "index"), &min_index);
		if (json_u64(json_get(a, "wait_ms"), &wait_ms) && wait_ms == 0)
			wait_ms = WAIT_DEFAULT_MS;
		yajl_tree_free(a);
	}
	if (wait_ms > WAIT_MAX_MS)
		wait_ms = WAIT_MAX_MS;
	if (min_index == 0 || store_index(d->store) > min_index) {
		answer_read(d, req, op, args, len);
		return;
	}
	struct waiter *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->args = copy_args(args, len);
	w->args_len = len;
	w->d = d;
	w->req = req;
	w->op = op;
	w->min_index = min_index;
	ev_timer_init(&w->timer, waiter_timeout_cb, (double)wait_ms / 1000.0, 0.);
	w->timer.data = w;
	ev_timer_start(d->loop, &w->timer);
	rpc_req_on_abandon(req, waiter_abandon_cb, w);
	w->next = d->waiters;
	if (d->waiters)
		d->waiters->prev = w;
	d->waiters = w;
}

/* ---- reads that need the leader's confirmation ---- */

static void pending_read_unlink(struct pending_read *pr)
{
	struct raftd *d = pr->d;
	if (pr->prev)
		pr->prev->next = pr->next;
	else
		d->reads = pr->next;
	if (pr->next)
		pr->next->prev = pr->prev;
	ev_timer_stop(d->loop, &pr->timer);
	rpc_req_on_abandon(pr->req, NULL, NULL);
}

static void pending_read_free(struct pending_read *pr)
{
	free(pr->args);
	free(pr);
}

static void pending_read_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct pending_read *pr = t->data;
	pending_read_unlink(pr);
	reply_str(pr->d, pr->req, 500, "No cluster leader");
	pending_read_free(pr);
}

static void pending_read_abandon_cb(void *arg, struct rpc_req *req)
{
	struct pending_read *pr = arg;
	pending_read_unlink(pr);
	rpc_reply_send(req, &(struct rpc_reply){.status = 503});
	pending_read_free(pr);
}

/* Asks the core for a read index; the read runs once the store has applied it. */
static void confirm_then_read(struct raftd *d, struct rpc_req *req, enum raft_read_mode mode, unsigned op,
			      const char *args, size_t len)
{
	uint64_t ctx = ++d->next_read_ctx;
	int rc = raft_read_index(d->raft, mode, ctx);
	if (rc != 0) {
		reply_str(d, req, 500, rc == RAFT_ERR_BUSY ? "too many pending reads" : "No cluster leader");
		return;
	}
	struct pending_read *pr = calloc(1, sizeof *pr);
	if (!pr)
		abort();
	*pr = (struct pending_read){.d = d, .ctx = ctx, .req = req, .op = op, .args = copy_args(args, len),
				    .args_len = len};
	ev_timer_init(&pr->timer, pending_read_timeout_cb, READ_CONFIRM_TIMEOUT_S, 0.);
	pr->timer.data = pr;
	ev_timer_start(d->loop, &pr->timer);
	rpc_req_on_abandon(req, pending_read_abandon_cb, pr);
	pr->next = d->reads;
	if (d->reads)
		d->reads->prev = pr;
	d->reads = pr;
}

void reads_confirmed(struct raftd *d, const struct raft_read_state *rs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (struct pending_read *pr = d->reads; pr; pr = pr->next)
			if (pr->ctx == rs[i].ctx) {
				pr->index = rs[i].index ? rs[i].index : 1;
				break;
			}
}

/* Runs the confirmed reads whose index the store has reached. */
void release_reads(struct raftd *d)
{
	struct pending_read *ready = NULL;
	for (struct pending_read *pr = d->reads, *next; pr; pr = next) {
		next = pr->next;
		if (pr->index && pr->index <= d->applied) {
			pending_read_unlink(pr);
			pr->next = ready;
			ready = pr;
		}
	}
	while (ready) {
		struct pending_read *pr = ready;
		ready = pr->next;
		handle_read(d, pr->req, pr->op, pr->args, pr->args_len);
		pending_read_free(pr);
	}
}

enum read_mode read_mode_of(const char *args, size_t len)
{
	enum read_mode mode = READ_DEFAULT;
	char err[64];
	yajl_val a = len ? json_parse(args, len, err, sizeof err) : NULL;
	if (a && json_is_true(json_get(a, "stale")))
		mode = READ_STALE;
	else if (a && json_is_true(json_get(a, "consistent")))
		mode = READ_CONSISTENT;
	if (a)
		yajl_tree_free(a);
	return mode;
}

/* The staleness bound of a ?stale read ("max_stale_ms", from ?max_stale), 0 for none. */
static uint64_t max_stale_of(const char *args, size_t len)
{
	uint64_t ms = 0;
	char err[64];
	yajl_val a = len ? json_parse(args, len, err, sizeof err) : NULL;
	if (a && !json_u64(json_get(a, "max_stale_ms"), &ms))
		ms = 0;
	if (a)
		yajl_tree_free(a);
	return ms;
}

/* Consul's consistency modes: ?stale from any server; the default from the leader (under
 * its lease, once it has applied what its predecessors committed); ?consistent after a
 * quorum round confirms the leadership. */
void handle_store_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	enum read_mode mode = read_mode_of(args, len);
	bool leader = raft_role(d->raft) == RAFT_LEADER;
	uint64_t max_stale_ms = mode == READ_STALE ? max_stale_of(args, len) : 0;
	if (mode == READ_STALE && max_stale_ms && !leader &&
	    raft_last_contact_ticks(d->raft) * TICK_MS > max_stale_ms) {
		/* ?max_stale: this server lost the leader longer ago than the caller accepts, so the
		 * read is done again on the leader (as Consul's DNS does past dns_config.max_stale). */
		if (!forward_to_leader(d, req, op, args, len))
			reply_str(d, req, 500, "No cluster leader");
	} else if (mode == READ_STALE) {
		handle_read(d, req, op, args, len);
	} else if (mode == READ_CONSISTENT) {
		confirm_then_read(d, req, RAFT_READ_CONSISTENT, op, args, len);
	} else if (leader && d->applied >= d->lead_from && raft_lease_valid(d->raft)) {
		handle_read(d, req, op, args, len);
	} else if (leader) {
		confirm_then_read(d, req, RAFT_READ_LEASE, op, args, len);
	} else if (!forward_to_leader(d, req, op, args, len)) {
		reply_str(d, req, 500, "No cluster leader");
	}
}

