/*
 * test_audit.c: the audit log (server/audit.c): JSON escaping of any
 * bytes, one line per event with its fields, the file's mode, rotation by
 * size, and a missing log that costs nothing.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include "server/audit.h"
#include "tests/tst.h"

int main(void);

static char dir[64];

/* Read dir/name into a new string (caller frees), or NULL. */
static char *
tread(const char *name)
{
	char path[128], *buf;
	struct stat st;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY)) < 0)
		return NULL;
	fstat(fd, &st);
	buf = calloc(1, (size_t)st.st_size + 1);
	ASSERT_INT_EQ(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	return buf;
}

/* Escaping: JSON's specials, control bytes, bytes that are not UTF-8. */
static void
test_escape(void)
{
	static const struct {
		const char	*in;
		const char	*out;
	} t[] = {
		{ "plain", "plain" },
		{ "q\"b\\", "q\\\"b\\\\" },
		{ "a\nb\tc\x01", "a\\u000ab\\u0009c\\u0001" },
		{ "名前 ü", "名前 ü" },
		{ "bad\xff\xc0\x80", "bad\\u00ff\\u00c0\\u0080" },
		{ "cut\xe2\x82", "cut\\u00e2\\u0082" },
		{ "del\x7f", "del\\u007f" },
	};
	char *e;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		e = audit_escape(t[i].in);
		ASSERT_STR_EQ(e, t[i].out);
		free(e);
	}
}

/* Events, fields, the mode, and rotation past the bound. */
static void
test_log(void)
{
	struct audit *a = audit_open(dir, 400);
	struct audit_rec *e;
	struct stat st;
	char path[128], *text, *one;
	int i;

	ASSERT_TRUE(a != NULL);
	e = audit_begin(a, "session_start");
	audit_uint(e, "conn", 7);
	audit_str(e, "peer_id", "123 \"x\"");
	audit_bool(e, "encrypted", 1);
	audit_int(e, "delta", -3);
	audit_end(e);
	text = tread("audit.log");
	ASSERT_TRUE(text != NULL);
	ASSERT_TRUE(strncmp(text, "{\"time\":\"20", 11) == 0);
	ASSERT_TRUE(strstr(text, "Z\",\"event\":\"session_start\",\"conn\":7,"
	    "\"peer_id\":\"123 \\\"x\\\"\",\"encrypted\":true,\"delta\":-3}\n")
	    != NULL);
	free(text);
	snprintf(path, sizeof path, "%s/audit.log", dir);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	for (i = 0; i < 20; i++) {
		e = audit_begin(a, "file");
		audit_uint(e, "n", (uint64_t)i);
		audit_end(e);
	}
	audit_free(a);
	/* Rotated: .1 holds older lines, the current file is small. */
	one = tread("audit.log.1");
	text = tread("audit.log");
	ASSERT_TRUE(one != NULL && text != NULL);
	ASSERT_TRUE(strlen(text) <= 400);
	ASSERT_TRUE(strstr(text, "\"n\":19}") != NULL);
	ASSERT_TRUE(strstr(one, "\"n\":19}") == NULL);
	free(one);
	free(text);
	/* Never more than AUDIT_KEEP old files. */
	snprintf(path, sizeof path, "%s/audit.log.%d", dir, AUDIT_KEEP + 1);
	ASSERT_INT_EQ(access(path, F_OK), -1);
	/* No log: every call is a no-op. */
	e = audit_begin(NULL, "x");
	ASSERT_TRUE(e == NULL);
	audit_str(e, "k", "v");
	audit_end(e);
	ASSERT_TRUE(audit_open("/nonexistent/folder", 0) == NULL);
}

/* Runs the tests in a fresh folder. */
int
main(void)
{
	char cmd[96];

	snprintf(dir, sizeof dir, "/tmp/cdesk-test-audit.XXXXXX");
	if (mkdtemp(dir) == NULL)
		TST_FAIL("mkdtemp");
	TST_RUN(test_escape);
	TST_RUN(test_log);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		TST_FAIL("cleanup");
	return 0;
}
