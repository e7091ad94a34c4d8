/* raft_storage.c: the Raft log, hard state and snapshot on disk (see raft_storage.h). */
#include "raft_storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "byteorder.h"
#include "crc32c.h"
#include "fileio.h"
#include "log.h"

#define REC_HDR_LEN 25
#define STATE_LEN 28
#define SNAP_MAGIC "RAFTSNP1"
#define SNAP_MAGIC_LEN 8

struct segment {
	uint64_t first; /* index its name carries: its first record's */
	uint64_t last;  /* first - 1 while empty */
	uint64_t bytes;
};

struct raft_storage {
	char *dir;
	uint64_t segment_bytes;
	bool no_sync;
	struct segment *segs; /* in index order; the last one is the active one */
	size_t n_segs, cap_segs;
	int fd;           /* the active segment, -1: none open */
	uint64_t last;    /* last index on disk (the snapshot's when the log is empty) */
	uint64_t snap_index, snap_term;
	bool dirty;       /* appended since the last fsync */
	struct buf wbuf;  /* one batch of encoded records */
};

/* ---- encoding ---- */


/* The checksum covers index, term, type and payload: a record moved or renumbered fails. */
static uint32_t record_crc(const unsigned char *hdr, const unsigned char *payload, size_t len)
{
	return crc32c(crc32c(0, hdr + 8, REC_HDR_LEN - 8), payload, len);
}

static int encode_record(struct buf *out, const struct raft_entry *e)
{
	unsigned char hdr[REC_HDR_LEN];
	put_be(hdr, e->len, 4);
	put_be(hdr + 8, e->index, 8);
	put_be(hdr + 16, e->term, 8);
	hdr[24] = e->type;
	put_be(hdr + 4, record_crc(hdr, e->data, e->len), 4);
	if (buf_append(out, (const char *)hdr, sizeof hdr) < 0 ||
	    (e->len && buf_append(out, (const char *)e->data, e->len) < 0))
		return -ENOMEM;
	return 0;
}

/* Decodes the record at p[0..avail). Returns its size, 0 when torn (not all there), or -1
 * when it is corrupt. */
static ssize_t decode_record(const unsigned char *p, size_t avail, struct raft_entry *e, const char **why)
{
	if (avail < REC_HDR_LEN) {
		*why = "torn record header";
		return 0;
	}
	uint32_t len = (uint32_t)get_be(p, 4);
	if (len > RAFT_MAX_ENTRY_BYTES) {
		*why = "record length out of range";
		return -1;
	}
	if (avail - REC_HDR_LEN < len) {
		*why = "torn record payload";
		return 0;
	}
	if (record_crc(p, p + REC_HDR_LEN, len) != (uint32_t)get_be(p + 4, 4)) {
		*why = "checksum mismatch";
		return -1;
	}
	if (p[24] > RAFT_ENTRY_CONFIG) {
		*why = "unknown entry type";
		return -1;
	}
	*e = (struct raft_entry){.len = len, .index = get_be(p + 8, 8), .term = get_be(p + 16, 8), .type = p[24],
				 .data = (unsigned char *)p + REC_HDR_LEN};
	return REC_HDR_LEN + (ssize_t)len;
}

/* ---- files ---- */

