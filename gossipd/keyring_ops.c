/* keyring_ops.c: the gossip keyring across the cluster, as `consul keyring` drives it.
 *
 * A change (install, use, remove) is applied here, then sent to every member as an internal
 * user event ("_keyring", carried encrypted like all gossip). Each member applies it, saves
 * its keyring file and republishes its "kr" tag: the fingerprints of its keys, primary first.
 * The request is answered once every alive member's tag shows the change, or after 10 s with
 * the members that did not. The same tags give `consul keyring -list` its per-key counts. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "gossipd.h"
#include "log.h"
#include "privdrop.h"
#include "rpc.h"

#define KEYRING_EVENT "_keyring"
#define KEYRING_WAIT_S 10.0
#define KR_TAG "kr"

enum kr_op { KR_INSTALL = 1, KR_USE = 2, KR_REMOVE = 3 };

struct keyring_wait {
	struct gossipd *g;
	struct rpc_req *req;
	enum kr_op op;
	char fp[9];
	ev_timer timer;
	struct keyring_wait *next;
};

/* A short public fingerprint (FNV-1a, 32 bits) of a key: enough to tell keys apart, nothing
 * to guess a 256-bit key from. */
static void fingerprint(const uint8_t key[KEYRING_KEY_LEN], char out[9])
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < KEYRING_KEY_LEN; i++)
		h = (h ^ key[i]) * 16777619u;
	snprintf(out, 9, "%08x", h);
}

static void save(struct gossipd *g)
{
	if (!g->keyring_path)
		return;
	if (keyring_save(&g->keyring, g->keyring_path) != KEYRING_OK)
		log_warnx("keyring: cannot write %s: %s", g->keyring_path, strerror(errno));
}

void keyring_ops_load(struct gossipd *g)
{
	if (g->cfg.data_dir && !g->cfg.dev) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/serf", g->cfg.data_dir);
		if (mkdir_p(dir, 0700) == 0 && asprintf(&g->keyring_path, "%s/local.keyring", dir) < 0)
			g->keyring_path = NULL;
		uid_t uid;
		gid_t gid;
		if (geteuid() == 0 && priv_target(g->cfg.user, &uid, &gid) == 0 && chown(dir, uid, gid) < 0)
			log_warn("chown %s", dir);
	}
	enum keyring_err e = KEYRING_IO;
	if (g->keyring_path && (e = keyring_load(&g->keyring, g->keyring_path)) != KEYRING_OK && errno != ENOENT)
		fatalx("keyring: %s: %s", g->keyring_path, keyring_err_text(e));
	if (!g->cfg.encrypt)
		return;
	uint8_t key[KEYRING_KEY_LEN];
	if (keyring_key_parse(g->cfg.encrypt, key) != KEYRING_OK)
		fatalx("encrypt: %s", keyring_err_text(KEYRING_BAD_KEY));
	if (keyring_enabled(&g->keyring)) {
		/* As Consul: the keyring file, changed by `consul keyring`, wins over -encrypt. */
		if (memcmp(keyring_key_at(&g->keyring, 0), key, KEYRING_KEY_LEN) != 0)
			log_warnx("keyring: %s exists: ignoring -encrypt", g->keyring_path);
		return;
	}
	keyring_install(&g->keyring, key);
	save(g);
}

int keyring_ops_tags(struct gossipd *g, struct swim_tag **tags, char **kr_value)
{
	int n = members_swim_tags(&g->self, 0, tags);
	*kr_value = NULL;
	if (n < 0 || !keyring_enabled(&g->keyring))
		return n;
	size_t nkeys = keyring_count(&g->keyring);
	char *v = calloc(nkeys * 9 + 1, 1);
	struct swim_tag *more = realloc(*tags, ((size_t)n + 1) * sizeof **tags);
	if (!v || !more) {
		free(v);
		return n;
	}
	*tags = more;
	for (size_t i = 0; i < nkeys; i++) {
		char fp[9];
		fingerprint(keyring_key_at(&g->keyring, i), fp);
		if (i)
			strcat(v, ",");
		strcat(v, fp);
	}
	(*tags)[n] = (struct swim_tag){KR_TAG, v};
	*kr_value = v;
	return n + 1;
}

static void publish_tags(struct gossipd *g)
{
	struct swim_tag *tags;
	char *kr;
	int n = keyring_ops_tags(g, &tags, &kr);
	if (n >= 0 && pool_set_tags(g->lan, tags, (size_t)n) < 0)
		log_warnx("keyring: could not publish the key fingerprints");
	if (n >= 0)
		free(tags);
	free(kr);
}

