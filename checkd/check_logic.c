/* check_logic.c: result classification, Consul's output wording and status thresholds
 * (agent/checks StatusHandler, CheckHTTP, CheckTCP, CheckMonitor, CheckAlias). */
#include "check_logic.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "common/duration.h"
#include "local_state.h"

static const char PASSING[] = "passing";
static const char WARNING[] = "warning";
static const char CRITICAL[] = "critical";

void check_threshold_init(struct check_threshold *t, const struct check_def *def)
{
	memset(t, 0, sizeof *t);
	t->success_before_passing = def ? def->success_before_passing : 0;
	t->failures_before_critical = def ? def->failures_before_critical : 0;
	/* Consul: failures_before_warning defaults to failures_before_critical. */
	t->failures_before_warning = def && def->failures_before_warning ? def->failures_before_warning
									: t->failures_before_critical;
	t->successes = t->success_before_passing;
	t->failures = t->failures_before_critical;
}

const char *check_threshold_apply(struct check_threshold *t, const char *status)
{
	if (!strcmp(status, PASSING) || !strcmp(status, WARNING)) {
		if (t->successes < t->success_before_passing)
			t->successes++;
		t->failures = 0;
		if (t->successes >= t->success_before_passing)
			return !strcmp(status, PASSING) ? PASSING : WARNING;
		return NULL;
	}
	if (t->failures < t->failures_before_critical || t->failures < t->failures_before_warning)
		t->failures++;
	t->successes = 0;
	if (t->failures >= t->failures_before_critical)
		return CRITICAL;
	if (t->failures >= t->failures_before_warning)
		return WARNING;
	return NULL;
}

const char *check_http_classify(int code)
{
	if (code >= 200 && code <= 299)
		return PASSING;
	if (code == 429) /* Too Many Requests (RFC 6585): alive, but shedding load */
		return WARNING;
	return CRITICAL;
}

const char *check_script_classify(int exit_code)
{
	if (exit_code == 0)
		return PASSING;
	if (exit_code == 1)
		return WARNING;
	return CRITICAL;
}

uint64_t check_timeout_ms(const struct check_def *def)
{
	if (def->timeout_ms)
		return def->timeout_ms;
	return def->kind == CHECK_SCRIPT ? CHECK_SCRIPT_TIMEOUT_DEFAULT_MS : CHECK_NET_TIMEOUT_DEFAULT_MS;
}

uint64_t check_interval_ms(const struct check_def *def)
{
	return def->interval_ms < CHECK_MIN_INTERVAL_MS ? CHECK_MIN_INTERVAL_MS : def->interval_ms;
}

int check_format_http(struct buf *out, const char *method, const char *url, const char *status_text,
		      const char *body, size_t body_len)
{
	if (buf_appendf(out, "HTTP %s %s: %s Output: ", method, url, status_text) < 0 ||
	    utf8_clean(out, body ? body : "", body ? body_len : 0) < 0)
		return -ENOMEM;
	return 0;
}

int check_format_tcp_ok(struct buf *out, const char *addr)
{
	return buf_appendf(out, "TCP connect %s: Success", addr);
}

const char *check_errno_text(int err)
{
	switch (err) {
	case ETIMEDOUT:
		return "i/o timeout";
	case ECONNREFUSED:
		return "connect: connection refused";
	case EHOSTUNREACH:
		return "connect: no route to host";
	case ENETUNREACH:
		return "connect: network is unreachable";
	case ECONNRESET:
		return "read: connection reset by peer";
	case EADDRNOTAVAIL:
		return "connect: cannot assign requested address";
	default:
		return NULL;
	}
}

int check_format_dial_error(struct buf *out, const char *addr, const char *reason)
{
	return buf_appendf(out, "dial tcp %s: %s", addr, reason);
}

int check_format_captured(struct buf *out, const char *kept, size_t kept_len, uint64_t total)
{
	if (total > kept_len && buf_appendf(out, "Captured %zu of %llu bytes\n...\n", kept_len,
					    (unsigned long long)total) < 0)
		return -ENOMEM;
	return buf_append(out, kept ? kept : "", kept ? kept_len : 0);
}

int check_format_timeout(struct buf *out, uint64_t timeout_ms, const char *output)
{
	char d[32];
	duration_format_ms(timeout_ms, d, sizeof d);
	if (buf_appendf(out, "Timed out (%s) running check", d) < 0)
		return -ENOMEM;
	if (output && *output && buf_appendf(out, "\n\n%s", output) < 0)
		return -ENOMEM;
	return 0;
}

const char *check_alias_eval(const struct alias_item *items, size_t n, const char *node, const char *service_id,
			     bool service_exists, struct buf *out)
{
	const char *health = PASSING;
	const char *msg_name = NULL, *msg_output = NULL;
	bool any = false, service_found = false;
	if (!service_id)
		service_id = "";
	for (size_t i = 0; i < n; i++) {
		const struct alias_item *c = &items[i];
		if (node && *node && c->node && strcmp(node, c->node))
			continue;
		bool match = !strcmp(service_id, c->service_id ? c->service_id : "");
		if (c->service_id && *c->service_id && !match)
			continue;
		service_found |= match && *service_id;
		if (!strcmp(c->status, CRITICAL) || !strcmp(c->status, WARNING)) {
			health = !strcmp(c->status, CRITICAL) ? CRITICAL : WARNING;
			msg_name = c->name;
			msg_output = c->output;
			any = true;
			if (health == CRITICAL)
				break;
		} else if (health == PASSING) {
			any = true;
		}
	}
	buf_reset(out);
	if (*service_id && !service_found && !service_exists) {
		buf_appendf(out, "Service %s could not be found on node %s", service_id, node ? node : "");
		return CRITICAL;
	}
	if (msg_name)
		buf_appendf(out, "Aliased check \"%s\" failing: %s", msg_name, msg_output ? msg_output : "");
	else
		buf_append_str(out, any ? "All checks passing." : "No checks found.");
	return health;
}

const char *check_alias_eval_local(const struct local_state *ls, const struct ls_check *self, struct buf *out)
{
	struct alias_item *items = ls->nchecks ? calloc(ls->nchecks, sizeof *items) : NULL;
	size_t n = 0;
	for (size_t i = 0; items && i < ls->nchecks; i++) {
		const struct ls_check *c = ls->checks[i];
		if (c == self)
			continue; /* a node-level alias would otherwise hold itself critical */
		items[n++] = (struct alias_item){.node = ls->node_name,
						 .check_id = c->def.id,
						 .service_id = c->def.service_id ? c->def.service_id : "",
						 .name = c->def.name,
						 .status = c->status,
						 .output = c->output};
	}
	const char *sid = self->def.alias_service ? self->def.alias_service : "";
	const char *status = check_alias_eval(items, n, "", sid, *sid && ls_service_get(ls, sid), out);
	free(items);
	return status;
}
