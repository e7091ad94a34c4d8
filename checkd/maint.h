/* maint.h: maintenance mode, as Consul's: a critical check of type "maintenance" on the node
 * ("_node_maintenance") or on one service ("_service_maintenance:<id>"), with the reason as
 * its Notes. While it is there, DNS and ?passing leave the node or the service out. Pure.
 *
 *   maint_enable(ls, "web", "upgrading", now_ms, err, sizeof err);   // service web
 *   maint_disable(ls, NULL, err, sizeof err);                        // the node
 */
#ifndef CHECKD_MAINT_H
#define CHECKD_MAINT_H

#include <stddef.h>
#include <stdint.h>

#include "local_state.h"

#define MAINT_NODE_CHECK_ID "_node_maintenance"
#define MAINT_SERVICE_CHECK_PREFIX "_service_maintenance:"

/* service_id NULL for the node; reason NULL or "" for Consul's default text. Enabling twice
 * keeps the first reason, as Consul's. Returns 1 when something changed, 0 when not, -ENOENT
 * for an unknown service (err has Consul's message), -ENOMEM. */
int maint_enable(struct local_state *ls, const char *service_id, const char *reason, uint64_t now_ms, char *err,
		 size_t err_len);
int maint_disable(struct local_state *ls, const char *service_id, char *err, size_t err_len);

#endif
