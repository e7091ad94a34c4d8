/* raftd_peers.c: consul-raftd's links to the other servers: Raft messages (RAFT_MESSAGE,
 * raft_wire.h bytes) and requests relayed once to the leader (RAFT_FORWARD). */
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
#include "raft_wire.h"
#include "rpc_ops.h"

/* ---- peers: Raft messages and forwarding ---- */

/* The server's address as the current configuration (or the snapshot's) names it, else as
 * gossip does (a server not yet in any configuration still answers votes and appends). */
const char *server_addr_of(const struct raftd *d, uint64_t id)
{
	const struct raft_server *s = raft_config_find(raft_configuration(d->raft), id);
	if (!s)
		s = raft_config_find(&raft_get_snapshot(d->raft)->config, id);
	if (s)
		return s->addr;
	for (size_t i = 0; i < d->n_members; i++)
		if (d->members[i].id == id)
			return d->members[i].addr;
	for (size_t i = 0; i < d->n_peers; i++) /* learnt from its own messages */
		if (d->peers[i].id == id)
			return d->peers[i].addr;
	return NULL;
}

/* The link to server id at addr, made (or remade, when its address changed) on demand. */
struct rpc_client *peer_client(struct raftd *d, uint64_t id, const char *addr)
{
	struct peer *p = NULL;
	for (size_t i = 0; i < d->n_peers; i++)
		if (d->peers[i].id == id)
			p = &d->peers[i];
	if (p && strcmp(p->addr, addr) != 0) {
		rpc_client_free(p->client);
		p->client = NULL;
	}
	if (!p) {
		if (d->n_peers == RAFT_MAX_SERVERS) { /* forget the oldest: it left the configuration */
			rpc_client_free(d->peers[0].client);
			memmove(&d->peers[0], &d->peers[1], (d->n_peers - 1) * sizeof d->peers[0]);
			d->n_peers--;
		}
		p = &d->peers[d->n_peers++];
		memset(p, 0, sizeof *p);
		p->id = id;
	}
	if (!p->client) {
		snprintf(p->addr, sizeof p->addr, "%s", addr);
		p->client = rpc_client_new(d->loop, addr, "raft peer");
	}
	return p->client;
}

#define SNAPSHOT_FLAG (1ull << 63)

static void message_sent_cb(void *arg, const struct rpc_reply *r)
{
	uint64_t tag = (uint64_t)(uintptr_t)arg;
	/* Not from inside a Ready (a link freed while sending fails its calls at once): the
	 * core retries an unanswered snapshot on its own anyway. */
	if (r->status != 200 && (tag & SNAPSHOT_FLAG) && !the_raftd->in_ready)
		raft_report_unreachable(the_raftd->raft, tag & ~SNAPSHOT_FLAG);
}

void send_message(struct raftd *d, const struct raft_msg *m)
{
	const char *addr = server_addr_of(d, m->to);
	if (!addr)
		return; /* not in any configuration we know: nobody to send to */
	buf_reset(&d->wire);
	if (raft_wire_encode(&d->wire, m, d->server_addr) < 0)
		abort();
	uint64_t tag = m->to | (m->type == RAFT_MSG_SNAPSHOT ? SNAPSHOT_FLAG : 0);
	int64_t rc = rpc_call(peer_client(d, m->to, addr), RPC_RAFT_MESSAGE, d->wire.data, d->wire.len,
			      message_sent_cb, (void *)(uintptr_t)tag);
	if (rc < 0)
		log_debug("raft: %s to %s dropped: %s", raft_msg_type_name(m->type), addr, strerror((int)-rc));
	if (d->wire.cap > (1u << 20)) { /* a snapshot went out: give its memory back */
		buf_free(&d->wire);
		buf_init(&d->wire);
	}
}

/* A leader's snapshot is checked on a scratch store before the core may take it: once
 * persisted, a snapshot that does not restore would stop this server at every start. */
static bool snapshot_restores(const struct raft_snapshot *snap)
{
	struct store *scratch = store_new();
	char err[256];
	int rc = store_restore(scratch, (const char *)snap->data, (size_t)snap->len, err, sizeof err);
	store_free(scratch);
	if (rc < 0)
		log_warnx("raft: snapshot at index %" PRIu64 " from the leader refused: %s", snap->index, err);
	return rc == 0;
}

void handle_raft_message(struct raftd *d, struct rpc_req *req, const char *args, size_t len)
{
	static struct raft_wire_msg w; /* 8 KB of entry slots: kept off the stack */
	const char *why = NULL;
	if (raft_wire_decode((const unsigned char *)args, len, &w, &why) < 0) {
		/* A peer that sends garbage is not trusted further: refuse it and drop the link
		 * (it reconnects with backoff and starts clean). */
		log_warnx("raft: malformed message (%zu bytes) refused, link closed: %s", len, why);
		rpc_req_close(req);
		reply_str(d, req, 400, "malformed raft message");
		return;
	}
	if (w.msg.to != d->id) {
		reply_str(d, req, 400, "raft message for another server");
		return;
	}
	if (w.from_addr[0] && !server_addr_of(d, w.msg.from))
		peer_client(d, w.msg.from, w.from_addr); /* remembered: now we can answer it */
	if (w.msg.type == RAFT_MSG_SNAPSHOT && !snapshot_restores(w.msg.snapshot)) {
		reply_str(d, req, 400, "snapshot does not restore"); /* before it is persisted */
		return;
	}
	raft_step(d->raft, &w.msg);
	reply_str(d, req, 200, "");
}

/* A request relayed to the leader; its reply goes back to the caller as it came. */
struct forward {
	struct rpc_req *req;
};

static void forward_cb(void *arg, const struct rpc_reply *r)
{
	struct forward *f = arg;
	rpc_reply_send(f->req, r);
	free(f);
}

/* Sends the request to the leader, as Consul's servers do. Returns false when no leader is
 * known (the caller answers). */
bool forward_to_leader(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	uint64_t leader = raft_leader(d->raft);
	const char *addr = leader && leader != d->id ? server_addr_of(d, leader) : NULL;
	if (!addr || d->handling_forwarded || op > 0xffff)
		return false; /* one hop only: two servers that disagree on the leader never loop */
	struct forward *f = malloc(sizeof *f);
	if (!f)
		abort();
	f->req = req;
	buf_reset(&d->wire);
	unsigned char hdr[2] = {(unsigned char)(op >> 8), (unsigned char)op};
	if (buf_append(&d->wire, (const char *)hdr, 2) < 0 || (len && buf_append(&d->wire, args, len) < 0))
		abort();
	if (rpc_call(peer_client(d, leader, addr), RPC_RAFT_FORWARD, d->wire.data, d->wire.len, forward_cb, f) < 0) {
		free(f);
		reply_str(d, req, 500, "rpc error: leader unreachable");
	}
	return true;
}

