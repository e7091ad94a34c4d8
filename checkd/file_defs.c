/* file_defs.c: the configuration files' services and checks, applied as a whole (see
 * file_defs.h). */
#include "file_defs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void file_defs_clear(struct file_defs *fd)
{
	ls_strs_clear(&fd->services);
	ls_strs_clear(&fd->checks);
}

static bool strs_has(const struct ls_strs *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i], id))
			return true;
	return false;
}

struct parsed {
	struct service_def *svcs;
	size_t nsvcs;
	struct check_def *chks;
	size_t nchks;
};

static void parsed_free(struct parsed *p)
{
	for (size_t i = 0; i < p->nsvcs; i++)
		service_def_free(&p->svcs[i]);
	for (size_t i = 0; i < p->nchks; i++)
		check_def_free(&p->chks[i]);
	free(p->svcs);
	free(p->chks);
}

static int parse_all(struct parsed *p, const struct config_defs *services, const struct config_defs *checks,
		     const struct file_defs_flags *flags, char *err, size_t err_len)
{
	memset(p, 0, sizeof *p);
	p->svcs = calloc(services->n + 1, sizeof *p->svcs);
	p->chks = calloc(checks->n + 1, sizeof *p->chks);
	if (!p->svcs || !p->chks) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < services->n; i++) {
		const struct config_def *cd = &services->items[i];
		struct def_ctx ctx = {.source = cd->source,
				      .from_file = true,
				      .enable_script_checks = flags->enable_script_checks,
				      .enable_local_script_checks = flags->enable_local_script_checks};
		if (service_def_parse_json(cd->json, strlen(cd->json), &ctx, &p->svcs[i], err, err_len) < 0)
			return -EINVAL;
		p->nsvcs++;
	}
	for (size_t i = 0; i < checks->n; i++) {
		const struct config_def *cd = &checks->items[i];
		struct def_ctx ctx = {.source = cd->source,
				      .from_file = true,
				      .enable_script_checks = flags->enable_script_checks,
				      .enable_local_script_checks = flags->enable_local_script_checks};
		if (check_def_parse_json(cd->json, strlen(cd->json), &ctx, &p->chks[i], err, err_len) < 0)
			return -EINVAL;
		p->nchks++;
	}
	return 0;
}

static bool defines_service(const struct parsed *p, const char *id)
{
	for (size_t i = 0; i < p->nsvcs; i++)
		if (!strcmp(p->svcs[i].id, id))
			return true;
	return false;
}

static bool defines_check(const struct parsed *p, const char *id)
{
	for (size_t i = 0; i < p->nchks; i++)
		if (!strcmp(p->chks[i].id, id))
			return true;
	return false;
}

/* A standalone check's service must be one the files define, or one registered through the
 * API (a service only the old files defined is about to go). */
static int check_services_exist(const struct parsed *p, const struct local_state *ls, const struct file_defs *fd,
				const struct config_defs *checks, char *err, size_t err_len)
{
	for (size_t i = 0; i < p->nchks; i++) {
		const char *sid = p->chks[i].service_id;
		if (!sid || defines_service(p, sid) || (ls_service_get(ls, sid) && !strs_has(&fd->services, sid)))
			continue;
		snprintf(err, err_len, "config %s: check \"%s\": \"service_id\": ServiceID \"%.200s\" does not exist",
			 checks->items[i].source, p->chks[i].id, sid);
		return -EINVAL;
	}
	return 0;
}

/* The ids the files now define, replacing the old lists. */
static int record_ids(struct file_defs *fd, const struct parsed *p)
{
	struct file_defs next = {0};
	for (size_t i = 0; i < p->nsvcs; i++)
		if (ls_strs_add(&next.services, p->svcs[i].id) < 0)
			goto nomem;
	for (size_t i = 0; i < p->nchks; i++)
		if (ls_strs_add(&next.checks, p->chks[i].id) < 0)
			goto nomem;
	file_defs_clear(fd);
	*fd = next;
	return 0;
nomem:
	file_defs_clear(&next);
	return -ENOMEM;
}

int file_defs_apply(struct local_state *ls, struct file_defs *fd, const struct config_defs *services,
		    const struct config_defs *checks, const struct file_defs_flags *flags, uint64_t now_ms, char *err,
		    size_t err_len)
{
	struct parsed p;
	int rc = parse_all(&p, services, checks, flags, err, err_len);
	if (rc == 0)
		rc = check_services_exist(&p, ls, fd, checks, err, err_len);
	if (rc < 0) {
		parsed_free(&p);
		return rc;
	}
	/* Ids are copied before the definitions are handed over (ls takes them). */
	struct file_defs old = *fd;
	memset(fd, 0, sizeof *fd);
	if (record_ids(fd, &p) < 0) {
		*fd = old;
		parsed_free(&p);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < old.checks.n; i++)
		if (!defines_check(&p, old.checks.items[i]))
			ls_check_remove(ls, old.checks.items[i]);
	for (size_t i = 0; i < old.services.n; i++)
		if (!defines_service(&p, old.services.items[i]))
			ls_service_remove(ls, old.services.items[i]);
	file_defs_clear(&old);

	rc = 0;
	for (size_t i = 0; i < p.nsvcs && rc == 0; i++)
		if (ls_service_add(ls, &p.svcs[i], NULL, true, now_ms, err, err_len) < 0)
			rc = -ENOMEM;
	for (size_t i = 0; i < p.nchks && rc == 0; i++) {
		/* A re-read check keeps its last state, as a re-registered one does. */
		char why[256], id[256];
		snprintf(id, sizeof id, "%s", p.chks[i].id);
		struct ls_check *prev = ls_check_get(ls, id);
		char *status = prev ? strdup(prev->status) : NULL, *output = prev ? strdup(prev->output) : NULL;
		if (ls_check_add(ls, &p.chks[i], NULL, now_ms, why, sizeof why) < 0) {
			snprintf(err, err_len, "check \"%s\": %s", id, why);
			rc = -ENOMEM;
		} else if (status && output) {
			ls_check_set(ls, id, status, output);
		}
		free(status);
		free(output);
	}
	size_t n = p.nsvcs + p.nchks;
	parsed_free(&p);
	return rc < 0 ? rc : (int)n;
}
