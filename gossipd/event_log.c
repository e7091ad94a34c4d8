/* event_log.c: user events, their gossip payload and the agent's buffer of recent ones. */
#include "event_log.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "go_regex.h"
#include "json.h"

enum { RAW_ID_LEN = 16, FILTER_MAX = 255 };

static void format_id(const uint8_t b[RAW_ID_LEN], char out[EVENT_ID_LEN + 1])
{
	snprintf(out, EVENT_ID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void user_event_new_id(struct user_event *ev, const uint8_t random16[16])
{
	uint8_t b[RAW_ID_LEN];
	memcpy(b, random16, sizeof b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	format_id(b, ev->id);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The 16 bytes of a UUID in text, or -EINVAL. */
static int id_to_raw(const char *id, uint8_t raw[RAW_ID_LEN])
{
	size_t n = 0;
	for (const char *p = id; *p; p++) {
		if (*p == '-')
			continue;
		int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
		if (hi < 0 || lo < 0 || n == RAW_ID_LEN)
			return -EINVAL;
		raw[n++] = (uint8_t)(hi << 4 | lo);
		p++;
	}
	return n == RAW_ID_LEN ? 0 : -EINVAL;
}

static int put_s8(struct buf *out, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (len > FILTER_MAX)
		return -E2BIG;
	uint8_t l = (uint8_t)len;
	if (buf_append(out, &l, 1) < 0 || buf_append(out, s ? s : "", len) < 0)
		return -ENOMEM;
	return 0;
}

int user_event_encode(const struct user_event *ev, struct buf *out)
{
	uint8_t raw[RAW_ID_LEN];
	if (id_to_raw(ev->id, raw) < 0)
		return -EINVAL;
	if (buf_append(out, raw, sizeof raw) < 0)
		return -ENOMEM;
	int rc;
	if ((rc = put_s8(out, ev->node_filter)) < 0 || (rc = put_s8(out, ev->service_filter)) < 0 ||
	    (rc = put_s8(out, ev->tag_filter)) < 0)
		return rc;
	return buf_append(out, ev->payload, ev->payload_len) < 0 ? -ENOMEM : 0;
}

/* Reads an s8 string at *pos into a new NUL-terminated copy. */
static int get_s8(const uint8_t *data, size_t len, size_t *pos, char **out)
{
	if (*pos >= len)
		return -EINVAL;
	size_t n = data[*pos];
	if (len - *pos - 1 < n || memchr(data + *pos + 1, '\0', n))
		return -EINVAL;
	if (!(*out = strndup((const char *)data + *pos + 1, n)))
		return -ENOMEM;
	*pos += 1 + n;
	return 0;
}

void user_event_free(struct user_event *ev)
{
	free(ev->name);
	free(ev->payload);
	free(ev->node_filter);
	free(ev->service_filter);
	free(ev->tag_filter);
	memset(ev, 0, sizeof *ev);
}

int user_event_decode(const char *name, const uint8_t *data, size_t len, uint64_t ltime, struct user_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (len < RAW_ID_LEN)
		return -EINVAL;
	format_id(data, ev->id);
	size_t pos = RAW_ID_LEN;
	int rc;
	if ((rc = get_s8(data, len, &pos, &ev->node_filter)) < 0 ||
	    (rc = get_s8(data, len, &pos, &ev->service_filter)) < 0 ||
	    (rc = get_s8(data, len, &pos, &ev->tag_filter)) < 0)
		goto fail;
	rc = -ENOMEM;
	if (!(ev->name = strdup(name)) || !(ev->payload = malloc(len - pos ? len - pos : 1)))
		goto fail;
	memcpy(ev->payload, data + pos, len - pos);
	ev->payload_len = len - pos;
	ev->ltime = ltime;
	return 0;
fail:
	user_event_free(ev);
	return rc;
}

/* Consul anchors none of its filters: a match anywhere counts. The pattern came from the
 * network: a bad or dangerous one (go_regex.h) matches nothing. */
static bool regex_matches(const char *pattern, const char *s)
{
	regex_t re;
	char err[160];
	if (go_regex_compile(&re, pattern, err, sizeof err) < 0)
		return false;
	bool ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

bool user_event_wanted(const struct user_event *ev, const char *node_name, const char *const *services,
		       const char *const *const *tags)
{
	if (ev->node_filter && *ev->node_filter && !regex_matches(ev->node_filter, node_name))
		return false;
	if (!ev->service_filter || !*ev->service_filter || !services)
		return true;
	for (size_t i = 0; services[i]; i++) {
		if (!regex_matches(ev->service_filter, services[i]))
			continue;
		if (!ev->tag_filter || !*ev->tag_filter)
			return true;
		for (size_t t = 0; tags && tags[i] && tags[i][t]; t++)
			if (regex_matches(ev->tag_filter, tags[i][t]))
				return true;
	}
	return false;
}

static void render_event(struct jw *w, const struct user_event *ev)
{
	jw_obj_open(w);
	jw_kv_str(w, "ID", ev->id);
	jw_kv_str(w, "Name", ev->name);
	jw_key(w, "Payload");
	if (ev->payload_len) {
		struct buf b64;
		buf_init(&b64);
		base64_encode(&b64, ev->payload, ev->payload_len);
		jw_strn(w, b64.data, b64.len);
		buf_free(&b64);
	} else {
		jw_null(w);
	}
	jw_kv_str(w, "NodeFilter", ev->node_filter);
	jw_kv_str(w, "ServiceFilter", ev->service_filter);
	jw_kv_str(w, "TagFilter", ev->tag_filter);
	jw_kv_u64(w, "Version", 1);
	jw_kv_u64(w, "LTime", ev->ltime);
	jw_obj_close(w);
}

void user_event_render(const struct user_event *ev, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	render_event(&w, ev);
	jw_free(&w);
}

void event_log_init(struct event_log *l)
{
	memset(l, 0, sizeof *l);
}

void event_log_free(struct event_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		user_event_free(&l->items[(l->start + i) % EVENT_LOG_SIZE]);
	event_log_init(l);
}

void event_log_add(struct event_log *l, struct user_event *ev)
{
	if (l->n == EVENT_LOG_SIZE) {
		user_event_free(&l->items[l->start]);
		l->start = (l->start + 1) % EVENT_LOG_SIZE;
		l->n--;
	}
	l->items[(l->start + l->n) % EVENT_LOG_SIZE] = *ev;
	l->n++;
	l->version++;
	memset(ev, 0, sizeof *ev);
}

void event_log_render(const struct event_log *l, const char *name, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = 0; i < l->n; i++) {
		const struct user_event *ev = &l->items[(l->start + i) % EVENT_LOG_SIZE];
		if (!name || !*name || strcmp(name, ev->name) == 0)
			render_event(&w, ev);
	}
	jw_arr_close(&w);
	jw_free(&w);
}

uint64_t event_log_ltime_of(const struct event_log *l, const char *id)
{
	for (size_t i = l->n; i-- > 0;) {
		const struct user_event *ev = &l->items[(l->start + i) % EVENT_LOG_SIZE];
		if (strcmp(ev->id, id) == 0)
			return ev->ltime;
	}
	return 0;
}
