/*
 * test_x11_auth.c: the X authority of the shared display: finding a
 * display's cookie in Xauthority bytes (host, wildcard, number, name,
 * malformed files), which files are read (no symlink, no second link, no
 * other owner), and connecting with the cookie read.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"
#include "server/x11/x11_auth.h"
#include "tests/tst.h"

int main(void);

static const uint8_t cookie_a[16] = "0123456789abcdef";
static const uint8_t cookie_b[16] = "fedcba9876543210";

/* Display names: local ones give their number, the rest -1. */
static void
test_number(void)
{
	ASSERT_INT_EQ(x11_auth_number(":0"), 0);
	ASSERT_INT_EQ(x11_auth_number(":12.1"), 12);
	ASSERT_INT_EQ(x11_auth_number("unix:3"), 3);
	ASSERT_INT_EQ(x11_auth_number("host:3"), -1);
	ASSERT_INT_EQ(x11_auth_number(":x"), -1);
	ASSERT_INT_EQ(x11_auth_number(":70000"), -1);
	ASSERT_INT_EQ(x11_auth_number(NULL), -1);
}

/* The entry of our host and display wins; others are skipped. */
static void
test_parse(void)
{
	struct x11_cookie ck;
	uint8_t *buf = NULL;
	size_t len = 0;

	x11_auth_append(&buf, &len, "otherhost", 5, cookie_b, 16);
	x11_auth_append(&buf, &len, "myhost", 4, cookie_b, 16);
	x11_auth_append(&buf, &len, "myhost", 5, cookie_a, 16);
	ASSERT_INT_EQ(x11_auth_parse(buf, len, "myhost", 5, &ck), 0);
	ASSERT_STR_EQ(ck.name, "MIT-MAGIC-COOKIE-1");
	ASSERT_INT_EQ(ck.name_len, 18);
	ASSERT_INT_EQ(ck.data_len, 16);
	ASSERT_MEM_EQ(ck.data, cookie_a, 16);
	ASSERT_INT_EQ(x11_auth_parse(buf, len, "myhost", 4, &ck), 0);
	ASSERT_MEM_EQ(ck.data, cookie_b, 16);
	ASSERT_INT_EQ(x11_auth_parse(buf, len, "myhost", 6, &ck),
	    ERR_NOTFOUND);
	ASSERT_INT_EQ(x11_auth_parse(buf, len, "nohost", 5, &ck),
	    ERR_NOTFOUND);
	/* A wildcard entry serves any host. */
	x11_auth_append(&buf, &len, NULL, 6, cookie_b, 16);
	ASSERT_INT_EQ(x11_auth_parse(buf, len, "nohost", 6, &ck), 0);
	ASSERT_MEM_EQ(ck.data, cookie_b, 16);
	/* Cut anywhere inside the last entry: malformed. */
	ASSERT_INT_EQ(x11_auth_parse(buf, len - 1, "nohost", 6, &ck),
	    ERR_INVAL);
	ASSERT_INT_EQ(x11_auth_parse(buf, len - 17, "nohost", 6, &ck),
	    ERR_INVAL);
	ASSERT_INT_EQ(x11_auth_parse(buf, 0, "nohost", 6, &ck),
	    ERR_NOTFOUND);
	free(buf);
}

