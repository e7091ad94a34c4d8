/* test_raft_storage.c: the Raft log on disk gives back what was synced, cuts a torn tail,
 * replaces a conflicting suffix, rolls and compacts segments, and refuses to start on
 * corruption it cannot repair. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "raft_storage.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/test_raft_storage.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char p[512];
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

static struct raft_storage *open_ok(uint64_t seg_bytes, struct raft_storage_state *st)
{
	char err[512] = "";
	struct raft_storage_options o = {.dir = dir, .segment_bytes = seg_bytes};
	struct raft_storage *s = raft_storage_open(&o, st, err, sizeof err);
	if (!s)
		fail_msg("open: %s", err);
	return s;
}

static void open_refused(const char *must_mention)
{
	char err[512] = "";
	struct raft_storage_state st;
	struct raft_storage_options o = {.dir = dir};
	assert_null(raft_storage_open(&o, &st, err, sizeof err));
	if (!strstr(err, must_mention))
		fail_msg("error \"%s\" does not mention \"%s\"", err, must_mention);
	assert_non_null(strstr(err, "remove")); /* says what to do */
}

/* Appends entries [from, to] in term, each holding "e<index>". */
static void append_range(struct raft_storage *s, uint64_t from, uint64_t to, uint64_t term)
{
	struct raft_entry e[64];
	char data[64][24];
	assert_true(to - from < 64);
	for (uint64_t i = from; i <= to; i++) {
		size_t k = (size_t)(i - from);
		int n = snprintf(data[k], sizeof data[k], "e%llu", (unsigned long long)i);
		e[k] = (struct raft_entry){.index = i, .term = term, .type = RAFT_ENTRY_NORMAL, .len = (uint32_t)n,
					   .data = (unsigned char *)data[k]};
	}
	/* One append per entry (a segment rolls between appends), one fsync for them all. */
	for (uint64_t i = from; i <= to; i++)
		assert_int_equal(raft_storage_append(s, &e[i - from], 1), 0);
	assert_int_equal(raft_storage_sync(s), 0);
}

static void expect_entries(const struct raft_storage_state *st, uint64_t first, uint64_t last)
{
	assert_int_equal(st->n_entries, last - first + 1);
	for (size_t i = 0; i < st->n_entries; i++) {
		char want[24];
		snprintf(want, sizeof want, "e%llu", (unsigned long long)(first + i));
		assert_int_equal(st->entries[i].index, first + i);
		assert_int_equal(st->entries[i].len, strlen(want));
		assert_memory_equal(st->entries[i].data, want, strlen(want));
	}
}

static char *segment_file(int nth)
{
	static char p[512];
	char names[32][300];
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d)) && n < 32)
		if (!strncmp(de->d_name, "seg-", 4))
			snprintf(names[n++], sizeof names[0], "%s", de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
	if (nth < 0)
		nth += n;
	assert_true(nth >= 0 && nth < n);
	snprintf(p, sizeof p, "%s/%s", dir, names[nth]);
	return p;
}

static off_t file_size(const char *p)
{
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	return sb.st_size;
}

