/* log.c: the log sink (stderr), level filter and escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"

static enum log_level log_level = LOG_INFO;
static const char *log_ident = "cdesk";

/* Set the most verbose level printed. */
void
log_set_level(enum log_level l)
{
	log_level = l;
}

/* Return the most verbose level printed. */
enum log_level
log_get_level(void)
{
	return log_level;
}

/* Set the prefix of every line. */
void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

/* Write one line: time, ident, level, message, optional error text. */
static void
log_vwrite(enum log_level lvl, const char *file, int line, const char *func,
    int r, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"panic", "error", "warn", "info", "debug", "trace"
	};
	char msg[1024];
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof msg, fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (log_level >= LOG_DEBUG)
		fprintf(stderr, "%02d:%02d:%02d.%03ld %s %s: %s%s%s [%s:%d %s]\n",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    log_ident, names[lvl], msg, r <= 0 ? ": " : "",
		    r <= 0 ? err_str(r) : "", file, line, func);
	else
		fprintf(stderr, "%02d:%02d:%02d.%03ld %s %s: %s%s%s\n",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    log_ident, names[lvl], msg, r <= 0 ? ": " : "",
		    r <= 0 ? err_str(r) : "");
}

/* Log one line at level lvl; r <= 0 appends err_str(r). */
void
log_write(enum log_level lvl, const char *file, int line, const char *func,
    int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(lvl, file, line, func, r, fmt, ap);
	va_end(ap);
	if (lvl == LOG_PANIC)
		abort();
}

/* Log and exit: for start-up failures, OOM and broken invariants. */
void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERROR, "", 0, "", 1, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Return an escaped copy of a peer string; caller frees. */
char *
log_escape(const char *s, size_t max)
{
	size_t i, o = 0, n;
	char *out;

	if (s == NULL)
		return xstrdup("(null)");
	n = strnlen(s, max);
	out = xmalloc(n * 4 + 4);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)sprintf(out + o, "\\x%02x", c);
	}
	if (s[n] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* Return 1 if another line may be printed under this limiter. */
int
log_ratelimit_ok(struct log_ratelimit *rl, int interval, int burst)
{
	long now = (long)(mono_ms() / 1000);

	if (now - rl->window >= interval) {
		rl->window = now;
		rl->count = 0;
	}
	if (rl->count >= burst) {
		rl->suppressed++;
		return 0;
	}
	rl->count++;
	return 1;
}
