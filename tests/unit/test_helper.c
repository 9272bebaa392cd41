/*
 * test_helper.c: the file helper's work on paths (server/helper/
 * helper_fs.c), in a folder of its own under /tmp: the checks of names a
 * peer sends (upstream's texts), the symlink check, listings (one level,
 * recursive, empty folders) with FIFOs and links in them, the file
 * operations and their errors, the .digest files and their parser.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/utf8.h"
#include "common/xmalloc.h"
#include "server/helper/helper_int.h"
#include "tests/tst.h"

int main(void);

static char base[64];

/* base/rel as a new string. */
static char *
tpath(const char *rel)
{
	return helper_join(base, rel);
}

/* Write text to base/rel. */
static void
twrite(const char *rel, const char *text)
{
	char *p = tpath(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(write(fd, text, strlen(text)), (long)strlen(text));
	close(fd);
	free(p);
}

/* Make base/rel a folder. */
static void
tmkdir(const char *rel)
{
	char *p = tpath(rel);

	ASSERT_INT_EQ(mkdir(p, 0755), 0);
	free(p);
}

/* The error of a check, or "" when it passed (*err taken). */
static char *
tcheck(int r, char **err)
{
	char *e = *err;

	*err = NULL;
	if (r == 0) {
		ASSERT_TRUE(e == NULL);
		return xstrdup("");
	}
	ASSERT_TRUE(e != NULL);
	return e;
}

/* Names as upstream validates them, with its words. */
static void
test_names(void)
{
	static const struct {
		const char	*name;
		const char	*err;
	} t[] = {
		{ "a.txt", "" }, { "a/b/c", "" }, { "..a", "" }, { "a..", "" },
		{ "./a", "" }, { "名前/ü.txt", "" }, { "a//b", "" },
		{ "..", "path traversal detected in file name" },
		{ "a/../b", "path traversal detected in file name" },
		{ "a/..", "path traversal detected in file name" },
		{ "/etc/passwd", "absolute path detected in file name" },
		{ "/../x", "path traversal detected in file name" },
	};
	char *names2[] = { (char *)"", (char *)"x" };
	char *names3[] = { (char *)"ok", (char *)"../b" };
	char *single[] = { (char *)"" };
	char *err = NULL, *e;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		e = tcheck(helper_check_name(t[i].name, &err), &err);
		if (strcmp(e, t[i].err) != 0)
			TST_FAIL("'%s': '%s', want '%s'", t[i].name, e,
			    t[i].err);
		free(e);
		err = NULL;
	}
	e = tcheck(helper_check_names(base, single, 1, &err), &err);
	ASSERT_STR_EQ(e, "");
	free(e);
	err = NULL;
	e = tcheck(helper_check_names(base, names2, 2, &err), &err);
	ASSERT_STR_EQ(e, "empty file name in multi-file transfer");
	free(e);
	err = NULL;
	e = tcheck(helper_check_names(base, names3, 2, &err), &err);
	ASSERT_STR_EQ(e, "path traversal detected in file name");
	free(e);
}

/* No existing component of a name may be a symlink. */
static void
test_components(void)
{
	char *link = tpath("link"), *err = NULL, *e;

	tmkdir("real");
	ASSERT_INT_EQ(symlink("/tmp", link), 0);
	e = tcheck(helper_check_components(base, "real/x", &err), &err);
	ASSERT_STR_EQ(e, "");
	free(e);
	err = NULL;
	e = tcheck(helper_check_components(base, "missing/deeper/x", &err),
	    &err);
	ASSERT_STR_EQ(e, "");
	free(e);
	err = NULL;
	e = tcheck(helper_check_components(base, "link/x", &err), &err);
	ASSERT_STR_EQ(e, "symlink path component is not allowed");
	free(e);
	err = NULL;
	e = tcheck(helper_check_components(base, "./real/../link", &err), &err);
	ASSERT_STR_EQ(e, "symlink path component is not allowed");
	free(e);
	unlink(link);
	free(link);
}

