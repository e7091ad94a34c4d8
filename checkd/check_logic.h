/* check_logic.h: the decisions of the check runners, without I/O. Pure.
 *
 * What a result means (HTTP code, exit code), how Consul words it, and when a result may
 * change the published status (success_before_passing, failures_before_warning/critical).
 *
 *   struct check_threshold th;
 *   check_threshold_init(&th, &def);
 *   const char *status = check_threshold_apply(&th, check_http_classify(503));
 *   if (status) ls_check_set_result(ls, def.id, status, output);   // else: not yet
 *
 * The runners (runner.c) and the alias evaluation call these; the unit tests drive them
 * directly (test_check_logic.c).
 */
#ifndef CHECKD_CHECK_LOGIC_H
#define CHECKD_CHECK_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service_def.h"

struct buf;
struct local_state;
struct ls_check;

/* Consul's defaults: HTTP/TCP/gRPC give up after 10 s, scripts after 30 s. */
#define CHECK_NET_TIMEOUT_DEFAULT_MS 10000
#define CHECK_SCRIPT_TIMEOUT_DEFAULT_MS 30000
/* Consul's MinInterval: a shorter interval is raised to it (it would fork-bomb scripts). */
#define CHECK_MIN_INTERVAL_MS 1000

/* Consul's StatusHandler: consecutive results needed before a status is published. The
 * counters start at their thresholds, so the first result is published at once. */
struct check_threshold {
	int success_before_passing;
	int failures_before_warning;
	int failures_before_critical;
	int successes;
	int failures;
};

void check_threshold_init(struct check_threshold *t, const struct check_def *def);
/* Feeds one result ("passing", "warning" or "critical"). Returns the status to publish (one
 * of the three, static), or NULL when the result is held back by a threshold. */
const char *check_threshold_apply(struct check_threshold *t, const char *status);

/* 2xx passing, 429 warning, anything else critical. */
const char *check_http_classify(int code);
/* Exit code 0 passing, 1 warning, anything else (or killed: -1) critical. */
const char *check_script_classify(int exit_code);

/* The timeout a run of this check gets: its own, or Consul's default for its kind. */
uint64_t check_timeout_ms(const struct check_def *def);
/* The interval between runs, raised to CHECK_MIN_INTERVAL_MS. */
uint64_t check_interval_ms(const struct check_def *def);

/* `HTTP GET http://127.0.0.1:8080/health: 200 OK Output: <body>`. status_text is what
 * follows the protocol on the status line ("200 OK"). Returns 0 or -ENOMEM. */
int check_format_http(struct buf *out, const char *method, const char *url, const char *status_text,
		      const char *body, size_t body_len);
/* `TCP connect 127.0.0.1:80: Success`. */
int check_format_tcp_ok(struct buf *out, const char *addr);
/* Go's dial errors: `dial tcp 127.0.0.1:80: connect: connection refused`, and for the HTTP
 * check `Get "http://...": dial tcp ...`. reason is the errno text as Go words it. */
int check_format_dial_error(struct buf *out, const char *addr, const char *reason);
/* Go's wording of an errno from connect(): "connection refused", "i/o timeout", ... */
const char *check_errno_text(int err);
/* A script's output as Consul keeps it: the last bytes captured, prefixed with
 * `Captured N of TOTAL bytes\n...\n` when more was written than kept. */
int check_format_captured(struct buf *out, const char *kept, size_t kept_len, uint64_t total);
/* `Timed out (30s) running check`, then "\n\n" and the output so far when there is any. */
int check_format_timeout(struct buf *out, uint64_t timeout_ms, const char *output);


/* An alias check's view of one check it may alias. */
struct alias_item {
	const char *node;
	const char *check_id;
	const char *service_id; /* "" for a node-level check */
	const char *name;
	const char *status;
	const char *output;
};
/* Consul's CheckAlias.processChecks: the worst status of the aliased service's checks and
 * of its node's checks (critical wins, then warning), worded as Consul does. node may be ""
 * (the local agent); service_exists says whether the service is known when none of its
 * checks is. Returns the status (static) and sets out to the output. */
const char *check_alias_eval(const struct alias_item *items, size_t n, const char *node, const char *service_id,
			     bool service_exists, struct buf *out);
/* The same over this agent's own checks, leaving the alias check itself out. */
const char *check_alias_eval_local(const struct local_state *ls, const struct ls_check *self, struct buf *out);

#endif
