/*
 * test_helper_win.c: the file helper's Windows system calls
 * (server/win/helper_win.c) and the positioned I/O of fio
 * (server/win/fio_win.c), run under wine by tests/integration/win_files.sh
 * (built by make win), in a folder of the temporary folder:
 * - UTF-8 names reach the disk as UTF-16 and come back from a listing;
 * - a symbolic link to a folder reads as a link (lstat) and a job's name
 *   through it is refused; an O_NOFOLLOW open of a link to a file fails
 *   with ELOOP and writes nothing, a plain open follows it (downloads);
 * - names with "..", a drive or a stream are refused, '\' and '/' both
 *   separate; rename, remove; the system's words for an error;
 * - a read and a write at 5 GiB (past 32-bit offsets).
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/fio.h"
#include "server/helper/helper_int.h"
#include "server/win/fio_win.h"
#include "server/win/helper_win.h"
#include "tests/tst.h"

static char	base[MAX_PATH * 3];

/* base\name; caller frees. */
static char *
at(const char *name)
{
	return helper_join(base, name);
}

/* Write text to path with open(2) flags; the descriptor's result. */
static int
put(const char *path, int flags, const char *text)
{
	int fd = open(path, flags | O_WRONLY | O_CREAT | O_TRUNC, 0666);

	if (fd < 0)
		return -1;
	ASSERT_INT_EQ(write(fd, text, (unsigned)strlen(text)),
	    (int)strlen(text));
	close(fd);
	return 0;
}

static void
test_names(void)
{
	Hbb__FileDirectory d = HBB__FILE_DIRECTORY__INIT;
	struct helper_stat st;
	char *p = at("名前 ünï.txt"), *q, *err = NULL;
	size_t i;
	int found = 0;

	ASSERT_INT_EQ(put(p, O_NOFOLLOW, "hi"), 0);
	ASSERT_INT_EQ(stat(p, &st), 0);
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_INT_EQ((int)st.st_size, 2);
	ASSERT_INT_EQ(helper_list_dir(base, 1, &d, &err), 0);
	for (i = 0; i < d.n_entries; i++)
		if (strcmp(d.entries[i]->name, "名前 ünï.txt") == 0 &&
		    d.entries[i]->size == 2 &&
		    d.entries[i]->entry_type == HBB__FILE_TYPE__File)
			found = 1;
	ASSERT_TRUE(found);
	helper_dir_clear(&d);
	ASSERT_INT_EQ(helper_rename(p, "新しい.txt", &err), 0);
	q = at("新しい.txt");
	ASSERT_INT_EQ(stat(q, &st), 0);
	ASSERT_INT_EQ(helper_remove_file(q, &err), 0);
	ASSERT_INT_NE(stat(q, &st), 0);
	free(p);
	free(q);
	printf("UTF-8 names: written, listed, renamed, removed\n");
}

static void
test_checks(void)
{
	char *err = NULL, *p;

	ASSERT_INT_EQ(helper_check_name("..\\x", &err), -1);
	ASSERT_STR_EQ(err, "path traversal detected in file name");
	free(err);
	ASSERT_INT_EQ(helper_check_name("a/../x", &err), -1);
	free(err);
	ASSERT_INT_EQ(helper_check_name("C:\\x", &err), -1);
	ASSERT_STR_EQ(err, "absolute path detected in file name");
	free(err);
	ASSERT_INT_EQ(helper_check_name("x:stream", &err), -1);
	free(err);
	ASSERT_INT_EQ(helper_check_name("\\x", &err), -1);
	free(err);
	ASSERT_INT_EQ(helper_check_name("a\\b/c..d", &err), 0);
	/* The system's words, and the Win32 error behind them. */
	p = at("missing.txt");
	ASSERT_INT_EQ(open(p, O_RDONLY), -1);
	ASSERT_INT_EQ(errno, ENOENT);
	err = helper_errno_text(errno);
	printf("a missing file: %s\n", err);
	ASSERT_TRUE(strstr(err, "(os error 2)") != NULL);
	free(err);
	free(p);
	ASSERT_INT_EQ(helper_create_dir(base, &err), 0);
	p = at("d1\\d2/d3");
	ASSERT_INT_EQ(helper_create_dir(p, &err), 0);
	free(p);
	p = at("d1");
	ASSERT_INT_EQ(helper_remove_dir(p, 0, &err), -1);
	ASSERT_TRUE(strstr(err, "(os error 145)") != NULL);
	free(err);
	ASSERT_INT_EQ(helper_remove_dir(p, 1, &err), 0);
	ASSERT_INT_EQ(helper_remove_dir(p, 0, &err), -1);
	free(err);
	free(p);
	printf("names: .., drives, streams refused; mkdir -p, rmdir\n");
}

/*
 * Links: dlink to folder real, flink to real\f.txt ("data"). made, they
 * are (links): by the caller (wine's CreateSymbolicLinkW makes nothing;
 * a Unix symbolic link is what it shows as a reparse point), else here.
 */
