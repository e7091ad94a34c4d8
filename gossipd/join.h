/* join.h: joining a pool through a list of addresses ("host", "host:port", "[v6]:port"), as
 * `consul join`, -join, -retry-join and the rejoin snapshot do. Each address is resolved and
 * contacted with a join push/pull; done runs once, after every address answered or failed.
 *
 *   join_start(lan, addrs, n, 8301, on_joined, ctx);
 *   static void on_joined(void *ctx, const struct join_result *r)
 *       { r->joined members answered; r->errors[i] says why addresses failed }
 */
#ifndef GOSSIPD_JOIN_H
#define GOSSIPD_JOIN_H

#include <stddef.h>

#include "swim.h"

struct pool;

struct join_result {
	size_t joined;
	char **errors;   /* "ADDRESS: reason", one per address that failed */
	size_t nerrors;
};

typedef void (*join_done_fn)(void *arg, const struct join_result *r);

/* done may run before join_start returns (when every address fails at once). */
void join_start(struct pool *p, const char *const *addrs, size_t n, int default_port, join_done_fn done, void *arg);
#endif
