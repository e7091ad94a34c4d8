/* cmd_join.c: `consul join [-wan] ADDR...`: one join request per address, as Consul's CLI. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char join_usage[] = "Usage: consul join [options] address ...\n\n"
				 "  Tells a running Consul agent (with \"consul agent\") to join the cluster\n"
				 "  by specifying at least one existing member.\n\n"
				 "  -wan               Joins a server to another server in the WAN pool.\n"
				 "  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

/* Returns true if the agent joined addr; otherwise says why on stderr. */
static bool join_one(struct api *api, const char *addr, bool wan)
{
	struct buf path;
	struct api_response r;
	char what[600];
	snprintf(what, sizeof what, "joining address '%s'", addr);
	buf_init(&path);
	buf_append_str(&path, "/v1/agent/join/");
	cli_escape_path(&path, addr);
	if (wan)
		buf_append_str(&path, "?wan=1");
	int rc = api_request(api, "PUT", path.data, NULL, 0, &r);
	buf_free(&path);
	if (rc < 0) {
		fprintf(stderr, "Error %s: %s\n", what, api->error);
		return false;
	}
	bool ok = r.status == 200;
	if (!ok)
		cli_http_error(what, &r);
	api_response_free(&r);
	return ok;
}

int cmd_join(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *v;
	bool wan = false, ok;
	int first_addr = argc;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-' || !strcmp(argv[i], "-")) {
			first_addr = i; /* Go's flag package stops at the first argument */
			break;
		}
		if (!strcmp(argv[i], "--")) {
			first_addr = i + 1;
			break;
		}
		if (cli_flag(argv[i], "wan", &v))
			wan = true;
		else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(join_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], join_usage);
	}
	if (first_addr >= argc) {
		fprintf(stderr, "At least one address to join must be specified.\n\n%s", join_usage);
		return 1;
	}
	struct api api;
	if (cli_api(&api, &http))
		return 1;
	int joined = 0;
	for (int i = first_addr; i < argc; i++)
		joined += join_one(&api, argv[i], wan);
	if (joined == 0) {
		fprintf(stderr, "Failed to join any nodes.\n");
		return 1;
	}
	printf("Successfully joined cluster by contacting %d nodes.\n", joined);
	return 0;
}
