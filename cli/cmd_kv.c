/* cmd_kv.c: `consul kv get|put|delete|export|import`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cli.h"
#include "json.h"
#include "table.h"

static const char kv_usage[] = "Usage: consul kv <subcommand> [options] [args]\n\n"
			       "  This command has subcommands for interacting with Consul's key-value\n"
			       "  store. Here are some simple examples, and more detailed examples are\n"
			       "  available in the subcommands or the documentation.\n\n"
			       "Subcommands:\n"
			       "    delete    Removes data from the KV store\n"
			       "    export    Exports a tree from the KV store as JSON\n"
			       "    get       Retrieves or lists data from the KV store\n"
			       "    import    Imports a tree stored as JSON to the KV store\n"
			       "    put       Sets or updates data in the KV store\n";

static const char api_options[] =
	"\nHTTP API Options\n\n"
	"  -http-addr=<address>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n"
	"  -token=<value>        ACL token to use in the request (CONSUL_HTTP_TOKEN)\n"
	"  -token-file=<value>   File holding the ACL token (CONSUL_HTTP_TOKEN_FILE)\n"
	"  -datacenter=<value>   Name of the datacenter to query\n"
	"  -stale                Permit any Consul server to respond to a read\n";

#define KV_MAX_ARGS 16

/* The flags of every kv subcommand; each takes the ones Consul gives it (`takes`). */
enum kv_flag { KVF_RECURSE = 1, KVF_KEYS = 2, KVF_DETAILED = 4, KVF_BASE64 = 8, KVF_SEPARATOR = 16,
	       KVF_FLAGS = 32, KVF_CAS = 64, KVF_MODIFY_INDEX = 128 };

struct kv_opts {
	struct cli_http http;
	bool recurse, keys, detailed, base64, cas, have_flags, have_modify_index;
	const char *separator;
	uint64_t flags, modify_index;
	int nargs;
	char *args[KV_MAX_ARGS];
};

/* Go's flag.Uint64Var: strconv.ParseUint(s, 0, 64), and its error. */
static bool parse_uint_flag(const char *name, const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = v && *v && *v != '-' && *v != '+' ? strtoull(v, &end, 0) : 0;
	if (!v || !*v || *v == '-' || *v == '+' || errno || *end) {
		fprintf(stderr, "invalid value \"%s\" for flag -%s: parse error\n", v ? v : "", name);
		return false;
	}
	*out = n;
	return true;
}

/* Go's flag package: flags until the first argument that is not one ("-" is an argument,
 * "--" ends the flags), the rest positional. Returns 0, 1 on an error (printed), or -1 for
 * -h (usage printed). */
static int kv_parse(int argc, char **argv, struct kv_opts *o, const char *usage, unsigned takes)
{
	memset(o, 0, sizeof *o);
	o->http = (struct cli_http)CLI_HTTP_SERVER;
	o->separator = "/";
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-"); i++) {
		const char *v;
		bool ok;
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if ((takes & KVF_RECURSE) && cli_flag(argv[i], "recurse", &v))
			o->recurse = !v || strcmp(v, "false") != 0;
		else if ((takes & KVF_KEYS) && cli_flag(argv[i], "keys", &v))
			o->keys = !v || strcmp(v, "false") != 0;
		else if ((takes & KVF_DETAILED) && cli_flag(argv[i], "detailed", &v))
			o->detailed = !v || strcmp(v, "false") != 0;
		else if ((takes & KVF_BASE64) && cli_flag(argv[i], "base64", &v))
			o->base64 = !v || strcmp(v, "false") != 0;
		else if ((takes & KVF_CAS) && cli_flag(argv[i], "cas", &v))
			o->cas = !v || strcmp(v, "false") != 0;
		else if ((takes & KVF_SEPARATOR) && cli_flag(argv[i], "separator", &v)) {
			if (!(o->separator = cli_flag_value(argc, argv, &i, v, "separator")))
				return 1;
		} else if ((takes & KVF_FLAGS) && cli_flag(argv[i], "flags", &v)) {
			if (!(v = cli_flag_value(argc, argv, &i, v, "flags")) || !parse_uint_flag("flags", v, &o->flags))
				return 1;
			o->have_flags = true;
		} else if ((takes & KVF_MODIFY_INDEX) && cli_flag(argv[i], "modify-index", &v)) {
			if (!(v = cli_flag_value(argc, argv, &i, v, "modify-index")) ||
			    !parse_uint_flag("modify-index", v, &o->modify_index))
				return 1;
			o->have_modify_index = true;
		} else if (cli_common_flag(argc, argv, &i, &o->http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_is_help(argv[i])) {
			printf("%s%s", usage, api_options);
			return -1;
		} else
			return cli_bad_flag(argv[i], usage);
	}
	for (; i < argc; i++) {
		if (o->nargs == KV_MAX_ARGS) {
			fprintf(stderr, "Too many arguments (expected at most %d)\n", KV_MAX_ARGS);
			return 1;
		}
		o->args[o->nargs++] = argv[i];
	}
	return 0;
}

