/* fuzz_config_json.c: config_merge_json on arbitrary bytes must not crash or leak, and a
 * refused document must leave the configuration as it was. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] = "{\"node_name\": \"n\", \"retry_join\": [\"a\"], \"service\": {\"name\": \"s\"}}";
	struct config cfg;
	char err[512];
	memset(&cfg, 0, sizeof cfg);
	/* Start from a config that already holds strings and lists, so replacing and appending
	 * run too. */
	if (config_merge_json(&cfg, base, strlen(base), "base", err, sizeof err) != 0)
		abort();
	if (config_merge_json(&cfg, (const char *)data, size, "fuzz", err, sizeof err) != 0) {
		/* Refused: nothing changed, and the error is one line. */
		if (strcmp(cfg.node_name, "n") != 0 || cfg.retry_join.n != 1 || cfg.services.n != 1 ||
		    strchr(err, '\n') != NULL || err[0] == '\0')
			abort();
	}
	config_free(&cfg);
	return 0;
}
