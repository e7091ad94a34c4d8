/* runner.c: one `struct run` per running check, kept sorted by check id (see runner.h). */
#include "runner.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_http.h"
#include "check_logic.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "common/rpc.h"
#include "common/rpc_ops.h"
#include "local_state.h"
#include "tls_lazy.h"

/* Go's http.Client follows at most 10 redirects. */
#define MAX_REDIRECTS 10
/* How long past a script's own timeout checkd waits for scriptd before giving up. */
#define SCRIPT_GRACE_MS 5000
/* A remote alias holds a blocking query this long (Consul: one minute). */
#define ALIAS_WAIT_MS 60000
#define ALIAS_RETRY_S 1.0
#define READ_CHUNK 4096

enum run_phase {
	PHASE_IDLE,
	PHASE_CONNECT,
	PHASE_TLS,
	PHASE_SEND,
	PHASE_RECV,
	PHASE_CALL, /* an RPC (script, remote alias) */
};

struct run {
	struct runner *r;
	uint64_t serial;
	struct check_def def; /* a copy: the local state may replace its own at any time */
	struct check_threshold th;
	enum run_phase phase;
	ev_timer next;     /* the next run */
	ev_timer deadline; /* this run's timeout */
	ev_io io;
	int fd;
	SSL *ssl;
	struct buf out; /* request bytes to send */
	struct http_reply *reply; /* only while an HTTP request is in flight (1.3 KB) */
	char *url;        /* the URL being fetched: def.http, or a redirect's target */
	char *method;     /* may change on a redirect (303 -> GET) */
	bool send_body;
	int redirects;
	char addr[300];   /* "host:port" as dialled, for messages */
	struct rpc_client *call_client;
	int64_t call;
	uint64_t alias_index;
	int alias_failures;
	bool started;
};

struct runner {
	struct ev_loop *loop;
	struct local_state *ls;
	struct rpc_client *script;
	struct rpc_client *raft;
	runner_result_cb cb;
	void *arg;
	struct run **runs; /* sorted by def.id */
	size_t nruns;
	size_t nlocal_alias;
	bool evaluating;
	bool evaluate_again;
	SSL_CTX *tls_verify;
	SSL_CTX *tls_noverify;
};

static void run_schedule(struct run *run, double delay_s);

/* OpenSSL, once the first HTTPS check needs it (every use below is behind a live SSL). */
static const struct tls_api *T;

/* --- results --- */

/* Hands a result through the thresholds (or straight, for timeouts and aliases). */
static void publish(struct run *run, const char *status, const char *output, bool bypass_thresholds)
{
	const char *st = bypass_thresholds ? status : check_threshold_apply(&run->th, status);
	if (!st) {
		log_debug("check %s: %s held back by its threshold", run->def.id, status);
		return;
	}
	run->r->cb(run->r->arg, run->def.id, st, output);
}

/* Ends the I/O of a run, keeping its schedule. */
static void reply_drop(struct run *run)
{
	if (run->reply) {
		http_reply_free(run->reply);
		free(run->reply);
		run->reply = NULL;
	}
}

static void run_reset_io(struct run *run)
{
	struct ev_loop *loop = run->r->loop;
	ev_timer_stop(loop, &run->deadline);
	ev_io_stop(loop, &run->io);
	if (run->ssl) {
		T->SSL_free(run->ssl);
		run->ssl = NULL;
	}
	if (run->fd >= 0) {
		close(run->fd);
		run->fd = -1;
	}
	if (run->call) {
		rpc_cancel(run->call_client, run->call);
		run->call = 0;
	}
	buf_free(&run->out);
	buf_init(&run->out);
	reply_drop(run);
	run->phase = PHASE_IDLE;
}

/* A run is over: publish and schedule the next one. */
static void run_finish(struct run *run, const char *status, const char *output, bool bypass)
{
	run_reset_io(run);
	run_schedule(run, (double)check_interval_ms(&run->def) / 1000.0);
	publish(run, status, output, bypass);
}

