/*
 * ipc_wmsg.c: the client side of the IPC (ipc/ipc_client.h) on the Win32
 * message loop, for the Windows CM. The channel ipc_connect() gives on
 * Windows is a socket that ipc_win32.c pumps to the pipe; WSAAsyncSelect
 * posts its readiness to a message-only window of ours (and makes it
 * non-blocking), so reads and writes never block the loop. A loss found
 * while sending is reported from the loop, as the GLib adapter does.
 */
#ifndef _WIN32
#error "ipc_wmsg.c is for Windows builds only"
#endif

#include <winsock2.h>
#include <windows.h>

/* Winsock itself, not the POSIX layer of common/compat_win.h (before our
 * headers, so that ipc_client_cb's recv keeps its name here). */
#undef send
#undef recv

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "ipc/ipc_client.h"

#define WMSG_SOCKET	(WM_APP + 1)	/* WSAAsyncSelect's note */
#define WMSG_LOST	(WM_APP + 2)	/* a send failed: lose from the loop */
#define WMSG_CLASS	L"cdeskIpcClient"

struct ipc_client {
	const struct ipc_client_cb *cb;		/* borrowed */
	void		*arg;			/* borrowed */
	SOCKET		 s;
	HWND		 hwnd;			/* message-only, owned */
	uint8_t		*in;			/* owned, IPC_FRAME_MAX + hdr */
	size_t		 in_len;
	uint8_t		*out;			/* owned */
	size_t		 out_len, out_cap;
	int		 ready;
	int		 dead;			/* link lost */
	int		 in_cb;			/* inside a callback */
	int		 freed;			/* free asked during callback */
	int		 err;			/* a send's error, for the loop */
};

/* Mark the link lost and tell the owner once. */
static void
wmsg_lose(struct ipc_client *c, int r)
{
	if (c->dead)
		return;
	c->dead = 1;
	WSAAsyncSelect(c->s, c->hwnd, 0, 0);
	if (c->cb->lost != NULL)
		c->cb->lost(c, r, c->arg);
}

/* Write as much queued output as the socket takes. */
static int
wmsg_flush(struct ipc_client *c)
{
	int w;

	while (c->out_len > 0) {
		w = send(c->s, (const char *)c->out, c->out_len > INT_MAX ?
		    INT_MAX : (int)c->out_len, 0);
		if (w == SOCKET_ERROR)
			return WSAGetLastError() == WSAEWOULDBLOCK ? 0 :
			    ERR_EOF;
		memmove(c->out, c->out + w, c->out_len - (size_t)w);
		c->out_len -= (size_t)w;
	}
	return 0;
}

/* Handle one decoded message: Hello first, then the owner's. */
static void
wmsg_dispatch(struct ipc_client *c, const Ipc__Data *d)
{
	int hello = d->union_case == IPC__DATA__UNION_HELLO;

	if (c->ready == hello) {
		/* Hello once, and first. */
		wmsg_lose(c, ERR_PROTO);
		return;
	}
	if (hello && d->hello->version != IPC_VERSION) {
		wmsg_lose(c, ERR_STATE);
		return;
	}
	if (hello) {
		c->ready = 1;
		if (c->cb->ready != NULL)
			c->cb->ready(c, c->arg);
	} else if (c->cb->recv != NULL)
		c->cb->recv(c, d, c->arg);
}

/* Read what is there and dispatch every complete frame. */
static int
wmsg_read(struct ipc_client *c)
{
	size_t cap = IPC_FRAME_MAX + CODEC_HDR_MAX;
	Ipc__Data *d;
	int got, r;

	got = recv(c->s, (char *)c->in + c->in_len, (int)(cap - c->in_len),
	    0);
	if (got == SOCKET_ERROR)
		return WSAGetLastError() == WSAEWOULDBLOCK ? 0 : ERR_EOF;
	if (got == 0)
		return ERR_EOF;
	c->in_len += (size_t)got;
	while (!c->dead && !c->freed) {
		if ((r = ipc_take(c->in, &c->in_len, &d)) <= 0)
			return r;
		wmsg_dispatch(c, d);
		ipc_data_free(d);
	}
	return 0;
}

/* Free for real. */
static void
wmsg_destroy(struct ipc_client *c)
{
	if (c->hwnd != NULL) {
		SetWindowLongPtrW(c->hwnd, GWLP_USERDATA, 0);
		DestroyWindow(c->hwnd);
	}
	if (c->s != INVALID_SOCKET)
		ipc_transport_native.close((intptr_t)c->s, NULL);
	free(c->in);
	free(c->out);
	free(c);
}

