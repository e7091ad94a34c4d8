/* join.c: joining through a list of addresses. */
#include "join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join_addr.h"
#include "log.h"
#include "pool.h"

struct join {
	join_done_fn done;
	void *arg;
	size_t pending;
	struct join_result r;
};

struct join_attempt {
	struct join *j;
	char *text;  /* the address as resolved, "host:port" as memberlist names it in errors */
};

static void join_finish_one(struct join *j)
{
	if (--j->pending)
		return;
	j->done(j->arg, &j->r);
	for (size_t i = 0; i < j->r.nerrors; i++)
		free(j->r.errors[i]);
	free(j->r.errors);
	free(j);
}

static void join_fail(struct join *j, const char *text, const char *why)
{
	char *line;
	if (asprintf(&line, "%s: %s", text, why) >= 0)
		j->r.errors[j->r.nerrors++] = line;
	join_finish_one(j);
}

static void on_contact(void *arg, const char *err)
{
	struct join_attempt *a = arg;
	struct join *j = a->j;
	if (err)
		log_info("join: %s: %s", a->text, err);
	if (err)
		join_fail(j, a->text, err);
	else {
		j->r.joined++;
		join_finish_one(j);
	}
	free(a->text);
	free(a);
}

void join_start(struct pool *p, const char *const *addrs, size_t n, int default_port, join_done_fn done, void *arg)
{
	struct join *j = calloc(1, sizeof *j);
	if (j)
		j->r.errors = calloc(n ? n : 1, sizeof *j->r.errors);
	if (!j || !j->r.errors) {
		free(j);
		struct join_result none = {0};
		done(arg, &none);
		return;
	}
	j->done = done;
	j->arg = arg;
	j->pending = n + 1;  /* held until every attempt has started */
	for (size_t i = 0; i < n; i++) {
		struct swim_addr a;
		char why[200];
		if (join_resolve(addrs[i], default_port, &a, why, sizeof why) < 0) {
			join_fail(j, addrs[i], why);
			continue;
		}
		char resolved[SWIM_ADDR_MAX + 10];
		pool_format_addr(&a, resolved, sizeof resolved);
		struct join_attempt *at = malloc(sizeof *at);
		if (!at || !(at->text = strdup(resolved))) {
			free(at);
			join_fail(j, addrs[i], "out of memory");
			continue;
		}
		at->j = j;
		pool_join(p, &a, on_contact, at);
	}
	join_finish_one(j);
}