/* The digest files: parse what we and upstream write, refuse the rest. */
static void
test_digest(void)
{
	static const struct {
		const char	*text;
		int		 ok;
		uint64_t	 size, mod;
	} t[] = {
		{ "{\"size\":5,\"modified\":7}", 1, 5, 7 },
		{ "{\"modified\":7,\"size\":5}", 1, 5, 7 },
		{ " { \"size\" : 0 ,\n\"modified\":0 , \"x\":\"y\\\"z\" } ", 1,
		    0, 0 },
		{ "{\"size\":18446744073709551615,\"modified\":1}", 1,
		    UINT64_MAX, 1 },
		{ "{\"size\":18446744073709551616,\"modified\":1}", 0, 0, 0 },
		{ "{\"size\":5}", 0, 0, 0 },
		{ "{\"size\":5,\"size\":5,\"modified\":1}", 0, 0, 0 },
		{ "{\"size\":-5,\"modified\":1}", 0, 0, 0 },
		{ "{\"size\":5.0,\"modified\":1}", 0, 0, 0 },
		{ "{\"size\":05,\"modified\":1}", 0, 0, 0 },
		{ "{\"size\":5,\"modified\":1} x", 0, 0, 0 },
		{ "{\"size\":5,\"modified\":1,\"o\":{}}", 0, 0, 0 },
		{ "{\"size\":\"5\",\"modified\":1}", 0, 0, 0 },
		{ "{\"s\\u0069ze\":5,\"modified\":1}", 0, 0, 0 },
		{ "{}", 0, 0, 0 }, { "", 0, 0, 0 }, { "{\"size\":5,", 0, 0, 0 },
	};
	uint64_t size, mod;
	char *p = tpath("x.digest"), text[128];
	size_t i;
	int fd;
	ssize_t n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		int r = helper_digest_parse(t[i].text, strlen(t[i].text),
		    &size, &mod);

		if ((r == 0) != t[i].ok)
			TST_FAIL("'%s': %d", t[i].text, r);
		if (r == 0) {
			ASSERT_TRUE(size == t[i].size);
			ASSERT_TRUE(mod == t[i].mod);
		}
	}
	ASSERT_INT_EQ(helper_digest_write(p, 4295032832ULL, 1700000000), 0);
	fd = open(p, O_RDONLY);
	n = read(fd, text, sizeof text - 1);
	close(fd);
	ASSERT_TRUE(n > 0);
	text[n] = '\0';
	ASSERT_STR_EQ(text, "{\"size\":4295032832,\"modified\":1700000000}");
	ASSERT_INT_EQ(helper_digest_parse(text, (size_t)n, &size, &mod), 0);
	ASSERT_TRUE(size == 4295032832ULL && mod == 1700000000);
	/* A FIFO in its place: refused at once, never waited on. */
	unlink(p);
	ASSERT_INT_EQ(mkfifo(p, 0644), 0);
	ASSERT_INT_EQ(helper_digest_write(p, 1, 1), -1);
	unlink(p);
	free(p);
}

/* UTF-8, errno texts, compressed extensions. */
static void
test_small(void)
{
	char *e;

	ASSERT_TRUE(utf8_valid("plain"));
	ASSERT_TRUE(utf8_valid("名前 ü €"));
	ASSERT_TRUE(utf8_valid("\xf0\x9f\x98\x80"));
	ASSERT_TRUE(!utf8_valid("\xff"));
	ASSERT_TRUE(!utf8_valid("\xc0\x80"));
	ASSERT_TRUE(!utf8_valid("\xed\xa0\x80"));
	ASSERT_TRUE(!utf8_valid("\xf4\x90\x80\x80"));
	ASSERT_TRUE(!utf8_valid("\xe2\x82"));
	e = helper_errno_text(EACCES);
	ASSERT_STR_EQ(e, "Permission denied (os error 13)");
	free(e);
	ASSERT_TRUE(helper_compressed_name("a.zip"));
	ASSERT_TRUE(helper_compressed_name("/x.y/photo.jpg"));
	ASSERT_TRUE(helper_compressed_name("a.tar.gz"));
	ASSERT_TRUE(!helper_compressed_name("a.ZIP"));
	ASSERT_TRUE(!helper_compressed_name("gz"));
	ASSERT_TRUE(!helper_compressed_name("a.txt"));
}

/* The entry called name in d, or NULL. */
static Hbb__FileEntry *
tentry(const Hbb__FileDirectory *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_entries; i++)
		if (strcmp(d->entries[i]->name, name) == 0)
			return d->entries[i];
	return NULL;
}

