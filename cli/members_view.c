/* members_view.c: Consul's `members` table (command/members in Consul's sources). */
#include "members_view.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "table.h"

/* One member, with the tags Consul's CLI fills in before printing. */
struct view_member {
	yajl_val json;
	const char *name, *addr, *role, *dc, *partition, *segment;
	long long port, status;
};

const char *members_status_name(long long status)
{
	static const char *const names[] = {"none", "alive", "leaving", "left", "failed"};
	return status >= 0 && status <= 4 ? names[status] : "unknown";
}

static const char *tag(yajl_val m, const char *key)
{
	yajl_val tags = json_get(m, "Tags");
	/* exact key match: tags are case-sensitive, unlike json_get's lookups */
	for (size_t i = 0; i < json_obj_len(tags); i++)
		if (strcmp(json_obj_key(tags, i), key) == 0)
			return json_str(json_obj_val(tags, i));
	return NULL;
}

static bool is_default_partition(const char *p)
{
	return !p || !*p || strcmp(p, "default") == 0;
}

static void view_member_init(struct view_member *vm, yajl_val m, bool all_segments)
{
	int64_t n = 0;
	vm->json = m;
	vm->name = json_str(json_get(m, "Name"));
	vm->addr = json_str(json_get(m, "Addr"));
	vm->port = json_i64(json_get(m, "Port"), &n) ? n : 0;
	vm->status = json_i64(json_get(m, "Status"), &n) ? n : 0;
	vm->role = tag(m, "role");
	vm->dc = tag(m, "dc");
	vm->partition = tag(m, "ap");
	vm->segment = tag(m, "segment");
	if (!vm->partition || !*vm->partition)
		vm->partition = "default";
	if (!is_default_partition(vm->partition))
		vm->segment = "";
	else if (all_segments && vm->role && strcmp(vm->role, "consul") == 0)
		vm->segment = "<all>";
	else if (!vm->segment || !*vm->segment)
		vm->segment = "<default>";
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Servers first, then the default partition, then by segment, partition and name. */
static int by_role_segment_name(const void *pa, const void *pb)
{
	const struct view_member *a = pa, *b = pb;
	bool sa = a->role && !strcmp(a->role, "consul"), sb = b->role && !strcmp(b->role, "consul");
	if (sa != sb)
		return sa ? -1 : 1;
	bool da = is_default_partition(a->partition), db = is_default_partition(b->partition);
	if (da != db)
		return da ? -1 : 1;
	int c = cmp_str(a->segment, b->segment);
	if (!c)
		c = cmp_str(a->partition, b->partition);
	return c ? c : cmp_str(a->name, b->name);
}

/* Go's net.TCPAddr.String(): IPv6 in brackets. */
static void format_addr(const struct view_member *vm, char *out, size_t len)
{
	const char *a = vm->addr ? vm->addr : "";
	if (strchr(a, ':'))
		snprintf(out, len, "[%s]:%lld", a, vm->port);
	else
		snprintf(out, len, "%s:%lld", a, vm->port);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "k=v,k=v" sorted by key, with the partition and segment tags as filled in. */
static void detailed_tags(const struct view_member *vm, struct buf *out)
{
	yajl_val tags = json_get(vm->json, "Tags");
	size_t n = json_obj_len(tags);
	char **pairs = calloc(n + 2, sizeof *pairs);
	if (!pairs)
		return;
	size_t np = 0;
	bool has_ap = false, has_segment = false;
	for (size_t i = 0; i < n; i++) {
		const char *k = json_obj_key(tags, i), *v = json_str(json_obj_val(tags, i));
		if (!strcmp(k, "ap"))
			has_ap = true, v = vm->partition;
		else if (!strcmp(k, "segment"))
			has_segment = true, v = vm->segment;
		if (asprintf(&pairs[np], "%s=%s", k, v ? v : "") >= 0)
			np++;
	}
	if (!has_ap && asprintf(&pairs[np], "ap=%s", vm->partition) >= 0)
		np++;
	if (!has_segment && asprintf(&pairs[np], "segment=%s", vm->segment) >= 0)
		np++;
	qsort(pairs, np, sizeof *pairs, by_key);
	for (size_t i = 0; i < np; i++) {
		if (i)
			buf_append_char(out, ',');
		buf_append_str(out, pairs[i]);
		free(pairs[i]);
	}
	free(pairs);
}

static void add_row(struct table *t, const struct view_member *vm, bool detailed)
{
	char addr[320];
	format_addr(vm, addr, sizeof addr);
	const char *status = members_status_name(vm->status);
	if (detailed) {
		struct buf tags;
		buf_init(&tags);
		detailed_tags(vm, &tags);
		table_add(t, (const char *[]){vm->name, addr, status, tags.data});
		buf_free(&tags);
		return;
	}
	bool server = vm->role && !strcmp(vm->role, "consul");
	if (!server && !(vm->role && !strcmp(vm->role, "node"))) {
		table_add(t, (const char *[]){vm->name, addr, status, "unknown", "", "", "", "", ""});
		return;
	}
	char build[64];
	const char *b = tag(vm->json, "build");
	if (!b || !*b)
		snprintf(build, sizeof build, "< 0.3");
	else
		snprintf(build, sizeof build, "%.*s", (int)strcspn(b, ":"), b);
	table_add(t, (const char *[]){vm->name, addr, status, server ? "server" : "client", build,
				      tag(vm->json, "vsn"), vm->dc, vm->partition, vm->segment});
}

int members_view(const char *body, size_t len, const struct members_view_opts *o, FILE *out, char *err,
		 size_t err_len)
{
	yajl_val members = json_parse(body, len, err, err_len);
	if (!members || !(YAJL_IS_ARRAY(members) || YAJL_IS_NULL(members))) {
		if (members)
			snprintf(err, err_len, "unexpected response: not a list of members");
		yajl_tree_free(members);
		return -1;
	}
	size_t n = json_arr_len(members), shown = 0;
	struct view_member *vms = calloc(n ? n : 1, sizeof *vms);
	if (!vms) {
		snprintf(err, err_len, "out of memory");
		yajl_tree_free(members);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct view_member vm;
		view_member_init(&vm, json_arr_at(members, i), o->all_segments);
		if (o->status_re && regexec(o->status_re, members_status_name(vm.status), 0, NULL, 0) != 0)
			continue;
		vms[shown++] = vm;
	}
	if (shown == 0) {
		free(vms);
		yajl_tree_free(members);
		return 2;
	}
	qsort(vms, shown, sizeof *vms, by_role_segment_name);
	struct table t;
	table_init(&t, o->detailed ? 4 : 9);
	if (o->detailed)
		table_add(&t, (const char *[]){"Node", "Address", "Status", "Tags"});
	else
		table_add(&t, (const char *[]){"Node", "Address", "Status", "Type", "Build", "Protocol", "DC",
					       "Partition", "Segment"});
	for (size_t i = 0; i < shown; i++)
		add_row(&t, &vms[i], o->detailed);
	table_print(&t, out);
	table_free(&t);
	free(vms);
	yajl_tree_free(members);
	return 0;
}
