/* test_snapshot_file.c: the snapshot file codec (common/snapshot_file.h): what save writes,
 * restore and inspect read back; every damaged file is refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "snapshot_file.h"

static const char state_json[] = "{\"Index\":12,\"Nodes\":[],\"KV\":[]}";

static void make(struct buf *f)
{
	buf_init(f);
	struct snapshot_meta m = {.index = 12, .term = 3, .created_ms = 1477944140022ull};
	assert_int_equal(snapshot_file_encode(f, &m, state_json, sizeof state_json - 1), 0);
}

static int decode(const struct buf *f, size_t len, struct snapshot_meta *m, char *err, size_t err_len)
{
	const char *state;
	size_t state_len;
	return snapshot_file_decode((const uint8_t *)f->data, len, m, &state, &state_len, err, err_len);
}

static void test_roundtrip(void **unused)
{
	struct buf f;
	make(&f);
	assert_int_equal(f.len, SNAPSHOT_FILE_HDR_LEN + sizeof state_json - 1 + SNAPSHOT_FILE_CRC_LEN);
	assert_memory_equal(f.data, "consnap\n", 8);
	struct snapshot_meta m;
	const char *state;
	size_t state_len;
	char err[256];
	assert_int_equal(snapshot_file_decode((const uint8_t *)f.data, f.len, &m, &state, &state_len, err, sizeof err),
			 0);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.index, 12);
	assert_int_equal(m.term, 3);
	assert_int_equal(m.size, sizeof state_json - 1);
	assert_int_equal(state_len, sizeof state_json - 1);
	assert_memory_equal(state, state_json, state_len);
	char id[64];
	snapshot_file_id(&m, id, sizeof id);
	assert_string_equal(id, "3-12-1477944140022");
	buf_free(&f);
}

/* Every single flipped bit of the file is caught (by the magic, the version, the lengths or
 * the checksum). */
static void test_every_bit_flip_refused(void **unused)
{
	struct buf f;
	make(&f);
	char err[256];
	struct snapshot_meta m;
	for (size_t i = 0; i < f.len * 8; i++) {
		f.data[i / 8] ^= (char)(1 << (i % 8));
		assert_int_not_equal(decode(&f, f.len, &m, err, sizeof err), 0);
		assert_true(err[0] != '\0');
		f.data[i / 8] ^= (char)(1 << (i % 8));
	}
	/* a byte of the state: the checksum says so */
	f.data[SNAPSHOT_FILE_HDR_LEN + 3] ^= 1;
	assert_int_not_equal(decode(&f, f.len, &m, err, sizeof err), 0);
	assert_non_null(strstr(err, "checksum mismatch"));
	buf_free(&f);
}

static void test_truncated_and_trailing(void **unused)
{
	struct buf f;
	make(&f);
	char err[256];
	struct snapshot_meta m;
	for (size_t len = 0; len < f.len; len++)
		assert_int_not_equal(decode(&f, len, &m, err, sizeof err), 0);
	assert_int_not_equal(decode(&f, f.len - 7, &m, err, sizeof err), 0);
	assert_non_null(strstr(err, "truncated"));
	assert_int_not_equal(decode(&f, 20, &m, err, sizeof err), 0);
	assert_non_null(strstr(err, "truncated"));
	buf_append(&f, "xx", 2);
	assert_int_not_equal(decode(&f, f.len, &m, err, sizeof err), 0);
	assert_non_null(strstr(err, "trailing"));
	buf_free(&f);
}

static void test_not_a_snapshot(void **unused)
{
	struct buf f;
	buf_init(&f);
	buf_append_str(&f, "{\"Index\":1}");
	char err[256];
	struct snapshot_meta m;
	assert_int_not_equal(decode(&f, f.len, &m, err, sizeof err), 0);
	assert_non_null(strstr(err, "not a snapshot"));
	buf_free(&f);
	/* another version of the format */
	make(&f);
	f.data[11] = 2;
	assert_int_not_equal(decode(&f, f.len, &m, err, sizeof err), 0);
	assert_non_null(strstr(err, "unsupported snapshot version 2"));
	buf_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_every_bit_flip_refused),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_not_a_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