/* The socket's news, and losses found while sending. */
static LRESULT CALLBACK
wmsg_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct ipc_client *c = (struct ipc_client *)GetWindowLongPtrW(hwnd,
	    GWLP_USERDATA);
	int r = 0, ev;

	if (c == NULL || (msg != WMSG_SOCKET && msg != WMSG_LOST))
		return DefWindowProcW(hwnd, msg, wp, lp);
	if (c->dead)
		return 0;
	c->in_cb = 1;
	if (msg == WMSG_LOST)
		r = c->err;
	else {
		ev = WSAGETSELECTEVENT(lp);
		if (WSAGETSELECTERROR(lp) != 0)
			r = ERR_EOF;
		if (r == 0 && (ev & FD_WRITE))
			r = wmsg_flush(c);
		/* FD_CLOSE: read what is left, then EOF. */
		if (r == 0 && (ev & (FD_READ | FD_CLOSE)))
			r = wmsg_read(c);
		if (r == 0 && (ev & FD_CLOSE))
			r = ERR_EOF;
	}
	if (r == 0)
		r = c->err;
	if (r != 0 && !c->freed)
		wmsg_lose(c, r);
	c->in_cb = 0;
	if (c->freed)
		wmsg_destroy(c);
	return 0;
}

/* The message-only window's class, registered once. */
static int
wmsg_class(void)
{
	static ATOM atom;
	WNDCLASSW wc;

	if (atom != 0)
		return 0;
	memset(&wc, 0, sizeof wc);
	wc.lpfnWndProc = wmsg_proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.lpszClassName = WMSG_CLASS;
	atom = RegisterClassW(&wc);
	return atom != 0 ? 0 : ERR_IO;
}

/* Connect, watch the socket from the loop and say Hello. */
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
	if (wmsg_class() != 0)
		return ERR_IO;
	/* Nothing is sent before the folder and the server pass. */
	if ((r = ipc_connect(dir, &h, &cause)) != 0) {
		if (cause != NULL)
			log_warn("ipc: %s", cause);
		free(cause);
		return r;
	}
	c = xcalloc(1, sizeof *c);
	c->cb = cb;
	c->arg = arg;
	c->s = (SOCKET)h;
	c->in = xmalloc(IPC_FRAME_MAX + CODEC_HDR_MAX);
	c->hwnd = CreateWindowExW(0, WMSG_CLASS, L"", 0, 0, 0, 0, 0,
	    HWND_MESSAGE, NULL, GetModuleHandleW(NULL), NULL);
	if (c->hwnd == NULL || WSAAsyncSelect(c->s, c->hwnd, WMSG_SOCKET,
	    FD_READ | FD_WRITE | FD_CLOSE) != 0) {
		wmsg_destroy(c);
		return ERR_IO;
	}
	SetWindowLongPtrW(c->hwnd, GWLP_USERDATA, (LONG_PTR)c);
	hello.version = IPC_VERSION;
	hello.role = (char *)role;
	d.union_case = IPC__DATA__UNION_HELLO;
	d.hello = &hello;
	if ((r = ipc_client_send(c, &d)) != 0) {
		wmsg_destroy(c);
		return r;
	}
	*out = c;
	return 0;
}

/* Disconnect and free, now or after the callback we are in. */
void
ipc_client_free(struct ipc_client *c)
{
	if (c == NULL)
		return;
	if (c->in_cb) {
		c->freed = 1;
		return;
	}
	wmsg_destroy(c);
}

/* Queue a message and write what the socket takes now. */
int
ipc_client_send(struct ipc_client *c, const Ipc__Data *d)
{
	uint8_t *frame;
	size_t len;
	int r;

	if (c->dead || c->err != 0)
		return ERR_STATE;
	if (c->out_len > IPC_OUTQ_MAX)
		return ERR_TOOBIG;
	if ((r = ipc_pack(d, &frame, &len)) != 0)
		return r;
	if (c->out_len + len > c->out_cap) {
		c->out_cap = (c->out_len + len) * 2;
		c->out = xreallocarray(c->out, c->out_cap, 1);
	}
	memcpy(c->out + c->out_len, frame, len);
	c->out_len += len;
	free(frame);
	/* What the socket does not take waits for FD_WRITE. */
	if ((r = wmsg_flush(c)) != 0) {
		c->out_len = 0;
		c->err = r;
		if (!c->in_cb)
			PostMessageW(c->hwnd, WMSG_LOST, 0, 0);
		return r;
	}
	return 0;
}
