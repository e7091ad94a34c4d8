/* fuzz_service_def.c: the service and check definition parsers on arbitrary bytes (they read
 * bodies of /v1/agent/service/register and /v1/agent/check/register). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "service_def.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	/* Both permission settings, so script checks get past the gate half the time. */
	struct def_ctx ctx = {.from_file = size & 1, .enable_local_script_checks = true};
	struct service_def s;
	if (service_def_parse_json((const char *)data, size, &ctx, &s, err, sizeof err) == 0) {
		/* Invariants the rest of checkd relies on. */
		if (!s.id || !s.name || !s.address || !*s.name)
			__builtin_trap();
		for (size_t i = 0; i < s.nchecks; i++)
			if (!s.checks[i].id || !s.checks[i].name || !s.checks[i].status ||
			    strcmp(s.checks[i].service_id, s.id))
				__builtin_trap();
		for (size_t i = 1; i < s.nmeta; i++)
			if (strcmp(s.meta[i - 1].key, s.meta[i].key) >= 0)
				__builtin_trap();
		service_def_free(&s);
	} else if (!err[0]) {
		__builtin_trap(); /* a refusal always says why */
	}
	struct check_def c;
	if (check_def_parse_json((const char *)data, size, &ctx, &c, err, sizeof err) == 0) {
		if (!c.id || !c.name || !check_status_valid(c.status))
			__builtin_trap();
		check_def_free(&c);
	}
	return 0;
}
