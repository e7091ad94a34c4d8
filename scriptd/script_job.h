/* script_job.h: what scriptd is asked and what it answers, without I/O. Pure.
 *
 *   struct script_req req; char err[256];
 *   if (script_req_parse(args, len, &req, err, sizeof err) < 0) reply 400 err;
 *   ... fork, capture into a tail buffer (buf_append_tail), wait ...
 *   script_reply_render(&out, &req, wait_status, timed_out, kept, kept_len, total);
 *   script_req_free(&req);
 */
#ifndef SCRIPTD_SCRIPT_JOB_H
#define SCRIPTD_SCRIPT_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Bounds on what checkd may ask for. */
#define SCRIPT_ARGS_MAX 256
#define SCRIPT_TIMEOUT_MAX_MS (24ull * 3600 * 1000)
#define SCRIPT_OUTPUT_MAX_BYTES (1u << 20)
#define SCRIPT_OUTPUT_DEFAULT_BYTES 4096
#define SCRIPT_TIMEOUT_DEFAULT_MS 30000

struct script_req {
	char **argv; /* NULL-terminated, argc entries */
	size_t argc;
	uint64_t timeout_ms;
	size_t output_max;
};

/* Parses {"args":[...],"timeout_ms":N,"output_max":N}. Returns 0, or -EINVAL with err set. */
int script_req_parse(const char *text, size_t len, struct script_req *req, char *err, size_t err_len);
void script_req_free(struct script_req *req);

/* The reply body {"Status","Output","ExitCode","TimedOut"}: exit 0 passing, 1 warning, other
 * codes and deaths by signal critical (ExitCode -1); a timeout is critical with Consul's
 * `Timed out (30s) running check` and the output so far. kept is the last kept_len bytes of
 * total written. Returns 0 or -ENOMEM. */
int script_reply_render(struct buf *out, const struct script_req *req, int wait_status, bool timed_out,
			const char *kept, size_t kept_len, uint64_t total);

#endif
