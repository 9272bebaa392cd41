/*
 * clip_win.c: the clipboard on Windows (svc_clip.h, struct clip_impl):
 * text (CF_UNICODETEXT, as UTF-8 on the wire) and images (the wire's PNG;
 * here the registered "PNG" format when a program offers it, else
 * CF_DIBV5 or CF_DIB, converted by clip_img.c; published as CF_DIB,
 * CF_DIBV5 and "PNG"), each bounded by SVC_CLIP_ITEM_MAX. A thread of its
 * own keeps a message-only window that listens for clipboard changes
 * (AddClipboardFormatListener) and pokes an eventfd (compat_win.h: a
 * loopback socket, so the main loop waits on it); dispatch then reads the
 * clipboard on the main loop. What the service publishes is put on the
 * clipboard at once (Windows copies it), owned by that window; the change
 * it causes is recognised by its sequence number and never reported back.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/clip_img.h"
#include "server/svc/svc_clip.h"

#define CLIP_WIN_CLASS	"cdesk-clipboard"

struct clip_be {
	struct clip_hooks	 hooks;
	int			 wake;		/* owned: eventfd */
	HANDLE			 thread;	/* owned */
	HANDLE			 ready;		/* owned: hwnd is set */
	HWND			 hwnd;		/* the thread's window */
	DWORD			 own_seq;	/* sequence of our own copy */
	UINT			 cf_png;	/* the "PNG" format */
};

/* The window's messages: a clipboard change pokes the main loop. */
static LRESULT CALLBACK
clip_win_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct clip_be *be = (struct clip_be *)GetWindowLongPtrA(hwnd,
	    GWLP_USERDATA);
	uint64_t one = 1;

	if (msg == WM_CLIPBOARDUPDATE && be != NULL) {
		if (write(be->wake, &one, sizeof one) < 0)
			log_debug("clipboard: wake failed");
		return 0;
	}
	if (msg == WM_CLOSE) {
		RemoveClipboardFormatListener(hwnd);
		DestroyWindow(hwnd);
		return 0;
	}
	if (msg == WM_DESTROY) {
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcA(hwnd, msg, wp, lp);
}

