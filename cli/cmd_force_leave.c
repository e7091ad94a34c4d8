/* cmd_force_leave.c: `consul force-leave [-prune] [-wan] NODE`: a failed member becomes left
 * (with -prune, it is also forgotten). Silent on success, as Consul's. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char force_leave_usage[] =
	"Usage: consul force-leave [options] name\n\n"
	"  Forces a member of a Consul cluster to enter the \"left\" state. Note\n"
	"  that if the member is still actually alive, it will eventually rejoin\n"
	"  the cluster. This command is most useful for cleaning out \"failed\" nodes\n"
	"  that are never coming back.\n\n"
	"  -prune             Remove agent completely from list of members\n"
	"  -wan               Exclusively leave the agent from the WAN serf pool.\n"
	"  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

int cmd_force_leave(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *v;
	bool prune = false, wan = false, ok;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-") != 0; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (cli_flag(argv[i], "prune", &v))
			prune = true;
		else if (cli_flag(argv[i], "wan", &v))
			wan = true;
		else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(force_leave_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], force_leave_usage);
	}
	if (argc - i != 1) {
		fprintf(stderr, "A single node name must be specified to force leave.\n\n%s", force_leave_usage);
		return 1;
	}
	struct api api;
	if (cli_api(&api, &http))
		return 1;
	struct buf path;
	buf_init(&path);
	buf_append_str(&path, "/v1/agent/force-leave/");
	cli_escape_path(&path, argv[i]);
	if (prune || wan)
		buf_appendf(&path, "?%s%s%s", prune ? "prune=1" : "", prune && wan ? "&" : "", wan ? "wan=1" : "");
	int rc = cli_request(&api, "PUT", path.data, NULL, 0, "force leaving");
	buf_free(&path);
	return rc;
}
