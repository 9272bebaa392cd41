/*
 * x11_auth.c: the cookie of the shared display (x11_auth.h): read from the
 * session's X authority file on the main loop, presented by every X
 * connection the services open, whatever their thread.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/x11/x11_auth.h"

#define X11_FAMILY_LOCAL	256
#define X11_FAMILY_WILD		65535
#define X11_COOKIE_NAME		"MIT-MAGIC-COOKIE-1"

/* The display told last and its cookie; under x11_auth_mu. */
static pthread_mutex_t x11_auth_mu = PTHREAD_MUTEX_INITIALIZER;
static char *x11_auth_display;
static struct x11_cookie x11_auth_cookie;
static int x11_auth_have;

/* A bounded reader over the file's bytes. */
struct x11_rd {
	const uint8_t	*p;
	size_t		 left;
};

/* Reads a big-endian 16-bit value; -1 at the end. */
static int
x11_rd_u16(struct x11_rd *rd, unsigned *v)
{
	if (rd->left < 2)
		return -1;
	*v = (unsigned)rd->p[0] << 8 | rd->p[1];
	rd->p += 2;
	rd->left -= 2;
	return 0;
}

/* Reads a counted string (borrowed bytes); -1 past the end. */
static int
x11_rd_str(struct x11_rd *rd, const uint8_t **s, size_t *len)
{
	unsigned n;

	if (x11_rd_u16(rd, &n) != 0 || n > rd->left)
		return -1;
	*s = rd->p;
	*len = n;
	rd->p += n;
	rd->left -= n;
	return 0;
}

/* 1 when the counted string s (len) equals the C string want. */
static int
x11_str_is(const uint8_t *s, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(s, want, len) == 0;
}

/* The display number of a local display, or -1. */
int
x11_auth_number(const char *display)
{
	const char *p;
	char *end;
	long n;

	if (display == NULL)
		return -1;
	if (strncmp(display, "unix:", 5) == 0)
		p = display + 5;
	else if (display[0] == ':')
		p = display + 1;
	else
		return -1;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno != 0 || n > 65535 || (*end != '\0' && *end != '.'))
		return -1;
	return (int)n;
}

/* Finds the cookie of display num for host in an Xauthority file. */
int
x11_auth_parse(const uint8_t *buf, size_t len, const char *host, int num,
    struct x11_cookie *out)
{
	struct x11_rd rd = { buf, len };
	const uint8_t *addr, *number, *name, *data;
	size_t alen, nlen, namelen, dlen;
	unsigned family;
	char want[16];
	int ok_host, ok_num;

	memset(out, 0, sizeof *out);
	snprintf(want, sizeof want, "%d", num);
	while (rd.left > 0) {
		if (x11_rd_u16(&rd, &family) != 0 ||
		    x11_rd_str(&rd, &addr, &alen) != 0 ||
		    x11_rd_str(&rd, &number, &nlen) != 0 ||
		    x11_rd_str(&rd, &name, &namelen) != 0 ||
		    x11_rd_str(&rd, &data, &dlen) != 0)
			return ERR_INVAL;
		ok_host = family == X11_FAMILY_WILD ||
		    (family == X11_FAMILY_LOCAL && host != NULL &&
		    x11_str_is(addr, alen, host));
		ok_num = nlen == 0 || x11_str_is(number, nlen, want);
		if (!ok_host || !ok_num ||
		    !x11_str_is(name, namelen, X11_COOKIE_NAME) ||
		    dlen == 0 || dlen > sizeof out->data)
			continue;
		memcpy(out->name, name, namelen);
		out->name_len = namelen;
		memcpy(out->data, data, dlen);
		out->data_len = dlen;
		return 0;
	}
	return ERR_NOTFOUND;
}

/* Appends a big-endian 16-bit value, then n bytes of s when s is set. */
static void
x11_put(uint8_t **buf, size_t *len, unsigned v, const void *s, size_t n)
{
	*buf = xreallocarray(*buf, *len + 2 + n, 1);
	(*buf)[*len] = (uint8_t)(v >> 8);
	(*buf)[*len + 1] = (uint8_t)v;
	*len += 2;
	if (s != NULL) {
		memcpy(*buf + *len, s, n);
		*len += n;
	}
}