static char *path_of(const struct raft_storage *s, const char *name)
{
	size_t n = strlen(s->dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", s->dir, name);
	return p;
}

static void seg_name(char *out, size_t len, uint64_t first)
{
	snprintf(out, len, "seg-%020" PRIu64 ".log", first);
}

static char *seg_path(const struct raft_storage *s, uint64_t first)
{
	char name[64];
	seg_name(name, sizeof name, first);
	return path_of(s, name);
}

/* Reads a whole file. Returns 0, or -errno (-ENOENT when it does not exist). */
static int slurp(const char *path, struct buf *out)
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

static int sync_dir(const struct raft_storage *s)
{
	return s->no_sync ? 0 : fsync_dir(s->dir);
}

/* Writes name.tmp from the pieces, fsyncs it (unless no_sync), renames it over name. */
static int replace_file(const struct raft_storage *s, const char *name, const void *const *parts,
			const size_t *lens, size_t n_parts)
{
	char *path = path_of(s, name);
	size_t tlen = strlen(path) + 5;
	char *tmp = malloc(tlen);
	if (!tmp)
		abort();
	snprintf(tmp, tlen, "%s.tmp", path);
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		rc = -errno;
	for (size_t i = 0; rc == 0 && i < n_parts; i++)
		rc = write_all(fd, parts[i], lens[i]);
	if (rc == 0 && !s->no_sync && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc == 0)
		rc = sync_dir(s);
	if (rc < 0) {
		log_warnx("raft storage: write %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	free(tmp);
	free(path);
	return rc;
}

/* ---- segments ---- */

static struct segment *active(struct raft_storage *s)
{
	return s->n_segs ? &s->segs[s->n_segs - 1] : NULL;
}

static void push_segment(struct raft_storage *s, uint64_t first, uint64_t last, uint64_t bytes)
{
	if (s->n_segs == s->cap_segs) {
		s->cap_segs = s->cap_segs ? 2 * s->cap_segs : 8;
		s->segs = realloc(s->segs, s->cap_segs * sizeof *s->segs);
		if (!s->segs)
			abort();
	}
	s->segs[s->n_segs++] = (struct segment){.first = first, .last = last, .bytes = bytes};
}

static void close_active(struct raft_storage *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Removes the segment at position i (the last one or the first one). */
static int unlink_segment(struct raft_storage *s, size_t i)
{
	char *p = seg_path(s, s->segs[i].first);
	int rc = unlink(p) < 0 && errno != ENOENT ? -errno : 0;
	if (rc < 0)
		log_warnx("raft storage: unlink %s: %s", p, strerror(-rc));
	free(p);
	if (rc < 0)
		return rc;
	if (i == s->n_segs - 1)
		close_active(s);
	memmove(&s->segs[i], &s->segs[i + 1], (s->n_segs - i - 1) * sizeof *s->segs);
	s->n_segs--;
	return 0;
}

static int open_active(struct raft_storage *s, bool create)
{
	struct segment *seg = active(s);
	char *p = seg_path(s, seg->first);
	s->fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600);
	int rc = s->fd < 0 ? -errno : 0;
	if (rc < 0)
		log_warnx("raft storage: open %s: %s", p, strerror(-rc));
	free(p);
	if (rc == 0 && create)
		rc = sync_dir(s);
	return rc;
}

/* Starts a new segment whose first record will be `first`, after making the current one
 * durable (a later fsync only covers the active segment). */
static int new_segment(struct raft_storage *s, uint64_t first)
{
	if (s->fd >= 0 && s->dirty && !s->no_sync && fdatasync(s->fd) < 0)
		return -errno;
	close_active(s);
	push_segment(s, first, first - 1, 0);
	int rc = open_active(s, true);
	if (rc < 0)
		s->n_segs--;
	return rc;
}

/* Finds the byte offset of record `index` in the active segment. */
static int offset_of(struct raft_storage *s, uint64_t index, uint64_t *off)
{
	struct segment *seg = active(s);
	char *p = seg_path(s, seg->first);
	struct buf b;
	buf_init(&b);
	int rc = slurp(p, &b);
	uint64_t at = 0;
	const char *why = NULL;
	while (rc == 0) {
		struct raft_entry e;
		ssize_t n = decode_record((const unsigned char *)b.data + at, b.len - at, &e, &why);
		if (n <= 0) {
			rc = -EIO;
			log_warnx("raft storage: %s: index %" PRIu64 " not found (%s)", p, index, why);
			break;
		}
		if (e.index == index)
			break;
		at += (uint64_t)n;
	}
	*off = at;
	buf_free(&b);
	free(p);
	return rc;
}

/* Drops every entry from index on (a conflicting suffix): whole segments are unlinked, the
 * one holding index is cut there. */
static int truncate_from(struct raft_storage *s, uint64_t index)
{
	int rc = 0;
	bool unlinked = false;
	while (s->n_segs && active(s)->first >= index) {
		if ((rc = unlink_segment(s, s->n_segs - 1)) < 0)
			return rc;
		unlinked = true;
	}
	struct segment *seg = active(s);
	if (seg && seg->last >= index) {
		uint64_t off;
		if ((rc = offset_of(s, index, &off)) < 0)
			return rc;
		char *p = seg_path(s, seg->first);
		if (truncate(p, (off_t)off) < 0)
			rc = -errno;
		free(p);
		if (rc < 0)
			return rc;
		seg->last = index - 1;
		seg->bytes = off;
		s->dirty = true;
	}
	if (seg && s->fd < 0 && (rc = open_active(s, false)) < 0)
		return rc;
	s->last = index - 1;
	return unlinked ? sync_dir(s) : 0;
}

static bool log_empty(const struct raft_storage *s)
{
	for (size_t i = 0; i < s->n_segs; i++)
		if (s->segs[i].last >= s->segs[i].first)
			return false;
	return true;
}

int raft_storage_append(struct raft_storage *s, const struct raft_entry *entries, size_t n)
{
	if (n == 0)
		return 0;
	uint64_t at = entries[0].index;
	int rc;
	if (at == 0)
		return -EINVAL;
	if (at <= s->last && (rc = truncate_from(s, at)) < 0)
		return rc;
	if (log_empty(s)) {
		/* The log starts over at `at` (a fresh log, or one replaced by a snapshot). */
		while (s->n_segs)
			if ((rc = unlink_segment(s, s->n_segs - 1)) < 0)
				return rc;
		s->last = at - 1;
	} else if (at != s->last + 1) {
		log_warnx("raft storage: append at %" PRIu64 " after %" PRIu64 " would leave a gap", at, s->last);
		return -EINVAL;
	}
	if ((!s->n_segs || active(s)->bytes >= s->segment_bytes) && (rc = new_segment(s, at)) < 0)
		return rc;
	buf_reset(&s->wbuf);
	for (size_t i = 0; i < n; i++) {
		if (entries[i].index != at + i)
			return -EINVAL;
		if ((rc = encode_record(&s->wbuf, &entries[i])) < 0)
			return rc;
	}
	if ((rc = write_all(s->fd, s->wbuf.data, s->wbuf.len)) < 0) {
		log_warnx("raft storage: write segment %" PRIu64 ": %s", active(s)->first, strerror(-rc));
		return rc;
	}
	active(s)->bytes += s->wbuf.len;
	active(s)->last = at + n - 1;
	s->last = at + n - 1;
	s->dirty = true;
	if (s->wbuf.cap > 4 * s->segment_bytes) { /* give a huge batch's memory back */
		buf_free(&s->wbuf);
		buf_init(&s->wbuf);
	}
	return 0;
}

int raft_storage_sync(struct raft_storage *s)
{
	if (!s->dirty || s->fd < 0)
		return 0;
	if (!s->no_sync && fdatasync(s->fd) < 0) {
		int rc = -errno;
		log_warnx("raft storage: fsync segment %" PRIu64 ": %s", active(s)->first, strerror(-rc));
		return rc;
	}
	s->dirty = false;
	return 0;
}

int raft_storage_compact(struct raft_storage *s, uint64_t first_kept)
{
	if (first_kept > s->snap_index + 1)
		first_kept = s->snap_index + 1; /* never drop what no snapshot covers */
	int deleted = 0, rc;
	while (s->n_segs > 1 && s->segs[0].last < first_kept) {
		if ((rc = unlink_segment(s, 0)) < 0)
			return rc;
		deleted++;
	}
	if (deleted && (rc = sync_dir(s)) < 0)
		return rc;
	return deleted;
}

/* ---- hard state and snapshot ---- */

int raft_storage_set_hard_state(struct raft_storage *s, const struct raft_hard_state *hs)
{
	unsigned char b[STATE_LEN];
	put_be(b, hs->term, 8);
	put_be(b + 8, hs->vote, 8);
	put_be(b + 16, hs->commit, 8);
	put_be(b + 24, crc32c(0, b, 24), 4);
	const void *parts[] = {b};
	size_t lens[] = {sizeof b};
	return replace_file(s, "state", parts, lens, 1);
}

int raft_storage_save_snapshot(struct raft_storage *s, const struct raft_snapshot *snap, bool reset_log)
{
	unsigned char head[28 + RAFT_CONFIG_MAX_BYTES + 8], tail[4];
	memcpy(head, SNAP_MAGIC, SNAP_MAGIC_LEN);
	put_be(head + 8, snap->index, 8);
	put_be(head + 16, snap->term, 8);
	size_t clen = raft_config_encode(&snap->config, head + 28);
	put_be(head + 24, (uint32_t)clen, 4);
	put_be(head + 28 + clen, snap->len, 8);
	size_t hlen = 36 + clen;
	uint32_t crc = crc32c(crc32c(0, head, hlen), snap->data, snap->len);
	put_be(tail, crc, 4);
	const void *parts[] = {head, snap->data, tail};
	size_t lens[] = {hlen, (size_t)snap->len, sizeof tail};
	int rc = replace_file(s, "snapshot", parts, lens, 3);
	if (rc < 0)
		return rc;
	s->snap_index = snap->index;
	s->snap_term = snap->term;
	if (reset_log) {
		while (s->n_segs)
			if ((rc = unlink_segment(s, s->n_segs - 1)) < 0)
				return rc;
		s->last = snap->index;
		s->dirty = false;
		if ((rc = sync_dir(s)) < 0)
			return rc;
	} else if (s->last < snap->index) {
		s->last = snap->index;
	}
	return 0;
}

/* ---- recovery ---- */

static int load_state(struct raft_storage *s, struct raft_storage_state *st, char *err, size_t err_len)
{
	char *p = path_of(s, "state");
	struct buf b;
	buf_init(&b);
	int rc = slurp(p, &b);
	if (rc == -ENOENT) {
		rc = 0;
	} else if (rc < 0) {
		snprintf(err, err_len, "read %s: %s", p, strerror(-rc));
	} else if (b.len != STATE_LEN ||
		   crc32c(0, b.data, 24) != (uint32_t)get_be((const unsigned char *)b.data + 24, 4)) {
		snprintf(err, err_len,
			 "%s is corrupt (checksum mismatch): this server's term and vote cannot be trusted; "
			 "to rejoin its cluster, stop it, remove %s and let the leader send it a snapshot",
			 p, s->dir);
		rc = -EINVAL;
	} else {
		const unsigned char *u = (const unsigned char *)b.data;
		st->hard_state = (struct raft_hard_state){.term = get_be(u, 8), .vote = get_be(u + 8, 8),
							  .commit = get_be(u + 16, 8)};
	}
	buf_free(&b);
	free(p);
	return rc;
}

static int load_snapshot(struct raft_storage *s, struct raft_storage_state *st, char *err, size_t err_len)
{
	char *p = path_of(s, "snapshot");
	struct buf b;
	buf_init(&b);
	int rc = slurp(p, &b);
	const char *why = NULL;
	if (rc == -ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		snprintf(err, err_len, "read %s: %s", p, strerror(-rc));
		goto out;
	}
	const unsigned char *u = (const unsigned char *)b.data;
	size_t len = b.len;
	uint64_t clen = 0, dlen = 0;
	if (len < 40 || memcmp(u, SNAP_MAGIC, SNAP_MAGIC_LEN) != 0)
		why = "not a snapshot file";
	else if ((clen = get_be(u + 24, 4)) > RAFT_CONFIG_MAX_BYTES || 40 + clen > len)
		why = "configuration length out of range";
	else if ((dlen = get_be(u + 28 + clen, 8)) != len - 40 - clen)
		why = "truncated";
	else if (crc32c(0, u, len - 4) != (uint32_t)get_be(u + len - 4, 4))
		why = "checksum mismatch";
	else if (raft_config_decode(u + 28, (size_t)clen, &st->snapshot.config) != 0)
		why = "bad configuration";
	if (why) {
		snprintf(err, err_len,
			 "snapshot %s is corrupt (%s): the entries it covers are gone from the log, so this "
			 "server cannot rebuild its state; stop it, remove %s and let it rejoin its cluster "
			 "(or restore a backup with consul snapshot restore)",
			 p, why, s->dir);
		rc = -EINVAL;
		goto out;
	}
	st->has_snapshot = true;
	st->snapshot.index = s->snap_index = get_be(u + 8, 8);
	st->snapshot.term = s->snap_term = get_be(u + 16, 8);
	st->snapshot_data = malloc(dlen ? dlen : 1);
	if (!st->snapshot_data)
		abort();
	memcpy(st->snapshot_data, u + 36 + clen, dlen);
	st->snapshot.data = st->snapshot_data;
	st->snapshot.len = dlen;
out:
	buf_free(&b);
	free(p);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The first indexes named by the segment files, sorted. */
static int list_segments(struct raft_storage *s, uint64_t **firsts, size_t *n, char *err, size_t err_len)
{
	DIR *dir = opendir(s->dir);
	if (!dir) {
		snprintf(err, err_len, "open %s: %s", s->dir, strerror(errno));
		return -errno;
	}
	size_t cap = 0;
	*firsts = NULL;
	*n = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		uint64_t first;
		char tail[8], check[64];
		if (sscanf(de->d_name, "seg-%20" SCNu64 "%7s", &first, tail) != 2 || strcmp(tail, ".log") != 0)
			continue;
		seg_name(check, sizeof check, first);
		if (strcmp(check, de->d_name) != 0 || first == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*firsts = realloc(*firsts, cap * sizeof **firsts);
			if (!*firsts)
				abort();
		}
		(*firsts)[(*n)++] = first;
	}
	closedir(dir);
	if (*n > 1)
		qsort(*firsts, *n, sizeof **firsts, cmp_u64);
	return 0;
}

static void add_entry(struct raft_storage_state *st, size_t *cap, const struct raft_entry *e)
{
	if (st->n_entries == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		st->entries = realloc(st->entries, *cap * sizeof *st->entries);
		if (!st->entries)
			abort();
	}
	struct raft_entry *c = &st->entries[st->n_entries++];
	*c = *e;
	c->data = malloc(e->len ? e->len : 1);
	if (!c->data)
		abort();
	if (e->len)
		memcpy(c->data, e->data, e->len);
}

static void drop_entries(struct raft_storage_state *st)
{
	for (size_t i = 0; i < st->n_entries; i++)
		free(st->entries[i].data);
	st->n_entries = 0;
}

/* Reads one segment into st. Returns 0, or -EINVAL for corruption that cannot be cut off
 * (err says why), or -errno. */
static int load_segment(struct raft_storage *s, struct raft_storage_state *st, size_t *cap, uint64_t first,
			bool is_last, uint64_t *expect, char *err, size_t err_len)
{
	char *p = seg_path(s, first);
	struct buf b;
	buf_init(&b);
	int rc = slurp(p, &b);
	if (rc < 0) {
		snprintf(err, err_len, "read %s: %s", p, strerror(-rc));
		goto out;
	}
	if (*expect && first != *expect) {
		snprintf(err, err_len,
			 "%s starts at index %" PRIu64 " but the log before it ends at %" PRIu64
			 ": entries are missing; stop this server, remove %s and let it rejoin its cluster",
			 p, first, *expect - 1, s->dir);
		rc = -EINVAL;
		goto out;
	}
	uint64_t off = 0, next = first;
	const char *why = NULL;
	while (off < b.len) {
		struct raft_entry e;
		ssize_t n = decode_record((const unsigned char *)b.data + off, b.len - off, &e, &why);
		if (n > 0 && e.index != next) {
			why = "index out of sequence";
			n = -1;
		}
		if (n <= 0)
			break;
		add_entry(st, cap, &e);
		off += (uint64_t)n;
		next++;
	}
	if (off < b.len) {
		if (!is_last) {
			snprintf(err, err_len,
				 "%s is corrupt at offset %" PRIu64 " (index %" PRIu64 ", %s) and later segments "
				 "follow it: acknowledged entries would be lost; stop this server, remove %s and let "
				 "it rejoin its cluster (or restore a backup with consul snapshot restore)",
				 p, off, next, why, s->dir);
			rc = -EINVAL;
			goto out;
		}
		log_warnx("raft storage: %s: dropping the last %" PRIu64 " bytes at offset %" PRIu64
			  " (from index %" PRIu64 "): %s; they were never acknowledged",
			  p, (uint64_t)b.len - off, off, next, why);
		if (truncate(p, (off_t)off) < 0) {
			snprintf(err, err_len, "truncate %s: %s", p, strerror(errno));
			rc = -errno;
			goto out;
		}
		st->dropped_bytes += b.len - off;
	}
	push_segment(s, first, next - 1, off);
	*expect = next;
out:
	buf_free(&b);
	free(p);
	return rc;
}

/* Makes the log fit the snapshot: entries it covers are skipped by raft_load; a log that
 * ends before it, or disagrees with it at its index (a crash in the middle of installing a
 * leader's snapshot), is obsolete. A gap after it cannot be repaired. */
static int reconcile(struct raft_storage *s, struct raft_storage_state *st, char *err, size_t err_len)
{
	if (st->n_entries == 0)
		return 0;
	uint64_t first = st->entries[0].index, last = st->entries[st->n_entries - 1].index;
	uint64_t base = st->has_snapshot ? st->snapshot.index : 0;
	if (first > base + 1) {
		snprintf(err, err_len,
			 "the log in %s starts at index %" PRIu64 " but %s ends at %" PRIu64
			 ": entries are missing; stop this server, remove %s and let it rejoin its cluster",
			 s->dir, first, st->has_snapshot ? "the snapshot" : "nothing", base, s->dir);
		return -EINVAL;
	}
	bool obsolete = false;
	if (st->has_snapshot && last < base)
		obsolete = true;
	else if (st->has_snapshot && first <= base && st->entries[base - first].term != st->snapshot.term)
		obsolete = true;
	if (!obsolete)
		return 0;
	log_warnx("raft storage: the log in %s (indexes %" PRIu64 "-%" PRIu64
		  ") is older than the snapshot at %" PRIu64 ": dropping it",
		  s->dir, first, last, base);
	drop_entries(st);
	while (s->n_segs)
		if (unlink_segment(s, s->n_segs - 1) < 0) {
			snprintf(err, err_len, "cannot remove old segments in %s", s->dir);
			return -EIO;
		}
	return sync_dir(s);
}

struct raft_storage *raft_storage_open(const struct raft_storage_options *o, struct raft_storage_state *st,
				       char *err, size_t err_len)
{
	memset(st, 0, sizeof *st);
	if (mkdir(o->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_len, "mkdir %s: %s", o->dir, strerror(errno));
		return NULL;
	}
	struct raft_storage *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(o->dir)))
		abort();
	s->segment_bytes = o->segment_bytes ? o->segment_bytes : RAFT_STORAGE_SEGMENT_BYTES;
	s->no_sync = o->no_sync;
	s->fd = -1;
	buf_init(&s->wbuf);
	uint64_t *firsts = NULL;
	size_t n_firsts = 0, cap = 0;
	uint64_t expect = 0;
	if (load_state(s, st, err, err_len) < 0 || load_snapshot(s, st, err, err_len) < 0 ||
	    list_segments(s, &firsts, &n_firsts, err, err_len) < 0)
		goto fail;
	for (size_t i = 0; i < n_firsts; i++)
		if (load_segment(s, st, &cap, firsts[i], i + 1 == n_firsts, &expect, err, err_len) < 0)
			goto fail;
	if (reconcile(s, st, err, err_len) < 0)
		goto fail;
	s->last = st->n_entries ? st->entries[st->n_entries - 1].index : s->snap_index;
	if (s->n_segs && open_active(s, false) < 0) {
		snprintf(err, err_len, "cannot open the last segment in %s", s->dir);
		goto fail;
	}
	free(firsts);
	return s;
fail:
	free(firsts);
	raft_storage_state_free(st);
	raft_storage_close(s);
	return NULL;
}

void raft_storage_state_free(struct raft_storage_state *st)
{
	drop_entries(st);
	free(st->entries);
	free(st->snapshot_data);
	memset(st, 0, sizeof *st);
}

void raft_storage_close(struct raft_storage *s)
{
	if (!s)
		return;
	close_active(s);
	free(s->segs);
	free(s->dir);
	buf_free(&s->wbuf);
	free(s);
}

uint64_t raft_storage_last_index(const struct raft_storage *s)
{
	return s->last;
}

size_t raft_storage_segments(const struct raft_storage *s)
{
	return s->n_segs;
}
