/* fuzz_store_cmd.c: store_check and store_apply on arbitrary bytes must never crash, and a
 * command the dry run rejects must be rejected by the real run too. Inputs may hold several
 * commands separated by newlines, so sequences (register then deregister, put then cas) run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *s = store_new();
	struct buf res, out;
	buf_init(&res);
	buf_init(&out);
	const char *p = (const char *)data, *end = p + size;
	uint64_t index = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool changes;
		buf_reset(&res);
		int dry = store_check(s, p, len, &res, &changes);
		buf_reset(&res);
		int real = store_apply(s, ++index, p, len, &res);
		if ((dry == 200) != (real == 200))
			abort();
		p += len + (nl ? 1 : 0);
	}
	/* every read must render whatever the commands left behind */
	store_catalog_nodes(s, &out);
	store_catalog_services(s, &out);
	store_catalog_service(s, "web", NULL, &out);
	store_health_service(s, "web", &(struct store_tags){(const char *const[]){"v1"}, 1}, true, &out);
	store_health_state(s, "any", &out);
	store_catalog_dump(s, &out);
	store_kv_get(s, "", KV_GET_KEYS, "/", &out);
	store_kv_get(s, "", KV_GET_RECURSE, NULL, &out);
	buf_reset(&out);
	store_snapshot(s, &out);
	struct store *copy = store_new();
	char err[256];
	if (store_restore(copy, out.data, out.len, err, sizeof err) < 0)
		abort(); /* a snapshot of any reachable state must restore */
	store_free(copy);
	store_free(s);
	buf_free(&res);
	buf_free(&out);
	return 0;
}