/* The thread: the window and its message loop. */
static DWORD WINAPI
clip_win_thread(LPVOID arg)
{
	struct clip_be *be = arg;
	WNDCLASSA wc;
	MSG m;

	memset(&wc, 0, sizeof wc);
	wc.lpfnWndProc = clip_win_proc;
	wc.hInstance = GetModuleHandleA(NULL);
	wc.lpszClassName = CLIP_WIN_CLASS;
	RegisterClassA(&wc);
	be->hwnd = CreateWindowExA(0, CLIP_WIN_CLASS, "cdesk", 0, 0, 0, 0, 0,
	    HWND_MESSAGE, NULL, wc.hInstance, NULL);
	if (be->hwnd != NULL) {
		SetWindowLongPtrA(be->hwnd, GWLP_USERDATA, (LONG_PTR)be);
		if (!AddClipboardFormatListener(be->hwnd)) {
			DestroyWindow(be->hwnd);
			be->hwnd = NULL;
		}
	}
	SetEvent(be->ready);
	if (be->hwnd == NULL)
		return 1;
	while (GetMessageA(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageA(&m);
	}
	return 0;
}

/* Frees a backend; NULL does nothing. */
static void
clip_win_close(struct clip_be *be)
{
	if (be == NULL)
		return;
	if (be->thread != NULL) {
		if (be->hwnd != NULL)
			PostMessageA(be->hwnd, WM_CLOSE, 0, 0);
		WaitForSingleObject(be->thread, INFINITE);
		CloseHandle(be->thread);
	}
	if (be->ready != NULL)
		CloseHandle(be->ready);
	if (be->wake >= 0)
		close(be->wake);
	free(be);
}

/* Starts the listener thread (where: ignored, one clipboard). */
static int
clip_win_open(const char *where, const struct clip_hooks *hooks,
    struct clip_be **bep)
{
	struct clip_be *be = xcalloc(1, sizeof *be);

	(void)where;
	be->hooks = *hooks;
	be->own_seq = 0;
	be->cf_png = RegisterClipboardFormatA("PNG");
	if ((be->wake = eventfd(0, EFD_NONBLOCK)) < 0 ||
	    (be->ready = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (be->thread = CreateThread(NULL, 0, clip_win_thread, be, 0,
	    NULL)) == NULL) {
		clip_win_close(be);
		return ERR_IO;
	}
	WaitForSingleObject(be->ready, INFINITE);
	if (be->hwnd == NULL) {
		clip_win_close(be);
		return ERR_UNSUPP;
	}
	*bep = be;
	return 0;
}

/* The eventfd the thread pokes. */
static int
clip_win_fd(struct clip_be *be)
{
	return be->wake;
}

/* The clipboard's text as UTF-8, or NULL. */
static struct clip_blob *
clip_win_read_text(void)
{
	struct clip_blob *b = NULL;
	const WCHAR *w;
	HANDLE h;
	int n;

	if ((h = GetClipboardData(CF_UNICODETEXT)) == NULL ||
	    (w = GlobalLock(h)) == NULL)
		return NULL;
	n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	if (n > 1) {
		b = clip_blob_new(NULL, (size_t)n);
		WideCharToMultiByte(CP_UTF8, 0, w, -1, (char *)b->data, n,
		    NULL, NULL);
		b->len = (size_t)n - 1;		/* no final NUL */
	}
	GlobalUnlock(h);
	return b;
}

/* The bytes of clipboard format fmt, at most SVC_CLIP_ITEM_MAX, into a
 * new blob; NULL if absent or too big. */
static struct clip_blob *
clip_win_read_raw(UINT fmt)
{
	struct clip_blob *b = NULL;
	const void *p;
	HANDLE h;
	SIZE_T n;

	if (fmt == 0 || !IsClipboardFormatAvailable(fmt) ||
	    (h = GetClipboardData(fmt)) == NULL)
		return NULL;
	n = GlobalSize(h);
	if (n > 0 && n <= SVC_CLIP_ITEM_MAX && (p = GlobalLock(h)) != NULL) {
		b = clip_blob_new(p, n);
		GlobalUnlock(h);
	}
	return b;
}

/* The clipboard's image as a PNG file, or NULL. */
static struct clip_blob *
clip_win_read_image(struct clip_be *be)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };
	struct clip_blob *b, *png = NULL;
	uint8_t *rgba, *p;
	uint32_t w, h;
	size_t n;
	int r;

	if ((b = clip_win_read_raw(be->cf_png)) != NULL) {
		if (b->len > sizeof sig && memcmp(b->data, sig,
		    sizeof sig) == 0)
			return b;
		clip_blob_unref(b);
	}
	if ((b = clip_win_read_raw(CF_DIBV5)) == NULL &&
	    (b = clip_win_read_raw(CF_DIB)) == NULL)
		return NULL;
	r = clip_img_dib_to_rgba(b->data, b->len, &rgba, &w, &h);
	clip_blob_unref(b);
	if (r != 0) {
		log_debug_r(r, "clipboard: the image is not read");
		return NULL;
	}
	if (clip_img_rgba_to_png(rgba, w, h, &p, &n) == 0) {
		png = clip_blob_new(p, n);
		free(p);
	}
	free(rgba);
	return png;
}

/* Another application changed the clipboard: read it for the service. */
static int
clip_win_dispatch(struct clip_be *be)
{
	struct clip_blob *items[CLIP_FMT_N] = { NULL };
	uint64_t junk;
	int i;

	while (read(be->wake, &junk, sizeof junk) > 0)
		;
	if (GetClipboardSequenceNumber() == be->own_seq ||
	    !be->hooks.wanted(be->hooks.arg))
		return 0;
	if (!OpenClipboard(be->hwnd))
		return 0;	/* someone holds it: the next change tells */
	items[CLIP_FMT_TEXT] = clip_win_read_text();
	items[CLIP_FMT_PNG] = clip_win_read_image(be);
	CloseClipboard();
	if (items[CLIP_FMT_TEXT] != NULL || items[CLIP_FMT_PNG] != NULL)
		be->hooks.changed(be->hooks.arg, items);
	for (i = 0; i < CLIP_FMT_N; i++)
		clip_blob_unref(items[i]);
	return 0;
}