/* The one KEY_OR_PREFIX argument (none: ""), its leading "/" stripped as Consul's does
 * (a key cannot start with one); NULL after printing Consul's error for more. */
static const char *one_key(const struct kv_opts *o)
{
	if (o->nargs > 1) {
		fprintf(stderr, "Too many arguments (expected 1, got %d)\n", o->nargs);
		return NULL;
	}
	const char *key = o->nargs ? o->args[0] : "";
	return key[0] == '/' ? key + 1 : key;
}

static void kv_path(struct buf *path, const char *key, const char *query)
{
	buf_append_str(path, "/v1/kv/");
	cli_escape_path(path, key);
	if (query)
		buf_append_str(path, query);
}

/* Prints an entry's Value decoded (or base64 as stored, with -base64). */
static void print_value(yajl_val entry, bool as_base64)
{
	const char *b64 = json_str(json_get(entry, "Value"));
	if (!b64)
		return;
	if (as_base64) {
		fputs(b64, stdout);
		return;
	}
	struct buf raw;
	buf_init(&raw);
	if (base64_decode(&raw, b64, strlen(b64)) == 0)
		fwrite(raw.data, 1, raw.len, stdout);
	buf_free(&raw);
}

/* Consul lays -detailed out with a tabwriter: the longest field name (11) plus 6 spaces of
 * padding, so every value starts at column 17. */
static void print_detailed(yajl_val e, bool as_base64)
{
	static const char *const fields[] = {"CreateIndex", "Flags", "Key", "LockIndex", "ModifyIndex", "Session"};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		yajl_val v = json_get(e, fields[i]);
		char num[32] = "-";
		const char *s = json_str(v);
		uint64_t n;
		if (!s && json_u64(v, &n))
			snprintf(num, sizeof num, "%llu", (unsigned long long)n);
		printf("%-17s%s\n", fields[i], s && *s ? s : num);
	}
	printf("%-17s", "Value");
	print_value(e, as_base64);
	putchar('\n');
}

/* GETs path; returns the parsed body, NULL after printing the error, or sets *missing on a 404. */
static yajl_val kv_fetch(const struct kv_opts *o, const char *path, bool *missing)
{
	struct api api;
	struct api_response r;
	*missing = false;
	if (cli_api(&api, &o->http))
		return NULL;
	if (api_request(&api, "GET", path, NULL, 0, &r) < 0) {
		fprintf(stderr, "Error querying Consul agent: %s\n", api.error);
		return NULL;
	}
	if (r.status == 404) {
		*missing = true;
		api_response_free(&r);
		return NULL;
	}
	if (r.status != 200) {
		cli_http_error("querying Consul agent", &r);
		api_response_free(&r);
		return NULL;
	}
	char err[128];
	yajl_val v = json_parse(r.body.data, r.body.len, err, sizeof err);
	api_response_free(&r);
	if (!v)
		fprintf(stderr, "Error querying Consul agent: %s\n", err);
	return v;
}

