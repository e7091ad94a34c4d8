/* cli.c: flag helpers shared by the subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

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

bool cli_common_flag(int argc, char **argv, int *i, const char **http_addr, bool *ok)
{
	static const char *const ignored[] = {"token", "token-file", "datacenter", "ca-file", "ca-path",
					       "client-cert", "client-key", "tls-server-name", "namespace",
					       "partition"};
	const char *v;
	*ok = true;
	if (cli_flag(argv[*i], "http-addr", &v)) {
		*http_addr = cli_flag_value(argc, argv, i, v, "http-addr");
		*ok = *http_addr != NULL;
		return true;
	}
	if (cli_flag(argv[*i], "stale", &v))
		return true;
	for (size_t k = 0; k < sizeof ignored / sizeof ignored[0]; k++) {
		if (cli_flag(argv[*i], ignored[k], &v)) {
			*ok = cli_flag_value(argc, argv, i, v, ignored[k]) != NULL;
			return true;
		}
	}
	return false;
}

int cli_bad_flag(const char *arg, const char *usage)
{
	const char *eq = strchr(arg, '=');
	int len = eq ? (int)(eq - arg) : (int)strlen(arg);
	fprintf(stderr, "flag provided but not defined: %.*s\n%s", len, arg, usage);
	return 1;
}

int cli_api(struct api *api, const char *http_addr)
{
	if (api_init(api, http_addr) < 0) {
		fprintf(stderr, "Error: %s\n", api->error);
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
