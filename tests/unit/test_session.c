/*
 * test_session.c: the session source's pieces that need no bus and no
 * other user: display names, who listens on an X socket (SO_PEERCRED on
 * an abstract socket of our own), which X authority files are trusted,
 * copying and describing a session.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include "common/err.h"
#include "server/session.h"
#include "server/session_int.h"
#include "tests/tst.h"

int main(void);

/* Display names: local ones give their number, the rest -1. */
static void
test_number(void)
{
	ASSERT_INT_EQ(session_x11_number(":0"), 0);
	ASSERT_INT_EQ(session_x11_number(":12.1"), 12);
	ASSERT_INT_EQ(session_x11_number("unix:3"), 3);
	ASSERT_INT_EQ(session_x11_number("unix:3.0"), 3);
	ASSERT_INT_EQ(session_x11_number("localhost:10.0"), -1);
	ASSERT_INT_EQ(session_x11_number(":"), -1);
	ASSERT_INT_EQ(session_x11_number(":x"), -1);
	ASSERT_INT_EQ(session_x11_number(":1x"), -1);
	ASSERT_INT_EQ(session_x11_number(":-1"), -1);
	ASSERT_INT_EQ(session_x11_number(":70000"), -1);
	ASSERT_INT_EQ(session_x11_number(""), -1);
	ASSERT_INT_EQ(session_x11_number(NULL), -1);
}

/* Listen on the abstract X socket name of a free display; returns fd. */
static int
listen_abstract(int *display)
{
	struct sockaddr_un sun;
	char path[64];
	socklen_t len;
	int fd, n;

	for (n = 3000 + (int)(getpid() % 1000); n < 5000; n++) {
		snprintf(path, sizeof path, "/tmp/.X11-unix/X%d", n);
		if (access(path, F_OK) == 0)
			continue;
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path + 1, path, strlen(path));
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(path));
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ASSERT_TRUE(fd >= 0);
		if (bind(fd, (struct sockaddr *)&sun, len) == 0 &&
		    listen(fd, 4) == 0) {
			*display = n;
			return fd;
		}
		close(fd);
	}
	TST_FAIL("no free display up to %d", n);
}

/* The kernel says who listens; nobody listening is ERR_NOTFOUND. */
static void
test_peer(void)
{
	char display[32];
	long uid, pid;
	int fd, n;

	fd = listen_abstract(&n);
	snprintf(display, sizeof display, ":%d.0", n);
	ASSERT_INT_EQ(session_x11_peer(display, &uid, &pid), 0);
	ASSERT_INT_EQ(uid, geteuid());
	ASSERT_INT_EQ(pid, getpid());
	close(fd);
	ASSERT_INT_EQ(session_x11_peer(display, &uid, &pid), ERR_NOTFOUND);
	ASSERT_INT_EQ(uid, SESSION_UID_NONE);
	ASSERT_INT_EQ(pid, 0);
	ASSERT_INT_EQ(session_x11_peer("localhost:0", &uid, &pid),
	    ERR_UNSUPP);
}

/* Create path with mode (a file) and return its full name in buf. */
static void
make_file(char *buf, size_t len, const char *dir, const char *name,
    mode_t mode)
{
	FILE *f;

	snprintf(buf, len, "%s/%s", dir, name);
	ASSERT_TRUE((f = fopen(buf, "w")) != NULL);
	fclose(f);
	ASSERT_INT_EQ(chmod(buf, mode), 0);
}

