/* httpd.c: consul-httpd, the HTTP API role. Binds the API port, drops privileges, then
 * serves requests by asking raftd (a server's, on client agents), checkd and gossipd. */
#include <ev.h>
#include <stdlib.h>

#include "common/daemon.h"
#include "common/log.h"
#include "common/privdrop.h"
#include "common/rpc.h"
#include "common/server_link.h"
#include "routes.h"
#include "server.h"

int main(int argc, char **argv)
{
	static struct config cfg;
	role_start("httpd", argc, argv, &cfg);
	struct ev_loop *loop = EV_DEFAULT;

	struct httpd_server *server = httpd_server_listen(loop, &cfg);
	priv_drop(cfg.user);

	struct rpc_client *peers[ROUTE_PEER_COUNT];
	for (int i = 0; i < ROUTE_PEER_COUNT; i++) {
		if (i == ROUTE_PEER_RAFT) {  /* on a client agent: a server, found through gossip */
			peers[i] = server_link_new(loop, &cfg, route_peer_name[i]);
			continue;
		}
		char *path = config_run_path(&cfg, route_peer_socket[i]);
		peers[i] = rpc_client_new(loop, path, route_peer_name[i]);
		free(path);
	}
	httpd_server_start(server, peers);
	role_watch_reload(loop, &cfg, argc, argv, NULL, NULL);
	ev_run(loop, 0);
	fatalx("event loop returned");
}
