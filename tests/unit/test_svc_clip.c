/*
 * test_svc_clip.c: the clipboard service against a real X server (Xvfb
 * from tests/run.sh) and xclip playing the other host applications.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <png.h>
#include <zstd.h>

#include "common/err.h"
#include "common/log.h"
#include "server/svc/svc_clip.h"
#include "tests/tst.h"

#define FAKE_MAX	64

/* A subscriber that keeps what it is sent. */
struct fake {
	struct svc_sink	 sink;
	struct msgbuf	*got[FAKE_MAX];
	size_t		 n;
};

static struct event_base *base;
static struct svc_clip *clip;
static char tmpdir[] = "/tmp/cdesk-clip.XXXXXX";

/* Sink send: keep a reference. */
static void
fake_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	struct fake *f = ctx;

	ASSERT_INT_EQ(q, SVC_Q_CONTROL);
	ASSERT_TRUE(f->n < FAKE_MAX);
	f->got[f->n++] = msgbuf_ref(b);
}

/* Sink backlog: always empty. */
static size_t
fake_backlog(void *ctx, enum svc_queue q)
{
	(void)ctx;
	(void)q;
	return 0;
}

/* Set up a fake sink with an id. */
static void
fake_init(struct fake *f, uint32_t id)
{
	memset(f, 0, sizeof *f);
	f->sink.ctx = f;
	f->sink.conn_id = id;
	f->sink.send = fake_send;
	f->sink.backlog = fake_backlog;
}

/* Drop what a sink got. */
static void
fake_clear(struct fake *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		msgbuf_unref(f->got[i]);
	f->n = 0;
}

/* Milliseconds on a monotonic clock. */
static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Run the loop until *count reaches want or ms pass; returns *count. */
static size_t
pump_until(const size_t *count, size_t want, long ms)
{
	long end = now_ms() + ms;

	while (*count < want && now_ms() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	return *count;
}

/* Run the loop for ms milliseconds. */
static void
pump_for(long ms)
{
	size_t zero = 0;

	pump_until(&zero, 1, ms);
}

/* Run a shell command in the background while pumping the loop. */
static int
run_pumped(const char *cmd)
{
	pid_t pid;
	int st = -1;
	long end = now_ms() + 10000;

	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(pid > 0);
	while (now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	TST_FAIL("command timed out: %s", cmd);
}

/* Read a whole file into a new buffer. */
static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	ASSERT_TRUE(f != NULL);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len > 0 ? (size_t)len : 1);
	ASSERT_INT_EQ(fread(buf, 1, (size_t)len, f), len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* Write bytes to a file. */
static void
spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	ASSERT_TRUE(f != NULL);
	ASSERT_INT_EQ(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* A path in the test's folder (static buffer). */
static const char *
tpath(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
	return buf;
}

/* Put a file on the host clipboard with xclip as the given target. */
static void
xclip_in(const char *target, const void *p, size_t n)
{
	char cmd[512];

	spit(tpath("in"), p, n);
	snprintf(cmd, sizeof cmd, "xclip -selection clipboard -t '%s' -i %s "
	    ">/dev/null 2>&1", target, tpath("in"));
	ASSERT_INT_EQ(system(cmd), 0);
}

/* Read the host clipboard as target with xclip; caller frees. */
static uint8_t *
xclip_out(const char *target, size_t *n)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "xclip -selection clipboard -t '%s' -o "
	    ">%s 2>/dev/null", target, tpath("out"));
	if (run_pumped(cmd) != 0) {
		*n = 0;
		return NULL;
	}
	return slurp(tpath("out"), n);
}

/* Content of an entry, zstd-decompressed when flagged; caller frees. */
static uint8_t *
entry_bytes(const Hbb__Clipboard *c, size_t *n)
{
	uint8_t *out;
	size_t r;

	if (!c->compress) {
		*n = c->content.len;
		out = malloc(c->content.len + 1);
		memcpy(out, c->content.data, c->content.len);
		return out;
	}
	*n = ZSTD_getFrameContentSize(c->content.data, c->content.len);
	ASSERT_TRUE(*n < 64u * 1024 * 1024);
	out = malloc(*n + 1);
	r = ZSTD_decompress(out, *n, c->content.data, c->content.len);
	ASSERT_INT_EQ(r, *n);
	return out;
}

/* Unpack message i of a sink; caller frees with hbb__message__free_unpacked. */
static Hbb__Message *
fake_msg(const struct fake *f, size_t i)
{
	Hbb__Message *m;

	ASSERT_TRUE(i < f->n);
	m = hbb__message__unpack(NULL, f->got[i]->len, f->got[i]->data);
	ASSERT_TRUE(m != NULL);
	return m;
}

/* The entry of a format in a MultiClipboards message, or NULL. */
static Hbb__Clipboard *
multi_entry(const Hbb__Message *m, Hbb__ClipboardFormat fmt)
{
	size_t i;

	ASSERT_INT_EQ(m->union_case, HBB__MESSAGE__UNION_MULTI_CLIPBOARDS);
	for (i = 0; i < m->multi_clipboards->n_clipboards; i++)
		if (m->multi_clipboards->clipboards[i]->format == fmt)
			return m->multi_clipboards->clipboards[i];
	return NULL;
}

/* Check an entry holds exactly p[0..n). */
static void
entry_check(const Hbb__Clipboard *c, const void *p, size_t n)
{
	uint8_t *got;
	size_t len;

	ASSERT_TRUE(c != NULL);
	got = entry_bytes(c, &len);
	ASSERT_INT_EQ(len, n);
	ASSERT_MEM_EQ(got, p, n);
	free(got);
}

/* n bytes of varied printable text; caller frees. */
static char *
big_text(size_t n)
{
	char *t = malloc(n + 1);
	size_t i;
	uint32_t x = 12345;

	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		t[i] = (i % 61 == 60) ? '\n' : (char)('a' + (x >> 16) % 26);
	}
	t[n] = '\0';
	return t;
}

