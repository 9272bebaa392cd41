/*
 * log.c: the log sink (stderr, or a file rotated by size), level filter
 * and escaping.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"

static enum log_level log_level = LOG_INFO;
static const char *log_ident = "cdesk";

/* The file sink (log_to_file); lines from any thread, one at a time. */
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE		*log_file;
static char		*log_path;
static uint64_t		 log_size, log_max;
static int		 log_keep;

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

/* Open (or create, 0600) the log file for appending; 0 or -1. */
static int
log_file_open(void)
{
	int fd;

	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if ((log_file = fdopen(fd, "a")) == NULL) {
		close(fd);
		return -1;
	}
	fseek(log_file, 0, SEEK_END);
	log_size = (uint64_t)ftell(log_file);
	return 0;
}

/*
 * Shift path.N to .N+1 (the last one goes) and start a new file, as the
 * audit log does. Under log_lock; a file that cannot be reopened leaves
 * the lines on stderr.
 */
static void
log_file_rotate(void)
{
	char from[4096], to[4096];
	int i;

	/* No allocation here: fatal() on a failed one would log again. */
	fclose(log_file);
	log_file = NULL;
	for (i = log_keep; i >= 1; i--) {
		if (i > 1)
			snprintf(from, sizeof from, "%s.%d", log_path, i - 1);
		else
			snprintf(from, sizeof from, "%s", log_path);
		snprintf(to, sizeof to, "%s.%d", log_path, i);
		rename(from, to);
	}
	log_file_open();
}

/* Send one formatted line to the file sink or stderr. */
static void
log_put(const char *text)
{
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL) {
		fputs(text, log_file);
		fflush(log_file);
		log_size += strlen(text);
		if (log_size >= log_max)
			log_file_rotate();
	} else {
		fputs(text, stderr);
		/* The Windows C runtime buffers a redirected stderr. */
		fflush(stderr);
	}
	pthread_mutex_unlock(&log_lock);
}

/* Write one line: time, ident, level, message, optional error text. */
static void
log_vwrite(enum log_level lvl, const char *file, int line, const char *func,
    int r, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"panic", "error", "warn", "info", "debug", "trace"
	};
	char msg[1024], text[1400];
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof msg, fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (log_level >= LOG_DEBUG)
		snprintf(text, sizeof text,
		    "%02d:%02d:%02d.%03ld %s %s: %s%s%s [%s:%d %s]\n",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    log_ident, names[lvl], msg, r <= 0 ? ": " : "",
		    r <= 0 ? err_str(r) : "", file, line, func);
	else
		snprintf(text, sizeof text, "%02d:%02d:%02d.%03ld %s %s: %s%s%s\n",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    log_ident, names[lvl], msg, r <= 0 ? ": " : "",
		    r <= 0 ? err_str(r) : "");
	log_put(text);
}

/* Send every line to a file from now on; see log.h. */
int
log_to_file(const char *path, uint64_t max_size, int keep, char **cause)
{
	int r = 0;

	*cause = NULL;
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = xstrdup(path);
	log_max = max_size;
	log_keep = keep;
	if (log_file_open() != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(log_path);
		log_path = NULL;
		r = ERR_IO;
	}
	pthread_mutex_unlock(&log_lock);
	return r;
}

/* Back to stderr. */
void
log_to_stderr(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
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
