/* local_state.h: this agent's own services and checks, and what the catalog still has to
 * hear about them. Pure data and operations: time comes in as an argument (milliseconds on
 * the caller's clock), nothing here does I/O.
 *
 *   struct local_state *ls = ls_new("node-1", "dc1");
 *   ls_service_add(ls, &svc, NULL, false, now_ms, err, sizeof err);  // takes svc on success
 *   ls_check_update_ttl(ls, "service:web", "passing", "ok", now_ms, err, sizeof err);
 *   ls_ttl_expire(ls, later_ms, on_expired, arg);   // -> critical, "TTL expired"
 *   ls_render_checks(ls, &out);                     // the /v1/agent/checks body
 *   ls_free(ls);
 *
 * Every change clears the touched entry's in_sync flag (and records removals) so the
 * anti-entropy sync (sync.c) knows what to send; every change also bumps ls->index.
 */
#ifndef CHECKD_LOCAL_STATE_H
#define CHECKD_LOCAL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service_def.h"

struct buf;

struct ls_service {
	struct service_def def; /* def.checks is empty: the service's checks live in ls->checks */
	char *api_json;         /* the definition as registered through the API (persisted); NULL from files */
	bool in_sync;
};

struct ls_check {
	struct check_def def;
	char *status; /* "passing", "warning", "critical" */
	char *output;
	uint64_t ttl_deadline_ms; /* TTL checks: when it turns critical; 0 once expired */
	char *api_json;           /* standalone checks registered through the API; NULL otherwise */
	bool in_sync;
	uint64_t serial;            /* new for every (re-)registration: the runners restart on change */
	uint64_t critical_since_ms; /* when it last turned critical (ls_track_critical); 0 if not */
};

struct ls_strs {
	char **items;
	size_t n;
};

struct local_state {
	char *node_name;
	char *datacenter;
	struct ls_service **services; /* sorted by id */
	size_t nservices;
	struct ls_check **checks; /* sorted by id */
	size_t nchecks;
	/* removed locally, still to be deregistered from the catalog */
	struct ls_strs deleted_services;
	struct ls_strs deleted_checks;
	bool node_in_sync;
	uint64_t index; /* bumped on every change, never 0 */
	uint64_t next_serial;
};

/* NULL on out of memory. */
struct local_state *ls_new(const char *node_name, const char *datacenter);
void ls_free(struct local_state *ls);

struct ls_service *ls_service_get(const struct local_state *ls, const char *id);
struct ls_check *ls_check_get(const struct local_state *ls, const char *id);

/* Adds or replaces a service and the checks in def->checks. On success takes def (leaves it
 * empty) and api_json (copied when not NULL). A check that existed under the same id keeps
 * its status and output, as Consul's re-registration does; the service's other existing
 * checks are removed only when replace_checks (those registered through the API on their own,
 * and maintenance checks, stay). Returns 0 or -ENOMEM (err says why). */
int ls_service_add(struct local_state *ls, struct service_def *def, const char *api_json, bool replace_checks,
		   uint64_t now_ms, char *err, size_t err_len);
/* Removes a service and its checks. Returns 0 or -ENOENT. */
int ls_service_remove(struct local_state *ls, const char *id);

/* Adds or replaces a standalone check; takes def on success. -ENOENT when its service_id
 * names no local service (err has Consul's message), -ENOMEM. */
int ls_check_add(struct local_state *ls, struct check_def *def, const char *api_json, uint64_t now_ms, char *err,
		 size_t err_len);
/* Returns 0 or -ENOENT. */
int ls_check_remove(struct local_state *ls, const char *id);

/* Sets a check's status and output (output truncated as Consul's, see below). Returns 1 when
 * something changed, 0 when not, -ENOENT, -EINVAL for a bad status, -ENOMEM. */
int ls_check_set(struct local_state *ls, const char *id, const char *status, const char *output);
/* The result of a check run: as ls_check_set, but the output is kept as given (the runners
 * bound and word it as Consul does). */
int ls_check_set_result(struct local_state *ls, const char *id, const char *status, const char *output);
/* TTL pass/warn/fail/update: as ls_check_set, and re-arms the TTL. -ENOENT for an unknown
 * check, -EINVAL for a bad status or a check that is not TTL (err has Consul's message). */
int ls_check_update_ttl(struct local_state *ls, const char *id, const char *status, const char *output,
			uint64_t now_ms, char *err, size_t err_len);
/* Turns every TTL check whose deadline is <= now critical with "TTL expired" (plus the last
 * output, as Consul's). Calls cb for each (may be NULL). Returns how many expired. */
typedef void (*ls_expired_cb)(void *arg, const struct ls_check *check);
size_t ls_ttl_expire(struct local_state *ls, uint64_t now_ms, ls_expired_cb cb, void *arg);
/* The earliest armed TTL deadline, or 0 when none. */
uint64_t ls_next_deadline(const struct local_state *ls);

/* Consul's truncation of check output: the first max bytes, then
 * " ... (captured MAX of TOTAL bytes)". Returns a new string (NULL on out of memory). */
char *ls_truncate_output(const char *output, size_t max);

/* Notes when each check turned critical (now_ms for those that just did), for
 * deregister_critical_service_after. Call after changes and before ls_services_to_reap. */
void ls_track_critical(struct local_state *ls, uint64_t now_ms);
/* The services with a check critical for longer than its deregister_critical_service_after
 * (raised to min_ms, Consul's check_deregister_interval_min). Appends their ids to out.
 * Returns 0 or -ENOMEM. */
int ls_services_to_reap(const struct local_state *ls, uint64_t now_ms, uint64_t min_ms, struct ls_strs *out);

/* Marks everything (node, services, checks) as needing a sync. */
void ls_mark_all_dirty(struct local_state *ls);
/* Records an id to deregister from the catalog (sync.c, for catalog entries not known here). */
int ls_strs_add(struct ls_strs *s, const char *id);
void ls_strs_remove(struct ls_strs *s, const char *id);
void ls_strs_clear(struct ls_strs *s);

/* The bodies of /v1/agent/services, /v1/agent/service/:id (-ENOENT when unknown) and
 * /v1/agent/checks, exactly as Consul renders them. Return 0 or -ENOMEM. */
int ls_render_services(const struct local_state *ls, struct buf *out);
int ls_render_service(const struct local_state *ls, const char *id, struct buf *out);
int ls_render_checks(const struct local_state *ls, struct buf *out);
/* Pieces of the renderings above, for the catalog bodies sync.c builds. */
struct jw;
void ls_write_strv(struct jw *w, char *const *v, size_t n);
void ls_write_duration(struct jw *w, const char *key, uint64_t ms); /* "" for 0, as Consul */
void ls_write_check_head(struct jw *w, const struct local_state *ls, const char *node, const struct ls_check *c);
/* /v1/agent/health/service/id/:id (id set: one {"AggregatedStatus","Service","Checks"} object,
 * -ENOENT when unknown) or /name/:name (an array of them, empty when none). A service's
 * checks include the node's, as Consul's; maintenance wins, then critical, warning, passing. */
int ls_render_service_health(const struct local_state *ls, const char *name, const char *id, struct buf *out);

#endif