/* A w x h RGBA test pattern; caller frees. */
static uint8_t *
pattern(uint32_t w, uint32_t h)
{
	uint8_t *p = malloc((size_t)w * h * 4);
	size_t i;

	for (i = 0; i < (size_t)w * h * 4; i++)
		p[i] = (uint8_t)(i * 7 + i / 13);
	return p;
}

/* Decode a PNG file to RGBA and compare with the pattern. */
static void
png_check(const uint8_t *png, size_t n, const uint8_t *rgba, uint32_t w,
    uint32_t h)
{
	png_image img;
	uint8_t *px;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	ASSERT_TRUE(png_image_begin_read_from_memory(&img, png, n));
	ASSERT_INT_EQ(img.width, w);
	ASSERT_INT_EQ(img.height, h);
	img.format = PNG_FORMAT_RGBA;
	px = malloc(PNG_IMAGE_SIZE(img));
	ASSERT_TRUE(png_image_finish_read(&img, NULL, px, 0, NULL));
	ASSERT_MEM_EQ(px, rgba, (size_t)w * h * 4);
	free(px);
}

static struct fake fa, fb;	/* fa: 1.3.2 Linux, fb: 1.2.0 (text only) */

/* Version gate for MultiClipboards. */
static void
test_peer_multi(void)
{
	ASSERT_INT_EQ(svc_clip_peer_multi("1.3.0", "Windows"), 1);
	ASSERT_INT_EQ(svc_clip_peer_multi("1.2.9", "Windows"), 0);
	ASSERT_INT_EQ(svc_clip_peer_multi("1.10", "Linux"), 1);
	ASSERT_INT_EQ(svc_clip_peer_multi("1.3.2", "Android"), 0);
	ASSERT_INT_EQ(svc_clip_peer_multi("1.3.3", "Android"), 1);
	ASSERT_INT_EQ(svc_clip_peer_multi("1.4.0", "iOS"), 0);
	ASSERT_INT_EQ(svc_clip_peer_multi("1.4.0", ""), 0);
	ASSERT_INT_EQ(svc_clip_peer_multi(NULL, NULL), 0);
	ASSERT_INT_EQ(svc_clip_peer_multi("garbage", "Linux"), 0);
}

