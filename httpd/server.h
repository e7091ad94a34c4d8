/* server.h: the HTTP listener as a thin libev shell around http_parser and routes: accepts
 * connections, reads and parses requests, makes each request's RPC, writes the answers in
 * order (keep-alive and pipelining), and times out idle connections.
 *
 *   struct httpd_server *s = httpd_server_listen(loop, &cfg);   // fatal if it cannot bind
 *   priv_drop(cfg.user);
 *   httpd_server_start(s, peers);                                // peers[ROUTE_PEER_*]
 *   ev_run(loop, 0);
 */
#ifndef HTTPD_SERVER_H
#define HTTPD_SERVER_H

#include "common/config.h"
#include "common/rpc.h"
#include "routes.h"

struct ev_loop;
struct httpd_server;

/* Most connections served at once; more are accepted and closed at once, as Consul closes
 * connections over http_max_conns_per_client. */
#define HTTPD_MAX_CONNS 512
/* A connection with no request in flight and no bytes for this long is closed. */
#define HTTPD_IDLE_TIMEOUT_S 90.0

/* Binds and listens on cfg->addr_http:cfg->port_http (no listener when the port is -1).
 * Exits with `listen ADDR:PORT: <reason>` when it cannot. cfg must outlive the server. */
struct httpd_server *httpd_server_listen(struct ev_loop *loop, const struct config *cfg);
/* Starts accepting; peers are the rpc clients by route_peer (not owned). */
void httpd_server_start(struct httpd_server *s, struct rpc_client *const peers[ROUTE_PEER_COUNT]);
/* Closes every connection (cancelling their calls) and the listener. */
void httpd_server_free(struct httpd_server *s);

#endif
