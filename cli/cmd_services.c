/* cmd_services.c: `consul services register|deregister`: a service from flags or from
 * definition files (JSON, with "service" or "services"), through the local agent's API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

static const char services_usage[] = "Usage: consul services <subcommand> [options] [args]\n\n"
				     "    deregister    Deregister services with the local agent\n"
				     "    register      Register services with the local agent\n";
static const char register_usage[] =
	"Usage: consul services register [options] [FILE...]\n\n"
	"  Register one or more services using the local agent API. Services can\n"
	"  be registered from standard Consul configuration files (JSON) or using\n"
	"  flags.\n\n"
	"  -address=<string> Address of the service.\n"
	"  -id=<string>      ID of the service (defaults to the name).\n"
	"  -meta=<key=value> Metadata, may be given several times.\n"
	"  -name=<string>    Name of the service.\n"
	"  -port=<int>       Port of the service.\n"
	"  -tag=<value>      Tag, may be given several times.\n";
static const char deregister_usage[] = "Usage: consul services deregister [options] [FILE...]\n\n"
				       "  Deregister one or more services that were previously registered\n"
				       "  with the local agent.\n\n"
				       "  -id=<string>      ID to deregister.\n";

#define MAX_REPEATED 64

struct svc_flags {
	struct cli_http http;
	const char *name, *id, *address, *port;
	const char *tags[MAX_REPEATED], *meta[MAX_REPEATED];
	int ntags, nmeta;
	char **files;
	int nfiles;
};

static bool add_repeated(const char **list, int *n, const char *value, const char *flag)
{
	if (*n == MAX_REPEATED) {
		fprintf(stderr, "too many -%s flags\n", flag);
		return false;
	}
	list[(*n)++] = value;
	return true;
}

/* Returns 0, 1 on a bad flag (printed), or -1 for -h. */
static int svc_parse(int argc, char **argv, struct svc_flags *o, bool deregister)
{
	const char *usage = deregister ? deregister_usage : register_usage;
	memset(o, 0, sizeof *o);
	o->http = (struct cli_http)CLI_HTTP_SERVER;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-") != 0; i++) {
		const char *v;
		bool ok;
		const char **slot = NULL;
		static const char *const names[] = {"name", "address", "port"};
		for (size_t k = 0; !deregister && k < 3 && !slot; k++)
			if (cli_flag(argv[i], names[k], &v))
				slot = k == 0 ? &o->name : k == 1 ? &o->address : &o->port;
		if (!slot && cli_flag(argv[i], "id", &v))
			slot = &o->id;
		if (slot) {
			if (!(*slot = cli_flag_value(argc, argv, &i, v, argv[i] + (argv[i][1] == '-' ? 2 : 1))))
				return 1;
		} else if (!deregister && cli_flag(argv[i], "tag", &v)) {
			if (!(v = cli_flag_value(argc, argv, &i, v, "tag")) || !add_repeated(o->tags, &o->ntags, v, "tag"))
				return 1;
		} else if (!deregister && cli_flag(argv[i], "meta", &v)) {
			if (!(v = cli_flag_value(argc, argv, &i, v, "meta")) || !add_repeated(o->meta, &o->nmeta, v, "meta"))
				return 1;
		} else if (cli_common_flag(argc, argv, &i, &o->http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(usage, stdout);
			return -1;
		} else
			return cli_bad_flag(argv[i], usage);
	}
	o->files = argv + i;
	o->nfiles = argc - i;
	return 0;
}

/* The service definition the flags describe, as the agent API's JSON. Returns 0 or 1 (printed). */
static int render_from_flags(const struct svc_flags *o, struct buf *out)
{
	long port = 0;
	if (o->port) {
		char *end;
		errno = 0;
		port = strtol(o->port, &end, 10);
		if (!*o->port || *end || errno || port < 0 || port > 65535) {
			fprintf(stderr, "invalid value \"%s\" for flag -port: parse error\n", o->port);
			return 1;
		}
	}
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	jw_kv_str(&w, "Name", o->name);
	if (o->id)
		jw_kv_str(&w, "ID", o->id);
	if (o->address)
		jw_kv_str(&w, "Address", o->address);
	jw_kv_i64(&w, "Port", port);
	jw_key(&w, "Tags");
	jw_arr_open(&w);
	for (int i = 0; i < o->ntags; i++)
		jw_str(&w, o->tags[i]);
	jw_arr_close(&w);
	jw_key(&w, "Meta");
	jw_obj_open(&w);
	for (int i = 0; i < o->nmeta; i++) {
		const char *eq = strchr(o->meta[i], '=');
		char key[256];
		snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - o->meta[i]) : (int)strlen(o->meta[i]), o->meta[i]);
		jw_kv_str(&w, key, eq ? eq + 1 : "");
	}
	jw_obj_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	return 0;
}

static int read_text(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(out, chunk, n);
	int rc = ferror(f) ? -EIO : 0;
	fclose(f);
	return rc;
}

/* The service objects of a definition file ("service": {...} or "services": [...]), appended to
 * *list (an array the caller frees, values owned by *trees). Returns 0 or 1 (printed). */