static void
test_links(int made)
{
	struct helper_stat st;
	char *dir = at("real"), *file = at("real\\f.txt");
	char *dl = at("dlink"), *fl = at("flink"), *err = NULL, buf[8];
	wchar_t w1[MAX_PATH], w2[MAX_PATH];
	int fd;

	if (!made) {
		ASSERT_INT_EQ(helper_create_dir(dir, &err), 0);
		ASSERT_INT_EQ(put(file, 0, "data"), 0);
		MultiByteToWideChar(CP_UTF8, 0, dl, -1, w1, MAX_PATH);
		MultiByteToWideChar(CP_UTF8, 0, dir, -1, w2, MAX_PATH);
		ASSERT_TRUE(CreateSymbolicLinkW(w1, w2,
		    SYMBOLIC_LINK_FLAG_DIRECTORY |
		    SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE));
		MultiByteToWideChar(CP_UTF8, 0, fl, -1, w1, MAX_PATH);
		MultiByteToWideChar(CP_UTF8, 0, file, -1, w2, MAX_PATH);
		ASSERT_TRUE(CreateSymbolicLinkW(w1, w2,
		    SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE));
	}
	ASSERT_INT_EQ(lstat(dl, &st), 0);
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_INT_EQ(stat(dl, &st), 0);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_INT_EQ(helper_check_components(base, "dlink\\x.txt", &err), -1);
	ASSERT_STR_EQ(err, "symlink path component is not allowed");
	free(err);
	ASSERT_INT_EQ(helper_check_components(base, "real/x.txt", &err), 0);
	/* Where the helper writes, a link is refused, the target intact.
	 * Wine 8 shows a Unix link to a file as a plain file (no reparse
	 * point): that much only a real Windows shows. */
	ASSERT_INT_EQ(lstat(fl, &st), 0);
	if (S_ISLNK(st.st_mode)) {
		ASSERT_INT_EQ(put(fl, O_NOFOLLOW, "evil"), -1);
		ASSERT_INT_EQ(errno, ELOOP);
		ASSERT_INT_EQ(open(fl, O_WRONLY | O_NOFOLLOW), -1);
		printf("links to files: refused by O_NOFOLLOW\n");
	} else {
		ASSERT_TRUE(made);
		printf("links to files: shown as files here (wine)\n");
	}
	/* A link to a folder at the end of a path, as O_NOFOLLOW opens of
	 * the names below a job's folder meet it. */
	ASSERT_INT_EQ(open(dl, O_WRONLY | O_CREAT | O_NOFOLLOW, 0666), -1);
	/* Where it reads (a download), a link is followed. */
	fd = open(fl, O_RDONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(read(fd, buf, sizeof buf), 4);
	ASSERT_MEM_EQ(buf, "data", 4);
	close(fd);
	/* The links go, not what they lead to; wine 8 removes the target
	 * of a Unix link instead (the caller's links stay, for it). */
	if (!made) {
		ASSERT_INT_EQ(unlink(fl), 0);
		ASSERT_INT_EQ(unlink(dl), 0);
		ASSERT_INT_EQ(stat(file, &st), 0);
		ASSERT_INT_EQ(helper_remove_file(file, &err), 0);
		ASSERT_INT_EQ(helper_remove_dir(dir, 0, &err), 0);
	}
	free(dir);
	free(file);
	free(dl);
	free(fl);
	printf("links: read as links, refused in names and O_NOFOLLOW\n");
}

/* A write and a read at 5 GiB through fio's calls. */
static void
test_big(void)
{
	uint64_t off = 5ull << 30;
	char *p = at("big.bin"), buf[16], *err = NULL;
	struct helper_stat st;
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW, 0666);

	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ((int)pwrite(fd, "far away", 8, off), 8);
	ASSERT_INT_EQ(fdatasync(fd), 0);
	ASSERT_INT_EQ((int)pread(fd, buf, sizeof buf, off), 8);
	ASSERT_MEM_EQ(buf, "far away", 8);
	ASSERT_INT_EQ((int)pread(fd, buf, sizeof buf, off + 8), 0);
	ASSERT_TRUE(fio_fd_ok(fd, 1));
	ASSERT_TRUE(lseek(fd, (int64_t)off, SEEK_SET) == (int64_t)off);
	ASSERT_INT_EQ(ftruncate(fd, (int64_t)off + 4), 0);
	close(fd);
	ASSERT_INT_EQ(stat(p, &st), 0);
	ASSERT_TRUE(st.st_size == off + 4);
	ASSERT_INT_EQ(helper_remove_file(p, &err), 0);
	free(p);
	printf("5 GiB: pwrite, pread, lseek, ftruncate\n");
}

/* With an argument: the folder to work in, where dlink and flink were
 * made (test_links); else a new one in the temporary folder. */
int
main(int argc, char **argv)
{
	wchar_t w[MAX_PATH];
	char tmp[MAX_PATH * 3], *err = NULL;

	if (argc > 1)
		snprintf(base, sizeof base, "%s", argv[1]);
	else {
		ASSERT_TRUE(GetTempPathW(MAX_PATH, w) > 0);
		WideCharToMultiByte(CP_UTF8, 0, w, -1, tmp, sizeof tmp, NULL,
		    NULL);
		snprintf(base, sizeof base, "%scdesk-hw-%lu", tmp,
		    GetCurrentProcessId());
	}
	ASSERT_INT_EQ(helper_create_dir(base, &err), 0);
	test_names();
	test_checks();
	test_links(argc > 1);
	test_big();
	if (argc == 1)
		ASSERT_INT_EQ(helper_remove_dir(base, 0, &err), 0);
	printf("ok\n");
	return 0;
}