static void flip_byte(const char *p, off_t at)
{
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	unsigned char c;
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x40;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static void test_round_trip(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(0, &st);
	assert_int_equal(st.n_entries, 0);
	assert_false(st.has_snapshot);
	append_range(s, 1, 10, 1);
	struct raft_hard_state hs = {.term = 3, .vote = 7, .commit = 5};
	assert_int_equal(raft_storage_set_hard_state(s, &hs), 0);
	raft_storage_close(s);

	s = open_ok(0, &st);
	expect_entries(&st, 1, 10);
	assert_int_equal(st.hard_state.term, 3);
	assert_int_equal(st.hard_state.vote, 7);
	assert_int_equal(st.hard_state.commit, 5);
	assert_int_equal(raft_storage_last_index(s), 10);
	raft_storage_state_free(&st);
	append_range(s, 11, 12, 3); /* appending after a reopen continues the same file */
	raft_storage_close(s);
	s = open_ok(0, &st);
	expect_entries(&st, 1, 12);
	raft_storage_state_free(&st);
	raft_storage_close(s);
}

static void test_torn_tail_dropped(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(0, &st);
	append_range(s, 1, 5, 1);
	raft_storage_close(s);
	const char *seg = segment_file(-1);
	assert_int_equal(truncate(seg, file_size(seg) - 3), 0); /* a crash in the middle of a write */

	s = open_ok(0, &st);
	expect_entries(&st, 1, 4);
	assert_true(st.dropped_bytes > 0);
	raft_storage_state_free(&st);
	append_range(s, 5, 6, 2); /* the log goes on where the good part ended */
	raft_storage_close(s);
	s = open_ok(0, &st);
	expect_entries(&st, 1, 6);
	assert_int_equal(st.entries[5].term, 2);
	assert_int_equal(st.dropped_bytes, 0);
	raft_storage_state_free(&st);
	raft_storage_close(s);
}

static void test_corrupt_tail_record_dropped(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(0, &st);
	append_range(s, 1, 5, 1);
	raft_storage_close(s);
	const char *seg = segment_file(-1);
	flip_byte(seg, file_size(seg) - 1); /* last record's payload */
	s = open_ok(0, &st);
	expect_entries(&st, 1, 4);
	raft_storage_state_free(&st);
	raft_storage_close(s);
}

static void test_conflicting_suffix_replaced(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(100, &st); /* tiny segments: a few records each */
	append_range(s, 1, 20, 1);
	size_t before = raft_storage_segments(s);
	assert_true(before > 3);
	append_range(s, 8, 9, 2); /* a new leader overwrote from 8 */
	assert_int_equal(raft_storage_last_index(s), 9);
	assert_true(raft_storage_segments(s) < before);
	raft_storage_close(s);

	s = open_ok(100, &st);
	expect_entries(&st, 1, 9);
	assert_int_equal(st.entries[6].term, 1);
	assert_int_equal(st.entries[7].term, 2);
	assert_int_equal(st.entries[8].term, 2);
	raft_storage_state_free(&st);
	raft_storage_close(s);
}

static void test_middle_corruption_refused(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(100, &st);
	append_range(s, 1, 20, 1);
	raft_storage_close(s);
	flip_byte(segment_file(0), 30);
	open_refused("seg-00000000000000000001.log is corrupt");
}

static void test_missing_segment_refused(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(100, &st);
	append_range(s, 1, 20, 1);
	raft_storage_close(s);
	assert_int_equal(unlink(segment_file(1)), 0);
	open_refused("entries are missing");
}

static struct raft_snapshot snap_at(uint64_t index, uint64_t term, const char *data)
{
	struct raft_snapshot sn = {.index = index, .term = term, .data = (const unsigned char *)data,
				   .len = strlen(data)};
	sn.config.n = 1;
	sn.config.servers[0].id = 42;
	snprintf(sn.config.servers[0].addr, RAFT_ADDR_MAX, "127.0.0.1:8300");
	return sn;
}

static void test_snapshot_and_compaction(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(100, &st);
	append_range(s, 1, 30, 1);
	size_t before = raft_storage_segments(s);
	struct raft_snapshot sn = snap_at(25, 1, "{\"state\":1}");
	assert_int_equal(raft_storage_save_snapshot(s, &sn, false), 0);
	int deleted = raft_storage_compact(s, 20); /* trailing logs: keep 20.. */
	assert_true(deleted > 0);
	assert_int_equal(raft_storage_segments(s), before - (size_t)deleted);
	raft_storage_close(s);

	s = open_ok(100, &st);
	assert_true(st.has_snapshot);
	assert_int_equal(st.snapshot.index, 25);
	assert_int_equal(st.snapshot.term, 1);
	assert_int_equal(st.snapshot.len, strlen("{\"state\":1}"));
	assert_memory_equal(st.snapshot.data, "{\"state\":1}", st.snapshot.len);
	assert_int_equal(st.snapshot.config.n, 1);
	assert_int_equal(st.snapshot.config.servers[0].id, 42);
	assert_true(st.n_entries > 0 && st.entries[0].index <= 20);
	assert_int_equal(st.entries[st.n_entries - 1].index, 30);
	raft_storage_state_free(&st);
	raft_storage_close(s);
}

static void test_snapshot_install_resets_log(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(0, &st);
	append_range(s, 1, 5, 1);
	struct raft_snapshot sn = snap_at(50, 4, "{}");
	assert_int_equal(raft_storage_save_snapshot(s, &sn, true), 0);
	assert_int_equal(raft_storage_last_index(s), 50);
	append_range(s, 51, 52, 4);
	raft_storage_close(s);
	s = open_ok(0, &st);
	assert_int_equal(st.snapshot.index, 50);
	expect_entries(&st, 51, 52);
	raft_storage_state_free(&st);
	raft_storage_close(s);
}

static void test_obsolete_log_after_install_crash(void **state)
{
	/* A crash after the installed snapshot was written but before the old log was removed:
	 * the old log disagrees with the snapshot and is dropped. */
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(0, &st);
	append_range(s, 1, 8, 1);
	raft_storage_close(s);
	s = open_ok(0, &st);
	raft_storage_state_free(&st);
	struct raft_snapshot sn = snap_at(6, 3, "{}"); /* index 6 was term 1 here */
	assert_int_equal(raft_storage_save_snapshot(s, &sn, false), 0);
	raft_storage_close(s);
	s = open_ok(0, &st);
	assert_int_equal(st.snapshot.index, 6);
	assert_int_equal(st.n_entries, 0);
	raft_storage_state_free(&st);
	raft_storage_close(s);
}

static void test_corrupt_snapshot_refused(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(0, &st);
	append_range(s, 1, 3, 1);
	struct raft_snapshot sn = snap_at(3, 1, "{\"a\":\"some state\"}");
	assert_int_equal(raft_storage_save_snapshot(s, &sn, false), 0);
	raft_storage_close(s);
	char p[512];
	snprintf(p, sizeof p, "%s/snapshot", dir);
	flip_byte(p, file_size(p) - 8);
	open_refused("snapshot");
	assert_int_equal(truncate(p, file_size(p) - 2), 0);
	open_refused("is corrupt");
}

static void test_corrupt_state_refused(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(0, &st);
	struct raft_hard_state hs = {.term = 9, .vote = 1};
	assert_int_equal(raft_storage_set_hard_state(s, &hs), 0);
	raft_storage_close(s);
	char p[512];
	snprintf(p, sizeof p, "%s/state", dir);
	flip_byte(p, 7);
	open_refused("term and vote");
}

static void test_log_without_its_start_refused(void **state)
{
	struct raft_storage_state st;
	struct raft_storage *s = open_ok(100, &st);
	append_range(s, 1, 20, 1);
	raft_storage_close(s);
	assert_int_equal(unlink(segment_file(0)), 0); /* no snapshot covers the start */
	open_refused("entries are missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_tail_record_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflicting_suffix_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_middle_corruption_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_segment_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_and_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_install_resets_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_obsolete_log_after_install_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_snapshot_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_state_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_without_its_start_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