static int services_from_file(const char *path, yajl_val *tree, yajl_val **list, size_t *n)
{
	struct buf text;
	buf_init(&text);
	int rc = read_text(path, &text);
	if (rc < 0) {
		fprintf(stderr, "Error loading %s: %s\n", path, strerror(-rc));
		buf_free(&text);
		return 1;
	}
	char err[256];
	*tree = json_parse(text.data ? text.data : "", text.len, err, sizeof err);
	buf_free(&text);
	if (!*tree || !YAJL_IS_OBJECT(*tree)) {
		fprintf(stderr, "Error decoding %s: %s\n", path, *tree ? "expected a JSON object" : err);
		return 1;
	}
	yajl_val one = json_get(*tree, "service"), many = json_get(*tree, "services");
	size_t count = (one ? 1 : 0) + json_arr_len(many);
	if (!count) {
		fprintf(stderr, "Error loading %s: no service definitions found\n", path);
		return 1;
	}
	yajl_val *grown = realloc(*list, (*n + count) * sizeof *grown);
	if (!grown) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	*list = grown;
	if (one)
		grown[(*n)++] = one;
	for (size_t i = 0; i < json_arr_len(many); i++)
		grown[(*n)++] = json_arr_at(many, i);
	return 0;
}

static int api_put(struct api *api, const char *path, const char *body, size_t len, const char *what,
		   const char *subject)
{
	struct api_response r;
	if (api_request(api, "PUT", path, body, len, &r) < 0) {
		fprintf(stderr, "Error %s \"%s\": %s\n", what, subject, api->error);
		return 1;
	}
	if (r.status != 200) {
		fprintf(stderr, "Error %s \"%s\": Unexpected response code: %d (%s)\n", what, subject, r.status,
			r.body.data ? r.body.data : "");
		api_response_free(&r);
		return 1;
	}
	api_response_free(&r);
	return 0;
}

/* Loads the definition files' services: trees[nfiles] and the list. Returns 0 or 1. */
static int load_files(const struct svc_flags *o, yajl_val *trees, yajl_val **list, size_t *n)
{
	for (int i = 0; i < o->nfiles; i++)
		if (services_from_file(o->files[i], &trees[i], list, n))
			return 1;
	return 0;
}

static void free_trees(yajl_val *trees, int n)
{
	for (int i = 0; i < n; i++)
		yajl_tree_free(trees[i]);
	free(trees);
}

static int services_register(int argc, char **argv)
{
	struct svc_flags o;
	int rc = svc_parse(argc, argv, &o, false);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.nfiles == 0 && !o.name) {
		fprintf(stderr, "Service registration requires at least one argument or flags.\n");
		return 1;
	}
	if (o.nfiles > 0 && (o.name || o.id || o.address || o.port || o.ntags || o.nmeta)) {
		fprintf(stderr, "Service registration requires arguments or flags, not both.\n");
		return 1;
	}
	struct api api;
	if (cli_api(&api, &o.http))
		return 1;
	if (o.nfiles == 0) {
		struct buf body;
		buf_init(&body);
		rc = render_from_flags(&o, &body);
		if (!rc)
			rc = api_put(&api, "/v1/agent/service/register", body.data, body.len, "registering service",
				     o.name);
		buf_free(&body);
		if (!rc)
			printf("Registered service: %s\n", o.name);
		return rc;
	}
	yajl_val *trees = calloc((size_t)o.nfiles, sizeof *trees), *list = NULL;
	size_t n = 0;
	rc = trees ? load_files(&o, trees, &list, &n) : 1;
	for (size_t i = 0; !rc && i < n; i++) {
		struct buf body;
		buf_init(&body);
		struct jw w;
		jw_init(&w, &body);
		jw_value(&w, list[i]);
		jw_free(&w);
		const char *name = json_str(json_get(list[i], "name"));
		rc = api_put(&api, "/v1/agent/service/register", body.data, body.len, "registering service",
			     name ? name : "");
		buf_free(&body);
		if (!rc)
			printf("Registered service: %s\n", name ? name : "");
	}
	free(list);
	if (trees)
		free_trees(trees, o.nfiles);
	return rc;
}

static int deregister_one(struct api *api, const char *id)
{
	struct buf path;
	buf_init(&path);
	buf_append_str(&path, "/v1/agent/service/deregister/");
	cli_escape_path(&path, id);
	int rc = api_put(api, path.data, NULL, 0, "deregistering service", id);
	buf_free(&path);
	if (!rc)
		printf("Deregistered service: %s\n", id);
	return rc;
}

static int services_deregister(int argc, char **argv)
{
	struct svc_flags o;
	int rc = svc_parse(argc, argv, &o, true);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.nfiles == 0 && !o.id) {
		fprintf(stderr, "Service deregistration requires at least one argument or -id.\n");
		return 1;
	}
	if (o.nfiles > 0 && o.id) {
		fprintf(stderr, "Service deregistration requires arguments or -id, not both.\n");
		return 1;
	}
	struct api api;
	if (cli_api(&api, &o.http))
		return 1;
	if (o.id)
		return deregister_one(&api, o.id);
	yajl_val *trees = calloc((size_t)o.nfiles, sizeof *trees), *list = NULL;
	size_t n = 0;
	rc = trees ? load_files(&o, trees, &list, &n) : 1;
	for (size_t i = 0; !rc && i < n; i++) {
		const char *id = json_str(json_get(list[i], "id"));
		if (!id || !*id)
			id = json_str(json_get(list[i], "name"));
		rc = deregister_one(&api, id ? id : "");
	}
	free(list);
	if (trees)
		free_trees(trees, o.nfiles);
	return rc;
}

int cmd_services(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "-help") || !strcmp(argv[1], "--help")) {
		fputs(services_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (!strcmp(argv[1], "register"))
		return services_register(argc - 1, argv + 1);
	if (!strcmp(argv[1], "deregister"))
		return services_deregister(argc - 1, argv + 1);
	fprintf(stderr, "consul services: unknown subcommand \"%s\"\n%s", argv[1], services_usage);
	return 1;
}
