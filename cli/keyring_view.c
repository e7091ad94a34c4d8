/* keyring_view.c: Consul's keyring list format (command/keyring in Consul's sources). */
#include "keyring_view.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static bool is_default_partition(const char *p)
{
	return !p || !*p || strcmp(p, "default") == 0;
}

/* Indexes of obj's members sorted by key (Go's maps print in no order; sorted is one). */
static size_t *sorted_keys(yajl_val obj, size_t *n)
{
	*n = json_obj_len(obj);
	size_t *idx = calloc(*n ? *n : 1, sizeof *idx);
	if (!idx) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		size_t j = i;
		for (; j > 0 && strcmp(json_obj_key(obj, idx[j - 1]), json_obj_key(obj, i)) > 0; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	return idx;
}

static void print_pool(yajl_val r, bool primary, FILE *out)
{
	const char *dc = json_str(json_get(r, "Datacenter"));
	const char *segment = json_str(json_get(r, "Segment"));
	const char *partition = json_str(json_get(r, "Partition"));
	int64_t total = 0;
	json_i64(json_get(r, "NumNodes"), &total);
	fputc('\n', out);
	if (json_is_true(json_get(r, "WAN")))
		fputs("WAN", out);
	else
		fprintf(out, "%s (LAN)", dc ? dc : "");
	if (segment && *segment)
		fprintf(out, " [%s]", segment);
	else if (!is_default_partition(partition))
		fprintf(out, " [partition: %s]", partition);
	fputs(":\n", out);

	size_t n;
	yajl_val messages = json_get(r, "Messages");
	size_t *idx = sorted_keys(messages, &n);
	for (size_t i = 0; i < n; i++) {
		const char *msg = json_str(json_obj_val(messages, idx[i]));
		fprintf(out, "  ===> %s: %s\n", json_obj_key(messages, idx[i]), msg ? msg : "");
	}
	free(idx);
	yajl_val keys = json_get(r, primary ? "PrimaryKeys" : "Keys");
	idx = sorted_keys(keys, &n);
	for (size_t i = 0; i < n; i++) {
		int64_t count = 0;
		json_i64(json_obj_val(keys, idx[i]), &count);
		fprintf(out, "  %s [%lld/%lld]\n", json_obj_key(keys, idx[i]), (long long)count, (long long)total);
	}
	free(idx);
}

int keyring_view(const char *body, size_t len, bool primary, FILE *out, char *err, size_t err_len)
{
	yajl_val responses = json_parse(body, len, err, err_len);
	if (!responses || !(YAJL_IS_ARRAY(responses) || YAJL_IS_NULL(responses))) {
		if (responses)
			snprintf(err, err_len, "unexpected response: not a list of keyring responses");
		yajl_tree_free(responses);
		return -1;
	}
	for (size_t i = 0; i < json_arr_len(responses); i++)
		print_pool(json_arr_at(responses, i), primary, out);
	yajl_tree_free(responses);
	return 0;
}
