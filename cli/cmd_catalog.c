/* cmd_catalog.c: `consul catalog services|nodes`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "table.h"

static const char catalog_usage[] = "Usage: consul catalog <subcommand> [options]\n\n"
				    "    datacenters  Lists all known datacenters\n"
				    "    nodes        Lists all nodes in the given datacenter\n"
				    "    services     Lists all registered services in a datacenter\n";

/* -node-meta (repeatable key=value) and -filter, which catalog nodes and services share. */
#define CATALOG_META_MAX 32
struct catalog_query {
	const char *meta[CATALOG_META_MAX];
	int nmeta;
	const char *filter;
};

/* Takes argv[*i] if it is one of the query flags (-near is refused: this agent computes no
 * network coordinates). Returns 1 if taken, 0 if not, -1 on an error (printed). */
static int catalog_query_flag(int argc, char **argv, int *i, struct catalog_query *q)
{
	const char *v;
	if (cli_flag(argv[*i], "node-meta", &v)) {
		if (!(v = cli_flag_value(argc, argv, i, v, "node-meta")))
			return -1;
		if (!strchr(v, '=')) {
			fprintf(stderr, "invalid value \"%s\" for flag -node-meta: missing \"=\" in key=value\n", v);
			return -1;
		}
		if (q->nmeta == CATALOG_META_MAX) {
			fprintf(stderr, "-node-meta: at most %d pairs\n", CATALOG_META_MAX);
			return -1;
		}
		q->meta[q->nmeta++] = v;
		return 1;
	}
	if (cli_flag(argv[*i], "filter", &v))
		return (q->filter = cli_flag_value(argc, argv, i, v, "filter")) ? 1 : -1;
	if (cli_flag(argv[*i], "near", &v)) {
		fprintf(stderr, "-near: this agent computes no network coordinates, so it cannot sort by distance\n");
		return -1;
	}
	return 0;
}

/* Appends the query's parameters to path (which has none yet). */
static void catalog_query_append(struct buf *path, const struct catalog_query *q)
{
	char sep = '?';
	for (int k = 0; k < q->nmeta; k++) {
		const char *eq = strchr(q->meta[k], '=');
		buf_appendf(path, "%cnode-meta=", sep);
		cli_escape_query(path, q->meta[k], (size_t)(eq - q->meta[k]));
		buf_append_str(path, "%3A");
		cli_escape_query(path, eq + 1, strlen(eq + 1));
		sep = '&';
	}
	if (q->filter) {
		buf_appendf(path, "%cfilter=", sep);
		cli_escape_query(path, q->filter, strlen(q->filter));
	}
}

/* GETs path and parses the JSON body; prints the error and returns NULL on failure. */
static yajl_val catalog_get(const struct cli_http *http, const char *path, const char *what)
{
	struct api api;
	struct api_response r;
	if (cli_api(&api, http))
		return NULL;
	if (api_request(&api, "GET", path, NULL, 0, &r) < 0) {
		fprintf(stderr, "Error listing %s: %s\n", what, api.error);
		return NULL;
	}
	if (r.status != 200) {
		char msg[64];
		snprintf(msg, sizeof msg, "listing %s", what);
		cli_http_error(msg, &r);
		api_response_free(&r);
		return NULL;
	}
	char err[128];
	yajl_val v = json_parse(r.body.data, r.body.len, err, sizeof err);
	api_response_free(&r);
	if (!v)
		fprintf(stderr, "Error listing %s: %s\n", what, err);
	return v;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void join_strings(yajl_val arr, struct buf *out)
{
	size_t n = json_arr_len(arr);
	const char **items = calloc(n ? n : 1, sizeof *items);
	if (!items)
		return;
	for (size_t i = 0; i < n; i++)
		items[i] = json_str(json_arr_at(arr, i)) ? json_str(json_arr_at(arr, i)) : "";
	qsort(items, n, sizeof *items, by_str);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append_char(out, ',');
		buf_append_str(out, items[i]);
	}
	free(items);
}

static int catalog_services(int argc, char **argv)
{
	static const char usage[] = "Usage: consul catalog services [options]\n\n"
				    "  Retrieves the list of services registered in a given datacenter.\n\n"
				    "  -tags  -node=<name>  -node-meta=<key=value>  -filter=<expression>\n"
				    "  -http-addr=<addr>  -token=<value>  -token-file=<path>  -datacenter=<name>  -stale\n";
	struct cli_http http = CLI_HTTP_SERVER;
	struct catalog_query q = {.nmeta = 0};
	const char *node = NULL, *v;
	bool tags = false, ok;
	for (int i = 1; i < argc; i++) {
		int taken = catalog_query_flag(argc, argv, &i, &q);
		if (taken < 0)
			return 1;
		if (taken)
			continue;
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		}
		if (cli_flag(argv[i], "tags", &v))
			tags = true;
		else if (cli_flag(argv[i], "node", &v)) {
			if (!(node = cli_flag_value(argc, argv, &i, v, "node")))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else
			return cli_bad_flag(argv[i], usage);
	}
	struct buf path;
	buf_init(&path);
	if (node) {
		buf_append_str(&path, "/v1/catalog/node/");
		cli_escape_path(&path, node);
	} else
		buf_append_str(&path, "/v1/catalog/services");
	catalog_query_append(&path, &q);
	yajl_val v_all = catalog_get(&http, path.data, "services");
	buf_free(&path);
	if (!v_all)
		return 1;
	/* For -node, the node's Services map: id -> {Service, Tags}; otherwise name -> [tags]. */
	yajl_val map = node ? json_get(v_all, "Services") : v_all;
	size_t n = json_obj_len(map);
	struct table t;
	table_init(&t, 2);
	const char **names = calloc(n ? n : 1, sizeof *names);
	for (size_t i = 0; names && i < n; i++)
		names[i] = node ? json_str(json_get(json_obj_val(map, i), "Service")) : json_obj_key(map, i);
	if (names)
		qsort(names, n, sizeof *names, by_str);
	for (size_t i = 0; names && i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		struct buf joined;
		buf_init(&joined);
		if (tags && !node)
			join_strings(json_get(map, names[i]), &joined);
		table_add(&t, (const char *[]){names[i], joined.data});
		buf_free(&joined);
	}
	if (n == 0 && node)
		fprintf(stderr, "No services match the given query - try expanding your search.\n");
	table_print(&t, stdout);
	table_free(&t);
	free(names);
	yajl_tree_free(v_all);
	return 0;
}

