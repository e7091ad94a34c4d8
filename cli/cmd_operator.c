/* cmd_operator.c: `consul operator raft list-peers | remove-peer`: the Raft configuration
 * from /v1/operator/raft/configuration, printed with Consul's columns. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "table.h"

int cmd_operator(int argc, char **argv);

static const char operator_usage[] =
	"Usage: consul operator <subcommand> [options]\n\n"
	"  Provides cluster-level tools for Consul operators, such as interacting with\n"
	"  the Raft subsystem.\n\n"
	"Subcommands:\n"
	"    raft    Provides cluster-level tools for Consul operators\n";

static const char raft_usage[] =
	"Usage: consul operator raft <subcommand> [options]\n\n"
	"  The Raft operator command is used to interact with Consul's Raft subsystem.\n\n"
	"Subcommands:\n"
	"    list-peers     Display the current Raft peer configuration\n"
	"    remove-peer    Remove a Consul server from the Raft configuration\n";

static const char list_usage[] = "Usage: consul operator raft list-peers [options]\n\n"
				 "  Displays the current Raft peer configuration.\n\n"
				 "  -stale             Read the configuration from any server\n"
				 "  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

static const char remove_usage[] = "Usage: consul operator raft remove-peer [options]\n\n"
				   "  Remove the Consul server with given -id or -address from the Raft configuration.\n\n"
				   "  -id=<id>           The ID of the server to remove\n"
				   "  -address=<addr>    The IP:port of the server to remove\n"
				   "  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

/* Prints the table from the configuration body. Returns the exit code. */
static int print_peers(const char *body, size_t len)
{
	char err[128];
	yajl_val v = json_parse(body, len, err, sizeof err);
	yajl_val servers = v ? json_get(v, "Servers") : NULL;
	if (!servers || !YAJL_IS_ARRAY(servers)) {
		fprintf(stderr, "Error getting peers: unexpected reply\n");
		if (v)
			yajl_tree_free(v);
		return 1;
	}
	uint64_t leader_index = 0;
	for (size_t i = 0; i < json_arr_len(servers); i++) {
		yajl_val s = json_arr_at(servers, i);
		uint64_t li = 0;
		if (json_is_true(json_get(s, "Leader")) && json_u64(json_get(s, "LastIndex"), &li))
			leader_index = li;
	}
	struct table t;
	table_init(&t, 8);
	table_add(&t, (const char *[]){"Node", "ID", "Address", "State", "Voter", "RaftProtocol", "Commit Index",
				       "Trails Leader By"});
	for (size_t i = 0; i < json_arr_len(servers); i++) {
		yajl_val s = json_arr_at(servers, i);
		bool leader = json_is_true(json_get(s, "Leader"));
		uint64_t li = 0;
		json_u64(json_get(s, "LastIndex"), &li);
		char commit[24], trails[40];
		snprintf(commit, sizeof commit, "%" PRIu64, li);
		if (leader)
			snprintf(trails, sizeof trails, "-");
		else
			snprintf(trails, sizeof trails, "%" PRIu64 " commits", leader_index > li ? leader_index - li : 0);
		table_add(&t, (const char *[]){json_str(json_get(s, "Node")), json_str(json_get(s, "ID")),
					       json_str(json_get(s, "Address")), leader ? "leader" : "follower",
					       json_is_true(json_get(s, "Voter")) ? "true" : "false",
					       json_str(json_get(s, "ProtocolVersion")), commit, trails});
	}
	table_print(&t, stdout);
	table_free(&t);
	yajl_tree_free(v);
	return 0;
}

static int list_peers(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_SERVER;
	const char *v;
	bool ok;
	for (int i = 1; i < argc; i++) {
		if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(list_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], list_usage);
	}
	struct api api;
	struct api_response r;
	if (cli_api(&api, &http))
		return 1;
	if (api_request(&api, "GET", "/v1/operator/raft/configuration", NULL, 0, &r) < 0) {
		fprintf(stderr, "Error getting peers: %s\n", api.error);
		return 1;
	}
	int rc = r.status == 200 ? print_peers(r.body.data ? r.body.data : "", r.body.len) : cli_http_error("getting peers", &r);
	api_response_free(&r);
	return rc;
}

static int remove_peer(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_SERVER;
	const char *id = NULL, *address = NULL, *v;
	bool ok;
	for (int i = 1; i < argc; i++) {
		if (cli_flag(argv[i], "id", &v)) {
			if (!(id = cli_flag_value(argc, argv, &i, v, "id")))
				return 1;
		} else if (cli_flag(argv[i], "address", &v)) {
			if (!(address = cli_flag_value(argc, argv, &i, v, "address")))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(remove_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], remove_usage);
	}
	if ((!id || !*id) == (!address || !*address)) {
		fprintf(stderr, "Error removing peer: Must specify either -id or -address, but not both\n");
		return 1;
	}
	struct buf path;
	buf_init(&path);
	buf_append_str(&path, id ? "/v1/operator/raft/peer?id=" : "/v1/operator/raft/peer?address=");
	cli_escape_path(&path, id ? id : address);
	struct api api;
	struct api_response r;
	int rc = 1;
	if (cli_api(&api, &http))
		goto out;
	if (api_request(&api, "DELETE", path.data, NULL, 0, &r) < 0) {
		fprintf(stderr, "Error removing peer: %s\n", api.error);
		goto out;
	}
	if (r.status == 200) {
		printf("Removed peer with %s \"%s\"\n", id ? "id" : "address", id ? id : address);
		rc = 0;
	} else {
		rc = cli_http_error("removing peer", &r);
	}
	api_response_free(&r);
out:
	buf_free(&path);
	return rc;
}

/* A parent command: its usage on stdout for -h (exit 0), on stderr otherwise (exit 1), as
 * Consul's CLI answers a command that needs a subcommand. */
static int parent_usage(int argc, char **argv, const char *usage)
{
	bool help = argc >= 2 && cli_is_help(argv[1]);
	if (argc >= 2 && !help)
		fprintf(stderr, "unknown subcommand \"%s\"\n", argv[1]);
	fputs(usage, help ? stdout : stderr);
	return help ? 0 : 1;
}

int cmd_operator(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "raft") != 0)
		return parent_usage(argc, argv, operator_usage);
	if (argc >= 3 && strcmp(argv[2], "list-peers") == 0)
		return list_peers(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[2], "remove-peer") == 0)
		return remove_peer(argc - 2, argv + 2);
	return parent_usage(argc - 1, argv + 1, raft_usage);
}