/* Go's http.Client error: `Get "url": reason`. */
static void http_fail(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void http_fail(struct run *run, const char *fmt, ...)
{
	char op[16];
	const char *m = run->method;
	snprintf(op, sizeof op, "%c", m[0]);
	for (size_t i = 1; m[i] && i < sizeof op - 1; i++) {
		char c = m[i] >= 'A' && m[i] <= 'Z' ? (char)(m[i] + 32) : m[i];
		op[i] = c;
		op[i + 1] = '\0';
	}
	struct buf b;
	buf_init(&b);
	buf_appendf(&b, "%s \"%s\": ", op, run->url);
	va_list ap;
	va_start(ap, fmt);
	buf_vappendf(&b, fmt, ap);
	va_end(ap);
	run_finish(run, "critical", b.data ? b.data : "", false);
	buf_free(&b);
}

/* --- addresses --- */

/* An IP literal, "localhost", or a name in /etc/hosts (read without blocking on DNS). */
static int resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);
	char name[256];
	snprintf(name, sizeof name, "%s", host);
	if (!strcasecmp(name, "localhost"))
		snprintf(name, sizeof name, "127.0.0.1");
	for (int attempt = 0; attempt < 2; attempt++) {
		if (inet_pton(AF_INET, name, &in4->sin_addr) == 1) {
			in4->sin_family = AF_INET;
			in4->sin_port = htons((uint16_t)p);
			*len = sizeof *in4;
			return 0;
		}
		if (inet_pton(AF_INET6, name, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((uint16_t)p);
			*len = sizeof *in6;
			return 0;
		}
		if (attempt)
			break;
		/* /etc/hosts is a local file: reading it cannot stall the loop on the network. */
		FILE *f = fopen("/etc/hosts", "re");
		if (!f)
			break;
		char line[512];
		bool found = false;
		while (!found && fgets(line, sizeof line, f)) {
			char *save = NULL, *addr = strtok_r(line, " \t\r\n", &save);
			if (!addr || addr[0] == '#')
				continue;
			for (char *n = strtok_r(NULL, " \t\r\n", &save); n && n[0] != '#'; n = strtok_r(NULL, " \t\r\n", &save))
				if (!strcasecmp(n, host)) {
					snprintf(name, sizeof name, "%s", addr);
					found = true;
					break;
				}
		}
		fclose(f);
		if (!found)
			break;
	}
	return -ENOENT;
}

/* Splits "host:port" / "[v6]:port". Returns 0 or -EINVAL. */
static int split_hostport(const char *s, char *host, size_t host_len, char *port, size_t port_len)
{
	const char *colon;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		snprintf(host, host_len, "%.*s", (int)(close - s - 1), s + 1);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		snprintf(host, host_len, "%.*s", (int)(colon - s), s);
	}
	snprintf(port, port_len, "%s", colon + 1);
	return *host && *port ? 0 : -EINVAL;
}

/* --- connections (HTTP and TCP) --- */

static void on_io(struct ev_loop *loop, ev_io *w, int revents);

static void watch(struct run *run, int events)
{
	ev_io_stop(run->r->loop, &run->io);
	ev_io_set(&run->io, run->fd, events);
	ev_io_start(run->r->loop, &run->io);
}