/* n bytes from p in a new movable global, or NULL. */
static HGLOBAL
clip_win_global(const void *p, size_t n)
{
	HGLOBAL g;
	void *d;

	if ((g = GlobalAlloc(GMEM_MOVEABLE, n)) == NULL)
		return NULL;
	if ((d = GlobalLock(g)) == NULL) {
		GlobalFree(g);
		return NULL;
	}
	memcpy(d, p, n);
	GlobalUnlock(g);
	return g;
}

/* Text as a CF_UNICODETEXT global, or NULL. */
static HGLOBAL
clip_win_text_global(const struct clip_blob *t)
{
	HGLOBAL g;
	WCHAR *w;
	int n;

	n = MultiByteToWideChar(CP_UTF8, 0, (const char *)t->data,
	    (int)t->len, NULL, 0);
	if ((g = GlobalAlloc(GMEM_MOVEABLE, ((size_t)n + 1) *
	    sizeof(WCHAR))) == NULL)
		return NULL;
	if ((w = GlobalLock(g)) == NULL) {
		GlobalFree(g);
		return NULL;
	}
	MultiByteToWideChar(CP_UTF8, 0, (const char *)t->data, (int)t->len,
	    w, n);
	w[n] = 0;
	GlobalUnlock(g);
	return g;
}

/* Sets format fmt to global g (the clipboard owns it after); 1 if set. */
static int
clip_win_set(UINT fmt, HGLOBAL g)
{
	if (g == NULL)
		return 0;
	if (SetClipboardData(fmt, g) == NULL) {
		GlobalFree(g);
		return 0;
	}
	return 1;
}

/* The PNG of items as CF_DIB, CF_DIBV5 and "PNG" (the clipboard is
 * open); how many were set. */
static int
clip_win_set_image(struct clip_be *be, const struct clip_blob *png)
{
	uint8_t *rgba, *dib;
	uint32_t w, h;
	size_t n;
	int v5, set = 0, r;

	if ((r = clip_img_png_to_rgba(png->data, png->len, &rgba, &w,
	    &h)) != 0) {
		log_debug_r(r, "clipboard: the peer's image is not used");
		return 0;
	}
	for (v5 = 0; v5 <= 1; v5++)
		if (clip_img_rgba_to_dib(rgba, w, h, v5, &dib, &n) == 0) {
			set += clip_win_set(v5 ? CF_DIBV5 : CF_DIB,
			    clip_win_global(dib, n));
			free(dib);
		}
	free(rgba);
	if (be->cf_png != 0)
		set += clip_win_set(be->cf_png, clip_win_global(png->data,
		    png->len));
	return set;
}

/* Puts the text and the image of items on the clipboard. */
static int
clip_win_publish(struct clip_be *be, struct clip_blob *const items[CLIP_FMT_N])
{
	const struct clip_blob *t = items[CLIP_FMT_TEXT];
	const struct clip_blob *png = items[CLIP_FMT_PNG];
	int set = 0;

	if (t == NULL && png == NULL)
		return 0;	/* HTML, RTF, SVG alone are not carried */
	if (!OpenClipboard(be->hwnd))
		return ERR_IO;
	EmptyClipboard();
	if (t != NULL)
		set += clip_win_set(CF_UNICODETEXT, clip_win_text_global(t));
	if (png != NULL)
		set += clip_win_set_image(be, png);
	CloseClipboard();
	be->own_seq = GetClipboardSequenceNumber();
	return set > 0 ? 0 : ERR_IO;
}

/* Reads are synchronous here: nothing in progress to abandon. */
static void
clip_win_cancel(struct clip_be *be)
{
	(void)be;
}

/* No slow read to time out (see clip_win_cancel). */
static void
clip_win_timeout(struct clip_be *be)
{
	(void)be;
}

const struct clip_impl clip_win = {
	.name = "win32",
	.open = clip_win_open,
	.close = clip_win_close,
	.fd = clip_win_fd,
	.dispatch = clip_win_dispatch,
	.publish = clip_win_publish,
	.cancel = clip_win_cancel,
	.timeout = clip_win_timeout,
};
