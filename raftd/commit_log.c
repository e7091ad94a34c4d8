/* commit_log.c: the single-server commit path: a write-ahead log with one fsync per batch,
 * replay on open, and snapshots that bound the log (see commit_log.h). */
#include "commit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "daemon.h"
#include "fileio.h"
#include "log.h"
#include "store.h"

#define REC_HDR_LEN 24
/* Every entry is written in term 1: a lone server never holds an election. */
#define SINGLE_SERVER_TERM 1

struct proposal {
	char *cmd;
	size_t len;
	commit_done_cb cb;
	void *arg;
	struct proposal *next;
};

struct commit_log {
	struct store *store;
	char *dir;      /* NULL: memory only */
	char *wal_path; /* dir/wal.log */
	int wal_fd;
	uint64_t wal_bytes;
	uint64_t last_index;
	uint64_t since_snapshot; /* entries in the log after the snapshot */
	uint64_t snapshot_threshold;
	bool no_sync;
	struct proposal *head, *tail;
	size_t npending;
};

static void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* The checksum covers index, term and payload, so a record moved or misnumbered fails too. */
static uint32_t record_crc(const unsigned char *hdr, const char *payload, size_t len)
{
	return crc32c(crc32c(0, hdr + 8, 16), payload, len);
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Reads a whole file into out. Returns 0, -ENOENT when it does not exist, or -errno. */
static int read_file(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char chunk[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(out, chunk, (size_t)n) < 0) {
			rc = n < 0 ? -errno : -ENOMEM;
			break;
		}
	}
	close(fd);
	return rc;
}

static int load_snapshot(struct commit_log *cl, char *err, size_t err_len)
{
	char *path = path_join(cl->dir, "snapshot.json");
	struct buf b;
	buf_init(&b);
	int rc = read_file(path, &b);
	if (rc == -ENOENT) {
		rc = 0;
	} else if (rc < 0) {
		snprintf(err, err_len, "read %s: %s", path, strerror(-rc));
	} else {
		char why[256];
		rc = store_restore(cl->store, b.data ? b.data : "", b.len, why, sizeof why);
		if (rc < 0)
			snprintf(err, err_len, "%s: %s", path, why);
		else
			log_info("commit log: restored snapshot %s at index %" PRIu64, path, store_index(cl->store));
	}
	buf_free(&b);
	free(path);
	return rc;
}

/* Replays wal.log into the store; stops at the first record that is torn, corrupt or out of
 * sequence and cuts the file there, since nothing after it can be trusted. */
static int replay_wal(struct commit_log *cl, char *err, size_t err_len)
{
	struct stat st;
	if (fstat(cl->wal_fd, &st) < 0) {
		snprintf(err, err_len, "stat %s: %s", cl->wal_path, strerror(errno));
		return -errno;
	}
	uint64_t size = (uint64_t)st.st_size, off = 0, prev = 0, snap_index = store_index(cl->store);
	uint64_t applied = 0, skipped = 0;
	const char *why = NULL;
	struct buf payload, result;
	buf_init(&payload);
	buf_init(&result);
	while (off < size) {
		unsigned char hdr[REC_HDR_LEN];
		if (size - off < REC_HDR_LEN) {
			why = "torn record header";
			break;
		}
		if (pread(cl->wal_fd, hdr, REC_HDR_LEN, (off_t)off) != REC_HDR_LEN) {
			why = "short read";
			break;
		}
		uint32_t len = (uint32_t)get_be(hdr, 4), crc = (uint32_t)get_be(hdr + 4, 4);
		uint64_t index = get_be(hdr + 8, 8);
		if (len > COMMIT_LOG_MAX_CMD_BYTES) {
			why = "record length out of range";
			break;
		}
		if (size - off - REC_HDR_LEN < len) {
			why = "torn record payload";
			break;
		}
		buf_reset(&payload);
		if (buf_reserve(&payload, len + 1) < 0) {
			why = "out of memory";
			break;
		}
		if (pread(cl->wal_fd, payload.data, len, (off_t)(off + REC_HDR_LEN)) != (ssize_t)len) {
			why = "short read";
			break;
		}
		payload.len = len;
		if (record_crc(hdr, payload.data, len) != crc) {
			why = "checksum mismatch";
			break;
		}
		if ((prev && index != prev + 1) || (index > snap_index && index != cl->last_index + 1)) {
			why = "index out of sequence";
			break;
		}
		prev = index;
		off += REC_HDR_LEN + len;
		if (index <= snap_index) { /* already in the snapshot (a crash before truncation) */
			skipped++;
			continue;
		}
		buf_reset(&result);
		store_apply(cl->store, index, payload.data, len, &result);
		cl->last_index = index;
		applied++;
	}
	buf_free(&payload);
	buf_free(&result);
	if (why) {
		log_warnx("commit log %s: dropping %" PRIu64 " bytes at offset %" PRIu64 " after index %" PRIu64
			  ": %s",
			  cl->wal_path, size - off, off, cl->last_index, why);
		if (ftruncate(cl->wal_fd, (off_t)off) < 0 || fsync(cl->wal_fd) < 0) {
			snprintf(err, err_len, "truncate %s: %s", cl->wal_path, strerror(errno));
			return -errno;
		}
	}
	cl->wal_bytes = off;
	cl->since_snapshot = applied + skipped;
	if (applied || skipped)
		log_info("commit log: replayed %" PRIu64 " entries from %s, last index %" PRIu64, applied,
			 cl->wal_path, cl->last_index);
	return 0;
}

