/* catalog_reconcile.h: what the leader writes so that the catalog follows gossip, as Consul's
 * leader does: every member of this datacenter is a node with a serfHealth check, passing
 * while the member is alive and critical while it is failed; a member that left, and a node
 * with a serfHealth check that gossip no longer knows (reaped), is deregistered. Nodes
 * without serfHealth (registered through /v1/catalog/register) are left alone. Pure.
 *
 *   struct buf cmds; buf_init(&cmds);
 *   size_t n = catalog_reconcile(store, members_body, len, "dc1", &cmds);
 *   // cmds: n store commands, one JSON object per line:
 *   //   {"Op":"register","Node":"web-1",...,"Checks":[{"CheckID":"serfHealth",...}]}
 *   //   {"Op":"deregister","Node":"old-1"}
 */
#ifndef RAFTD_CATALOG_RECONCILE_H
#define RAFTD_CATALOG_RECONCILE_H

#include <stddef.h>

#include "buf.h"
#include "store.h"

/* Appends the commands that bring the store in line with the MEMBERS body; returns how many
 * (0 when it already is, or the body is not a member list). */
size_t catalog_reconcile(const struct store *s, const char *members_json, size_t len, const char *dc,
			 struct buf *cmds);

#endif