static int kv_get(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv get [options] [KEY_OR_PREFIX]\n\n"
				    "  Retrieves the value from Consul's key-value store at the given key name.\n\n"
				    "  -base64  -detailed  -keys  -recurse  -separator=<string>\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage,
			  KVF_RECURSE | KVF_KEYS | KVF_DETAILED | KVF_BASE64 | KVF_SEPARATOR);
	if (rc)
		return rc < 0 ? 0 : rc;
	const char *key = one_key(&o);
	if (!key)
		return 1;
	if (!*key && !o.recurse && !o.keys) {
		fprintf(stderr, "Error! Missing KEY argument\n");
		return 1;
	}
	struct buf path;
	buf_init(&path);
	if (o.keys) {
		kv_path(&path, key, "?keys");
		if (*o.separator) {
			buf_append_str(&path, "&separator=");
			cli_escape_query(&path, o.separator, strlen(o.separator));
		}
	} else
		kv_path(&path, key, o.recurse ? "?recurse" : NULL);
	bool missing;
	yajl_val v = kv_fetch(&o, path.data, &missing);
	buf_free(&path);
	if (missing && !o.recurse && !o.keys) {
		fprintf(stderr, "Error! No key exists at: %s\n", key);
		return 1;
	}
	if (!v)
		return missing ? 0 : 1;
	for (size_t i = 0; i < json_arr_len(v); i++) {
		yajl_val e = json_arr_at(v, i);
		if (o.keys) {
			printf("%s\n", json_str(e) ? json_str(e) : "");
		} else if (o.detailed) {
			if (i)
				putchar('\n');
			print_detailed(e, o.base64);
		} else if (o.recurse) {
			printf("%s:", json_str(json_get(e, "Key")) ? json_str(json_get(e, "Key")) : "");
			print_value(e, o.base64);
			putchar('\n');
		} else {
			print_value(e, o.base64);
			putchar('\n');
		}
	}
	yajl_tree_free(v);
	return 0;
}

/* The DATA argument: literal text, @file, or - for stdin (as Consul's: "-x" is literal). */
static int read_value(const char *arg, struct buf *out)
{
	FILE *f = NULL;
	if (strcmp(arg, "-") == 0)
		f = stdin;
	else if (arg[0] == '@' && !(f = fopen(arg + 1, "rb"))) {
		fprintf(stderr, "Error! Failed to read file: open %s: %s\n", arg + 1, strerror(errno));
		return -1;
	}
	if (!f)
		return buf_append_str(out, arg);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(out, chunk, n);
	if (f != stdin)
		fclose(f);
	return 0;
}

/* One PUT or DELETE whose answer is "true" or "false"; returns 1 for true, 0 for false, -1
 * after printing "<failing>: <why>" (failing holds Consul's words for the command). */
static int kv_write(const struct kv_opts *o, const char *method, const char *path, const struct buf *body,
		    const char *failing)
{
	struct api api;
	struct api_response r;
	if (cli_api(&api, &o->http))
		return -1;
	if (api_request(&api, method, path, body ? (body->data ? body->data : "") : NULL, body ? body->len : 0, &r) < 0) {
		fprintf(stderr, "%s: %s\n", failing, api.error);
		return -1;
	}
	int rc;
	if (r.status != 200) {
		fprintf(stderr, "%s: Unexpected response code: %d (%s)\n", failing, r.status,
			r.body.data ? r.body.data : "");
		rc = -1;
	} else {
		rc = !(r.body.data && strncmp(r.body.data, "false", 5) == 0);
	}
	api_response_free(&r);
	return rc;
}

static int kv_put(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv put [options] KEY [DATA]\n\n"
				    "  Writes the data to the given path in the key-value store. DATA may be\n"
				    "  @FILE or - (stdin).\n\n"
				    "  -base64  -cas  -flags=<uint>  -modify-index=<uint>\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage, KVF_BASE64 | KVF_CAS | KVF_FLAGS | KVF_MODIFY_INDEX);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.nargs == 0) {
		fprintf(stderr, "Error! Missing KEY argument\n");
		return 1;
	}
	if (o.nargs > 2) {
		fprintf(stderr, "Error! Too many arguments (expected 1 or 2, got %d)\n", o.nargs);
		return 1;
	}
	const char *key = o.args[0];
	if (o.cas && o.modify_index == 0) {
		fprintf(stderr, "Must specify -modify-index with -cas!\n");
		return 1;
	}
	/* Beyond Consul: its put takes -modify-index without -cas and drops it (a plain write);
	 * an index that is not checked is refused here, with its delete's words. */
	if (o.have_modify_index && !o.cas) {
		fprintf(stderr, "Cannot specify -modify-index without -cas!\n");
		return 1;
	}
	if (key[0] == '/') {
		/* Consul's API client refuses it before sending */
		fprintf(stderr, "Error! Failed writing data: Invalid key. Key must not begin with a '/': %s\n", key);
		return 1;
	}
	struct buf value, path;
	buf_init(&value);
	buf_init(&path);
	if (o.nargs > 1 && read_value(o.args[1], &value) < 0) {
		buf_free(&value);
		return 1;
	}
	if (o.base64) {
		struct buf raw;
		buf_init(&raw);
		if (base64_decode(&raw, value.data ? value.data : "", value.len) < 0) {
			fprintf(stderr, "Error! Cannot base 64 decode data\n");
			buf_free(&raw);
			buf_free(&value);
			return 1;
		}
		buf_free(&value);
		value = raw;
	}
	kv_path(&path, key, NULL);
	char sep = '?';
	if (o.flags) {
		buf_appendf(&path, "%cflags=%llu", sep, (unsigned long long)o.flags);
		sep = '&';
	}
	if (o.cas)
		buf_appendf(&path, "%ccas=%llu", sep, (unsigned long long)o.modify_index);
	char failing[600];
	if (o.cas)
		snprintf(failing, sizeof failing, "Error! Did not write to %s", key);
	else
		snprintf(failing, sizeof failing, "Error! Failed writing data");
	int wrote = kv_write(&o, "PUT", path.data, &value, failing);
	if (wrote == 1)
		printf("Success! Data written to: %s\n", key);
	else if (wrote == 0)
		fprintf(stderr, "Error! Did not write to %s: CAS failed\n", key);
	buf_free(&value);
	buf_free(&path);
	return wrote == 1 ? 0 : 1;
}