/* X authority files: owner, mode, type and folder decide. */
static void
test_trusted(void)
{
	char dir[] = "/tmp/cdesk-test-session.XXXXXX";
	char ok[256], gw[256], link[256], sub[256], in_sub[256];
	long me = (long)geteuid();

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	make_file(ok, sizeof ok, dir, "ok", 0600);
	make_file(gw, sizeof gw, dir, "group-writable", 0620);
	snprintf(link, sizeof link, "%s/link", dir);
	ASSERT_INT_EQ(symlink(ok, link), 0);
	ASSERT_INT_EQ(session_x11_trusted(ok, me, "test"), 1);
	ASSERT_INT_EQ(session_x11_trusted(gw, me, "test"), 0);
	ASSERT_INT_EQ(session_x11_trusted(link, me, "test"), 0);
	ASSERT_INT_EQ(session_x11_trusted(dir, me, "test"), 0);
	ASSERT_INT_EQ(session_x11_trusted("relative/file", me, "test"), 0);
	ASSERT_INT_EQ(session_x11_trusted(NULL, me, "test"), 0);

	/* A folder others may change: only with the sticky bit. */
	snprintf(sub, sizeof sub, "%s/sub", dir);
	ASSERT_INT_EQ(mkdir(sub, 0700), 0);
	make_file(in_sub, sizeof in_sub, sub, "f", 0600);
	ASSERT_INT_EQ(chmod(sub, 0777), 0);
	ASSERT_INT_EQ(session_x11_trusted(in_sub, me, "test"), 0);
	ASSERT_INT_EQ(chmod(sub, 01777), 0);
	ASSERT_INT_EQ(session_x11_trusted(in_sub, me, "test"), 1);

	/* As root: another user's file is the session user's or no one's. */
	if (me == 0) {
		ASSERT_INT_EQ(chown(ok, 65534, 65534), 0);
		ASSERT_INT_EQ(session_x11_trusted(ok, 65534, "test"), 1);
		ASSERT_INT_EQ(session_x11_trusted(ok, 65533, "test"), 0);
		ASSERT_INT_EQ(chmod(sub, 0700), 0);
		ASSERT_INT_EQ(chown(sub, 65534, 65534), 0);
		ASSERT_INT_EQ(session_x11_trusted(in_sub, 65533, "test"), 0);
	}
	unlink(in_sub);
	rmdir(sub);
	unlink(link);
	unlink(gw);
	unlink(ok);
	ASSERT_INT_EQ(rmdir(dir), 0);
}

/* A copy has every field, and the description says who and how. */
static void
test_copy_describe(void)
{
	struct session a, b;
	char *d;

	session_init(&a);
	session_init(&b);
	a.uid = 1000;
	a.name = strdup("alice");
	a.id = strdup("c2");
	a.seat = strdup("seat0");
	a.display = strdup(":0");
	a.class = SESSION_CLASS_GREETER;
	a.type = SESSION_TYPE_X11;
	a.how = SESSION_HOW_LOGIND;
	a.leader = 42;
	a.xpid = 43;
	session_copy(&b, &a);
	session_fini(&a);
	ASSERT_INT_EQ(b.uid, 1000);
	ASSERT_STR_EQ(b.name, "alice");
	ASSERT_STR_EQ(b.id, "c2");
	ASSERT_STR_EQ(b.seat, "seat0");
	ASSERT_INT_EQ(b.class, SESSION_CLASS_GREETER);
	ASSERT_INT_EQ(b.how, SESSION_HOW_LOGIND);
	ASSERT_INT_EQ(b.leader, 42);
	ASSERT_INT_EQ(b.xpid, 43);
	d = session_describe(&b);
	ASSERT_STR_EQ(d, "uid 1000 (alice): x11 greeter session c2 at seat0, "
	    "display :0 served by pid 43 (logind)");
	free(d);
	session_fini(&b);
	ASSERT_INT_EQ(b.uid, SESSION_UID_NONE);
	d = session_describe(&b);
	ASSERT_STR_EQ(d, "nobody (none)");
	free(d);
	ASSERT_STR_EQ(session_type_name(SESSION_TYPE_WAYLAND), "wayland");
	ASSERT_STR_EQ(session_class_name((enum session_class)99), "?");
}

int
main(void)
{
	TST_RUN(test_number);
	TST_RUN(test_peer);
	TST_RUN(test_trusted);
	TST_RUN(test_copy_describe);
	return 0;
}