/* The "kr" tag of an alive member, or NULL. */
static const char *member_kr(const struct swim_member_info *m)
{
	size_t pos = 0;
	const char *k, *v;
	while (swim_tags_next(m->tags, m->tags_len, &pos, &k, &v) == 1)
		if (strcmp(k, KR_TAG) == 0)
			return v;
	return NULL;
}

static bool kr_has(const char *kr, const char *fp)
{
	for (const char *p = kr; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0))
		if (strncmp(p, fp, 8) == 0)
			return true;
	return false;
}

/* Whether member m reflects the change. */
static bool member_done(const struct swim_member_info *m, enum kr_op op, const char *fp)
{
	const char *kr = member_kr(m);
	switch (op) {
	case KR_INSTALL:
		return kr_has(kr, fp);
	case KR_USE:
		return kr && strncmp(kr, fp, 8) == 0;
	case KR_REMOVE:
		return !kr_has(kr, fp);
	}
	return false;
}

static bool is_alive(const struct swim_member_info *m)
{
	return m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT;
}

/* Names of alive members not yet done, into out (empty: all done). */
static void laggards(struct gossipd *g, const struct keyring_wait *w, struct buf *out)
{
	struct swim *s = pool_swim(g->lan);
	for (size_t i = 0; i < swim_member_count(s); i++) {
		struct swim_member_info m;
		swim_member_at(s, i, &m);
		if (is_alive(&m) && !member_done(&m, w->op, w->fp))
			buf_appendf(out, "%s%s", out->len ? ", " : "", m.name);
	}
}

static void wait_finish(struct gossipd *g, struct keyring_wait *w, const struct buf *missing)
{
	for (struct keyring_wait **pp = &g->keyring_waits; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	ev_timer_stop(g->loop, &w->timer);
	if (missing && missing->len) {
		struct buf msg;
		buf_init(&msg);
		buf_appendf(&msg, "not confirmed within %.0f s by: %.*s", KEYRING_WAIT_S, (int)missing->len,
			    missing->data);
		rpc_reply_simple(w->req, 500, 1, msg.data, msg.len);
		buf_free(&msg);
	} else {
		rpc_reply_simple(w->req, 200, 1, "", 0);
	}
	free(w);
}

void keyring_ops_member_changed(struct gossipd *g)
{
	struct keyring_wait *w = g->keyring_waits;
	while (w) {
		struct keyring_wait *next = w->next;
		struct buf missing;
		buf_init(&missing);
		laggards(g, w, &missing);
		if (missing.len == 0)
			wait_finish(g, w, NULL);
		buf_free(&missing);
		w = next;
	}
}

static void wait_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct keyring_wait *w = t->data;
	struct buf missing;
	buf_init(&missing);
	laggards(w->g, w, &missing);
	wait_finish(w->g, w, &missing);
	buf_free(&missing);
}

/* Applies a change to our keyring. */
static enum keyring_err apply(struct gossipd *g, enum kr_op op, const uint8_t key[KEYRING_KEY_LEN])
{
	enum keyring_err e = KEYRING_BAD_KEY;
	switch (op) {
	case KR_INSTALL:
		e = keyring_install(&g->keyring, key);
		break;
	case KR_USE:
		e = keyring_use(&g->keyring, key);
		break;
	case KR_REMOVE:
		e = keyring_remove(&g->keyring, key);
		break;
	}
	if (e == KEYRING_OK) {
		save(g);
		publish_tags(g);
	}
	return e;
}

void keyring_ops_event(struct gossipd *g, const struct swim_update *u)
{
	if (strcmp(u->event_name, KEYRING_EVENT) != 0 || u->payload_len != 1 + KEYRING_KEY_LEN ||
	    u->payload[0] < KR_INSTALL || u->payload[0] > KR_REMOVE)
		return;
	if (strcmp(u->from, swim_name(pool_swim(g->lan))) == 0)
		return;  /* ours: applied when it was asked for */
	enum kr_op op = u->payload[0];
	enum keyring_err e = apply(g, op, u->payload + 1);
	char fp[9];
	fingerprint(u->payload + 1, fp);
	if (e != KEYRING_OK)
		log_warnx("keyring: change to key %s from %s not applied: %s", fp, u->from, keyring_err_text(e));
	else
		log_info("keyring: applied a change to key %s from %s", fp, u->from);
}