/* Host text set with xclip reaches both kinds of subscriber. */
static void
test_host_text(void)
{
	const char *t = "hello cdesk \xc3\xbc";
	Hbb__Message *m;

	xclip_in("UTF8_STRING", t, strlen(t));
	ASSERT_INT_EQ(pump_until(&fb.n, 1, 3000), 1);
	pump_until(&fa.n, 1, 1000);
	ASSERT_INT_EQ(fa.n, 1);
	m = fake_msg(&fa, 0);
	entry_check(multi_entry(m, HBB__CLIPBOARD_FORMAT__Text), t, strlen(t));
	hbb__message__free_unpacked(m, NULL);
	m = fake_msg(&fb, 0);
	ASSERT_INT_EQ(m->union_case, HBB__MESSAGE__UNION_CLIPBOARD);
	entry_check(m->clipboard, t, strlen(t));
	hbb__message__free_unpacked(m, NULL);
	fake_clear(&fa);
	fake_clear(&fb);
}

/* UTF-16 HTML (as Firefox offers it) arrives as UTF-8. */
static void
test_host_html_utf16(void)
{
	const uint8_t u16[] = { 0xff, 0xfe, '<', 0, 'b', 0, '>', 0, 0xe9, 0,
	    0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde, '<', 0 };
	const char *u8 = "<b>\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80<";
	Hbb__Message *m;

	xclip_in("text/html", u16, sizeof u16);
	ASSERT_INT_EQ(pump_until(&fa.n, 1, 3000), 1);
	m = fake_msg(&fa, 0);
	entry_check(multi_entry(m, HBB__CLIPBOARD_FORMAT__Html), u8,
	    strlen(u8));
	hbb__message__free_unpacked(m, NULL);
	pump_for(100);
	ASSERT_INT_EQ(fb.n, 0);
	fake_clear(&fa);
}

/* A PNG set with xclip reaches the new client; the old one gets nothing. */
static void
test_host_png(void)
{
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;
	uint8_t *rgba = pattern(40, 30), *png;
	size_t n;
	int fmt;
	Hbb__Message *m;

	c.format = HBB__CLIPBOARD_FORMAT__ImageRgba;
	c.width = 40;
	c.height = 30;
	c.content.data = rgba;
	c.content.len = 40 * 30 * 4;
	ASSERT_INT_EQ(svc_clip_decode_item(&c, SVC_CLIP_ITEM_MAX, &fmt, &png, &n), 0);
	ASSERT_INT_EQ(fmt, HBB__CLIPBOARD_FORMAT__ImagePng);
	png_check(png, n, rgba, 40, 30);
	xclip_in("image/png", png, n);
	ASSERT_INT_EQ(pump_until(&fa.n, 1, 3000), 1);
	m = fake_msg(&fa, 0);
	entry_check(multi_entry(m, HBB__CLIPBOARD_FORMAT__ImagePng), png, n);
	ASSERT_INT_EQ(multi_entry(m, HBB__CLIPBOARD_FORMAT__ImagePng)->compress,
	    0);
	hbb__message__free_unpacked(m, NULL);
	pump_for(200);
	ASSERT_INT_EQ(fb.n, 0);
	fake_clear(&fa);
	free(png);
	free(rgba);
}

/* 6 MiB of host text arrives whole (xclip sends INCR above 4 MiB), zstd. */
static void
test_host_big_text(void)
{
	size_t n = 6u * 1024 * 1024;
	char *t = big_text(n);
	Hbb__Message *m;

	xclip_in("UTF8_STRING", t, n);
	ASSERT_INT_EQ(pump_until(&fa.n, 1, 8000), 1);
	m = fake_msg(&fa, 0);
	ASSERT_INT_EQ(multi_entry(m, HBB__CLIPBOARD_FORMAT__Text)->compress, 1);
	entry_check(multi_entry(m, HBB__CLIPBOARD_FORMAT__Text), t, n);
	hbb__message__free_unpacked(m, NULL);
	pump_until(&fb.n, 1, 1000);
	fake_clear(&fa);
	fake_clear(&fb);
	free(t);
}

