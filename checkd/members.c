/* members.c: the cluster size for anti-entropy, from gossipd's MEMBERS (see members.h). */
#include "members.h"

#include <ev.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"
#include "common/log.h"
#include "common/rpc.h"
#include "common/rpc_ops.h"

/* A blocking query waits this long at most; a failed one is retried after RETRY_S. */
#define WATCH_WAIT_MS 300000
#define RETRY_S 5.0
/* A reply that did not move the index comes back at once; do not ask again sooner than this. */
#define MIN_GAP_S 1.0
#define SERF_STATUS_ALIVE 1

struct members_watch {
	struct ev_loop *loop;
	struct rpc_client *gossip;
	members_cb cb;
	void *arg;
	int64_t call;
	uint64_t index;
	ev_timer again;
};

ssize_t members_count_alive(const char *body, size_t len)
{
	char err[128];
	yajl_val v = json_parse(body, len, err, sizeof err);
	if (!v || !YAJL_IS_ARRAY(v)) {
		yajl_tree_free(v);
		return -1;
	}
	ssize_t alive = 0;
	for (size_t i = 0; i < json_arr_len(v); i++) {
		int64_t status;
		if (json_i64(json_get(json_arr_at(v, i), "Status"), &status) && status == SERF_STATUS_ALIVE)
			alive++;
	}
	yajl_tree_free(v);
	return alive;
}

static void ask(struct members_watch *m);

static void on_reply(void *arg, const struct rpc_reply *reply)
{
	struct members_watch *m = arg;
	m->call = 0;
	ssize_t alive = reply->status == 200 ? members_count_alive(reply->body, reply->body_len) : -1;
	if (alive < 0) {
		log_debug("members: no member table from gossipd (status %u); retrying", reply->status);
		ev_timer_set(&m->again, RETRY_S, 0.);
		ev_timer_start(m->loop, &m->again);
		return;
	}
	m->cb(m->arg, (size_t)alive);
	bool moved = reply->index != m->index;
	m->index = reply->index;
	if (moved) {
		ask(m);
	} else {
		ev_timer_set(&m->again, MIN_GAP_S, 0.);
		ev_timer_start(m->loop, &m->again);
	}
}

static void ask(struct members_watch *m)
{
	char args[96];
	int n = snprintf(args, sizeof args, "{\"index\":%" PRIu64 ",\"wait_ms\":%d}", m->index, WATCH_WAIT_MS);
	m->call = rpc_call(m->gossip, RPC_MEMBERS, args, (size_t)n, on_reply, m);
	if (m->call <= 0) {
		m->call = 0;
		ev_timer_set(&m->again, RETRY_S, 0.);
		ev_timer_start(m->loop, &m->again);
	}
}

static void on_again(struct ev_loop *loop, ev_timer *w, int revents)
{
	ask(w->data);
}

struct members_watch *members_watch_new(struct ev_loop *loop, struct rpc_client *gossip, members_cb cb, void *arg)
{
	struct members_watch *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	*m = (struct members_watch){.loop = loop, .gossip = gossip, .cb = cb, .arg = arg};
	ev_init(&m->again, on_again);
	m->again.data = m;
	ask(m);
	return m;
}

void members_watch_free(struct members_watch *m)
{
	if (!m)
		return;
	if (m->call)
		rpc_cancel(m->gossip, m->call);
	ev_timer_stop(m->loop, &m->again);
	free(m);
}
