/* members.h: follows gossipd's member table with a blocking MEMBERS query and reports how many
 * members are alive, which spreads anti-entropy out in large clusters (sync_set_cluster_size).
 *
 *   struct members_watch *m = members_watch_new(loop, gossip_client, on_size, ctx);
 *   static void on_size(void *ctx, size_t alive) { sync_set_cluster_size(sync, alive); }
 */
#ifndef CHECKD_MEMBERS_H
#define CHECKD_MEMBERS_H

#include <stddef.h>
#include <sys/types.h>

struct ev_loop;
struct rpc_client;
struct members_watch;

typedef void (*members_cb)(void *arg, size_t alive);

/* Starts watching at once; cb runs after each reply that counts the members. */
struct members_watch *members_watch_new(struct ev_loop *loop, struct rpc_client *gossip, members_cb cb, void *arg);
void members_watch_free(struct members_watch *m);

/* Pure: members with Serf status alive (Status 1) in a MEMBERS reply body; -1 when the body is
 * not a JSON array. */
ssize_t members_count_alive(const char *body, size_t len);

#endif
