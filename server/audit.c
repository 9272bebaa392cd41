/*
 * audit.c: the audit log (audit.h, docs/audit.md): JSON lines appended
 * with one write each, the file kept at mode 0600 and rotated by size.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/utf8.h"
#include "common/xmalloc.h"
#include "server/audit.h"

struct audit {
	char		*path;		/* owned */
	int		 fd;
	uint64_t	 size;		/* bytes in the current file */
	uint64_t	 max;
	int		 failing;	/* a write failed; said once */
};

struct audit_rec {
	struct audit	*a;		/* borrowed */
	char		*buf;		/* owned */
	size_t		 len;
	size_t		 cap;
};

/* Append n bytes to a record. */
static void
audit_put(struct audit_rec *e, const char *p, size_t n)
{
	if (e->len + n + 1 > e->cap) {
		while (e->len + n + 1 > e->cap)
			e->cap = e->cap ? e->cap * 2 : 256;
		e->buf = xreallocarray(e->buf, e->cap, 1);
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
	e->buf[e->len] = '\0';
}

/* Append s escaped as a JSON string body. */
static void
audit_put_escaped(struct audit_rec *e, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char tmp[8];
	size_t n;

	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)*p++;
			audit_put(e, tmp, 2);
		} else if (*p < 0x20 || *p == 0x7f ||
		    (n = utf8_seq_len(p)) == 0) {
			/* Control bytes, and bytes that are not UTF-8 (a
			 * file name may be anything), as \u00XX. */
			snprintf(tmp, sizeof tmp, "\\u%04x", *p++);
			audit_put(e, tmp, 6);
		} else {
			audit_put(e, (const char *)p, n);
			p += n;
		}
	}
}

/* s escaped, for tests. */
char *
audit_escape(const char *s)
{
	struct audit_rec e;

	memset(&e, 0, sizeof e);
	audit_put(&e, "", 0);
	audit_put_escaped(&e, s);
	return e.buf;
}

/* Open (or reopen) the file for appending. */
static int
audit_reopen(struct audit *a)
{
	struct stat st;

	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (a->fd < 0) {
		log_warn("audit: %s: %s", a->path, strerror(errno));
		return -1;
	}
	/* Whoever made it, it is ours alone from now on. */
	if (fchmod(a->fd, 0600) != 0 || fstat(a->fd, &st) != 0) {
		log_warn("audit: %s: %s", a->path, strerror(errno));
		close(a->fd);
		a->fd = -1;
		return -1;
	}
	a->size = (uint64_t)st.st_size;
	return 0;
}

/* Open the log in dir. */
struct audit *
audit_open(const char *dir, uint64_t max_size)
{
	struct audit *a = xcalloc(1, sizeof *a);

	xasprintf(&a->path, "%s/%s", dir, AUDIT_FILE);
	a->max = max_size != 0 ? max_size : AUDIT_MAX_SIZE;
	if (audit_reopen(a) != 0) {
		free(a->path);
		free(a);
		return NULL;
	}
	log_info("audit: logging to %s", a->path);
	return a;
}

/* Close the log. */
void
audit_free(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a->path);
	free(a);
}

/* Shift audit.log.N to .N+1 (the last one goes) and start a new file. */
static void
audit_rotate(struct audit *a)
{
	char *from, *to;
	int i;

	close(a->fd);
	a->fd = -1;
	for (i = AUDIT_KEEP; i >= 1; i--) {
		if (i > 1)
			xasprintf(&from, "%s.%d", a->path, i - 1);
		else
			from = xstrdup(a->path);
		xasprintf(&to, "%s.%d", a->path, i);
		if (rename(from, to) != 0 && errno != ENOENT)
			log_warn("audit: %s: %s", from, strerror(errno));
		free(from);
		free(to);
	}
	audit_reopen(a);
}

/* Start an event. */
struct audit_rec *
audit_begin(struct audit *a, const char *event)
{
	struct audit_rec *e;
	struct timespec ts;
	struct tm tm;
	char t[96];

	if (a == NULL)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->a = a;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);
	audit_put(e, "{\"time\":\"", 9);
	audit_put(e, t, strlen(t));
	audit_put(e, "\"", 1);
	audit_str(e, "event", event);
	return e;
}

/* Append ,"key": with the key escaped. */
static void
audit_key(struct audit_rec *e, const char *key)
{
	audit_put(e, ",\"", 2);
	audit_put_escaped(e, key);
	audit_put(e, "\":", 2);
}

/* Add a string. */
void
audit_str(struct audit_rec *e, const char *key, const char *value)
{
	if (e == NULL)
		return;
	audit_key(e, key);
	audit_put(e, "\"", 1);
	audit_put_escaped(e, value != NULL ? value : "");
	audit_put(e, "\"", 1);
}

/* Add a signed number. */
void
audit_int(struct audit_rec *e, const char *key, int64_t v)
{
	char t[32];

	if (e == NULL)
		return;
	audit_key(e, key);
	snprintf(t, sizeof t, "%" PRId64, v);
	audit_put(e, t, strlen(t));
}

/* Add an unsigned number. */
void
audit_uint(struct audit_rec *e, const char *key, uint64_t v)
{
	char t[32];

	if (e == NULL)
		return;
	audit_key(e, key);
	snprintf(t, sizeof t, "%" PRIu64, v);
	audit_put(e, t, strlen(t));
}

/* Add true or false. */
void
audit_bool(struct audit_rec *e, const char *key, int v)
{
	if (e == NULL)
		return;
	audit_key(e, key);
	audit_put(e, v ? "true" : "false", v ? 4 : 5);
}

/* Write the line and free the record. */
void
audit_end(struct audit_rec *e)
{
	struct audit *a;
	ssize_t w;

	if (e == NULL)
		return;
	a = e->a;
	audit_put(e, "}\n", 2);
	if (a->fd >= 0 && a->size > 0 && a->size + e->len > a->max)
		audit_rotate(a);
	if (a->fd >= 0) {
		/* One write: lines never interleave, a crash cuts at most
		 * the last one. */
		if ((w = write(a->fd, e->buf, e->len)) < 0) {
			/* A full disk fails every record: say it once, and
			 * again once writing works. */
			if (!a->failing)
				log_warn("audit: %s: %s (records are lost "
				    "until it can be written)", a->path,
				    strerror(errno));
			a->failing = 1;
		} else {
			if (a->failing)
				log_info("audit: %s: writing again", a->path);
			a->failing = 0;
			a->size += (uint64_t)w;
		}
	}
	free(e->buf);
	free(e);
}
