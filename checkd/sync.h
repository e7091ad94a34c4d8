/* sync.h: anti-entropy: keeps the catalog's view of this node equal to the local state.
 *
 * One request at a time to the state store over raft.sock: a full sync reads what the catalog
 * holds for this node (CATALOG_NODE_SERVICES, HEALTH_NODE), marks what differs, and records
 * what the catalog has that the agent does not; then each pass registers the node, removes
 * what was deleted, and registers every service and check not in sync. Local changes start a
 * pass within SYNC_COALESCE_MS; a full sync runs on start, every SYNC_FULL_INTERVAL_MS, and
 * when raftd comes back. Failures retry with backoff. The node's serfHealth check and the
 * "consul" service belong to the servers and are never touched.
 *
 *   struct sync *s = sync_new(loop, raft_client, ls, &cfg);
 *   ... after any local change: sync_changed(s);
 */
#ifndef CHECKD_SYNC_H
#define CHECKD_SYNC_H

#include <stdbool.h>
#include <yajl/yajl_tree.h>

#include "local_state.h"

#define SYNC_COALESCE_MS 50
#define SYNC_FULL_INTERVAL_MS 60000
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

/* The pure halves, exposed for tests. */
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
