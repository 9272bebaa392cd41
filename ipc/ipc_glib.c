/*
 * ipc_glib.c: GLib adapter for the IPC client side (cm/, ui/). One
 * non-blocking socket, one input buffer bounded by the frame cap, one
 * output queue; the GLib source is switched between read and read+write as
 * the queue fills and drains.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "ipc/ipc_glib.h"

struct ipc_client {
	const struct ipc_client_cb *cb;		/* borrowed */
	void		*arg;			/* borrowed */
	int		 fd;
	guint		 src;			/* g_unix_fd_add source */
	GIOCondition	 cond;			/* what src watches */
	uint8_t		*in;			/* owned, IPC_FRAME_MAX + hdr */
	size_t		 in_len;
	GByteArray	*out;			/* owned */
	int		 ready;
	int		 dead;			/* link lost */
	int		 in_cb;			/* inside a callback */
	int		 freed;			/* free asked during callback */
	int		 err;			/* write error seen in a callback */
};

static gboolean	ipc_client_io_cb(gint, GIOCondition, gpointer);

/* Watch the socket for cond (adding G_IO_OUT only while output waits). */
static void
ipc_client_watch(struct ipc_client *c)
{
	GIOCondition want = G_IO_IN | G_IO_HUP | G_IO_ERR;

	if (c->out->len > 0)
		want |= G_IO_OUT;
	if (c->src != 0 && want == c->cond)
		return;
	if (c->src != 0)
		g_source_remove(c->src);
	c->cond = want;
	c->src = g_unix_fd_add(c->fd, want, ipc_client_io_cb, c);
}

/* Mark the link lost, stop watching and tell the owner once. */
static void
ipc_client_lose(struct ipc_client *c, int r)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->src != 0) {
		g_source_remove(c->src);
		c->src = 0;
	}
	if (c->cb->lost != NULL)
		c->cb->lost(c, r, c->arg);
}

/* Write as much queued output as the socket takes. */
static int
ipc_client_flush(struct ipc_client *c)
{
	ssize_t w;

	while (c->out->len > 0) {
		w = write(c->fd, c->out->data, c->out->len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return errno == EPIPE || errno == ECONNRESET ?
			    ERR_EOF : ERR_IO;
		}
		g_byte_array_remove_range(c->out, 0, (guint)w);
	}
	return 0;
}

/* Handle one decoded message; returns nonzero to stop reading. */
static int
ipc_client_dispatch(struct ipc_client *c, const Ipc__Data *d)
{
	if (!c->ready) {
		if (d->union_case != IPC__DATA__UNION_HELLO) {
			ipc_client_lose(c, ERR_PROTO);
			return 1;
		}
		if (d->hello->version != IPC_VERSION) {
			ipc_client_lose(c, ERR_STATE);
			return 1;
		}
		c->ready = 1;
		if (c->cb->ready != NULL)
			c->cb->ready(c, c->arg);
		return 0;
	}
	if (d->union_case == IPC__DATA__UNION_HELLO) {
		ipc_client_lose(c, ERR_PROTO);
		return 1;
	}
	if (c->cb->recv != NULL)
		c->cb->recv(c, d, c->arg);
	return 0;
}

