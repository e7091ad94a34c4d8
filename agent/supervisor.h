/* supervisor.h: `consul agent`: resolves the configuration, starts the roles the mode needs as
 * child processes, restarts the ones that die, reloads on SIGHUP, stops all on SIGINT/SIGTERM. */
#ifndef AGENT_SUPERVISOR_H
#define AGENT_SUPERVISOR_H

/* argv[0] is "agent"; the flags follow. Returns the process exit code. */
int agent_main(int argc, char **argv);

#endif
