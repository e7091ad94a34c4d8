/* rpc.h: request/reply over framed stream links (frame.h), on a libev loop.
 *
 * A link is a Unix socket (a path, for roles of one agent) or TCP ("host:port", for client
 * agents talking to servers); both carry the same frames.
 *
 * Client side: one rpc_client per peer socket. It connects in the background and reconnects
 * with backoff when the peer restarts; it never gives up and never exits the process.
 *
 *   struct rpc_client *raft = rpc_client_new(loop, "/data/run/raft.sock", "raftd");
 *   if (rpc_call(raft, RPC_KV_GET, "{\"key\":\"a\"}", 11, on_reply, ctx) < 0) reply_503();
 *   static void on_reply(void *ctx, const struct rpc_reply *r) { use(r->status, r->body); }
 *
 * Server side: one rpc_server per listening socket; the handler gets each request and owes
 * exactly one rpc_reply_send() for it, now or later (blocking queries reply later). If the
 * client goes away first, the request's abandon callback (when set) runs, and the eventual
 * rpc_reply_send() just frees it.
 *
 * A malformed frame closes that connection; it is logged and counted, nothing else changes.
 */
#ifndef COMMON_RPC_H
#define COMMON_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev_loop;

/* A reply: HTTP-like status (200 ok, 400 bad request, 404 not found, 500 error, 503 peer
 * unreachable), the state index it reflects, leader knowledge, and a body (JSON, or an
 * error message when status is not 200). */
struct rpc_reply {
	uint32_t status;
	bool known_leader;
	uint64_t index;
	uint32_t last_contact_ms;
	const char *body;
	size_t body_len;
};

typedef void (*rpc_reply_cb)(void *arg, const struct rpc_reply *reply);

struct rpc_client;
/* Never NULL (aborts on out of memory); connecting happens in the background. */
/* target: a Unix socket path ("/...") or a TCP "host:port" ("[v6]:port"). */
struct rpc_client *rpc_client_new(struct ev_loop *loop, const char *target, const char *peer_name);
void rpc_client_free(struct rpc_client *c); /* pending calls get status 503 */
bool rpc_client_connected(const struct rpc_client *c);
/* Points the client at another target (calls in flight get 503) and connects to it; "" leaves
 * it unconnected (calls fail with -ENOTCONN) until the next retarget. */
void rpc_client_retarget(struct rpc_client *c, const char *target);
/* Sends a request (queued while a TCP connect is in progress). Returns a call id (> 0), and
 * cb runs later exactly once with the reply (status 503 if the link drops first); or returns
 * -ENOTCONN / -ENOMEM / -EMSGSIZE, and cb is never called. */
int64_t rpc_call(struct rpc_client *c, unsigned op, const char *args, size_t args_len, rpc_reply_cb cb,
		 void *arg);
/* Forgets a pending call: its cb will not run. */
void rpc_cancel(struct rpc_client *c, int64_t call_id);

struct rpc_req;
struct rpc_server;
typedef void (*rpc_handler)(void *arg, struct rpc_req *req, unsigned op, const char *args, size_t args_len);
typedef void (*rpc_abandon_cb)(void *arg, struct rpc_req *req);

/* Listens on a Unix socket (replacing a stale one); only the same uid or root may connect.
 * Returns NULL with the cause logged. */
struct rpc_server *rpc_server_listen_unix(struct ev_loop *loop, const char *socket_path, rpc_handler handler,
					  void *arg);
/* Listens on TCP addr:port (numeric address). Anyone who can reach it may call: use it for
 * the server RPC port only. Returns NULL with the cause logged. */
struct rpc_server *rpc_server_listen_tcp(struct ev_loop *loop, const char *addr, int port, rpc_handler handler,
					 void *arg);
/* Also lets uid connect to a Unix-socket server (the supervisor, still root, lets the roles
 * that dropped to uid reach control.sock). */
void rpc_server_allow_uid(struct rpc_server *s, uid_t uid);
void rpc_server_free(struct rpc_server *s);
/* Sends the reply and frees req. reply->body may be NULL for an empty body. */
void rpc_reply_send(struct rpc_req *req, const struct rpc_reply *reply);
/* Shorthand: status with a body (for errors, a message). */
void rpc_reply_simple(struct rpc_req *req, uint32_t status, uint64_t index, const char *body, size_t len);
/* Marks the request's link to be closed once its reply is written: for a malformed request
 * from a peer that should not be trusted further. Nothing more is read from that link; its
 * other pending requests are abandoned. Call it before rpc_reply_send(). */
void rpc_req_close(struct rpc_req *req);
/* Runs cb if the request's client disconnects before the reply is sent. */
void rpc_req_on_abandon(struct rpc_req *req, rpc_abandon_cb cb, void *arg);
bool rpc_req_abandoned(const struct rpc_req *req);

/* Encodes / decodes the reply payload (a 24-byte meta prefix, then the body); exposed for
 * tests and fuzzing. decode returns 0 or -EPROTO; body points into payload. */
struct buf;
int rpc_reply_encode(struct buf *out, const struct rpc_reply *reply);
int rpc_reply_decode(const uint8_t *payload, size_t len, struct rpc_reply *out);

#endif
