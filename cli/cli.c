/* cli.c: flag helpers shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool cli_flag(const char *arg, const char *name, const char **value)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	size_t n = strlen(name);
	if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
		return false;
	*value = arg[n] == '=' ? arg + n + 1 : NULL;
	return true;
}

const char *cli_flag_value(int argc, char **argv, int *i, const char *value, const char *name)
{
	if (value)
		return value;
	if (*i + 1 >= argc) {
		fprintf(stderr, "flag needs an argument: -%s\n", name);
		return NULL;
	}
	return argv[++*i];
}

bool cli_common_flag(int argc, char **argv, int *i, struct cli_http *h, bool *ok)
{
	static const char *const tls_flags[] = {"ca-file", "ca-path", "client-cert", "client-key", "tls-server-name"};
	struct {
		const char *name;
		const char **into;
	} valued[] = {{"http-addr", &h->addr}, {"token", &h->token}, {"token-file", &h->token_file},
		      {"datacenter", h->server_flags ? &h->datacenter : NULL}};
	const char *v;
	*ok = true;
	for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
		if (!valued[k].into || !cli_flag(argv[*i], valued[k].name, &v))
			continue;
		*valued[k].into = cli_flag_value(argc, argv, i, v, valued[k].name);
		*ok = *valued[k].into != NULL;
		return true;
	}
	if (h->server_flags && cli_flag(argv[*i], "stale", &v)) {
		h->stale = !v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
		if (v && !h->stale && strcmp(v, "false") != 0 && strcmp(v, "0") != 0) {
			fprintf(stderr, "invalid boolean value \"%s\" for -stale\n", v);
			*ok = false;
		}
		return true;
	}
	for (size_t k = 0; k < sizeof tls_flags / sizeof tls_flags[0]; k++) {
		if (cli_flag(argv[*i], tls_flags[k], &v)) {
			fprintf(stderr, "-%s: the agent's HTTP API does not speak TLS yet, so TLS options are refused\n",
				tls_flags[k]);
			*ok = false;
			return true;
		}
	}
	return false;
}

/* Go's strings.TrimSpace, in place. */
static char *trim_space(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	size_t n = strlen(s);
	while (n && strchr(" \t\n\r\v\f", s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* The Go client's order: -token, else CONSUL_HTTP_TOKEN; then a token file (-token-file, else
 * CONSUL_HTTP_TOKEN_FILE) that is not empty wins over both. */
static int resolve_token(const struct cli_http *h, char *out, size_t out_len, char *err, size_t err_len)
{
	const char *token = h->token ? h->token : getenv("CONSUL_HTTP_TOKEN");
	const char *file = h->token_file ? h->token_file : getenv("CONSUL_HTTP_TOKEN_FILE");
	snprintf(out, out_len, "%s", token ? token : "");
	if (!file || !*file)
		return 0;
	FILE *f = fopen(file, "re");
	if (!f) {
		snprintf(err, err_len, "Error loading token file: open %s: %s", file, strerror(errno));
		return -1;
	}
	char data[4096];
	size_t n = fread(data, 1, sizeof data - 1, f);
	bool too_long = !feof(f);
	fclose(f);
	data[n] = '\0';
	if (too_long) {
		snprintf(err, err_len, "Error loading token file: %s: more than %zu bytes", file, sizeof data - 1);
		return -1;
	}
	char *t = trim_space(data);
	if (*t)
		snprintf(out, out_len, "%s", t);
	return 0;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "t") == 0);
}

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "-help") || !strcmp(arg, "--help");
}

int cli_bad_flag(const char *arg, const char *usage)
{
	const char *eq = strchr(arg, '=');
	int len = eq ? (int)(eq - arg) : (int)strlen(arg);
	fprintf(stderr, "flag provided but not defined: %.*s\n%s", len, arg, usage);
	return 1;
}

int cli_api(struct api *api, const struct cli_http *h)
{
	char token[4096], err[600];
	if (env_true("CONSUL_HTTP_SSL")) {
		fprintf(stderr, "Error connecting to Consul agent: CONSUL_HTTP_SSL is set, and the agent's HTTP API "
				"does not speak TLS yet\n");
		return 1;
	}
	if (api_init(api, h->addr) < 0) {
		fprintf(stderr, "Error: %s\n", api->error);
		return 1;
	}
	if (resolve_token(h, token, sizeof token, err, sizeof err) < 0) {
		fprintf(stderr, "Error connecting to Consul agent: %s\n", err);
		return 1;
	}
	if (api_set_options(api, token, h->datacenter, h->stale) < 0) {
		fprintf(stderr, "Error connecting to Consul agent: %s\n", api->error);
		return 1;
	}
	return 0;
}

int cli_http_error(const char *what, const struct api_response *r)
{
	fprintf(stderr, "Error %s: Unexpected response code: %d (%s)\n", what, r->status,
		r->body.data ? r->body.data : "");
	return 1;
}

int cli_request(struct api *api, const char *method, const char *path, const char *body, size_t len,
		const char *doing)
{
	struct api_response r;
	if (api_request(api, method, path, body, len, &r) < 0) {
		fprintf(stderr, "Error %s: %s\n", doing, api->error);
		return 1;
	}
	int rc = r.status == 200 ? 0 : cli_http_error(doing, &r);
	api_response_free(&r);
	return rc;
}

void cli_escape_query(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			buf_append_char(out, (char)c);
		else
			buf_appendf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

void cli_escape_path(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c))
			buf_append_char(out, (char)c);
		else
			buf_appendf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}
