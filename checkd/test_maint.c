/* test_maint.c: maintenance mode checks: Consul's ids, names, default notes and status, an
 * unknown service refused, and a reload of the service's file leaving them in place. */
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
#include "maint.h"
#include "persist.h"
#include "common/buf.h"

static void maintenance_checks(void **state)
{
	struct local_state *ls = ls_new("n1", "dc1");
	struct file_defs fd = {0};
	struct file_defs_flags flags = {0};
	struct config_def web = {.json = (char *)"{\"name\":\"web\",\"check\":{\"ttl\":\"9s\"}}", .source = (char *)"w.json"};
	struct config_defs svcs = {.items = &web, .n = 1}, none = {0};
	char err[512];
	assert_int_equal(file_defs_apply(ls, &fd, &svcs, &none, &flags, 0, err, sizeof err), 1);

	assert_int_equal(maint_enable(ls, "nope", "x", 0, err, sizeof err), -ENOENT);
	assert_string_equal(err, "No service registered with ID \"nope\"");

	assert_int_equal(maint_enable(ls, "web", "", 0, err, sizeof err), 1);
	const struct ls_check *c = ls_check_get(ls, "_service_maintenance:web");
	assert_non_null(c);
	assert_string_equal(c->status, "critical");
	assert_string_equal(c->def.name, "Service Maintenance Mode");
	assert_string_equal(check_kind_name(c->def.kind), "maintenance");
	assert_non_null(strstr(c->def.notes, "no reason was provided"));
	assert_int_equal(maint_enable(ls, "web", "again", 0, err, sizeof err), 0); /* already on */

	/* Reloading the file keeps maintenance. */
	assert_int_equal(file_defs_apply(ls, &fd, &svcs, &none, &flags, 0, err, sizeof err), 1);
	assert_non_null(ls_check_get(ls, "_service_maintenance:web"));

	assert_int_equal(maint_enable(ls, NULL, "rack move", 0, err, sizeof err), 1);
	c = ls_check_get(ls, "_node_maintenance");
	assert_non_null(c);
	assert_null(c->def.service_id);
	assert_string_equal(c->def.notes, "rack move");

	assert_int_equal(maint_disable(ls, "web", err, sizeof err), 1);
	assert_int_equal(maint_disable(ls, "web", err, sizeof err), 0);
	assert_int_equal(maint_disable(ls, NULL, err, sizeof err), 1);
	assert_null(ls_check_get(ls, "_node_maintenance"));
	assert_int_equal(ls->nchecks, 1);
	file_defs_clear(&fd);
	ls_free(ls);
}

/* Maintenance mode survives a restart; one for a service that is gone is dropped. */
static void maintenance_persists(void **state)
{
	struct local_state *ls = ls_new("n1", "dc1");
	struct file_defs fd = {0};
	struct file_defs_flags flags = {0};
	struct config_def web = {.json = (char *)"{\"name\":\"web\"}", .source = (char *)"w.json"};
	struct config_defs svcs = {.items = &web, .n = 1}, none = {0};
	const struct def_ctx api = {0};
	char err[512];
	assert_int_equal(file_defs_apply(ls, &fd, &svcs, &none, &flags, 0, err, sizeof err), 1);
	assert_int_equal(maint_enable(ls, "web", "upgrade", 0, err, sizeof err), 1);
	assert_int_equal(maint_enable(ls, NULL, "", 0, err, sizeof err), 1);
	struct buf b;
	buf_init(&b);
	assert_int_equal(persist_render(ls, &b), 0);
	ls_free(ls);
	file_defs_clear(&fd);

	ls = ls_new("n1", "dc1");
	assert_int_equal(file_defs_apply(ls, &fd, &svcs, &none, &flags, 0, err, sizeof err), 1);
	assert_int_equal(persist_restore(ls, b.data, b.len, &api, 0, err, sizeof err), 2);
	assert_string_equal(ls_check_get(ls, "_service_maintenance:web")->def.notes, "upgrade");
	assert_non_null(strstr(ls_check_get(ls, "_node_maintenance")->def.notes, "this node"));
	ls_free(ls);
	file_defs_clear(&fd);

	ls = ls_new("n1", "dc1");
	assert_int_equal(persist_restore(ls, b.data, b.len, &api, 0, err, sizeof err), 1);
	assert_null(ls_check_get(ls, "_service_maintenance:web"));
	ls_free(ls);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(maintenance_checks),
		cmocka_unit_test(maintenance_persists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
