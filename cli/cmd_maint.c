/* cmd_maint.c: `consul maint`: lists what is in maintenance mode, or turns it on or off for
 * the node or one service (-service). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

static const char maint_usage[] =
	"Usage: consul maint [options]\n\n"
	"  Places a node or service into maintenance mode. During maintenance mode,\n"
	"  the node or service will be excluded from all queries through the DNS\n"
	"  or API interfaces, effectively taking it out of the pool of available\n"
	"  nodes. This is accomplished by registering a unique health check which\n"
	"  is forced into the critical state.\n\n"
	"  If no arguments are given, the agent's maintenance status will be shown.\n\n"
	"  -enable           Enable maintenance mode.\n"
	"  -disable          Disable maintenance mode.\n"
	"  -reason=<string>  Text describing the maintenance reason.\n"
	"  -service=<id>     Control maintenance mode for a specific service ID.\n";

/* GETs path and parses the JSON body; NULL (error printed) on failure. */
static yajl_val get_json(struct api *api, const char *path)
{
	struct api_response r;
	char err[128];
	if (api_request(api, "GET", path, NULL, 0, &r) < 0) {
		fprintf(stderr, "Error querying agent: %s\n", api->error);
		return NULL;
	}
	if (r.status != 200) {
		cli_http_error("querying agent", &r);
		api_response_free(&r);
		return NULL;
	}
	yajl_val v = json_parse(r.body.data ? r.body.data : "", r.body.len, err, sizeof err);
	api_response_free(&r);
	if (!v)
		fprintf(stderr, "Error querying agent: %s\n", err);
	return v;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Consul's listing: the node's maintenance, then each service's. */
static int maint_list(struct api *api)
{
	yajl_val self = get_json(api, "/v1/agent/self");
	if (!self)
		return 1;
	yajl_val checks = get_json(api, "/v1/agent/checks");
	if (!checks) {
		yajl_tree_free(self);
		return 1;
	}
	const char *node = json_str(json_get(json_get(self, "Config"), "NodeName"));
	size_t n = json_obj_len(checks);
	const char **ids = calloc(n + 1, sizeof *ids);
	for (size_t i = 0; ids && i < n; i++)
		ids[i] = json_obj_key(checks, i);
	if (ids)
		qsort(ids, n, sizeof *ids, by_key);
	for (size_t i = 0; ids && i < n; i++) {
		yajl_val c = json_get(checks, ids[i]);
		const char *notes = json_str(json_get(c, "Notes"));
		if (!strcmp(ids[i], "_node_maintenance"))
			printf("Node:\n  Name:   %s\n  Reason: %s\n\n", node ? node : "", notes ? notes : "");
		else if (!strncmp(ids[i], "_service_maintenance:", 21)) {
			const char *sid = json_str(json_get(c, "ServiceID"));
			printf("Service:\n  ID:     %s\n  Reason: %s\n\n", sid ? sid : "", notes ? notes : "");
		}
	}
	free(ids);
	yajl_tree_free(self);
	yajl_tree_free(checks);
	return 0;
}

static int maint_set(struct api *api, const char *service, bool enable, const char *reason)
{
	struct buf path;
	buf_init(&path);
	if (service) {
		buf_append_str(&path, "/v1/agent/service/maintenance/");
		cli_escape_path(&path, service);
	} else {
		buf_append_str(&path, "/v1/agent/maintenance");
	}
	buf_appendf(&path, "?enable=%s", enable ? "true" : "false");
	if (reason && *reason) {
		buf_append_str(&path, "&reason=");
		cli_escape_path(&path, reason);
	}
	char what[64];
	snprintf(what, sizeof what, "%s %s maintenance", enable ? "enabling" : "disabling", service ? "service" : "node");
	struct api_response r;
	int rc = api_request(api, "PUT", path.data, NULL, 0, &r);
	buf_free(&path);
	if (rc < 0) {
		fprintf(stderr, "Error %s: %s\n", what, api->error);
		return 1;
	}
	if (r.status != 200) {
		rc = cli_http_error(what, &r);
		api_response_free(&r);
		return rc;
	}
	api_response_free(&r);
	printf("%s maintenance is now %s\n", service ? "Service" : "Node", enable ? "enabled" : "disabled");
	return 0;
}

int cmd_maint(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *reason = "", *service = NULL, *v;
	bool enable = false, disable = false, ok;
	for (int i = 1; i < argc; i++) {
		if (cli_flag(argv[i], "enable", &v))
			enable = !v || strcmp(v, "false") != 0;
		else if (cli_flag(argv[i], "disable", &v))
			disable = !v || strcmp(v, "false") != 0;
		else if (cli_flag(argv[i], "reason", &v)) {
			if (!(reason = cli_flag_value(argc, argv, &i, v, "reason")))
				return 1;
		} else if (cli_flag(argv[i], "service", &v)) {
			if (!(service = cli_flag_value(argc, argv, &i, v, "service")))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(maint_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], maint_usage);
	}
	/* Consul's checks and wording. */
	if (enable && disable) {
		fprintf(stderr, "Only one of -enable or -disable may be provided\n");
		return 1;
	}
	if (!enable && *reason) {
		fprintf(stderr, "Reason may only be provided with -enable\n");
		return 1;
	}
	if (!enable && !disable && service) {
		fprintf(stderr, "Service requires either -enable or -disable\n");
		return 1;
	}
	struct api api;
	if (cli_api(&api, &http))
		return 1;
	if (!enable && !disable)
		return maint_list(&api);
	return maint_set(&api, service, enable, reason);
}
