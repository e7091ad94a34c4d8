/* cmd_members.c: `consul members`: asks the agent, prints with members_view. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "members_view.h"

static const char members_usage[] = "Usage: consul members [options]\n\n"
				    "  Outputs the members of a running Consul agent.\n\n"
				    "  -detailed          Show more detailed information about each node\n"
				    "  -status=<regexp>   Only show members whose status matches\n"
				    "  -wan               List the WAN gossip pool (servers only)\n"
				    "  -segment=<name>    Only show members of this segment (default _all)\n"
				    "  -filter=<expr>     Filter to use with the request\n"
				    "  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

int cmd_members(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *status_re = NULL, *segment = "_all", *filter = NULL, *v;
	bool detailed = false, wan = false, ok;
	/* Go's flag package stops at the first argument that is not a flag; Consul ignores the rest */
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-") != 0 && strcmp(argv[i], "--") != 0;
	     i++) {
		if (cli_flag(argv[i], "detailed", &v))
			detailed = true;
		else if (cli_flag(argv[i], "wan", &v))
			wan = true;
		else if (cli_flag(argv[i], "status", &v)) {
			if (!(status_re = cli_flag_value(argc, argv, &i, v, "status")))
				return 1;
		} else if (cli_flag(argv[i], "segment", &v)) {
			if (!(segment = cli_flag_value(argc, argv, &i, v, "segment")))
				return 1;
		} else if (cli_flag(argv[i], "filter", &v)) {
			if (!(filter = cli_flag_value(argc, argv, &i, v, "filter")))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(members_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], members_usage);
	}
	regex_t re;
	int rerr = status_re ? regcomp(&re, status_re, REG_EXTENDED | REG_NOSUB) : 0;
	if (rerr) {
		char why[128];
		regerror(rerr, &re, why, sizeof why);
		fprintf(stderr, "Failed to compile status regexp: %s\n", why);
		return 1;
	}
	struct api api;
	struct api_response r;
	int rc = 1;
	/* the query Consul's CLI sends: ?segment=_all unless told otherwise, wan=1, filter */
	struct buf path;
	buf_init(&path);
	buf_append_str(&path, "/v1/agent/members?segment=");
	cli_escape_path(&path, segment);
	if (wan)
		buf_append_str(&path, "&wan=1");
	if (filter) {
		buf_append_str(&path, "&filter=");
		cli_escape_path(&path, filter);
	}
	if (cli_api(&api, &http))
		goto out;
	if (api_request(&api, "GET", path.data, NULL, 0, &r) < 0) {
		fprintf(stderr, "Error retrieving members: %s\n", api.error);
		goto out;
	}
	if (r.status != 200) {
		rc = cli_http_error("retrieving members", &r);
		api_response_free(&r);
		goto out;
	}
	char err[160];
	struct members_view_opts o = {.detailed = detailed, .status_re = status_re ? &re : NULL,
				      .all_segments = strcmp(segment, "_all") == 0};
	rc = members_view(r.body.data, r.body.len, &o, stdout, err, sizeof err);
	api_response_free(&r);
	if (rc < 0) {
		fprintf(stderr, "Error retrieving members: %s\n", err);
		rc = 1;
	}
out:
	buf_free(&path);
	if (status_re)
		regfree(&re);
	return rc;
}