static int kv_delete(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv delete [options] KEY_OR_PREFIX\n\n"
				    "  Removes the value from Consul's key-value store at the given path.\n\n"
				    "  -cas  -modify-index=<uint>  -recurse\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage, KVF_RECURSE | KVF_CAS | KVF_MODIFY_INDEX);
	if (rc)
		return rc < 0 ? 0 : rc;
	const char *key = one_key(&o);
	if (!key)
		return 1;
	if (!*key && !o.recurse) {
		fprintf(stderr, "Error! Missing KEY argument\n");
		return 1;
	}
	if (o.cas && o.modify_index == 0) {
		fprintf(stderr, "Cannot delete a key that does not exist. Provide a -modify-index greater than than 0.\n");
		return 1;
	}
	if (o.modify_index != 0 && !o.cas) {
		fprintf(stderr, "Cannot specify -modify-index without -cas!\n");
		return 1;
	}
	if (o.recurse && o.cas) {
		fprintf(stderr, "Cannot specify both -cas and -recurse!\n");
		return 1;
	}
	struct buf path;
	buf_init(&path);
	kv_path(&path, key, o.recurse ? "?recurse" : NULL);
	if (o.cas)
		buf_appendf(&path, "?cas=%llu", (unsigned long long)o.modify_index);
	char failing[600];
	snprintf(failing, sizeof failing,
		 o.recurse ? "Error! Did not delete prefix %s" : o.cas ? "Error! Did not delete key %s" : "Error deleting key %s",
		 key);
	int done = kv_write(&o, "DELETE", path.data, NULL, failing);
	buf_free(&path);
	if (done == 0) {
		fprintf(stderr, "Error! Did not delete key %s: CAS failed\n", key);
		return 1;
	}
	if (done < 0)
		return 1;
	if (o.recurse)
		printf("Success! Deleted keys with prefix: %s\n", key);
	else
		printf("Success! Deleted key: %s\n", key);
	return 0;
}

/* `consul kv export [PREFIX]`: Consul's JSON, an array of {"key","flags","value" (base64)},
 * indented with tabs as Go's json.MarshalIndent(.., "", "\t") writes it. */
static int kv_export(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv export [KEY_OR_PREFIX]\n\n"
				    "  Retrieves key-value pairs for the given prefix from Consul's key-value store,\n"
				    "  and writes a JSON representation to stdout.\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage, 0);
	if (rc)
		return rc < 0 ? 0 : rc;
	const char *key = one_key(&o);
	if (!key)
		return 1;
	struct buf path;
	buf_init(&path);
	kv_path(&path, key, "?recurse");
	bool missing;
	yajl_val v = kv_fetch(&o, path.data, &missing);
	buf_free(&path);
	if (!v && !missing)
		return 1;
	size_t n = json_arr_len(v);
	if (n == 0) {
		printf("[]\n");
		yajl_tree_free(v);
		return 0;
	}
	struct buf out;
	buf_init(&out);
	buf_append_str(&out, "[\n");
	for (size_t i = 0; i < n; i++) {
		yajl_val e = json_arr_at(v, i);
		uint64_t flags = 0;
		json_u64(json_get(e, "Flags"), &flags);
		const char *value = json_str(json_get(e, "Value"));
		buf_append_str(&out, "\t{\n\t\t\"key\": ");
		{
			const char *k = json_str(json_get(e, "Key")) ? json_str(json_get(e, "Key")) : "";
			json_quote(&out, k, strlen(k));
		}
		buf_appendf(&out, ",\n\t\t\"flags\": %llu,\n\t\t\"value\": ", (unsigned long long)flags);
		json_quote(&out, value ? value : "", value ? strlen(value) : 0);
		buf_appendf(&out, "\n\t}%s\n", i + 1 < n ? "," : "");
	}
	buf_append_str(&out, "]\n");
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	yajl_tree_free(v);
	return 0;
}

