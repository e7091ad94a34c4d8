/* cmd_leave.c: `consul leave`: the agent leaves the cluster gracefully, then shuts down. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char leave_usage[] = "Usage: consul leave [options]\n\n"
				  "  Causes the agent to gracefully leave the Consul cluster and shutdown.\n\n"
				  "  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

int cmd_leave(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *v;
	bool ok;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-") != 0; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(leave_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], leave_usage);
	}
	if (i < argc) {
		/* Go prints the leftover arguments as a slice: [a b] */
		fputs("Error found unexpected args: [", stderr);
		for (int k = i; k < argc; k++)
			fprintf(stderr, "%s%s", k > i ? " " : "", argv[k]);
		fputs("]\n", stderr);
		fputs(leave_usage, stdout);
		return 1;
	}
	struct api api;
	if (cli_api(&api, &http) || cli_request(&api, "PUT", "/v1/agent/leave", NULL, 0, "leaving"))
		return 1;
	printf("Graceful leave complete\n");
	return 0;
}
