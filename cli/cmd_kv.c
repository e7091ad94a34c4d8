/* cmd_kv.c: `consul kv get|put|delete`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cli.h"
#include "json.h"
#include "table.h"

static const char kv_usage[] = "Usage: consul kv <subcommand> [options] [args]\n\n"
			       "    get     Retrieves or lists data from the KV store\n"
			       "    put     Sets or updates data in the KV store\n"
			       "    delete  Removes data from the KV store\n";

struct kv_opts {
	struct cli_http http;
	bool recurse, keys, detailed, base64;
	const char *separator, *flags, *cas;
	int nargs;
	char *args[2];
};

/* Returns 0, 1 on a bad flag (printed), or -1 for -h. */
static int kv_parse(int argc, char **argv, struct kv_opts *o, const char *usage)
{
	memset(o, 0, sizeof *o);
	o->http = (struct cli_http)CLI_HTTP_SERVER;
	o->separator = "/";
	for (int i = 1; i < argc; i++) {
		const char *v;
		bool ok;
		if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0 || o->nargs > 0) {
			if (o->nargs == 2) {
				fprintf(stderr, "Too many arguments (expected 1 or 2, got more)\n");
				return 1;
			}
			o->args[o->nargs++] = argv[i];
		} else if (cli_flag(argv[i], "recurse", &v))
			o->recurse = !v || strcmp(v, "false") != 0;
		else if (cli_flag(argv[i], "keys", &v))
			o->keys = true;
		else if (cli_flag(argv[i], "detailed", &v))
			o->detailed = true;
		else if (cli_flag(argv[i], "base64", &v))
			o->base64 = true;
		else if (cli_flag(argv[i], "separator", &v)) {
			if (!(o->separator = cli_flag_value(argc, argv, &i, v, "separator")))
				return 1;
		} else if (cli_flag(argv[i], "flags", &v)) {
			if (!(o->flags = cli_flag_value(argc, argv, &i, v, "flags")))
				return 1;
		} else if (cli_flag(argv[i], "cas", &v)) {
			o->cas = "";
		} else if (cli_flag(argv[i], "modify-index", &v)) {
			if (!(o->cas = cli_flag_value(argc, argv, &i, v, "modify-index")))
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
	return 0;
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

static void print_detailed(yajl_val e, bool as_base64)
{
	static const char *const fields[] = {"CreateIndex", "Flags", "Key", "LockIndex", "ModifyIndex", "Session"};
	struct table t;
	table_init(&t, 2);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		yajl_val v = json_get(e, fields[i]);
		char num[32] = "-";
		const char *s = json_str(v);
		uint64_t n;
		if (!s && json_u64(v, &n))
			snprintf(num, sizeof num, "%llu", (unsigned long long)n);
		table_add(&t, (const char *[]){fields[i], s ? s : num});
	}
	table_print(&t, stdout);
	table_free(&t);
	printf("Value            ");
	print_value(e, as_base64);
	putchar('\n');
}

static int kv_get(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv get [options] [KEY_OR_PREFIX]\n\n"
				    "  -recurse  -keys  -separator=/  -detailed  -base64  -http-addr=<addr>\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	const char *key = o.nargs ? o.args[0] : "";
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
			cli_escape_path(&path, o.separator);
		}
	} else
		kv_path(&path, key, o.recurse ? "?recurse" : NULL);
	struct api api;
	struct api_response r;
	if (cli_api(&api, &o.http)) {
		buf_free(&path);
		return 1;
	}
	rc = api_request(&api, "GET", path.data, NULL, 0, &r);
	buf_free(&path);
	if (rc < 0) {
		fprintf(stderr, "Error querying Consul agent: %s\n", api.error);
		return 1;
	}
	if (r.status == 404) {
		api_response_free(&r);
		if (o.recurse || o.keys)
			return 0;
		fprintf(stderr, "Error! No key exists at: %s\n", key);
		return 1;
	}
	if (r.status != 200) {
		rc = cli_http_error("querying Consul agent", &r);
		api_response_free(&r);
		return rc;
	}
	char err[128];
	yajl_val v = json_parse(r.body.data, r.body.len, err, sizeof err);
	api_response_free(&r);
	if (!v) {
		fprintf(stderr, "Error querying Consul agent: %s\n", err);
		return 1;
	}
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