/* Starts a non-blocking connect. Returns 0, or -errno (message left to the caller). */
static int dial(struct run *run, const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (resolve(host, port, &ss, &len) < 0)
		return -ENOENT;
	snprintf(run->addr, sizeof run->addr, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	char ip[INET6_ADDRSTRLEN];
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
	/* Go names the resolved address in its errors. */
	snprintf(run->addr, sizeof run->addr, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", ip, port);
	run->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (run->fd < 0)
		return -errno;
	if (connect(run->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		return -errno;
	run->phase = PHASE_CONNECT;
	watch(run, EV_WRITE);
	return 0;
}

static const char *dial_reason(int err)
{
	const char *t = check_errno_text(err);
	static char other[128];
	if (t)
		return t;
	snprintf(other, sizeof other, "connect: %s", strerror(err));
	if (other[9] >= 'A' && other[9] <= 'Z')
		other[9] = (char)(other[9] + 32);
	return other;
}

static void tcp_start(struct run *run)
{
	char host[256], port[16];
	if (split_hostport(run->def.tcp, host, sizeof host, port, sizeof port) < 0) {
		struct buf b;
		buf_init(&b);
		buf_appendf(&b, "dial tcp: address %s: missing port in address", run->def.tcp);
		run_finish(run, "critical", b.data, false);
		buf_free(&b);
		return;
	}
	int rc = dial(run, host, port);
	if (rc < 0) {
		struct buf b;
		buf_init(&b);
		if (rc == -ENOENT)
			buf_appendf(&b, "dial tcp: lookup %s: no such host", host);
		else
			check_format_dial_error(&b, run->addr, dial_reason(-rc));
		run_finish(run, "critical", b.data, false);
		buf_free(&b);
	}
}

static void http_connect(struct run *run)
{
	struct check_url u;
	char err[256];
	if (check_url_parse(run->url, &u, err, sizeof err) < 0) {
		http_fail(run, "%s", err);
		return;
	}
	struct check_def req = run->def; /* shallow: only the method and body differ */
	req.method = run->method;
	req.body = run->send_body ? run->def.body : NULL;
	buf_reset(&run->out);
	if (check_http_request(&run->out, &req, &u) < 0) {
		http_fail(run, "out of memory");
		return;
	}
	reply_drop(run);
	if (!(run->reply = malloc(sizeof *run->reply))) {
		http_fail(run, "out of memory");
		return;
	}
	http_reply_init(run->reply, run->def.output_max_size, !strcmp(run->method, "HEAD"));
	int rc = dial(run, u.host, u.port);
	if (rc == -ENOENT) {
		http_fail(run, "dial tcp: lookup %s: no such host", u.host);
		return;
	}
	if (rc < 0) {
		http_fail(run, "dial tcp %s: %s", run->addr, dial_reason(-rc));
		return;
	}
	if (u.https) {
		struct runner *r = run->r;
		if (!T && !(T = tls_api())) {
			http_fail(run, "tls: libssl.so.3 cannot be loaded on this agent");
			return;
		}
		SSL_CTX **ctx = run->def.tls_skip_verify ? &r->tls_noverify : &r->tls_verify;
		if (!*ctx) {
			*ctx = T->SSL_CTX_new(T->TLS_client_method());
			if (*ctx) {
				T->SSL_CTX_ctrl(*ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
				if (!run->def.tls_skip_verify) {
					T->SSL_CTX_set_default_verify_paths(*ctx);
					T->SSL_CTX_set_verify(*ctx, SSL_VERIFY_PEER, NULL);
				}
			}
		}
		run->ssl = *ctx ? T->SSL_new(*ctx) : NULL;
		if (!run->ssl) {
			http_fail(run, "tls: cannot set up a TLS client");
			return;
		}
		const char *sni = run->def.tls_server_name && *run->def.tls_server_name ? run->def.tls_server_name : u.host;
		struct in6_addr dummy;
		/* SNI carries names only, never addresses (RFC 6066 §3). */
		if (inet_pton(AF_INET, sni, &dummy) != 1 && inet_pton(AF_INET6, sni, &dummy) != 1)
			T->SSL_ctrl(run->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)sni);
		if (!run->def.tls_skip_verify) {
			if (inet_pton(AF_INET, sni, &dummy) == 1 || inet_pton(AF_INET6, sni, &dummy) == 1)
				T->X509_VERIFY_PARAM_set1_ip_asc(T->SSL_get0_param(run->ssl), sni);
			else
				T->SSL_set1_host(run->ssl, sni);
		}
		T->SSL_set_fd(run->ssl, run->fd);
	}
}

/* Go's words for a failed verification. */
static void tls_fail(struct run *run)
{
	long v = T->SSL_get_verify_result(run->ssl);
	if (v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
	    v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
		http_fail(run, "tls: failed to verify certificate: x509: certificate signed by unknown authority");
	else if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		http_fail(run, "tls: failed to verify certificate: x509: certificate is not valid for this host");
	else if (v == X509_V_ERR_CERT_HAS_EXPIRED)
		http_fail(run, "tls: failed to verify certificate: x509: certificate has expired or is not yet valid");
	else if (v != X509_V_OK)
		http_fail(run, "tls: failed to verify certificate: x509: %s", T->X509_verify_cert_error_string(v));
	else {
		char e[256] = "handshake failure";
		unsigned long code = T->ERR_get_error();
		if (code)
			T->ERR_error_string_n(code, e, sizeof e);
		http_fail(run, "remote error: tls: %s", e);
	}
	T->ERR_clear_error();
}

/* Continues an SSL call that wants more I/O. Returns true when it should be retried later. */
static bool ssl_wants(struct run *run, int rc)
{
	int e = T->SSL_get_error(run->ssl, rc);
	if (e == SSL_ERROR_WANT_READ) {
		watch(run, EV_READ);
		return true;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		watch(run, EV_WRITE);
		return true;
	}
	return false;
}

static void http_complete(struct run *run)
{
	struct http_reply *rep = run->reply;
	int code = rep->code;
	bool redirect = (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) && rep->location[0];
	if (redirect) {
		if (run->redirects++ >= MAX_REDIRECTS) {
			http_fail(run, "stopped after %d redirects", MAX_REDIRECTS);
			return;
		}
		/* Resolve the target against the current URL: absolute, or an absolute path. */
		struct buf next;
		buf_init(&next);
		if (strstr(rep->location, "://")) {
			buf_append_str(&next, rep->location);
		} else if (rep->location[0] == '/') {
			const char *auth = strstr(run->url, "://") + 3;
			size_t base = (size_t)(auth - run->url) + strcspn(auth, "/?#");
			buf_append(&next, run->url, base);
			buf_append_str(&next, rep->location);
		} else {
			buf_free(&next);
			goto done;
		}
		size_t len;
		free(run->url);
		run->url = buf_steal(&next, &len);
		/* Go: 301/302/303 turn into GET without a body (HEAD stays HEAD); 307/308 repeat. */
		if (code <= 303 && strcmp(run->method, "HEAD")) {
			free(run->method);
			run->method = strdup("GET");
			run->send_body = false;
		}
		ev_io_stop(run->r->loop, &run->io);
		if (run->ssl) {
			T->SSL_free(run->ssl);
			run->ssl = NULL;
		}
		close(run->fd);
		run->fd = -1;
		if (!run->url || !run->method) {
			http_fail(run, "out of memory");
			return;
		}
		http_connect(run);
		return;
	}
done:;
	struct buf msg;
	buf_init(&msg);
	check_format_http(&msg, run->method, run->def.http, rep->status_text, rep->body.data, rep->body.len);
	run_finish(run, check_http_classify(code), msg.data ? msg.data : "", false);
	buf_free(&msg);
}

static void http_io(struct run *run)
{
	if (run->phase == PHASE_TLS) {
		int rc = T->SSL_connect(run->ssl);
		if (rc != 1) {
			if (!ssl_wants(run, rc))
				tls_fail(run);
			return;
		}
		run->phase = PHASE_SEND;
		watch(run, EV_WRITE);
	}
	if (run->phase == PHASE_SEND) {
		while (run->out.pos < run->out.len) {
			size_t left = run->out.len - run->out.pos;
			ssize_t n;
			if (run->ssl) {
				int rc = T->SSL_write(run->ssl, run->out.data + run->out.pos, (int)(left > INT32_MAX ? INT32_MAX : left));
				if (rc <= 0) {
					if (!ssl_wants(run, rc))
						http_fail(run, "write: connection reset by peer");
					return;
				}
				n = rc;
			} else {
				n = send(run->fd, run->out.data + run->out.pos, left, MSG_NOSIGNAL);
				if (n < 0) {
					if (errno == EAGAIN || errno == EINTR)
						return;
					http_fail(run, "write tcp %s: %s", run->addr, strerror(errno));
					return;
				}
			}
			run->out.pos += (size_t)n;
		}
		run->phase = PHASE_RECV;
		watch(run, EV_READ);
	}
	if (run->phase != PHASE_RECV)
		return;
	char chunk[READ_CHUNK];
	for (;;) {
		ssize_t n;
		if (run->ssl) {
			int rc = T->SSL_read(run->ssl, chunk, sizeof chunk);
			if (rc <= 0) {
				int e = T->SSL_get_error(run->ssl, rc);
				if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && T->ERR_peek_error() == 0)) {
					n = 0; /* closed (a missing close_notify is common and harmless here) */
				} else if (ssl_wants(run, rc)) {
					return;
				} else {
					T->ERR_clear_error();
					http_fail(run, "read: TLS error");
					return;
				}
			} else {
				n = rc;
			}
		} else {
			n = recv(run->fd, chunk, sizeof chunk, 0);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				http_fail(run, "read tcp %s: %s", run->addr, strerror(errno));
				return;
			}
		}
		int rc = n == 0 ? http_reply_eof(run->reply) : http_reply_feed(run->reply, chunk, (size_t)n);
		if (rc < 0) {
			if (run->reply->error && !strcmp(run->reply->error, "EOF"))
				http_fail(run, "EOF");
			else
				http_fail(run, "net/http: HTTP/1.x transport connection broken: %s", run->reply->error);
			return;
		}
		if (rc > 0) {
			http_complete(run);
			return;
		}
	}
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct run *run = w->data;
	if (run->phase == PHASE_CONNECT) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(run->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			struct buf b;
			buf_init(&b);
			check_format_dial_error(&b, run->addr, dial_reason(err));
			if (run->def.kind == CHECK_HTTP)
				http_fail(run, "%s", b.data);
			else
				run_finish(run, "critical", b.data, false);
			buf_free(&b);
			return;
		}
		if (run->def.kind == CHECK_TCP) {
			struct buf b;
			buf_init(&b);
			check_format_tcp_ok(&b, run->def.tcp);
			run_finish(run, "passing", b.data, false);
			buf_free(&b);
			return;
		}
		run->phase = run->ssl ? PHASE_TLS : PHASE_SEND;
	}
	http_io(run);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct run *run = w->data;
	if (run->def.kind == CHECK_TCP) {
		struct buf b;
		buf_init(&b);
		check_format_dial_error(&b, run->addr, "i/o timeout");
		run_finish(run, "critical", b.data, false);
		buf_free(&b);
	} else if (run->def.kind == CHECK_HTTP) {
		if (run->phase == PHASE_RECV && run->reply && run->reply->state != HTTP_REPLY_HEAD)
			http_fail(run, "context deadline exceeded (Client.Timeout or context cancellation while reading body)");
		else
			http_fail(run, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
	} else if (run->def.kind == CHECK_SCRIPT) {
		run_finish(run, "critical", "consul-scriptd did not answer in time", true);
	} else {
		run_reset_io(run);
	}
}

/* --- scripts, through consul-scriptd --- */

static void on_script_reply(void *arg, const struct rpc_reply *reply)
{
	struct run *run = arg;
	run->call = 0;
	if (reply->status != 200) {
		struct buf b;
		buf_init(&b);
		buf_appendf(&b, "running the script failed: %.*s", (int)(reply->body_len > 300 ? 300 : reply->body_len),
			    reply->body ? reply->body : "");
		run_finish(run, "critical", b.data, reply->status == 503);
		buf_free(&b);
		return;
	}
	char err[128];
	yajl_val v = json_parse(reply->body ? reply->body : "", reply->body_len, err, sizeof err);
	const char *status = json_str(json_get(v, "Status"));
	const char *output = json_str(json_get(v, "Output"));
	if (!status || !check_status_valid(status)) {
		log_warnx("check %s: malformed reply from scriptd", run->def.id);
		run_finish(run, "critical", "malformed reply from consul-scriptd", true);
	} else {
		/* Consul publishes a timeout at once, past the thresholds. */
		run_finish(run, status, output ? output : "", json_is_true(json_get(v, "TimedOut")));
	}
	yajl_tree_free(v);
}

static void script_start(struct run *run)
{
	struct runner *r = run->r;
	if (!r->script) {
		run_finish(run, "critical", "script checks are not enabled on this agent", true);
		return;
	}
	struct buf args;
	buf_init(&args);
	struct jw w;
	jw_init(&w, &args);
	jw_obj_open(&w);
	jw_key(&w, "args");
	jw_arr_open(&w);
	for (size_t i = 0; i < run->def.nargs; i++)
		jw_str(&w, run->def.args[i]);
	jw_arr_close(&w);
	jw_kv_u64(&w, "timeout_ms", check_timeout_ms(&run->def));
	jw_kv_u64(&w, "output_max", run->def.output_max_size ? run->def.output_max_size : CHECK_OUTPUT_MAX_BYTES);
	jw_kv_str(&w, "check_id", run->def.id);
	jw_obj_close(&w);
	jw_free(&w);
	int64_t id = rpc_call(r->script, RPC_SCRIPT_RUN, args.data, args.len, on_script_reply, run);
	buf_free(&args);
	if (id < 0) {
		run_finish(run, "critical",
			   id == -ENOTCONN ? "consul-scriptd is not reachable (data_dir/run/script.sock)"
					   : "cannot ask consul-scriptd to run the script",
			   false);
		return;
	}
	run->call = id;
	run->call_client = r->script;
	run->phase = PHASE_CALL;
	ev_timer_set(&run->deadline, (double)(check_timeout_ms(&run->def) + SCRIPT_GRACE_MS) / 1000.0, 0.);
	ev_timer_start(r->loop, &run->deadline);
}

/* --- alias checks --- */

static void alias_local(struct run *run)
{
	struct ls_check *self = ls_check_get(run->r->ls, run->def.id);
	if (!self)
		return;
	struct buf out;
	buf_init(&out);
	const char *status = check_alias_eval_local(run->r->ls, self, &out);
	if (strcmp(self->status, status) || strcmp(self->output, out.data ? out.data : ""))
		publish(run, status, out.data ? out.data : "", true);
	buf_free(&out);
}

static void alias_remote_start(struct run *run);

static void on_alias_reply(void *arg, const struct rpc_reply *reply)
{
	struct run *run = arg;
	run->call = 0;
	run->phase = PHASE_IDLE;
	char err[128];
	yajl_val v = reply->status == 200 ? json_parse(reply->body ? reply->body : "", reply->body_len, err, sizeof err)
					  : NULL;
	if (!v || !YAJL_IS_ARRAY(v)) {
		/* Consul reports a failure from the second one on. */
		if (++run->alias_failures > 1) {
			struct buf b;
			buf_init(&b);
			buf_appendf(&b, "Failure checking aliased node or service: %.*s",
				    (int)(reply->body_len > 200 ? 200 : reply->body_len), reply->body ? reply->body : "");
			publish(run, "critical", b.data, true);
			buf_free(&b);
		}
		yajl_tree_free(v);
		run->alias_index = 0;
		run_schedule(run, ALIAS_RETRY_S);
		return;
	}
	run->alias_failures = 0;
	run->alias_index = reply->index ? reply->index : 1;
	size_t n = v->u.array.len;
	struct alias_item *items = n ? calloc(n, sizeof *items) : NULL;
	for (size_t i = 0; items && i < n; i++) {
		yajl_val c = v->u.array.values[i];
		const char *status = json_str(json_get(c, "Status"));
		items[i] = (struct alias_item){.node = json_str(json_get(c, "Node")),
					       .check_id = json_str(json_get(c, "CheckID")),
					       .service_id = json_str(json_get(c, "ServiceID")),
					       .name = json_str(json_get(c, "Name")),
					       .status = status ? status : "critical",
					       .output = json_str(json_get(c, "Output"))};
	}
	struct buf out;
	buf_init(&out);
	const char *sid = run->def.alias_service ? run->def.alias_service : "";
	/* A service without checks of its own cannot be told from a missing one here. */
	const char *status = check_alias_eval(items, items ? n : 0, run->def.alias_node, sid, false, &out);
	publish(run, status, out.data ? out.data : "", true);
	buf_free(&out);
	free(items);
	yajl_tree_free(v);
	alias_remote_start(run);
}

static void alias_remote_start(struct run *run)
{
	struct runner *r = run->r;
	if (!r->raft) {
		publish(run, "critical", "Failure checking aliased node or service: no catalog on this agent", true);
		return;
	}
	struct buf args;
	buf_init(&args);
	struct jw w;
	jw_init(&w, &args);
	jw_obj_open(&w);
	jw_kv_str(&w, "node", run->def.alias_node);
	if (run->alias_index) {
		jw_kv_u64(&w, "index", run->alias_index);
		jw_kv_u64(&w, "wait_ms", ALIAS_WAIT_MS);
	}
	jw_obj_close(&w);
	jw_free(&w);
	int64_t id = rpc_call(r->raft, RPC_HEALTH_NODE, args.data, args.len, on_alias_reply, run);
	buf_free(&args);
	if (id < 0) {
		struct rpc_reply down = {.status = 503, .body = "raftd is not reachable", .body_len = 22};
		on_alias_reply(run, &down);
		return;
	}
	run->call = id;
	run->call_client = r->raft;
	run->phase = PHASE_CALL;
}

/* --- scheduling --- */

static void run_start(struct run *run)
{
	if (run->phase != PHASE_IDLE)
		return; /* never two at once, as Consul waits for the last run */
	struct runner *r = run->r;
	switch (run->def.kind) {
	case CHECK_HTTP:
		free(run->url);
		free(run->method);
		run->url = strdup(run->def.http);
		run->method = strdup(run->def.method && *run->def.method ? run->def.method : "GET");
		run->send_body = true;
		run->redirects = 0;
		if (!run->url || !run->method) {
			log_warnx("check %s: out of memory", run->def.id);
			run_schedule(run, (double)check_interval_ms(&run->def) / 1000.0);
			return;
		}
		ev_timer_set(&run->deadline, (double)check_timeout_ms(&run->def) / 1000.0, 0.);
		ev_timer_start(r->loop, &run->deadline);
		http_connect(run);
		break;
	case CHECK_TCP:
		ev_timer_set(&run->deadline, (double)check_timeout_ms(&run->def) / 1000.0, 0.);
		ev_timer_start(r->loop, &run->deadline);
		tcp_start(run);
		break;
	case CHECK_SCRIPT:
		script_start(run);
		break;
	case CHECK_ALIAS:
		if (run->def.alias_node && *run->def.alias_node)
			alias_remote_start(run);
		else
			alias_local(run);
		break;
	default:
		break;
	}
}

static void on_next(struct ev_loop *loop, ev_timer *w, int revents)
{
	run_start(w->data);
}

static void run_schedule(struct run *run, double delay_s)
{
	ev_timer_stop(run->r->loop, &run->next);
	ev_timer_set(&run->next, delay_s, 0.);
	ev_timer_start(run->r->loop, &run->next);
}

static bool runnable(const struct ls_check *c)
{
	return c->def.kind == CHECK_HTTP || c->def.kind == CHECK_TCP || c->def.kind == CHECK_SCRIPT ||
	       c->def.kind == CHECK_ALIAS;
}

static bool local_alias(const struct check_def *d)
{
	return d->kind == CHECK_ALIAS && !(d->alias_node && *d->alias_node);
}

static struct run *run_new(struct runner *r, const struct ls_check *c)
{
	struct run *run = calloc(1, sizeof *run);
	if (!run || check_def_copy(&run->def, &c->def) < 0) {
		free(run);
		return NULL;
	}
	run->r = r;
	run->serial = c->serial;
	run->fd = -1;
	buf_init(&run->out);
	check_threshold_init(&run->th, &run->def);
	ev_timer_init(&run->next, on_next, 0., 0.);
	ev_timer_init(&run->deadline, on_deadline, 0., 0.);
	ev_init(&run->io, on_io);
	run->next.data = run->deadline.data = run->io.data = run;
	if (local_alias(&run->def))
		r->nlocal_alias++;
	return run;
}

static void run_free(struct run *run)
{
	run_reset_io(run);
	ev_timer_stop(run->r->loop, &run->next);
	if (local_alias(&run->def))
		run->r->nlocal_alias--;
	buf_free(&run->out);
	free(run->url);
	free(run->method);
	check_def_free(&run->def);
	free(run);
}

/* The first run waits a random part of the interval, as Consul's RandomStagger, so checks
 * registered together do not all fire at once. */
static void run_begin(struct run *run)
{
	run->started = true;
	if (run->def.kind == CHECK_ALIAS) {
		run_start(run);
		return;
	}
	uint64_t interval = check_interval_ms(&run->def);
	run_schedule(run, (double)((uint64_t)random() % interval) / 1000.0);
}

struct runner *runner_new(struct ev_loop *loop, struct local_state *ls, struct rpc_client *script,
			  struct rpc_client *raft, runner_result_cb cb, void *arg)
{
	struct runner *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	*r = (struct runner){.loop = loop, .ls = ls, .script = script, .raft = raft, .cb = cb, .arg = arg};
	srandom((unsigned)getpid() ^ (unsigned)(ev_time() * 1000.0));
	return r;
}

void runner_free(struct runner *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nruns; i++)
		run_free(r->runs[i]);
	free(r->runs);
	if (r->tls_verify)
		T->SSL_CTX_free(r->tls_verify);
	if (r->tls_noverify)
		T->SSL_CTX_free(r->tls_noverify);
	free(r);
}

void runner_reconcile(struct runner *r)
{
	struct local_state *ls = r->ls;
	size_t cap = ls->nchecks;
	struct run **fresh = cap ? calloc(cap, sizeof *fresh) : NULL;
	if (cap && !fresh) {
		log_warnx("runner: out of memory; checks keep their old schedule");
		return;
	}
	size_t n = 0, j = 0;
	/* Both lists are sorted by id: one merge walk. */
	for (size_t i = 0; i < ls->nchecks; i++) {
		const struct ls_check *c = ls->checks[i];
		while (j < r->nruns && strcmp(r->runs[j]->def.id, c->def.id) < 0)
			run_free(r->runs[j++]);
		struct run *old = j < r->nruns && !strcmp(r->runs[j]->def.id, c->def.id) ? r->runs[j++] : NULL;
		if (old && old->serial == c->serial) {
			fresh[n++] = old;
			continue;
		}
		if (old)
			run_free(old);
		if (!runnable(c))
			continue;
		struct run *run = run_new(r, c);
		if (!run) {
			log_warnx("check %s: out of memory; not running it", c->def.id);
			continue;
		}
		fresh[n++] = run;
		log_debug("check %s: running every %llu ms", c->def.id, (unsigned long long)check_interval_ms(&c->def));
	}
	while (j < r->nruns)
		run_free(r->runs[j++]);
	free(r->runs);
	r->runs = fresh;
	r->nruns = n;
	/* Start the new ones after the table is consistent: a local alias publishes at once. */
	for (size_t i = 0; i < r->nruns; i++) {
		struct run *run = r->runs[i];
		if (!run->started)
			run_begin(run);
	}
}

void runner_states_changed(struct runner *r)
{
	if (!r->nlocal_alias)
		return;
	/* A published alias result changes the state again: loop here instead of recursing. */
	if (r->evaluating) {
		r->evaluate_again = true;
		return;
	}
	r->evaluating = true;
	int rounds = 0;
	do {
		r->evaluate_again = false;
		for (size_t i = 0; i < r->nruns; i++)
			if (local_alias(&r->runs[i]->def))
				alias_local(r->runs[i]);
	} while (r->evaluate_again && ++rounds < 8);
	r->evaluating = false;
}

void runner_set_script(struct runner *r, struct rpc_client *script)
{
	r->script = script;
}
