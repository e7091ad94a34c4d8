/* cmd_keyring.c: `consul keyring -list|-list-primary|-install KEY|-use KEY|-remove KEY`:
 * the gossip encryption keyring, across the cluster (LAN and WAN pools in lock-step). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "keyring_view.h"

static const char keyring_usage[] =
	"Usage: consul keyring [options]\n\n"
	"  Manages encryption keys used for gossip messages. Gossip encryption is\n"
	"  optional. When enabled, this command may be used to examine active encryption\n"
	"  keys in the cluster, add new keys, and remove old ones. When combined, this\n"
	"  functionality provides the ability to perform key rotation cluster-wide,\n"
	"  without disrupting the cluster.\n\n"
	"  All operations performed by this command can only be run against server nodes,\n"
	"  and affect both the LAN and WAN keyrings in lock-step.\n\n"
	"  All variations of the keyring command return 0 if all nodes reply and there\n"
	"  are no errors. If any node fails to reply or reports failure, the exit code\n"
	"  will be 1.\n\n"
	"  -list               List all keys currently in use within the cluster.\n"
	"  -list-primary       List all primary keys currently in use within the cluster.\n"
	"  -install=<key>      Install a new encryption key.\n"
	"  -use=<key>          Change the primary encryption key.\n"
	"  -remove=<key>       Remove the given key from the cluster.\n"
	"  -relay-factor=<n>   Relay responses through this many other nodes (0 to 5).\n"
	"  -local-only         Only query the local datacenter's servers (list only).\n"
	"  -http-addr=<addr>   The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

/* Go's flag.BoolVar: -flag, -flag=true, -flag=false. Returns false on a bad value. */
static bool bool_flag(const char *v, bool *out, const char *name)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") || !strcmp(v, "TRUE") ||
	    !strcmp(v, "True"))
		return *out = true, true;
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") || !strcmp(v, "FALSE") ||
	    !strcmp(v, "False"))
		return *out = false, true;
	fprintf(stderr, "invalid boolean value \"%s\" for -%s: parse error\n%s", v, name, keyring_usage);
	return false;
}

static int list(struct api *api, bool primary, long relay, bool local_only)
{
	struct buf path;
	struct api_response r;
	printf("==> Gathering installed %sencryption keys...\n", primary ? "primary " : "");
	fflush(stdout);
	buf_init(&path);
	buf_append_str(&path, "/v1/operator/keyring");
	if (relay)
		buf_appendf(&path, "?relay-factor=%ld", relay);
	if (local_only)
		buf_appendf(&path, "%slocal-only=true", relay ? "&" : "?");
	int rc = api_request(api, "GET", path.data, NULL, 0, &r);
	buf_free(&path);
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", api->error);
		return 1;
	}
	if (r.status != 200) {
		fprintf(stderr, "error: Unexpected response code: %d (%s)\n", r.status, r.body.data ? r.body.data : "");
		api_response_free(&r);
		return 1;
	}
	char err[160];
	rc = keyring_view(r.body.data, r.body.len, primary, stdout, err, sizeof err);
	api_response_free(&r);
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	return 0;
}

/* install (POST), use (PUT) or remove (DELETE) with {"Key": key}. */
static int change(struct api *api, const char *method, const char *banner, const char *key, long relay)
{
	struct buf body, path;
	struct api_response r;
	printf("==> %s\n", banner);
	fflush(stdout);
	buf_init(&body);
	buf_init(&path);
	struct jw w;
	jw_init(&w, &body);
	jw_obj_open(&w);
	jw_kv_str(&w, "Key", key);
	jw_obj_close(&w);
	jw_free(&w);
	buf_append_str(&path, "/v1/operator/keyring");
	if (relay)
		buf_appendf(&path, "?relay-factor=%ld", relay);
	int rc = api_request(api, method, path.data, body.data, body.len, &r);
	buf_free(&body);
	buf_free(&path);
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", api->error);
		return 1;
	}
	rc = 0;
	if (r.status != 200) {
		fprintf(stderr, "error: Unexpected response code: %d (%s)\n", r.status, r.body.data ? r.body.data : "");
		rc = 1;
	}
	api_response_free(&r);
	return rc;
}

int cmd_keyring(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_CLIENT;
	const char *install = "", *use = "", *remove_key = "", *relay_text = "0", *v;
	bool list_keys = false, list_primary = false, local_only = false, ok;
	const char **value_of[] = {&install, &use, &remove_key, &relay_text};
	static const char *const value_flags[] = {"install", "use", "remove", "relay-factor"};
	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		for (; k < 4 && !cli_flag(argv[i], value_flags[k], &v); k++)
			;
		if (k < 4) {
			if (!(*value_of[k] = cli_flag_value(argc, argv, &i, v, value_flags[k])))
				return 1;
		} else if (cli_flag(argv[i], "list", &v)) {
			if (!bool_flag(v, &list_keys, "list"))
				return 1;
		} else if (cli_flag(argv[i], "list-primary", &v)) {
			if (!bool_flag(v, &list_primary, "list-primary"))
				return 1;
		} else if (cli_flag(argv[i], "local-only", &v)) {
			if (!bool_flag(v, &local_only, "local-only"))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(keyring_usage, stdout);
			return 0;
		} else if (argv[i][0] == '-')
			return cli_bad_flag(argv[i], keyring_usage);
		else
			break; /* Go's flag package ignores what follows the flags */
	}
	int actions = list_keys + list_primary + !!*install + !!*use + !!*remove_key;
	if (actions == 0) {
		fputs(keyring_usage, stderr);
		return 1;
	}
	if (actions > 1) {
		fprintf(stderr, "Only a single action is allowed\n");
		return 1;
	}
	char *end;
	long relay = strtol(relay_text, &end, 10);
	if (!*relay_text || *end) {
		fprintf(stderr, "invalid value \"%s\" for flag -relay-factor: parse error\n%s", relay_text, keyring_usage);
		return 1;
	}
	if (relay < 0 || relay > 5) {
		fprintf(stderr, "Error parsing relay factor: Relay factor must be in range: [0, 5]\n");
		return 1;
	}
	if (local_only && !list_keys) {
		fprintf(stderr, "Error validating local-only: local-only can only be set for list requests\n");
		return 1;
	}
	struct api api;
	if (cli_api(&api, &http))
		return 1;
	if (list_keys || list_primary)
		return list(&api, list_primary, relay, local_only);
	if (*install)
		return change(&api, "POST", "Installing new gossip encryption key...", install, relay);
	if (*use)
		return change(&api, "PUT", "Changing primary gossip encryption key...", use, relay);
	return change(&api, "DELETE", "Removing gossip encryption key...", remove_key, relay);
}