/* An entry of another protocol, or an empty one, is not a cookie. */
static void
test_parse_names(void)
{
	struct x11_cookie ck;
	static const uint8_t xdm[] = {
		0x01, 0x00, 0x00, 0x01, 'h', 0x00, 0x01, '1',
		0x00, 0x13, 'X', 'D', 'M', '-', 'A', 'U', 'T', 'H', 'O', 'R',
		'I', 'Z', 'A', 'T', 'I', 'O', 'N', '-', '1',
		0x00, 0x02, 0xaa, 0xbb,
	};
	uint8_t *buf = NULL;
	size_t len = 0;

	ASSERT_INT_EQ(x11_auth_parse(xdm, sizeof xdm, "h", 1, &ck),
	    ERR_NOTFOUND);
	x11_auth_append(&buf, &len, "h", 1, cookie_a, 0);
	ASSERT_INT_EQ(x11_auth_parse(buf, len, "h", 1, &ck), ERR_NOTFOUND);
	free(buf);
	/* An empty number matches every display. */
	buf = malloc(64);
	memcpy(buf, "\x01\x00\x00\x01h\x00\x00\x00\x12MIT-MAGIC-COOKIE-1"
	    "\x00\x02\xaa\xbb", 31);
	ASSERT_INT_EQ(x11_auth_parse(buf, 31, "h", 9, &ck), 0);
	ASSERT_INT_EQ(ck.data_len, 2);
	ASSERT_INT_EQ(ck.data[1], 0xbb);
	free(buf);
	buf = NULL;
	len = 0;
	x11_auth_append(&buf, &len, NULL, -1, cookie_b, 16);
	ASSERT_INT_EQ(x11_auth_parse(buf, len, "any", 42, &ck), 0);
	ASSERT_MEM_EQ(ck.data, cookie_b, 16);
	free(buf);
}

/* Writes an Xauthority file with one wildcard cookie for display num. */
static void
write_auth(const char *path, int num)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd;

	x11_auth_append(&buf, &len, NULL, num, cookie_a, 16);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(write(fd, buf, len), (long long)len);
	close(fd);
	free(buf);
}

/* Symlinks, second links and other owners are refused. */
static void
test_set_files(void)
{
	char dir[] = "/tmp/cdesk-x11auth.XXXXXX", f[128], l[128], h[128];

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(f, sizeof f, "%s/auth", dir);
	snprintf(l, sizeof l, "%s/link", dir);
	snprintf(h, sizeof h, "%s/hard", dir);
	write_auth(f, 7);
	ASSERT_INT_EQ(x11_auth_set(":7", f, (long)getuid()), 0);
	ASSERT_INT_EQ(x11_auth_set(":8", f, (long)getuid()), ERR_NOTFOUND);
	ASSERT_INT_EQ(symlink(f, l), 0);
	ASSERT_INT_EQ(x11_auth_set(":7", l, (long)getuid()), ERR_DENIED);
	ASSERT_INT_EQ(link(f, h), 0);
	ASSERT_INT_EQ(x11_auth_set(":7", f, (long)getuid()), ERR_DENIED);
	unlink(h);
	if (geteuid() == 0) {
		ASSERT_INT_EQ(chown(f, 65534, 65534), 0);
		ASSERT_INT_EQ(x11_auth_set(":7", f, 1234), ERR_DENIED);
		ASSERT_INT_EQ(x11_auth_set(":7", f, 65534), 0);
	}
	ASSERT_INT_EQ(x11_auth_set(":7", dir, (long)getuid()), ERR_DENIED);
	ASSERT_INT_EQ(x11_auth_set(NULL, NULL, -1), 0);
	unlink(l);
	unlink(f);
	rmdir(dir);
}

/* With a cookie read for $DISPLAY, connections to it still work (a
 * server without access control takes any cookie). */
static void
test_connect(void)
{
	const char *d = getenv("DISPLAY");
	char dir[] = "/tmp/cdesk-x11auth.XXXXXX", f[128];
	xcb_connection_t *c;
	int num;

	if (d == NULL || (num = x11_auth_number(d)) < 0)
		return;
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(f, sizeof f, "%s/auth", dir);
	write_auth(f, num);
	ASSERT_INT_EQ(x11_auth_set(d, f, (long)getuid()), 0);
	c = x11_connect(d, NULL);
	ASSERT_INT_EQ(xcb_connection_has_error(c), 0);
	xcb_disconnect(c);
	ASSERT_INT_EQ(x11_auth_set(NULL, NULL, -1), 0);
	unlink(f);
	rmdir(dir);
}

int
main(void)
{
	TST_RUN(test_number);
	TST_RUN(test_parse);
	TST_RUN(test_parse_names);
	TST_RUN(test_set_files);
	TST_RUN(test_connect);
	return 0;
}
