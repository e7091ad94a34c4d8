/* cmd_version.c: `consul version`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"

int cmd_version(int argc, char **argv)
{
	const char *v;
	bool json = argc > 1 && cli_flag(argv[1], "format", &v) && v && strcmp(v, "json") == 0;
	if (json) {
		printf("{\n    \"Version\": \"%s\",\n    \"Revision\": \"consul-c-%s\",\n    \"Prerelease\": \"\",\n"
		       "    \"RPC\": {\n        \"Default\": 2,\n        \"Min\": 2,\n        \"Max\": 3\n    }\n}\n",
		       CONSUL_VERSION, SUITE_VERSION);
		return 0;
	}
	printf("Consul v%s\nRevision consul-c-%s\n"
	       "Protocol 2 spoken by default, understands 2 to 3 (agent will automatically use protocol >2 when "
	       "speaking to compatible agents)\n",
	       CONSUL_VERSION, SUITE_VERSION);
	return 0;
}