/* Appends one cookie entry. */
void
x11_auth_append(uint8_t **buf, size_t *len, const char *host, int num,
    const uint8_t *cookie, size_t cookie_len)
{
	char number[16];

	number[0] = '\0';
	if (num >= 0)
		snprintf(number, sizeof number, "%d", num);
	x11_put(buf, len, host != NULL ? X11_FAMILY_LOCAL : X11_FAMILY_WILD,
	    NULL, 0);
	x11_put(buf, len, (unsigned)(host != NULL ? strlen(host) : 0), host,
	    host != NULL ? strlen(host) : 0);
	x11_put(buf, len, (unsigned)strlen(number), number, strlen(number));
	x11_put(buf, len, (unsigned)strlen(X11_COOKIE_NAME), X11_COOKIE_NAME,
	    strlen(X11_COOKIE_NAME));
	x11_put(buf, len, (unsigned)cookie_len, cookie, cookie_len);
}

/*
 * Reads path (not through a symlink; a regular file of root, uid or ours
 * with one link) into *buf, *len. Returns 0 or ERR_DENIED / ERR_IO.
 */
static int
x11_auth_read(const char *path, long uid, uint8_t **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_warn("X authority %s: %s", path, strerror(errno));
		return errno == ELOOP ? ERR_DENIED : ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != 0 && (long)st.st_uid != uid &&
	    st.st_uid != geteuid())) {
		log_warn("X authority %s: not a regular file of root or uid "
		    "%ld with one link: not used", path, uid);
		r = ERR_DENIED;
		goto out;
	}
	*buf = xmalloc(X11_AUTH_FILE_MAX);
	while (*len < X11_AUTH_FILE_MAX && (n = read(fd, *buf + *len,
	    X11_AUTH_FILE_MAX - *len)) > 0)
		*len += (size_t)n;
out:
	close(fd);
	return r;
}

/* Replaces the cookie (locked). */
static void
x11_auth_store(const char *display, const struct x11_cookie *ck)
{
	pthread_mutex_lock(&x11_auth_mu);
	free(x11_auth_display);
	x11_auth_display = display != NULL ? xstrdup(display) : NULL;
	sodium_memzero(&x11_auth_cookie, sizeof x11_auth_cookie);
	x11_auth_have = ck != NULL;
	if (ck != NULL)
		x11_auth_cookie = *ck;
	pthread_mutex_unlock(&x11_auth_mu);
}

/* Reads the cookie of display from path. */
int
x11_auth_set(const char *display, const char *path, long uid)
{
	struct x11_cookie ck;
	char host[256];
	uint8_t *buf;
	size_t len;
	int num, r;

	x11_auth_store(NULL, NULL);
	if (display == NULL || path == NULL ||
	    (num = x11_auth_number(display)) < 0)
		return 0;
	if ((r = x11_auth_read(path, uid, &buf, &len)) != 0)
		return r;
	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	r = x11_auth_parse(buf, len, host, num, &ck);
	sodium_memzero(buf, X11_AUTH_FILE_MAX);
	free(buf);
	if (r == 0)
		x11_auth_store(display, &ck);
	else
		log_warn_r(r, "X authority %s: no cookie for display %s",
		    path, display);
	sodium_memzero(&ck, sizeof ck);
	return r;
}

/* Connects with the cookie of display, if one was read. */
xcb_connection_t *
x11_connect(const char *display, int *screen)
{
	struct x11_cookie ck;
	xcb_auth_info_t auth;
	xcb_connection_t *c;
	int have;

	pthread_mutex_lock(&x11_auth_mu);
	have = x11_auth_have && display != NULL &&
	    x11_auth_display != NULL && strcmp(display, x11_auth_display) == 0;
	if (have)
		ck = x11_auth_cookie;
	pthread_mutex_unlock(&x11_auth_mu);
	if (!have)
		return xcb_connect(display, screen);
	auth.namelen = (int)ck.name_len;
	auth.name = ck.name;
	auth.datalen = (int)ck.data_len;
	auth.data = (char *)ck.data;
	c = xcb_connect_to_display_with_auth_info(display, &auth, screen);
	sodium_memzero(&ck, sizeof ck);
	return c;
}
