/* cmd_members.c: `consul members`, with Consul's columns. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "table.h"

static const char members_usage[] = "Usage: consul members [options]\n\n"
				    "  Outputs the members of a running Consul agent.\n\n"
				    "  -detailed         Show more detailed information about each node\n"
				    "  -status=<regexp>  Only show members whose status matches\n"
				    "  -wan              List the WAN gossip pool (servers only)\n"
				    "  -http-addr=<addr> The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

static const char *status_name(int64_t status)
{
	static const char *const names[] = {"none", "alive", "leaving", "left", "failed"};
	return status >= 0 && status <= 4 ? names[status] : "unknown";
}

static int by_name(const void *a, const void *b)
{
	yajl_val ma = *(yajl_val const *)a, mb = *(yajl_val const *)b;
	const char *na = json_str(json_get(ma, "Name")), *nb = json_str(json_get(mb, "Name"));
	return strcmp(na ? na : "", nb ? nb : "");
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "k=v,k=v" sorted by key, as -detailed shows tags. */
static void join_tags(yajl_val tags, struct buf *out)
{
	size_t n = json_obj_len(tags);
	char **pairs = calloc(n ? n : 1, sizeof *pairs);
	if (!pairs)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *v = json_str(json_obj_val(tags, i));
		if (asprintf(&pairs[i], "%s=%s", json_obj_key(tags, i), v ? v : "") < 0)
			pairs[i] = NULL;
	}
	qsort(pairs, n, sizeof *pairs, by_key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append_char(out, ',');
		buf_append_str(out, pairs[i] ? pairs[i] : "");
		free(pairs[i]);
	}
	free(pairs);
}

static void add_member_row(struct table *t, yajl_val m, bool detailed)
{
	yajl_val tags = json_get(m, "Tags");
	int64_t port = 0, status = 0;
	json_i64(json_get(m, "Port"), &port);
	json_i64(json_get(m, "Status"), &status);
	char addr[300];
	snprintf(addr, sizeof addr, "%s:%lld", json_str(json_get(m, "Addr")) ? json_str(json_get(m, "Addr")) : "",
		 (long long)port);
	const char *name = json_str(json_get(m, "Name"));
	if (detailed) {
		struct buf joined;
		buf_init(&joined);
		join_tags(tags, &joined);
		table_add(t, (const char *[]){name, addr, status_name(status), joined.data});
		buf_free(&joined);
		return;
	}
	const char *role = json_str(json_get(tags, "role"));
	bool server = role && strcmp(role, "consul") == 0;
	char build[64] = "";
	const char *b = json_str(json_get(tags, "build"));
	if (b)
		snprintf(build, sizeof build, "%.*s", (int)strcspn(b, ":"), b);
	const char *segment = json_str(json_get(tags, "segment"));
	if (server)
		segment = "<all>";
	else if (!segment || !*segment)
		segment = "<default>";
	table_add(t, (const char *[]){name, addr, status_name(status), server ? "server" : "client", build,
				      json_str(json_get(tags, "vsn")), json_str(json_get(tags, "dc")), "default",
				      segment});
}

int cmd_members(int argc, char **argv)
{
	const char *http_addr = NULL, *status_re = NULL, *v;
	bool detailed = false, wan = false, ok;
	for (int i = 1; i < argc; i++) {
		if (cli_flag(argv[i], "detailed", &v))
			detailed = true;
		else if (cli_flag(argv[i], "wan", &v))
			wan = true;
		else if (cli_flag(argv[i], "status", &v)) {
			if (!(status_re = cli_flag_value(argc, argv, &i, v, "status")))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http_addr, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(members_usage, stdout);
			return 0;
		} else
			return cli_bad_flag(argv[i], members_usage);
	}
	regex_t re;
	if (status_re && regcomp(&re, status_re, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "Failed to compile status regexp: %s\n", status_re);
		return 1;
	}
	struct api api;
	struct api_response r;
	if (cli_api(&api, http_addr))
		return 1;
	if (api_request(&api, "GET", wan ? "/v1/agent/members?wan=1" : "/v1/agent/members", NULL, 0, &r) < 0) {
		fprintf(stderr, "Error retrieving members: %s\n", api.error);
		return 1;
	}
	if (r.status != 200) {
		int rc = cli_http_error("retrieving members", &r);
		api_response_free(&r);
		return rc;
	}
	char err[128];
	yajl_val members = json_parse(r.body.data, r.body.len, err, sizeof err);
	api_response_free(&r);
	if (!members || members->type != yajl_t_array) {
		fprintf(stderr, "Error retrieving members: %s\n", members ? "unexpected response" : err);
		yajl_tree_free(members);
		return 1;
	}
	qsort(members->u.array.values, members->u.array.len, sizeof(yajl_val), by_name);
	struct table t;
	table_init(&t, detailed ? 4 : 9);
	if (detailed)
		table_add(&t, (const char *[]){"Node", "Address", "Status", "Tags"});
	else
		table_add(&t, (const char *[]){"Node", "Address", "Status", "Type", "Build", "Protocol", "DC",
					       "Partition", "Segment"});
	size_t shown = 0;
	for (size_t i = 0; i < json_arr_len(members); i++) {
		yajl_val m = json_arr_at(members, i);
		int64_t status = 0;
		json_i64(json_get(m, "Status"), &status);
		if (status_re && regexec(&re, status_name(status), 0, NULL, 0) != 0)
			continue;
		add_member_row(&t, m, detailed);
		shown++;
	}
	if (status_re)
		regfree(&re);
	yajl_tree_free(members);
	/* Consul exits 2 when a filter leaves nothing, so scripts can tell "none" from "error". */
	if (shown == 0) {
		table_free(&t);
		return 2;
	}
	table_print(&t, stdout);
	table_free(&t);
	return 0;
}