/* Read what is there and dispatch every complete frame. */
static int
ipc_client_read(struct ipc_client *c)
{
	size_t cap = IPC_FRAME_MAX + CODEC_HDR_MAX;
	Ipc__Data *d;
	ssize_t got;
	int r;

	got = read(c->fd, c->in + c->in_len, cap - c->in_len);
	if (got < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 :
		    errno == ECONNRESET ? ERR_EOF : ERR_IO;
	if (got == 0)
		return ERR_EOF;
	c->in_len += (size_t)got;
	while (!c->dead && !c->freed) {
		if ((r = ipc_take(c->in, &c->in_len, &d)) <= 0)
			return r;
		ipc_client_dispatch(c, d);
		ipc_data_free(d);
	}
	return 0;
}

/* Free for real. */
static void
ipc_client_destroy(struct ipc_client *c)
{
	if (c->src != 0)
		g_source_remove(c->src);
	if (c->fd >= 0)
		close(c->fd);
	g_byte_array_unref(c->out);
	free(c->in);
	free(c);
}

/* Socket readiness from the GLib loop. */
static gboolean
ipc_client_io_cb(gint fd, GIOCondition cond, gpointer arg)
{
	struct ipc_client *c = arg;
	int r = 0;

	(void)fd;
	c->in_cb = 1;
	if (cond & G_IO_OUT)
		r = ipc_client_flush(c);
	if (r == 0 && (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
		r = ipc_client_read(c);
	if (r == 0)
		r = c->err;
	if (r != 0 && !c->freed)
		ipc_client_lose(c, r);
	c->in_cb = 0;
	if (c->freed) {
		/* The source is ours to end: returning FALSE removes it. */
		c->src = 0;
		ipc_client_destroy(c);
		return G_SOURCE_REMOVE;
	}
	if (c->dead) {
		c->src = 0;
		return G_SOURCE_REMOVE;
	}
	if (c->cond != (G_IO_IN | G_IO_HUP | G_IO_ERR |
	    (c->out->len > 0 ? G_IO_OUT : 0))) {
		/* Re-arm with a new source after this one ends. */
		c->src = 0;
		ipc_client_watch(c);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Connect and say Hello. */
int
ipc_client_new(struct ipc_client **out, const char *dir, const char *role,
    const struct ipc_client_cb *cb, void *arg)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Hello hello = IPC__HELLO__INIT;
	struct ipc_client *c;
	intptr_t h;
	char *cause = NULL;
	int r;

	*out = NULL;
	/* Nothing is sent before the folder and the server's uid pass. */
	if ((r = ipc_connect(dir, &h, &cause)) != 0) {
		if (cause != NULL)
			log_warn("ipc: %s", cause);
		free(cause);
		return r;
	}
	if (!g_unix_set_fd_nonblocking((gint)h, TRUE, NULL)) {
		ipc_transport_unix.close(h, NULL);
		return ERR_IO;
	}
	c = xcalloc(1, sizeof *c);
	c->cb = cb;
	c->arg = arg;
	c->fd = (int)h;
	c->in = xmalloc(IPC_FRAME_MAX + CODEC_HDR_MAX);
	c->out = g_byte_array_new();
	hello.version = IPC_VERSION;
	hello.role = (char *)role;
	d.union_case = IPC__DATA__UNION_HELLO;
	d.hello = &hello;
	if ((r = ipc_client_send(c, &d)) != 0) {
		ipc_client_destroy(c);
		return r;
	}
	*out = c;
	return 0;
}

/* Queue a message and try to write it at once. */
int
ipc_client_send(struct ipc_client *c, const Ipc__Data *d)
{
	uint8_t *frame;
	size_t len;
	int r;

	if (c->dead)
		return ERR_STATE;
	if (c->out->len > IPC_OUTQ_MAX)
		return ERR_TOOBIG;
	if ((r = ipc_pack(d, &frame, &len)) != 0)
		return r;
	g_byte_array_append(c->out, frame, (guint)len);
	free(frame);
	/* Never block: whatever the socket does not take waits for G_IO_OUT. */
	if ((r = ipc_client_flush(c)) != 0) {
		/* Report the loss from the loop, not from inside the caller. */
		g_byte_array_set_size(c->out, 0);
		if (c->in_cb)
			c->err = r;
		else
			ipc_client_lose(c, r);
		return r;
	}
	if (!c->in_cb)
		ipc_client_watch(c);
	return 0;
}

/* Free now, or at the end of the current callback. */
void
ipc_client_free(struct ipc_client *c)
{
	if (c == NULL)
		return;
	if (c->in_cb) {
		c->freed = 1;
		return;
	}
	ipc_client_destroy(c);
}