/* Peer text becomes the selection; no echo; the other peer gets it. */
static void
test_peer_text(void)
{
	const char *t = "from the peer \xc3\xa9!";
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;
	Hbb__Message *m;
	uint8_t *out;
	size_t n;

	c.format = HBB__CLIPBOARD_FORMAT__Text;
	c.content.data = (uint8_t *)t;
	c.content.len = strlen(t);
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), 0);
	ASSERT_INT_EQ(fb.n, 1);		/* forwarded to the other peer */
	m = fake_msg(&fb, 0);
	entry_check(m->clipboard, t, strlen(t));
	hbb__message__free_unpacked(m, NULL);
	out = xclip_out("UTF8_STRING", &n);
	ASSERT_TRUE(out != NULL);
	ASSERT_INT_EQ(n, strlen(t));
	ASSERT_MEM_EQ(out, t, n);
	free(out);
	out = xclip_out("STRING", &n);	/* Latin-1 */
	ASSERT_TRUE(out != NULL);
	ASSERT_INT_EQ(n, strlen(t) - 1);
	ASSERT_MEM_EQ(out, "from the peer \xe9!", n);
	free(out);
	pump_for(300);
	ASSERT_INT_EQ(fa.n, 0);		/* never back to the sender */
	ASSERT_INT_EQ(fb.n, 1);		/* our own ownership is not a change */
	fake_clear(&fb);
}

/* zstd-compressed peer text, and 2 MiB of it served through INCR. */
static void
test_peer_big_compressed(void)
{
	size_t n = 2u * 1024 * 1024, zn, on;
	char *t = big_text(n);
	uint8_t *z = malloc(ZSTD_compressBound(n)), *out;
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;

	zn = ZSTD_compress(z, ZSTD_compressBound(n), t, n, 3);
	ASSERT_TRUE(!ZSTD_isError(zn));
	c.format = HBB__CLIPBOARD_FORMAT__Text;
	c.compress = 1;
	c.content.data = z;
	c.content.len = zn;
	ASSERT_INT_EQ(svc_clip_set(clip, fb.sink.conn_id, &c), 0);
	out = xclip_out("UTF8_STRING", &on);
	ASSERT_TRUE(out != NULL);
	ASSERT_INT_EQ(on, n);
	ASSERT_MEM_EQ(out, t, n);
	free(out);
	ASSERT_INT_EQ(fa.n, 1);
	ASSERT_INT_EQ(fb.n, 0);
	fake_clear(&fa);
	free(z);
	free(t);
}

/* A peer's RGBA image is served as image/png; TARGETS lists it. */
static void
test_peer_image(void)
{
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT, txt = HBB__CLIPBOARD__INIT;
	Hbb__Clipboard *list[2] = { &c, &txt };
	Hbb__MultiClipboards mc = HBB__MULTI_CLIPBOARDS__INIT;
	uint8_t *rgba = pattern(300, 200), *out;
	size_t n;

	c.format = HBB__CLIPBOARD_FORMAT__ImageRgba;
	c.width = 300;
	c.height = 200;
	c.content.data = rgba;
	c.content.len = 300 * 200 * 4;
	txt.format = HBB__CLIPBOARD_FORMAT__Text;
	txt.content.data = (uint8_t *)"caption";
	txt.content.len = 7;
	mc.n_clipboards = 2;
	mc.clipboards = list;
	ASSERT_INT_EQ(svc_clip_set_multi(clip, fa.sink.conn_id, &mc), 0);
	out = xclip_out("TARGETS", &n);
	ASSERT_TRUE(out != NULL);
	out = realloc(out, n + 1);
	out[n] = '\0';
	ASSERT_TRUE(strstr((char *)out, "image/png") != NULL);
	ASSERT_TRUE(strstr((char *)out, "UTF8_STRING") != NULL);
	free(out);
	out = xclip_out("image/png", &n);
	ASSERT_TRUE(out != NULL);
	png_check(out, n, rgba, 300, 200);
	free(out);
	/* fb is text-only: it gets the caption. */
	ASSERT_INT_EQ(fb.n, 1);
	ASSERT_INT_EQ(fa.n, 0);
	fake_clear(&fb);
	free(rgba);
}

