/* main.c: the `consul` command: one binary, subcommands as Consul's CLI names them. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "supervisor.h"

int cmd_operator(int argc, char **argv); /* cmd_operator.c (raftd's owner) */
int cmd_snapshot(int argc, char **argv); /* cmd_snapshot.c (raftd's owner) */

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
} commands[] = {
	{"agent", agent_main, "Runs a Consul agent"},
	{"catalog", cmd_catalog, "Interact with the catalog"},
	{"event", cmd_event, "Fire a new event"},
	{"force-leave", cmd_force_leave, "Forces a member of the cluster to enter the \"left\" state"},
	{"join", cmd_join, "Tell Consul agent to join cluster"},
	{"keygen", cmd_keygen, "Generates a new encryption key"},
	{"keyring", cmd_keyring, "Manages gossip layer encryption keys"},
	{"kv", cmd_kv, "Interact with the key-value store"},
	{"leave", cmd_leave, "Gracefully leaves the Consul cluster and shuts down"},
	{"maint", cmd_maint, "Controls node or service maintenance mode"},
	{"members", cmd_members, "Lists the members of a Consul cluster"},
	{"operator", cmd_operator, "Provides cluster-level tools for Consul operators"},
	{"reload", cmd_reload, "Triggers the agent to reload configuration files"},
	{"services", cmd_services, "Interact with services"},
	{"snapshot", cmd_snapshot, "Saves, restores and inspects snapshots of Consul server state"},
	{"version", cmd_version, "Prints the Consul version"},
};

/* Subcommand words under each command, for help: `consul kv get foo -h` is kv get's help. */
static const char *const subcommand_tree[][4] = {
	{"kv", "get put delete export import", NULL},
	{"catalog", "services nodes datacenters", NULL},
	{"operator", "raft", "raft list-peers remove-peer"},
	{"snapshot", "save restore inspect", NULL},
	{"services", "register deregister", NULL},
};

static bool word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && !strncmp(p, word, n))
			return true;
		p = sp ? sp + 1 : NULL;
	}
	return false;
}

/* Consul's CLI (mitchellh/cli) shows a command's help for -h, -help or --help anywhere before
 * "--", on stdout, exit 0: argv is rewritten to the command, its subcommand words and "-h". */
static int help_argv(int argc, char **argv, char **out)
{
	bool help = false;
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		help = help || !strcmp(argv[i], "-h") || !strcmp(argv[i], "-help") || !strcmp(argv[i], "--help");
	if (!help)
		return 0;
	int n = 0;
	out[n++] = argv[1];
	for (size_t t = 0; t < sizeof subcommand_tree / sizeof subcommand_tree[0]; t++) {
		if (strcmp(subcommand_tree[t][0], argv[1]))
			continue;
		if (argc > 2 && word_in(argv[2], subcommand_tree[t][1])) {
			out[n++] = argv[2];
			const char *deeper = subcommand_tree[t][2];
			size_t wl = strlen(argv[2]);
			if (deeper && !strncmp(deeper, argv[2], wl) && deeper[wl] == ' ' && argc > 3 &&
			    word_in(argv[3], deeper + wl + 1))
				out[n++] = argv[3];
		}
	}
	out[n++] = "-h";
	out[n] = NULL;
	return n;
}

static int usage(FILE *out)
{
	fprintf(out, "Usage: consul [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "    %-12s%s\n", commands[i].name, commands[i].synopsis);
	return out == stdout ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	const char *name = argv[1];
	if (strcmp(name, "--version") == 0 || strcmp(name, "-version") == 0 || strcmp(name, "-v") == 0)
		name = "version";
	if (strcmp(name, "--help") == 0 || strcmp(name, "-help") == 0 || strcmp(name, "-h") == 0)
		return usage(stdout);
	char *help[6];
	int nhelp = strcmp(name, "agent") ? help_argv(argc, argv, help) : 0;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(name, commands[i].name))
			continue;
		return nhelp ? commands[i].run(nhelp, help) : commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "consul: unknown command \"%s\"\n", name);
	return usage(stderr);
}
