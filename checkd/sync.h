/* sync.h: anti-entropy: keeps the catalog's view of this node equal to the local state.
 *
 * One request at a time to the state store over raft.sock: a full sync reads what the catalog
 * holds for this node (CATALOG_NODE_SERVICES, HEALTH_NODE), marks what differs, and records
 * what the catalog has that the agent does not; then each pass registers the node, removes
 * what was deleted, and registers every service and check not in sync. Local changes start a
 * pass within SYNC_COALESCE_MS; a full sync runs on start, when raftd comes back, and
 * periodically: every ae_interval (config, default 1m) plus a random stagger of up to that
 * interval times a factor that grows with the cluster (sync_scale_factor), as Consul's ae. Failures retry with backoff. The node's serfHealth check and the
 * "consul" service belong to the servers and are never touched.
 *
 *   struct sync *s = sync_new(loop, raft_client, ls, &cfg);
 *   ... after any local change: sync_changed(s);
 */
#ifndef CHECKD_SYNC_H
#define CHECKD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "local_state.h"

#define SYNC_COALESCE_MS 50
#define SYNC_FULL_INTERVAL_MIN_MS 100
/* Consul's ae scale threshold: up to this many members the stagger is not scaled. */
#define SYNC_SCALE_THRESHOLD 128
#define SYNC_RETRY_MIN_MS 200
#define SYNC_RETRY_MAX_MS 10000

struct ev_loop;
struct rpc_client;
struct config;
struct buf;
struct sync;

/* Starts with a full sync. cfg must outlive the sync. */
struct sync *sync_new(struct ev_loop *loop, struct rpc_client *raft, struct local_state *ls, const struct config *cfg);
void sync_free(struct sync *s);
/* The local state changed: sync soon (changes within SYNC_COALESCE_MS share one pass). */
void sync_changed(struct sync *s);
/* The cluster now has this many alive members (gossipd's MEMBERS): later full syncs spread
 * out accordingly. */
void sync_set_cluster_size(struct sync *s, size_t members);

/* The pure halves, exposed for tests. */
/* Consul's scaleFactor: 1 up to SYNC_SCALE_THRESHOLD members, then one more for each doubling
 * (129..256: 2, 257..512: 3, ... 8192: 7). */
unsigned sync_scale_factor(size_t members);
/* Milliseconds until the next full sync: base_ms plus a stagger in [0, factor * base_ms),
 * taken from random_u32 (the shell passes a random number). */
uint64_t sync_next_full_ms(uint64_t base_ms, size_t members, uint32_t random_u32);
struct sync_node {
	const char *node_name;
	const char *node_id;
	const char *address;
	const char *datacenter;
};
/* The CATALOG_REGISTER body for the node alone, for a service with all its checks
 * (svc != NULL, check == NULL), or for one check (with its service when it has one). */
int sync_render_register(const struct sync_node *node, const struct local_state *ls, const struct ls_service *svc,
			 const struct ls_check *check, bool skip_node_update, struct buf *out);
/* Compares the catalog's node-services body with the local state: sets in_sync of each
 * service, records catalog-only services for deregistration. Returns whether the node entry
 * itself matches. */
bool sync_diff_services(struct local_state *ls, const struct sync_node *node, yajl_val body);
/* Same for the node's checks, from a /v1/health/node body. */
void sync_diff_checks(struct local_state *ls, yajl_val body);

#endif
