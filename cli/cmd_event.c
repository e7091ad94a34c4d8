/* cmd_event.c: `consul event -name=NAME [-node= -service= -tag=] [payload]`: fires a user
 * event through the local agent and prints its ID. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"

static const char event_usage[] =
	"Usage: consul event [options] [payload]\n\n"
	"  Dispatches a custom user event across a datacenter. An event must provide\n"
	"  a name, but a payload is optional. Events support filtering using\n"
	"  regular expressions on node name, service, and tag definitions.\n\n"
	"  -name=<name>       Name of the event.\n"
	"  -node=<regexp>     Regular expression to filter on node names.\n"
	"  -service=<regexp>  Regular expression to filter on service instances.\n"
	"  -tag=<regexp>      Regular expression to filter on service tags. Must be used with -service.\n"
	"  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

/* Returns true if pattern is a valid regular expression; otherwise says so for `what`. */
static bool valid_regexp(const char *pattern, const char *what)
{
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[128];
		regerror(rc, &re, why, sizeof why);
		fprintf(stderr, "Failed to compile %s filter regexp: %s\n", what, why);
		return false;
	}
	regfree(&re);
	return true;
}

static void add_query(struct buf *path, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	buf_append_char(path, strchr(path->data, '?') ? '&' : '?');
	buf_appendf(path, "%s=", key);
	cli_escape_path(path, value);
}

/* Fires the event; returns 0 after printing its ID, or 1. */
static int fire(struct api *api, const char *name, const char *node, const char *service, const char *tag,
		const char *payload)
{
	struct api_response r;
	/* Consul's CLI checks that it talks to an agent before firing */
	if (cli_request(api, "GET", "/v1/agent/self", NULL, 0, "querying Consul agent"))
		return 1;
	struct buf path;
	buf_init(&path);
	buf_append_str(&path, "/v1/event/fire/");
	cli_escape_path(&path, name);
	add_query(&path, "node", node);
	add_query(&path, "service", service);
	add_query(&path, "tag", tag);
	int rc = api_request(api, "PUT", path.data, payload, payload ? strlen(payload) : 0, &r);
	buf_free(&path);
	if (rc < 0) {
		fprintf(stderr, "Error firing event: %s\n", api->error);
		return 1;
	}
	if (r.status != 200) {
		rc = cli_http_error("firing event", &r);
		api_response_free(&r);
		return rc;
	}
	char err[128];
	yajl_val event = json_parse(r.body.data, r.body.len, err, sizeof err);
	const char *id = json_str(json_get(event, "ID"));
	if (!id) {
		fprintf(stderr, "Error firing event: %s\n", event ? "the agent's reply has no event ID" : err);
		rc = 1;
	} else {
		printf("Event ID: %s\n", id);
	}
	yajl_tree_free(event);
	api_response_free(&r);
	return rc;
}

int cmd_event(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *name = "", *node = "", *service = "", *tag = "", *v;
	const char **value_of[] = {&name, &node, &service, &tag};
	static const char *const value_flags[] = {"name", "node", "service", "tag"};
	bool ok;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-") != 0; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		size_t k = 0;
		for (; k < 4 && !cli_flag(argv[i], value_flags[k], &v); k++)
			;
		if (k < 4) {
			if (!(*value_of[k] = cli_flag_value(argc, argv, &i, v, value_flags[k])))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(event_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], event_usage);
	}
	if (!*name) {
		fprintf(stderr, "Event name must be specified\n\n%s", event_usage);
		return 1;
	}
	if ((*node && !valid_regexp(node, "node")) || (*service && !valid_regexp(service, "service")) ||
	    (*tag && !valid_regexp(tag, "tag")))
		return 1;
	if (*tag && !*service) {
		fprintf(stderr, "Cannot provide tag filter without service filter.\n");
		return 1;
	}
	if (argc - i > 1) {
		fprintf(stderr, "Too many command line arguments.\n\n%s", event_usage);
		return 1;
	}
	const char *payload = i < argc ? argv[i] : NULL;
	struct api api;
	if (cli_api(&api, &http))
		return 1;
	return fire(&api, name, node, service, tag, payload);
}
