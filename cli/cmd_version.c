/* cmd_version.c: `consul version`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"

int cmd_version(int argc, char **argv)
{
	static const char usage[] = "Usage: consul version [options]\n\n"
				    "  Shows the Consul version\n\n"
				    "  -format=<string>  Output format {pretty|json} (default: pretty)\n";
	const char *v, *format = "pretty";
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		}
		if (cli_flag(argv[i], "format", &v)) {
			if (!(format = cli_flag_value(argc, argv, &i, v, "format")))
				return 1;
		} else if (argv[i][0] == '-') {
			return cli_bad_flag(argv[i], usage);
		} else {
			fprintf(stderr, "Too many arguments (expected 0, got %d)\n", argc - i);
			return 1;
		}
	}
	if (strcmp(format, "pretty") && strcmp(format, "json")) {
		fprintf(stderr, "Invalid format, valid formats are {pretty|json}\n");
		return 1;
	}
	bool json = !strcmp(format, "json");
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
