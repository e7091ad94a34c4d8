/* runner.h: the libev shell that runs this agent's checks: HTTP(S) and TCP on non-blocking
 * sockets with a deadline each, scripts through consul-scriptd (script.sock), and alias
 * checks from the local state or, for another node, from the catalog (raft.sock).
 * Decisions (classification, wording, thresholds) are check_logic.c's and check_http.c's.
 *
 *   struct runner *r = runner_new(loop, ls, script_client, raft_client, on_result, ctx);
 *   ... after registrations change: runner_reconcile(r);
 *   ... after statuses change:      runner_states_changed(r);   // alias checks follow
 *   static void on_result(void *ctx, const char *check_id, const char *status, const char *output);
 *
 * A result is handed over only when the check's thresholds let it through. The loop never
 * blocks: connects, TLS handshakes, reads and writes are all driven by ev_io, and every run
 * has an ev_timer deadline. Hostnames other than IP literals are looked up in /etc/hosts only.
 */
#ifndef CHECKD_RUNNER_H
#define CHECKD_RUNNER_H

struct ev_loop;
struct local_state;
struct rpc_client;
struct runner;

typedef void (*runner_result_cb)(void *arg, const char *check_id, const char *status, const char *output);

/* script and raft may be NULL (script checks then fail with a message; remote aliases too). */
struct runner *runner_new(struct ev_loop *loop, struct local_state *ls, struct rpc_client *script,
			  struct rpc_client *raft, runner_result_cb cb, void *arg);
void runner_free(struct runner *r);
/* The link to scriptd, once script checks are allowed (a reload may allow them). */
void runner_set_script(struct runner *r, struct rpc_client *script);
/* Starts runs for new checks, restarts re-registered ones, stops removed ones. */
void runner_reconcile(struct runner *r);
/* Statuses changed: local alias checks re-evaluate. */
void runner_states_changed(struct runner *r);

#endif