static void render_counts(struct jw *w, struct gossipd *g, bool primary_only)
{
	struct swim *s = pool_swim(g->lan);
	jw_obj_open(w);
	for (size_t k = 0; k < keyring_count(&g->keyring); k++) {
		const uint8_t *key = keyring_key_at(&g->keyring, k);
		char fp[9], b64[KEYRING_KEY_B64_LEN + 1];
		fingerprint(key, fp);
		keyring_key_format(key, b64);
		uint64_t count = 0;
		for (size_t i = 0; i < swim_member_count(s); i++) {
			struct swim_member_info m;
			swim_member_at(s, i, &m);
			if (is_alive(&m) && member_done(&m, primary_only ? KR_USE : KR_INSTALL, fp))
				count++;
		}
		if (count || !primary_only)
			jw_kv_u64(w, b64, count);
	}
	jw_obj_close(w);
}

static void reply_list(struct gossipd *g, struct rpc_req *req)
{
	struct buf out;
	buf_init(&out);
	struct jw w;
	jw_init(&w, &out);
	jw_arr_open(&w);
	jw_obj_open(&w);
	jw_kv_bool(&w, "WAN", false);
	jw_kv_str(&w, "Datacenter", g->cfg.datacenter);
	jw_kv_str(&w, "Segment", "");
	jw_key(&w, "Messages");
	jw_obj_open(&w);
	jw_obj_close(&w);
	jw_key(&w, "Keys");
	render_counts(&w, g, false);
	jw_key(&w, "PrimaryKeys");
	render_counts(&w, g, true);
	jw_kv_u64(&w, "NumNodes", swim_count(pool_swim(g->lan), SWIM_ALIVE) + swim_count(pool_swim(g->lan), SWIM_SUSPECT));
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_free(&w);
	struct rpc_reply r = {.status = 200, .known_leader = true, .index = 1, .body = out.data, .body_len = out.len};
	rpc_reply_send(req, &r);
	buf_free(&out);
}

static void reply_err(struct rpc_req *req, uint32_t status, const char *msg)
{
	rpc_reply_simple(req, status, 1, msg, strlen(msg));
}

void keyring_ops_request(struct gossipd *g, struct rpc_req *req, yajl_val args)
{
	const char *opname = json_str(json_get(args, "op"));
	if (!keyring_enabled(&g->keyring)) {
		reply_err(req, 500, "gossip encryption is not enabled on this agent (start it with -encrypt)");
		return;
	}
	if (!opname || strcmp(opname, "list") == 0) {
		reply_list(g, req);
		return;
	}
	enum kr_op op = strcmp(opname, "install") == 0 ? KR_INSTALL
			: strcmp(opname, "use") == 0   ? KR_USE
			: strcmp(opname, "remove") == 0 ? KR_REMOVE
							: 0;
	uint8_t key[KEYRING_KEY_LEN];
	const char *b64 = json_str(json_get(args, "key"));
	if (!op) {
		reply_err(req, 400, "unknown keyring operation");
		return;
	}
	if (!b64 || keyring_key_parse(b64, key) != KEYRING_OK) {
		reply_err(req, 400, keyring_err_text(KEYRING_BAD_KEY));
		return;
	}
	enum keyring_err e = apply(g, op, key);
	if (e != KEYRING_OK) {
		reply_err(req, e == KEYRING_NOMEM ? 500 : 400, keyring_err_text(e));
		return;
	}
	uint8_t payload[1 + KEYRING_KEY_LEN];
	payload[0] = (uint8_t)op;
	memcpy(payload + 1, key, KEYRING_KEY_LEN);
	if (pool_user_event(g->lan, KEYRING_EVENT, payload, sizeof payload) < 0) {
		reply_err(req, 500, "could not send the change to the cluster");
		return;
	}
	struct keyring_wait *w = calloc(1, sizeof *w);
	if (!w) {
		reply_err(req, 500, "out of memory");
		return;
	}
	w->g = g;
	w->req = req;
	w->op = op;
	fingerprint(key, w->fp);
	ev_timer_init(&w->timer, wait_timeout_cb, KEYRING_WAIT_S, 0.);
	w->timer.data = w;
	ev_timer_start(g->loop, &w->timer);
	w->next = g->keyring_waits;
	g->keyring_waits = w;
	keyring_ops_member_changed(g);
}
