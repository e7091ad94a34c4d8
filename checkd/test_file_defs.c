/* test_file_defs.c: the configuration files' definitions applied at start and on reload:
 * removed ones go, new ones come, changed ones replace, API registrations stay, and an
 * invalid set changes nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "file_defs.h"
#include "local_state.h"

static const struct file_defs_flags no_scripts = {0};

/* A config_defs from NULL-terminated JSON texts, all from "a.json". */
static struct config_defs defs(struct config_def *items, const char *const *json)
{
	size_t n = 0;
	for (; json[n]; n++)
		items[n] = (struct config_def){.json = (char *)json[n], .source = (char *)"a.json"};
	return (struct config_defs){.items = items, .n = n};
}

static int apply(struct local_state *ls, struct file_defs *fd, const char *const *svcs, const char *const *chks,
		 char *err)
{
	struct config_def si[8], ci[8];
	struct config_defs s = defs(si, svcs), c = defs(ci, chks);
	return file_defs_apply(ls, fd, &s, &c, &no_scripts, 1000, err, 512);
}

static void api_service(struct local_state *ls, const char *json)
{
	struct service_def s;
	char err[512];
	const struct def_ctx api = {0};
	assert_int_equal(service_def_parse_json(json, strlen(json), &api, &s, err, sizeof err), 0);
	assert_int_equal(ls_service_add(ls, &s, json, false, 0, err, sizeof err), 0);
}

static void reload_follows_the_files(void **state)
{
	struct local_state *ls = ls_new("n1", "dc1");
	struct file_defs fd = {0};
	char err[512];
	const char *const none[] = {NULL};
	const char *const first[] = {"{\"name\":\"web\",\"port\":80,\"check\":{\"id\":\"web-ttl\",\"ttl\":\"10s\"}}",
				     "{\"name\":\"db\"}", NULL};
	const char *const first_checks[] = {"{\"id\":\"mem\",\"name\":\"mem\",\"ttl\":\"10s\"}", NULL};
	assert_int_equal(apply(ls, &fd, first, first_checks, err), 3);
	api_service(ls, "{\"Name\":\"api-svc\"}");
	assert_int_equal(ls->nservices, 3);
	assert_int_equal(ls_check_set(ls, "web-ttl", "passing", "fine"), 1);

	/* db removed, web changed (port), cache new, the mem check gone. */
	const char *const second[] = {"{\"name\":\"web\",\"port\":81,\"check\":{\"id\":\"web-ttl\",\"ttl\":\"10s\"}}",
				      "{\"name\":\"cache\"}", NULL};
	assert_int_equal(apply(ls, &fd, second, none, err), 2);
	assert_null(ls_service_get(ls, "db"));
	assert_non_null(ls_service_get(ls, "cache"));
	assert_int_equal(ls_service_get(ls, "web")->def.port, 81);
	assert_non_null(ls_service_get(ls, "api-svc"));
	assert_null(ls_check_get(ls, "mem"));
	assert_string_equal(ls_check_get(ls, "web-ttl")->status, "passing"); /* kept */

	/* Invalid: nothing changes, and the error names the file and the key. */
	const char *const bad[] = {"{\"name\":\"web\",\"port\":\"x\"}", NULL};
	assert_int_equal(apply(ls, &fd, bad, none, err), -EINVAL);
	assert_non_null(strstr(err, "a.json"));
	assert_non_null(strstr(err, "port"));
	assert_non_null(ls_service_get(ls, "cache"));
	assert_int_equal(ls_service_get(ls, "web")->def.port, 81);

	/* A check naming a service that is going away is refused too. */
	const char *const orphan[] = {"{\"id\":\"c1\",\"name\":\"c1\",\"ttl\":\"5s\",\"service_id\":\"cache\"}", NULL};
	assert_int_equal(apply(ls, &fd, first, orphan, err), -EINVAL);
	assert_non_null(strstr(err, "cache"));
	assert_non_null(ls_service_get(ls, "cache"));

	/* Empty files: only the API registration remains. */
	assert_int_equal(apply(ls, &fd, none, none, err), 0);
	assert_int_equal(ls->nservices, 1);
	assert_non_null(ls_service_get(ls, "api-svc"));
	assert_int_equal(ls->nchecks, 0);
	file_defs_clear(&fd);
	ls_free(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reload_follows_the_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