/* Bad peer content changes nothing. */
static void
test_peer_invalid(void)
{
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;
	uint8_t junk[64], *out;
	size_t n;

	memset(junk, 0x5a, sizeof junk);
	c.format = HBB__CLIPBOARD_FORMAT__ImageRgba;
	c.width = 4;
	c.height = 4;
	c.content.data = junk;
	c.content.len = 63;
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), ERR_INVAL);
	c.width = 65536;
	c.height = 65536;
	c.content.len = 64;
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), ERR_INVAL);
	c.format = HBB__CLIPBOARD_FORMAT__Text;
	c.compress = 1;
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), ERR_INVAL);
	c.compress = 0;
	c.format = HBB__CLIPBOARD_FORMAT__ImagePng;
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), ERR_INVAL);
	c.format = HBB__CLIPBOARD_FORMAT__Special;
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), ERR_UNSUPP);
	ASSERT_INT_EQ(fa.n + fb.n, 0);
	out = xclip_out("image/png", &n);	/* still the image */
	ASSERT_TRUE(out != NULL && n > 8);
	ASSERT_MEM_EQ(out, "\x89PNG", 4);
	free(out);
}

/*
 * A zstd frame whose window exceeds the allowed output is refused, one
 * within it decodes: a hand-made frame (no content size, so only the
 * window descriptor tells) holding one raw block of 5 bytes.
 */
static void
test_peer_zstd_window(void)
{
	uint8_t f[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00,
	    (5 << 3) | 1, 0, 0, 'h', 'e', 'l', 'l', 'o' };
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;
	uint8_t *out;
	size_t n;
	int fmt;

	c.format = HBB__CLIPBOARD_FORMAT__Text;
	c.compress = 1;
	c.content.data = f;
	c.content.len = sizeof f;
	f[5] = 15 << 3;		/* window 2^25 = SVC_CLIP_ITEM_MAX: fine */
	ASSERT_INT_EQ(svc_clip_decode_item(&c, SVC_CLIP_ITEM_MAX, &fmt, &out,
	    &n), 0);
	ASSERT_INT_EQ(n, 5);
	ASSERT_MEM_EQ(out, "hello", 5);
	free(out);
	f[5] = 16 << 3;		/* 2^26: more than the output may be */
	ASSERT_INT_EQ(svc_clip_decode_item(&c, SVC_CLIP_ITEM_MAX, &fmt, &out,
	    &n), ERR_INVAL);
	f[5] = 10 << 3;		/* 2^20 with a 1 MiB cap: fine, 2^21 not */
	ASSERT_INT_EQ(svc_clip_decode_item(&c, 1 << 20, &fmt, &out, &n), 0);
	free(out);
	f[5] = 11 << 3;
	ASSERT_INT_EQ(svc_clip_decode_item(&c, 1 << 20, &fmt, &out, &n),
	    ERR_INVAL);
}

/* After unsubscribe a sink gets nothing, at once. */
static void
test_unsubscribe(void)
{
	const char *t = "after unsubscribe";

	svc_clip_unsubscribe(clip, fa.sink.conn_id);
	ASSERT_INT_EQ(svc_clip_count(clip), 1);
	xclip_in("UTF8_STRING", t, strlen(t));
	ASSERT_INT_EQ(pump_until(&fb.n, 1, 3000), 1);
	ASSERT_INT_EQ(fa.n, 0);
	svc_clip_unsubscribe(clip, fb.sink.conn_id);
	ASSERT_INT_EQ(svc_clip_count(clip), 0);
	fake_clear(&fb);
	xclip_in("UTF8_STRING", "x", 1);
	pump_for(300);
	ASSERT_INT_EQ(fa.n + fb.n, 0);
}

/* Moved to no display, the service takes nothing from peers and sees no
 * change; moved back, both work again for the same subscribers. */
