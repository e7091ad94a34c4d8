/* cmd_reload.c: `consul reload`: asks the agent to re-read its configuration files. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char reload_usage[] = "Usage: consul reload [options]\n\n"
				   "  Causes the agent to reload configurations. This can be used instead\n"
				   "  of sending the SIGHUP signal to the agent.\n";

int cmd_reload(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *v;
	bool ok;
	for (int i = 1; i < argc; i++) {
		if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(reload_usage, stdout);
			return 0;
		} else if (argv[i][0] == '-')
			return cli_bad_flag(argv[i], reload_usage);
		else {
			fprintf(stderr, "Too many arguments (expected 0, got %d)\n", argc - i);
			return 1;
		}
	}
	struct api api;
	if (cli_api(&api, &http) || cli_request(&api, "PUT", "/v1/agent/reload", NULL, 0, "reloading"))
		return 1;
	printf("Configuration reload triggered\n");
	return 0;
}
