/* gossipd.c: the libev shell of the membership role. It claims the Serf LAN port (so a second
 * agent on the same address fails clearly) and serves the member table on gossip.sock. */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "members.h"
#include "net.h"
#include "privdrop.h"
#include "rpc.h"
#include "rpc_ops.h"

struct gossipd {
	struct config cfg;
	struct members members;
	struct rpc_server *server;
	int udp_fd, tcp_fd;
	ev_io udp_io, tcp_io;
	uint64_t dropped_packets;
};

static void handle_rpc(void *arg, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	struct gossipd *g = arg;
	if (op != RPC_MEMBERS) {
		static const char msg[] = "gossipd: unknown request";
		rpc_reply_simple(req, 400, 1, msg, sizeof msg - 1);
		return;
	}
	struct buf out;
	buf_init(&out);
	members_render(&g->members, &out);
	rpc_reply_simple(req, 200, 1, out.data, out.len);
	buf_free(&out);
}

/* Until the gossip protocol lands, traffic on the Serf port is read and dropped (counted). */
static void udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gossipd *g = w->data;
	char pkt[1500];
	while (recv(g->udp_fd, pkt, sizeof pkt, 0) >= 0)
		g->dropped_packets++;
}

static void tcp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gossipd *g = w->data;
	int fd = accept4(g->tcp_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		g->dropped_packets++;
		close(fd);
	}
}

int main(int argc, char **argv)
{
	static struct gossipd g;
	role_start("gossipd", argc, argv, &g.cfg);
	members_init(&g.members);
	if (members_add_self(&g.members, &g.cfg) < 0)
		fatalx("out of memory");

	struct ev_loop *loop = ev_default_loop(0);
	char err[256];
	if ((g.udp_fd = net_listen(g.cfg.bind_addr, g.cfg.port_serf_lan, SOCK_DGRAM, err, sizeof err)) < 0 ||
	    (g.tcp_fd = net_listen(g.cfg.bind_addr, g.cfg.port_serf_lan, SOCK_STREAM, err, sizeof err)) < 0)
		fatalx("serf: %s", err);
	ev_io_init(&g.udp_io, udp_cb, g.udp_fd, EV_READ);
	ev_io_init(&g.tcp_io, tcp_cb, g.tcp_fd, EV_READ);
	g.udp_io.data = g.tcp_io.data = &g;
	ev_io_start(loop, &g.udp_io);
	ev_io_start(loop, &g.tcp_io);

	g.server = role_serve(loop, &g.cfg, "gossip.sock", handle_rpc, &g);

	priv_drop(g.cfg.user);
	role_watch_reload(loop, argc, argv, NULL, NULL);
	log_info("serf: LAN pool of %s on %s:%d (%s)", g.cfg.node_name, g.cfg.bind_addr, g.cfg.port_serf_lan,
		 g.cfg.server ? "server" : "client");
	ev_run(loop, 0);
	fatalx("event loop returned");
}