static void
test_move(void)
{
	const char *t = "after the move";
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;
	Hbb__Message *m;
	uint8_t *out;
	size_t n;

	ASSERT_INT_EQ(svc_clip_move(clip, NULL), 0);
	/* The last subscriber may leave while there is no display. */
	svc_clip_unsubscribe(clip, fb.sink.conn_id);
	svc_clip_unsubscribe(clip, fa.sink.conn_id);
	ASSERT_INT_EQ(svc_clip_subscribe(clip, &fa.sink, "1.3.2", "Linux"), 0);
	ASSERT_INT_EQ(svc_clip_subscribe(clip, &fb.sink, "1.2.0", "Windows"),
	    0);
	c.format = HBB__CLIPBOARD_FORMAT__Text;
	c.content.data = (uint8_t *)t;
	c.content.len = strlen(t);
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), ERR_IO);
	ASSERT_INT_EQ(fb.n, 0);
	xclip_in("UTF8_STRING", "unseen", 6);
	pump_for(300);
	ASSERT_INT_EQ(fa.n + fb.n, 0);
	ASSERT_INT_EQ(svc_clip_move(clip, ":65000"), ERR_IO);
	ASSERT_INT_EQ(svc_clip_move(clip, getenv("DISPLAY")), 0);
	ASSERT_INT_EQ(svc_clip_count(clip), 2);
	xclip_in("UTF8_STRING", "seen", 4);
	ASSERT_INT_EQ(pump_until(&fb.n, 1, 3000), 1);
	m = fake_msg(&fb, 0);
	entry_check(m->clipboard, "seen", 4);
	hbb__message__free_unpacked(m, NULL);
	pump_until(&fa.n, 1, 1000);
	fake_clear(&fa);
	fake_clear(&fb);
	ASSERT_INT_EQ(svc_clip_set(clip, fa.sink.conn_id, &c), 0);
	out = xclip_out("UTF8_STRING", &n);
	ASSERT_TRUE(out != NULL);
	ASSERT_INT_EQ(n, strlen(t));
	ASSERT_MEM_EQ(out, t, n);
	free(out);
	fake_clear(&fb);
}

/* Run every test against the display in $DISPLAY. */
int
main(void)
{
	int r;

	TST_RUN(test_peer_multi);
	if (getenv("DISPLAY") == NULL || system("command -v xclip "
	    ">/dev/null 2>&1") != 0) {
		printf("no X display or no xclip\n");
		return 77;
	}
	if (getenv("TEST_DEBUG") != NULL)
		log_set_level(LOG_DEBUG);
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	base = event_base_new();
	ASSERT_TRUE(base != NULL);
	r = svc_clip_new(base, NULL, &clip);
	if (r != 0) {
		printf("no X display: %s\n", err_str(r));
		return 77;
	}
	fake_init(&fa, 1001);
	fake_init(&fb, 1002);
	ASSERT_INT_EQ(svc_clip_subscribe(clip, &fa.sink, "1.3.2", "Linux"), 0);
	ASSERT_INT_EQ(svc_clip_subscribe(clip, &fb.sink, "1.2.0", "Windows"),
	    0);
	TST_RUN(test_host_text);
	TST_RUN(test_host_html_utf16);
	TST_RUN(test_host_png);
	TST_RUN(test_host_big_text);
	TST_RUN(test_peer_text);
	TST_RUN(test_peer_big_compressed);
	TST_RUN(test_peer_image);
	TST_RUN(test_peer_invalid);
	TST_RUN(test_peer_zstd_window);
	TST_RUN(test_move);
	TST_RUN(test_unsubscribe);
	/* Take the selection back so the last xclip exits. */
	{
		Hbb__Clipboard c = HBB__CLIPBOARD__INIT;

		c.content.data = (uint8_t *)"bye";
		c.content.len = 3;
		ASSERT_INT_EQ(svc_clip_set(clip, 1, &c), 0);
		pump_for(100);
	}
	svc_clip_free(clip);
	event_base_free(base);
	unlink(tpath("in"));
	unlink(tpath("out"));
	rmdir(tmpdir);
	return 0;
}
