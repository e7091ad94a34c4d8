/* maint.c: maintenance mode checks (see maint.h). */
#include "maint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_DEFAULT_REASON                                                                          \
	"Maintenance mode is enabled for this node, but no reason was provided. This is a default message."
#define SERVICE_DEFAULT_REASON                                                                       \
	"Maintenance mode is enabled for this service, but no reason was provided. This is a default message."

/* The check's id, or NULL (err set) when the service is unknown or memory runs out. */
static char *check_id(const struct local_state *ls, const char *service_id, char *err, size_t err_len, int *rc)
{
	if (!service_id) {
		char *id = strdup(MAINT_NODE_CHECK_ID);
		*rc = id ? 0 : -ENOMEM;
		return id;
	}
	if (!ls_service_get(ls, service_id)) {
		snprintf(err, err_len, "No service registered with ID \"%.200s\"", service_id);
		*rc = -ENOENT;
		return NULL;
	}
	size_t len = strlen(MAINT_SERVICE_CHECK_PREFIX) + strlen(service_id) + 1;
	char *id = malloc(len);
	if (id)
		snprintf(id, len, "%s%s", MAINT_SERVICE_CHECK_PREFIX, service_id);
	*rc = id ? 0 : -ENOMEM;
	return id;
}

int maint_enable(struct local_state *ls, const char *service_id, const char *reason, uint64_t now_ms, char *err,
		 size_t err_len)
{
	int rc;
	char *id = check_id(ls, service_id, err, err_len, &rc);
	if (!id) {
		if (rc == -ENOMEM)
			snprintf(err, err_len, "out of memory");
		return rc;
	}
	if (ls_check_get(ls, id)) {
		free(id);
		return 0;
	}
	if (!reason || !*reason)
		reason = service_id ? SERVICE_DEFAULT_REASON : NODE_DEFAULT_REASON;
	struct check_def def = {.id = id,
				.name = strdup(service_id ? "Service Maintenance Mode" : "Node Maintenance Mode"),
				.notes = strdup(reason),
				.service_id = service_id ? strdup(service_id) : NULL,
				.status = strdup("critical"),
				.kind = CHECK_MAINTENANCE,
				.output_max_size = CHECK_OUTPUT_MAX_BYTES};
	if (!def.name || !def.notes || !def.status || (service_id && !def.service_id)) {
		check_def_free(&def);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	rc = ls_check_add(ls, &def, NULL, now_ms, err, err_len);
	if (rc < 0) {
		check_def_free(&def);
		return rc;
	}
	return 1;
}

int maint_disable(struct local_state *ls, const char *service_id, char *err, size_t err_len)
{
	int rc;
	char *id = check_id(ls, service_id, err, err_len, &rc);
	if (!id) {
		if (rc == -ENOMEM)
			snprintf(err, err_len, "out of memory");
		return rc;
	}
	rc = ls_check_remove(ls, id) == 0 ? 1 : 0;
	free(id);
	return rc;
}