struct commit_log *commit_log_open(const struct commit_log_config *cfg, struct store *store, char *err,
				   size_t err_len)
{
	struct commit_log *cl = calloc(1, sizeof *cl);
	if (!cl)
		abort();
	cl->store = store;
	cl->wal_fd = -1;
	cl->snapshot_threshold = cfg->snapshot_threshold;
	cl->no_sync = cfg->no_sync;
	cl->last_index = store_index(store);
	if (!cfg->dir)
		return cl;
	cl->dir = strdup(cfg->dir);
	if (!cl->dir)
		abort();
	cl->wal_path = path_join(cl->dir, "wal.log");
	int rc = mkdir_p(cl->dir, 0700);
	if (rc < 0) {
		snprintf(err, err_len, "create %s: %s", cl->dir, strerror(-rc));
		goto fail;
	}
	if (load_snapshot(cl, err, err_len) < 0)
		goto fail;
	cl->last_index = store_index(store);
	cl->wal_fd = open(cl->wal_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (cl->wal_fd < 0) {
		snprintf(err, err_len, "open %s: %s", cl->wal_path, strerror(errno));
		goto fail;
	}
	if (replay_wal(cl, err, err_len) < 0)
		goto fail;
	return cl;
fail:
	commit_log_close(cl);
	return NULL;
}

static void fail_pending(struct commit_log *cl, struct proposal *p, const char *why)
{
	while (p) {
		struct proposal *next = p->next;
		if (p->cb)
			p->cb(p->arg, 0, 500, why, strlen(why));
		free(p->cmd);
		free(p);
		p = next;
	}
}

void commit_log_close(struct commit_log *cl)
{
	if (!cl)
		return;
	struct proposal *p = cl->head;
	cl->head = cl->tail = NULL;
	cl->npending = 0;
	fail_pending(cl, p, "commit log closed");
	if (cl->wal_fd >= 0)
		close(cl->wal_fd);
	free(cl->wal_path);
	free(cl->dir);
	free(cl);
}

int commit_log_propose(struct commit_log *cl, const char *cmd, size_t len, commit_done_cb cb, void *arg)
{
	if (len > COMMIT_LOG_MAX_CMD_BYTES)
		return -EMSGSIZE;
	struct proposal *p = calloc(1, sizeof *p);
	if (!p || !(p->cmd = malloc(len + 1)))
		abort();
	memcpy(p->cmd, cmd, len);
	p->cmd[len] = '\0';
	p->len = len;
	p->cb = cb;
	p->arg = arg;
	if (cl->tail)
		cl->tail->next = p;
	else
		cl->head = p;
	cl->tail = p;
	cl->npending++;
	return 0;
}

size_t commit_log_pending(const struct commit_log *cl)
{
	return cl->npending;
}

uint64_t commit_log_last_index(const struct commit_log *cl)
{
	return cl->last_index;
}

/* Appends the batch as one write and fsyncs it. On failure the file is cut back. */
static int append_batch(struct commit_log *cl, const struct proposal *batch)
{
	struct buf out;
	buf_init(&out);
	uint64_t index = cl->last_index;
	int rc = 0;
	for (const struct proposal *p = batch; p; p = p->next) {
		unsigned char hdr[REC_HDR_LEN];
		put_be32(hdr, (uint32_t)p->len);
		put_be64(hdr + 8, ++index);
		put_be64(hdr + 16, SINGLE_SERVER_TERM);
		put_be32(hdr + 4, record_crc(hdr, p->cmd, p->len));
		if (buf_append(&out, hdr, sizeof hdr) < 0 || buf_append(&out, p->cmd, p->len) < 0) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = write_all(cl->wal_fd, out.data, out.len);
	if (!rc && !cl->no_sync && fdatasync(cl->wal_fd) < 0)
		rc = -errno;
	if (rc) {
		log_warnx("commit log %s: append of %zu bytes failed: %s", cl->wal_path, out.len, strerror(-rc));
		if (ftruncate(cl->wal_fd, (off_t)cl->wal_bytes) < 0)
			log_warn("commit log %s: cut back to %" PRIu64 " bytes", cl->wal_path, cl->wal_bytes);
		goto out;
	}
	cl->wal_bytes += out.len;
out:
	buf_free(&out);
	return rc;
}

int commit_log_flush(struct commit_log *cl)
{
	struct proposal *batch = cl->head;
	if (!batch)
		return 0;
	/* Callbacks may propose again: those start the next batch. */
	cl->head = cl->tail = NULL;
	cl->npending = 0;
	if (cl->wal_fd >= 0) {
		int rc = append_batch(cl, batch);
		if (rc < 0) {
			fail_pending(cl, batch, "commit log write failed");
			return rc;
		}
	}
	int applied = 0;
	struct buf result;
	buf_init(&result);
	while (batch) {
		struct proposal *p = batch;
		batch = p->next;
		buf_reset(&result);
		uint64_t index = ++cl->last_index;
		int status = store_apply(cl->store, index, p->cmd, p->len, &result);
		if (p->cb)
			p->cb(p->arg, index, status, result.data ? result.data : "", result.len);
		free(p->cmd);
		free(p);
		applied++;
	}
	buf_free(&result);
	cl->since_snapshot += (uint64_t)applied;
	if (cl->dir && cl->snapshot_threshold && cl->since_snapshot >= cl->snapshot_threshold)
		commit_log_snapshot(cl);
	return applied;
}

int commit_log_snapshot(struct commit_log *cl)
{
	if (!cl->dir)
		return 0;
	char *path = path_join(cl->dir, "snapshot.json");
	struct buf b;
	buf_init(&b);
	int rc = store_snapshot(cl->store, &b);
	if (rc == 0)
		rc = file_write_atomic(path, b.data, b.len);
	if (rc)
		goto out;
	/* The snapshot now holds every entry: the log can go. A crash before this line only
	 * leaves entries that replay skips (index <= snapshot index). */
	if (ftruncate(cl->wal_fd, 0) < 0 || fsync(cl->wal_fd) < 0) {
		rc = -errno;
		goto out;
	}
	log_info("commit log: snapshot at index %" PRIu64 " (%zu bytes), log truncated after %" PRIu64 " entries",
		 store_index(cl->store), b.len, cl->since_snapshot);
	cl->wal_bytes = 0;
	cl->since_snapshot = 0;
out:
	if (rc)
		log_warnx("commit log: snapshot to %s failed: %s; keeping the log", path, strerror(-rc));
	buf_free(&b);
	free(path);
	return rc;
}
