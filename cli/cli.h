/* cli.h: what the `consul` subcommands share: flag matching and the agent connection. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "http_client.h"

/* If arg is the flag `name` (as -name, --name, -name=value or --name=value), returns true and
 * sets *value to what follows '=' (NULL when there is none: a boolean, or the value is the
 * next argument). */
bool cli_flag(const char *arg, const char *name, const char **value);
/* For a flag that takes a value: the text after '=' or the next argument (advancing *i).
 * Returns NULL and prints an error if there is none. */
const char *cli_flag_value(int argc, char **argv, int *i, const char *value, const char *name);
/* Consul's HTTP API options. Every command that talks to the agent takes the client ones
 * (-http-addr, -token, -token-file, with CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN and
 * CONSUL_HTTP_TOKEN_FILE); the commands Consul gives the server ones take -datacenter (?dc= on
 * every request) and -stale (?stale on reads). None is accepted and dropped: the TLS options
 * are refused until the agent speaks HTTPS, and a command without the server options refuses
 * them as an unknown flag, as Consul's does. */
struct cli_http {
	const char *addr, *token, *token_file, *datacenter;
	bool stale;
	bool server_flags; /* this command takes -datacenter and -stale */
};
#define CLI_HTTP_CLIENT {.server_flags = false}
#define CLI_HTTP_SERVER {.server_flags = true}
/* If argv[*i] is one of the API options, takes it (and its value) into h and returns true;
 * *ok is false when it was malformed or refused (the error is printed). */
bool cli_common_flag(int argc, char **argv, int *i, struct cli_http *h, bool *ok);
/* Whether arg asks for help: -h, -help or --help. */
bool cli_is_help(const char *arg);
/* Reports an unknown flag the way Go's flag package does; returns 1 (the exit code). */
int cli_bad_flag(const char *arg, const char *usage);
/* Sets up the API client from the options and the environment (the token file read here),
 * printing the error if that fails. Returns 0 or 1. */
int cli_api(struct api *api, const struct cli_http *h);
/* Prints an HTTP error response as Consul's CLI does. Returns 1. */
int cli_http_error(const char *what, const struct api_response *r);
/* One request whose answer is only a status: returns 0 on 200, or 1 after printing the error
 * as Consul's CLI does ("Error <doing>: ..."). */
int cli_request(struct api *api, const char *method, const char *path, const char *body, size_t len,
		const char *doing);
/* Appends the percent-encoding of a URL path segment (slashes kept). */
void cli_escape_path(struct buf *out, const char *s);
/* Appends the percent-encoding of len bytes of s as a query value (unreserved kept). */
void cli_escape_query(struct buf *out, const char *s, size_t len);

int cmd_version(int argc, char **argv);
int cmd_members(int argc, char **argv);
int cmd_kv(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_maint(int argc, char **argv);
int cmd_services(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_leave(int argc, char **argv);
int cmd_force_leave(int argc, char **argv);
int cmd_event(int argc, char **argv);
int cmd_keyring(int argc, char **argv);

#endif
