/* log.h: the one logging API. Every line goes to stderr, prefixed with time, level and role.
 *
 *   log_init("raftd", LOG_INFO);
 *   log_info("store: restored %zu entries from %s", n, path);
 *   fatal("bind %s", addr);        // appends strerror(errno), exits 1
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

enum log_level { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERR };

void log_init(const char *role, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses Consul's -log-level names (trace, debug, info, warn, err/error). Returns 0 or -1. */
int log_level_parse(const char *name, enum log_level *out);

void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal appends strerror(errno); fatalx does not. Both exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
