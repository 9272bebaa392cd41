/*
 * fsh_win.c: the file helper's link (fsh.h) and `cdesk --helper`
 * (helper.h) on Windows, where file transfer is not built yet: the helper
 * must run in the desktop user's session (CreateProcessAsUser with a pipe
 * of its own), and neither that nor the helper's file code is ported. So
 * there is no link (fsh_new gives NULL, which every caller and every
 * fsh_ call treats as "no helper") and a file request gets
 * ERR_UNSUPP, which the connection reports to the peer.
 */
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "server/fsh.h"
#include "server/helper/helper.h"

/* No link: file transfer is not available on Windows yet. */
struct fsh *
fsh_new(struct event_base *base, const struct fsh_cb *cb, void *arg)
{
	(void)base;
	(void)cb;
	(void)arg;
	log_info("file transfer: not available on Windows yet");
	return NULL;
}

/* Nothing to free. */
void
fsh_free(struct fsh *f)
{
	(void)f;
}

/* No helper to tell. */
void
fsh_set_session(struct fsh *f, const struct session *s)
{
	(void)f;
	(void)s;
}

/* Every request is refused. */
int
fsh_send(struct fsh *f, const Ipc__FsRequest *r)
{
	(void)f;
	(void)r;
	return ERR_UNSUPP;
}

/* Nothing waits. */
size_t
fsh_backlog(const struct fsh *f)
{
	(void)f;
	return 0;
}

/* No helper runs. */
long
fsh_pid(const struct fsh *f)
{
	(void)f;
	return 0;
}

/* `cdesk --helper`: says it is not built here. */
int
helper_main(int fd, int verbose)
{
	(void)fd;
	(void)verbose;
	fprintf(stderr, "cdesk: the file helper is not built for Windows "
	    "yet\n");
	return 1;
}
