/* script_job.c: scriptd's request and reply (see script_job.h), worded as Consul's
 * CheckMonitor words a script's result. */
#include "script_job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "common/duration.h"
#include "common/json.h"

void script_req_free(struct script_req *req)
{
	for (size_t i = 0; req->argv && i < req->argc; i++)
		free(req->argv[i]);
	free(req->argv);
	memset(req, 0, sizeof *req);
}

static int bad(char *err, size_t err_len, const char *msg)
{
	snprintf(err, err_len, "%s", msg);
	return -EINVAL;
}

int script_req_parse(const char *text, size_t len, struct script_req *req, char *err, size_t err_len)
{
	memset(req, 0, sizeof *req);
	yajl_val v = json_parse(text, len, err, err_len);
	if (!v)
		return -EINVAL;
	int rc = 0;
	yajl_val args = json_get(v, "args");
	size_t n = json_arr_len(args);
	uint64_t timeout = SCRIPT_TIMEOUT_DEFAULT_MS, out_max = SCRIPT_OUTPUT_DEFAULT_BYTES;
	yajl_val t = json_get(v, "timeout_ms"), o = json_get(v, "output_max");
	if (!YAJL_IS_OBJECT(v) || !YAJL_IS_ARRAY(args) || n == 0 || n > SCRIPT_ARGS_MAX) {
		rc = bad(err, err_len, "\"args\": expected a list of 1 to 256 strings");
		goto out;
	}
	if ((t && (!json_u64(t, &timeout) || timeout == 0 || timeout > SCRIPT_TIMEOUT_MAX_MS)) ||
	    (o && (!json_u64(o, &out_max) || out_max == 0 || out_max > SCRIPT_OUTPUT_MAX_BYTES))) {
		rc = bad(err, err_len, "\"timeout_ms\" / \"output_max\": out of range");
		goto out;
	}
	req->argv = calloc(n + 1, sizeof *req->argv);
	if (!req->argv) {
		rc = -ENOMEM;
		bad(err, err_len, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_str(json_arr_at(args, i));
		if (!s || (i == 0 && !*s)) {
			rc = bad(err, err_len, "\"args\": expected a list of strings, the first not empty");
			goto out;
		}
		if (!(req->argv[i] = strdup(s))) {
			rc = -ENOMEM;
			bad(err, err_len, "out of memory");
			goto out;
		}
		req->argc = i + 1;
	}
	req->timeout_ms = timeout;
	req->output_max = (size_t)out_max;
out:
	if (rc < 0) {
		req->argc = req->argv ? req->argc : 0;
		script_req_free(req);
	}
	yajl_tree_free(v);
	return rc;
}

int script_reply_render(struct buf *out, const struct script_req *req, int wait_status, bool timed_out,
			const char *kept, size_t kept_len, uint64_t total)
{
	struct buf text, msg;
	buf_init(&text);
	buf_init(&msg);
	/* Consul's circular buffer: the last bytes, and how many were dropped. */
	if (total > kept_len)
		buf_appendf(&text, "Captured %zu of %llu bytes\n...\n", kept_len, (unsigned long long)total);
	utf8_clean(&text, kept ? kept : "", kept ? kept_len : 0);
	int code = -1;
	const char *status = "critical";
	if (timed_out) {
		char d[32];
		duration_format_ms(req->timeout_ms, d, sizeof d);
		buf_appendf(&msg, "Timed out (%s) running check", d);
		if (text.len)
			buf_appendf(&msg, "\n\n%s", text.data);
	} else {
		if (WIFEXITED(wait_status))
			code = WEXITSTATUS(wait_status);
		status = code == 0 ? "passing" : code == 1 ? "warning" : "critical";
		buf_append(&msg, text.data ? text.data : "", text.len);
	}
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	jw_kv_str(&w, "Status", status);
	jw_key(&w, "Output");
	jw_strn(&w, msg.data ? msg.data : "", msg.len);
	jw_kv_i64(&w, "ExitCode", code);
	jw_kv_bool(&w, "TimedOut", timed_out);
	jw_obj_close(&w);
	jw_free(&w);
	buf_free(&text);
	buf_free(&msg);
	return 0;
}