/* Listings of a folder with files, a hidden one, a FIFO and links. */
static void
test_lists(void)
{
	Hbb__FileDirectory d = HBB__FILE_DIRECTORY__INIT;
	Hbb__ReadEmptyDirsResponse r = HBB__READ_EMPTY_DIRS_RESPONSE__INIT;
	char *top = tpath("l"), *p, *err = NULL;
	Hbb__FileEntry *e;

	tmkdir("l");
	tmkdir("l/sub");
	tmkdir("l/sub/deep");
	twrite("l/a.txt", "abc");
	twrite("l/.hid", "h");
	twrite("l/sub/b.txt", "bb");
	p = tpath("l/fifo");
	ASSERT_INT_EQ(mkfifo(p, 0644), 0);
	free(p);
	p = tpath("l/link");
	ASSERT_INT_EQ(symlink("a.txt", p), 0);
	free(p);
	p = tpath("l/dirlink");
	ASSERT_INT_EQ(symlink("sub", p), 0);
	free(p);

	ASSERT_INT_EQ(helper_list_dir(top, 0, &d, &err), 0);
	ASSERT_INT_EQ(d.n_entries, 5);
	ASSERT_TRUE(tentry(&d, ".hid") == NULL);
	ASSERT_TRUE((e = tentry(&d, "a.txt")) != NULL);
	ASSERT_INT_EQ(e->entry_type, HBB__FILE_TYPE__File);
	ASSERT_INT_EQ(e->size, 3);
	ASSERT_INT_EQ(tentry(&d, "sub")->entry_type, HBB__FILE_TYPE__Dir);
	ASSERT_INT_EQ(tentry(&d, "fifo")->entry_type, HBB__FILE_TYPE__File);
	ASSERT_INT_EQ(tentry(&d, "link")->entry_type,
	    HBB__FILE_TYPE__FileLink);
	ASSERT_INT_EQ(tentry(&d, "dirlink")->entry_type,
	    HBB__FILE_TYPE__DirLink);
	helper_dir_clear(&d);
	ASSERT_INT_EQ(helper_list_dir(top, 1, &d, &err), 0);
	ASSERT_TRUE(tentry(&d, ".hid")->is_hidden);
	helper_dir_clear(&d);

	/* Every regular file below: no FIFO, no link, nothing twice. */
	ASSERT_INT_EQ(helper_list_files(top, 1, &d, &err), 0);
	ASSERT_INT_EQ(d.n_entries, 3);
	ASSERT_TRUE(tentry(&d, "sub/b.txt") != NULL);
	ASSERT_TRUE(tentry(&d, ".hid") != NULL);
	ASSERT_TRUE(tentry(&d, "fifo") == NULL);
	helper_dir_clear(&d);
	p = tpath("l/a.txt");
	ASSERT_INT_EQ(helper_list_files(p, 0, &d, &err), 0);
	ASSERT_INT_EQ(d.n_entries, 1);
	ASSERT_STR_EQ(d.entries[0]->name, "");
	ASSERT_INT_EQ(d.entries[0]->size, 3);
	helper_dir_clear(&d);
	free(p);
	p = tpath("l/fifo");
	ASSERT_INT_EQ(helper_list_files(p, 0, &d, &err), -1);
	ASSERT_STR_EQ(err, "Not exists");
	free(err);
	err = NULL;
	helper_dir_clear(&d);
	free(p);

	ASSERT_INT_EQ(helper_empty_dirs(top, 0, &r, &err), 0);
	ASSERT_INT_EQ(r.n_empty_dirs, 1);
	p = tpath("l/sub/deep");
	ASSERT_STR_EQ(r.empty_dirs[0]->path, p);
	free(p);
	helper_empty_dirs_clear(&r);
	free(top);
}

/* create, remove, rename and their errors. */
static void
test_ops(void)
{
	char *p, *q, *err = NULL, *e;
	struct stat st;

	p = tpath("o/a/b/c");
	ASSERT_INT_EQ(helper_create_dir(p, &err), 0);
	ASSERT_INT_EQ(helper_create_dir(p, &err), 0);
	ASSERT_TRUE(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	free(p);
	twrite("o/file", "x");
	p = tpath("o/file");
	e = tcheck(helper_create_dir(p, &err), &err);
	ASSERT_STR_EQ(e, "File exists (os error 17)");
	free(e);
	err = NULL;
	e = tcheck(helper_create_dir("", &err), &err);
	ASSERT_STR_EQ(e, "directory path cannot be empty");
	free(e);
	err = NULL;
	/* Rename in place; a new name may not leave the folder. */
	ASSERT_INT_EQ(helper_rename(p, "renamed", &err), 0);
	q = tpath("o/renamed");
	ASSERT_INT_EQ(stat(q, &st), 0);
	e = tcheck(helper_rename(q, "../up", &err), &err);
	ASSERT_STR_EQ(e, "path traversal detected in file name");
	free(e);
	err = NULL;
	e = tcheck(helper_rename(p, "x", &err), &err);
	ASSERT_TRUE(strstr(e, "\" not exists") != NULL);
	free(e);
	err = NULL;
	e = tcheck(helper_rename(q, "", &err), &err);
	ASSERT_STR_EQ(e, "new file name cannot be empty");
	free(e);
	err = NULL;
	free(p);
	/* rmdir of a full folder; a recursive one removes only folders and
	 * links (the client removes the files first), and says nothing. */
	p = tpath("o");
	e = tcheck(helper_remove_dir(p, 0, &err), &err);
	ASSERT_STR_EQ(e, "Directory not empty (os error 39)");
	free(e);
	err = NULL;
	ASSERT_INT_EQ(helper_remove_dir(p, 1, &err), 0);
	ASSERT_INT_EQ(stat(q, &st), 0);
	ASSERT_INT_EQ(helper_remove_file(q, &err), 0);
	e = tcheck(helper_remove_file(q, &err), &err);
	ASSERT_STR_EQ(e, "No such file or directory (os error 2)");
	free(e);
	err = NULL;
	ASSERT_INT_EQ(helper_remove_dir(p, 1, &err), 0);
	ASSERT_INT_EQ(stat(p, &st), -1);
	free(p);
	free(q);
}

/* Runs the tests in a fresh folder. */
int
main(void)
{
	char cmd[96];

	snprintf(base, sizeof base, "/tmp/cdesk-test-helper.XXXXXX");
	if (mkdtemp(base) == NULL)
		TST_FAIL("mkdtemp");
	TST_RUN(test_names);
	TST_RUN(test_components);
	TST_RUN(test_digest);
	TST_RUN(test_small);
	TST_RUN(test_lists);
	TST_RUN(test_ops);
	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	if (system(cmd) != 0)
		TST_FAIL("cleanup");
	return 0;
}
