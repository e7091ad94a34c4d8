/* log.c: timestamped, levelled lines on stderr, prefixed with the role. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static const char *log_role = "consul";
static enum log_level log_min = LOG_INFO;

static const char *const level_tags[] = {
	[LOG_TRACE] = "[TRACE]", [LOG_DEBUG] = "[DEBUG]", [LOG_INFO] = "[INFO] ",
	[LOG_WARN] = "[WARN] ",  [LOG_ERR] = "[ERROR]",
};

void log_init(const char *role, enum log_level level)
{
	log_role = role;
	log_min = level;
}

void log_set_level(enum log_level level)
{
	log_min = level;
}

enum log_level log_get_level(void)
{
	return log_min;
}

int log_level_parse(const char *name, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{"trace", LOG_TRACE}, {"debug", LOG_DEBUG}, {"info", LOG_INFO},
		{"warn", LOG_WARN},   {"err", LOG_ERR},     {"error", LOG_ERR},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -1;
}

__attribute__((format(printf, 3, 0))) static void log_emit(enum log_level level, int errnum, const char *fmt,
							     va_list ap)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
			 level_tags[level], log_role);
	if (n < 0)
		return;
	size_t used = (size_t)n;
	n = vsnprintf(line + used, sizeof line - used, fmt, ap);
	if (n > 0)
		used += (size_t)n < sizeof line - used ? (size_t)n : sizeof line - used - 1;
	if (errnum != 0 && used < sizeof line - 1) {
		n = snprintf(line + used, sizeof line - used, ": %s", strerror(errnum));
		if (n > 0)
			used += (size_t)n < sizeof line - used ? (size_t)n : sizeof line - used - 1;
	}
	if (used >= sizeof line - 1)
		used = sizeof line - 2;
	line[used++] = '\n';
	/* One write per line so lines from sibling roles sharing stderr do not interleave. */
	fwrite(line, 1, used, stderr);
	fflush(stderr);
}

#define LOG_FN(fn, level, with_errno)                                                              \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		int saved = errno;                                                                 \
		if (level < log_min)                                                               \
			return;                                                                    \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_emit(level, with_errno ? saved : 0, fmt, ap);                                  \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_trace, LOG_TRACE, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_warn, LOG_WARN, 1)
LOG_FN(log_warnx, LOG_WARN, 0)
LOG_FN(log_error, LOG_ERR, 0)

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