static int catalog_nodes(int argc, char **argv)
{
	static const char usage[] = "Usage: consul catalog nodes [options]\n\n"
				    "  Retrieves the list of nodes registered in a given datacenter.\n\n"
				    "  -detailed  -service=<name>  -node-meta=<key=value>  -filter=<expression>\n"
				    "  -http-addr=<addr>  -token=<value>  -token-file=<path>  -datacenter=<name>  -stale\n";
	struct cli_http http = CLI_HTTP_SERVER;
	struct catalog_query q = {.nmeta = 0};
	const char *service = NULL, *v;
	bool detailed = false, ok;
	for (int i = 1; i < argc; i++) {
		int taken = catalog_query_flag(argc, argv, &i, &q);
		if (taken < 0)
			return 1;
		if (taken)
			continue;
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		}
		if (cli_flag(argv[i], "detailed", &v))
			detailed = true;
		else if (cli_flag(argv[i], "service", &v)) {
			if (!(service = cli_flag_value(argc, argv, &i, v, "service")))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &http, &ok)) {
			if (!ok)
				return 1;
		} else
			return cli_bad_flag(argv[i], usage);
	}
	struct buf path;
	buf_init(&path);
	if (service) {
		buf_append_str(&path, "/v1/catalog/service/");
		cli_escape_path(&path, service);
	} else
		buf_append_str(&path, "/v1/catalog/nodes");
	catalog_query_append(&path, &q);
	yajl_val nodes = catalog_get(&http, path.data, "nodes");
	buf_free(&path);
	if (!nodes)
		return 1;
	if (json_arr_len(nodes) == 0) {
		fprintf(stderr, "No nodes match the given query - try expanding your search.\n");
		yajl_tree_free(nodes);
		return 0;
	}
	struct table t;
	table_init(&t, detailed ? 6 : 4);
	if (detailed)
		table_add(&t, (const char *[]){"Node", "ID", "Address", "DC", "TaggedAddresses", "Meta"});
	else
		table_add(&t, (const char *[]){"Node", "ID", "Address", "DC"});
	for (size_t i = 0; i < json_arr_len(nodes); i++) {
		yajl_val n = json_arr_at(nodes, i);
		const char *id = json_str(json_get(n, "ID"));
		char short_id[9] = "";
		if (id)
			snprintf(short_id, sizeof short_id, "%s", id);
		if (!detailed) {
			table_add(&t, (const char *[]){json_str(json_get(n, "Node")), short_id,
						       json_str(json_get(n, "Address")), json_str(json_get(n, "Datacenter"))});
			continue;
		}
		struct buf tagged, meta;
		buf_init(&tagged);
		buf_init(&meta);
		yajl_val ta = json_get(n, "TaggedAddresses"), m = json_get(n, service ? "NodeMeta" : "Meta");
		for (size_t k = 0; k < json_obj_len(ta); k++)
			buf_appendf(&tagged, "%s%s=%s", k ? ", " : "", json_obj_key(ta, k),
				    json_str(json_obj_val(ta, k)) ? json_str(json_obj_val(ta, k)) : "");
		for (size_t k = 0; k < json_obj_len(m); k++)
			buf_appendf(&meta, "%s%s=%s", k ? ", " : "", json_obj_key(m, k),
				    json_str(json_obj_val(m, k)) ? json_str(json_obj_val(m, k)) : "");
		table_add(&t, (const char *[]){json_str(json_get(n, "Node")), id, json_str(json_get(n, "Address")),
					       json_str(json_get(n, "Datacenter")), tagged.data, meta.data});
		buf_free(&tagged);
		buf_free(&meta);
	}
	table_print(&t, stdout);
	table_free(&t);
	yajl_tree_free(nodes);
	return 0;
}

static int catalog_datacenters(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_SERVER;
	bool ok;
	static const char usage[] = "Usage: consul catalog datacenters [options]\n\n"
				    "  Retrieves the list of all known datacenters.\n";
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		}
		if (!cli_common_flag(argc, argv, &i, &http, &ok))
			return cli_bad_flag(argv[i], usage);
		if (!ok)
			return 1;
	}
	yajl_val dcs = catalog_get(&http, "/v1/catalog/datacenters", "datacenters");
	if (!dcs)
		return 1;
	for (size_t i = 0; i < json_arr_len(dcs); i++)
		printf("%s\n", json_str(json_arr_at(dcs, i)) ? json_str(json_arr_at(dcs, i)) : "");
	yajl_tree_free(dcs);
	return 0;
}

int cmd_catalog(int argc, char **argv)
{
	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(catalog_usage, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "services") == 0)
		return catalog_services(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "nodes") == 0)
		return catalog_nodes(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "datacenters") == 0)
		return catalog_datacenters(argc - 1, argv + 1);
	fputs(catalog_usage, stderr);
	return 1;
}
