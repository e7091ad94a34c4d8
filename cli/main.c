/* main.c: the `consul` command: one binary, subcommands as Consul's CLI names them. */
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
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "consul: unknown command \"%s\"\n", name);
	return usage(stderr);
}