/* `consul kv import DATA` (@file, - for stdin, or the JSON itself): each entry written in
 * order, "Imported: KEY" after each, stopping at the first failure as Consul's does. */
static int kv_import(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv import [DATA]\n\n"
				    "  Imports key-value pairs to the key-value store from the JSON representation\n"
				    "  generated by the \"consul kv export\" command. DATA may be @FILE or - (stdin).\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage, 0);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.nargs == 0) {
		fprintf(stderr, "Error! Missing DATA argument\n");
		return 1;
	}
	if (o.nargs > 1) {
		fprintf(stderr, "Error! Too many arguments (expected 1, got %d)\n", o.nargs);
		return 1;
	}
	if (!o.args[0][0]) {
		fprintf(stderr, "Error! Empty DATA argument\n");
		return 1;
	}
	struct buf data;
	buf_init(&data);
	if (read_value(o.args[0], &data) < 0) {
		buf_free(&data);
		return 1;
	}
	char err[256];
	yajl_val v = json_parse(data.data ? data.data : "", data.len, err, sizeof err);
	buf_free(&data);
	if (!v || !YAJL_IS_ARRAY(v)) {
		fprintf(stderr, "Cannot unmarshal data: %s\n", v ? "expected a JSON array of entries" : err);
		yajl_tree_free(v);
		return 1;
	}
	rc = 0;
	for (size_t i = 0; i < json_arr_len(v) && rc == 0; i++) {
		yajl_val e = json_arr_at(v, i);
		const char *key = json_str(json_get(e, "key")), *b64 = json_str(json_get(e, "value"));
		const char *ns = json_str(json_get(e, "namespace")), *part = json_str(json_get(e, "partition"));
		uint64_t flags = 0;
		if (!YAJL_IS_OBJECT(e) || !key || (json_get(e, "flags") && !json_u64(json_get(e, "flags"), &flags))) {
			fprintf(stderr, "Cannot unmarshal data: entry %zu is not {\"key\", \"flags\", \"value\"}\n", i);
			rc = 1;
			break;
		}
		if ((ns && *ns && strcmp(ns, "default")) || (part && *part && strcmp(part, "default"))) {
			fprintf(stderr, "Error! Failed writing data for key %s: namespaces and partitions are Consul "
					"Enterprise features, and this agent has only the default ones\n", key);
			rc = 1;
			break;
		}
		struct buf value, path;
		buf_init(&value);
		buf_init(&path);
		if (base64_decode(&value, b64 ? b64 : "", b64 ? strlen(b64) : 0) < 0) {
			fprintf(stderr, "Error base 64 decoding value for key %s: illegal base64 data\n", key);
			rc = 1;
		} else {
			kv_path(&path, key, NULL);
			if (flags)
				buf_appendf(&path, "?flags=%llu", (unsigned long long)flags);
			char failing[600];
			snprintf(failing, sizeof failing, "Error! Failed writing data for key %s", key);
			if (kv_write(&o, "PUT", path.data, &value, failing) != 1)
				rc = 1;
			else
				printf("Imported: %s\n", key);
		}
		buf_free(&value);
		buf_free(&path);
	}
	yajl_tree_free(v);
	return rc;
}

int cmd_kv(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(kv_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "get") == 0)
		return kv_get(argc - 1, argv + 1);
	if (strcmp(argv[1], "put") == 0)
		return kv_put(argc - 1, argv + 1);
	if (strcmp(argv[1], "delete") == 0)
		return kv_delete(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return kv_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "import") == 0)
		return kv_import(argc - 1, argv + 1);
	fputs(kv_usage, stderr);
	return 1;
}
