/*
 * test_log.c: the log's file sink: lines go to the file, not stderr; past
 * its size the file is rotated (.1, .2, the oldest dropped) with every
 * file within the bound plus one line; back on stderr, the file is left.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "tests/tst.h"

/* Size of path, or -1 when there is none. */
static long
fsize(const char *dir, const char *name)
{
	struct stat st;
	char *path;
	long n;

	xasprintf(&path, "%s/%s", dir, name);
	n = stat(path, &st) == 0 ? (long)st.st_size : -1;
	free(path);
	return n;
}

/* 1 if the file dir/name holds text. */
static int
holds(const char *dir, const char *name, const char *text)
{
	char *path, line[512];
	FILE *f;
	int hit = 0;

	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		while (!hit && fgets(line, sizeof line, f) != NULL)
			hit = strstr(line, text) != NULL;
		fclose(f);
	}
	free(path);
	return hit;
}

static void
t_file_and_rotation(void)
{
	char dir[] = "/tmp/cdesk-test-log.XXXXXX", *path, *cause = NULL;
	struct stat st;
	int i;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	xasprintf(&path, "%s/x.log", dir);
	ASSERT_INT_EQ(log_to_file(path, 2000, 2, &cause), 0);
	log_info("first line %d", 1);
	ASSERT_TRUE(holds(dir, "x.log", "info: first line 1"));
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	for (i = 0; i < 200; i++)
		log_info("line %03d %s", i, "............................");
	ASSERT_TRUE(fsize(dir, "x.log") <= 2000);
	ASSERT_TRUE(fsize(dir, "x.log.1") >= 2000 - 100);
	ASSERT_TRUE(fsize(dir, "x.log.1") <= 2000 + 100);
	ASSERT_TRUE(fsize(dir, "x.log.2") > 0);
	ASSERT_INT_EQ(fsize(dir, "x.log.3"), -1);
	/* The newest line is in the live file, the first one is gone. */
	ASSERT_TRUE(holds(dir, "x.log", "line 199"));
	ASSERT_TRUE(!holds(dir, "x.log.2", "first line"));
	log_to_stderr();
	log_info("to stderr");
	ASSERT_TRUE(!holds(dir, "x.log", "to stderr"));
	/* A folder that is not there: an error, and stderr goes on. */
	ASSERT_INT_NE(log_to_file("/nonexistent-cdesk/x.log", 2000, 2,
	    &cause), 0);
	ASSERT_TRUE(cause != NULL && strstr(cause, "/nonexistent") != NULL);
	free(cause);
	for (i = 0; i <= 3; i++) {
		char *p;

		if (i == 0)
			p = xstrdup(path);
		else
			xasprintf(&p, "%s.%d", path, i);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	free(path);
}

int
main(void)
{
	TST_RUN(t_file_and_rotation);
	return 0;
}
