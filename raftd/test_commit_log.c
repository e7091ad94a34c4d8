/* test_commit_log.c: the write-ahead log keeps what it acknowledged, and only that: replay
 * after reopen, torn and corrupt tails dropped, snapshots that truncate the log. */
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

#include "buf.h"
#include "commit_log.h"
#include "store.h"

static char dir[64];
static char wal[96];

struct seen {
	uint64_t index[16];
	int status[16];
	size_t n;
};

static void on_done(void *arg, uint64_t index, int status, const char *body, size_t len)
{
	struct seen *s = arg;
	if (s->n < 16) {
		s->index[s->n] = index;
		s->status[s->n] = status;
	}
	s->n++;
}

static int setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/test_commit_log.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(wal, sizeof wal, "%s/wal.log", dir);
	return 0;
}

static int teardown(void **state)
{
	char path[128];
	snprintf(path, sizeof path, "%s/wal.log", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/snapshot.json", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void propose(struct commit_log *cl, const char *cmd, struct seen *seen)
{
	assert_int_equal(commit_log_propose(cl, cmd, strlen(cmd), on_done, seen), 0);
}

static struct commit_log *open_log(struct store *s, uint64_t threshold)
{
	char err[256] = "";
	struct commit_log_config cc = {.dir = dir, .snapshot_threshold = threshold};
	struct commit_log *cl = commit_log_open(&cc, s, err, sizeof err);
	if (!cl)
		fail_msg("open: %s", err);
	return cl;
}

static char *snapshot_of(const struct store *s)
{
	struct buf b;
	buf_init(&b);
	store_snapshot(s, &b);
	return buf_steal(&b, NULL);
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Five KV puts, flushed as one batch; returns the store's snapshot text. */
static char *write_five(void)
{
	struct store *s = store_new();
	struct commit_log *cl = open_log(s, 0);
	struct seen seen = {0};
	char cmd[128];
	for (int i = 1; i <= 5; i++) {
		snprintf(cmd, sizeof cmd, "{\"Op\":\"kv_set\",\"Key\":\"k%d\",\"Value\":\"dg==\"}", i);
		propose(cl, cmd, &seen);
	}
	assert_int_equal(commit_log_pending(cl), 5);
	assert_int_equal(seen.n, 0); /* nothing is acknowledged before the flush */
	assert_int_equal(commit_log_flush(cl), 5);
	assert_int_equal(seen.n, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(seen.index[i], (uint64_t)i + 1);
		assert_int_equal(seen.status[i], 200);
	}
	assert_int_equal(store_index(s), 5);
	char *snap = snapshot_of(s);
	commit_log_close(cl);
	store_free(s);
	return snap;
}

static void test_write_reopen_replay(void **state)
{
	char *before = write_five();
	struct store *s = store_new();
	struct commit_log *cl = open_log(s, 0);
	char *after = snapshot_of(s);
	assert_string_equal(before, after);
	assert_int_equal(commit_log_last_index(cl), 5);
	/* the next entry continues the sequence */
	struct seen seen = {0};
	propose(cl, "{\"Op\":\"kv_delete\",\"Key\":\"k1\"}", &seen);
	commit_log_flush(cl);
	assert_int_equal(seen.index[0], 6);
	commit_log_close(cl);
	store_free(s);
	free(before);
	free(after);
}

static void test_torn_tail_dropped(void **state)
{
	free(write_five());
	off_t full = file_size(wal);
	assert_int_equal(truncate(wal, full - 3), 0);
	struct store *s = store_new();
	struct commit_log *cl = open_log(s, 0);
	assert_int_equal(store_index(s), 4);
	struct buf b;
	buf_init(&b);
	assert_int_equal(store_kv_get(s, "k5", KV_GET_ONE, NULL, &b), 404);
	assert_int_equal(store_kv_get(s, "k4", KV_GET_ONE, NULL, &b), 200);
	/* the torn record is cut off the file, and index 5 is written again cleanly */
	assert_true(file_size(wal) < full - 3);
	struct seen seen = {0};
	propose(cl, "{\"Op\":\"kv_set\",\"Key\":\"again\"}", &seen);
	commit_log_flush(cl);
	assert_int_equal(seen.index[0], 5);
	commit_log_close(cl);
	store_free(s);
	s = store_new();
	cl = open_log(s, 0);
	assert_int_equal(store_index(s), 5);
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "again", KV_GET_ONE, NULL, &b), 200);
	commit_log_close(cl);
	store_free(s);
	buf_free(&b);
}

static void test_flipped_byte_dropped(void **state)
{
	free(write_five());
	off_t full = file_size(wal);
	FILE *f = fopen(wal, "r+b");
	assert_non_null(f);
	/* a byte inside the last record's payload */
	fseek(f, (long)(full - 5), SEEK_SET);
	int c = fgetc(f);
	fseek(f, (long)(full - 5), SEEK_SET);
	fputc(c ^ 0x20, f);
	fclose(f);
	struct store *s = store_new();
	struct commit_log *cl = open_log(s, 0);
	assert_int_equal(store_index(s), 4);
	struct buf b;
	buf_init(&b);
	assert_int_equal(store_kv_get(s, "k5", KV_GET_ONE, NULL, &b), 404);
	buf_free(&b);
	commit_log_close(cl);
	store_free(s);
}

static void test_snapshot_truncates_and_restores(void **state)
{
	struct store *s = store_new();
	struct commit_log *cl = open_log(s, 4);
	struct seen seen = {0};
	char cmd[160];
	for (int i = 1; i <= 6; i++) {
		snprintf(cmd, sizeof cmd,
			 "{\"Op\":\"register\",\"Node\":\"n%d\",\"Address\":\"10.0.0.%d\",\"Service\":{\"Service\":\"web\"}}",
			 i, i);
		propose(cl, cmd, &seen);
		commit_log_flush(cl); /* one entry per batch: the snapshot comes after the 4th */
	}
	char snap_path[128];
	snprintf(snap_path, sizeof snap_path, "%s/snapshot.json", dir);
	assert_true(file_size(snap_path) > 0);
	off_t two_entries = file_size(wal);
	assert_true(two_entries > 0);
	char *before = snapshot_of(s);
	commit_log_close(cl);
	store_free(s);

	s = store_new();
	cl = open_log(s, 4);
	char *after = snapshot_of(s);
	assert_string_equal(before, after);
	assert_int_equal(store_index(s), 6);
	assert_int_equal(commit_log_last_index(cl), 6);
	/* snapshot on demand empties the log, and the state still comes back */
	assert_int_equal(commit_log_snapshot(cl), 0);
	assert_int_equal(file_size(wal), 0);
	commit_log_close(cl);
	store_free(s);
	s = store_new();
	cl = open_log(s, 4);
	char *again = snapshot_of(s);
	assert_string_equal(before, again);
	commit_log_close(cl);
	store_free(s);
	free(before);
	free(after);
	free(again);
}

static void test_memory_only(void **state)
{
	struct store *s = store_new();
	char err[64];
	struct commit_log_config cc = {.dir = NULL, .snapshot_threshold = 1};
	struct commit_log *cl = commit_log_open(&cc, s, err, sizeof err);
	assert_non_null(cl);
	struct seen seen = {0};
	propose(cl, "{\"Op\":\"kv_set\",\"Key\":\"a\"}", &seen);
	propose(cl, "{\"Op\":\"kv_set\"}", &seen); /* rejected by the store, still answered */
	assert_int_equal(commit_log_flush(cl), 2);
	assert_int_equal(seen.status[0], 200);
	assert_int_equal(seen.status[1], 400);
	assert_int_equal(store_index(s), 2);
	assert_int_equal(file_size(wal), -1);
	commit_log_close(cl);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_reopen_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_truncates_and_restores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