/* The value argument: literal text, @file, or - for stdin. */
static int read_value(const char *arg, struct buf *out)
{
	FILE *f = NULL;
	if (strcmp(arg, "-") == 0)
		f = stdin;
	else if (arg[0] == '@' && !(f = fopen(arg + 1, "rb"))) {
		fprintf(stderr, "Failed to read file: %s: %s\n", arg + 1, strerror(errno));
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

static int kv_put(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv put [options] KEY [DATA]\n\n"
				    "  DATA may be @FILE or - (stdin).  -flags=<uint>  -cas -modify-index=<uint>\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.nargs == 0) {
		fprintf(stderr, "Error! Missing KEY argument\n");
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
	kv_path(&path, o.args[0], NULL);
	char sep = '?';
	if (o.flags) {
		buf_appendf(&path, "%cflags=%s", sep, o.flags);
		sep = '&';
	}
	if (o.cas)
		buf_appendf(&path, "%ccas=%s", sep, *o.cas ? o.cas : "0");
	struct api api;
	struct api_response r;
	rc = cli_api(&api, &o.http);
	if (rc == 0 && api_request(&api, "PUT", path.data, value.data ? value.data : "", value.len, &r) < 0) {
		fprintf(stderr, "Error! Failed writing data: %s\n", api.error);
		rc = 1;
	} else if (rc == 0) {
		if (r.status != 200)
			rc = cli_http_error("! Failed writing data", &r);
		else if (r.body.data && strncmp(r.body.data, "true", 4) == 0)
			printf("Success! Data written to: %s\n", o.args[0]);
		else {
			fprintf(stderr, "Error! Did not write to %s: CAS failed\n", o.args[0]);
			rc = 1;
		}
		api_response_free(&r);
	}
	buf_free(&value);
	buf_free(&path);
	return rc;
}

static int kv_delete(int argc, char **argv)
{
	static const char usage[] = "Usage: consul kv delete [options] KEY_OR_PREFIX\n\n  -recurse  -cas -modify-index=<uint>\n";
	struct kv_opts o;
	int rc = kv_parse(argc, argv, &o, usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	const char *key = o.nargs ? o.args[0] : "";
	if (!*key && !o.recurse) {
		fprintf(stderr, "Error! Missing KEY argument\n");
		return 1;
	}
	struct buf path;
	buf_init(&path);
	kv_path(&path, key, o.recurse ? "?recurse" : NULL);
	if (o.cas)
		buf_appendf(&path, "%ccas=%s", o.recurse ? '&' : '?', *o.cas ? o.cas : "0");
	struct api api;
	struct api_response r;
	rc = cli_api(&api, &o.http);
	if (rc == 0 && api_request(&api, "DELETE", path.data, NULL, 0, &r) < 0) {
		fprintf(stderr, "Error! Failed to delete key: %s\n", api.error);
		rc = 1;
	} else if (rc == 0) {
		if (r.status != 200)
			rc = cli_http_error("! Failed to delete key", &r);
		else if (r.body.data && strncmp(r.body.data, "false", 5) == 0) {
			fprintf(stderr, "Error! Did not delete key %s: CAS failed\n", key);
			rc = 1;
		} else if (o.recurse)
			printf("Success! Deleted keys with prefix: %s\n", key);
		else
			printf("Success! Deleted key: %s\n", key);
		api_response_free(&r);
	}
	buf_free(&path);
	return rc;
}

int cmd_kv(int argc, char **argv)
{
	if (argc < 2) {
		fputs(kv_usage, stderr);
		return 1;
	}
	if (strcmp(argv[1], "get") == 0)
		return kv_get(argc - 1, argv + 1);
	if (strcmp(argv[1], "put") == 0)
		return kv_put(argc - 1, argv + 1);
	if (strcmp(argv[1], "delete") == 0)
		return kv_delete(argc - 1, argv + 1);
	fputs(kv_usage, stderr);
	return 1;
}
