/*
 * test_svc_video_move.c: the video service follows the desktop session to
 * another X server (svc_video_set_x_display): an Xvfb of the test's own,
 * of another size and with an X authority cookie, is captured only with
 * its cookie (x11_auth_set); a viewer stays subscribed and gets a
 * SwitchDisplay of the new size, then key frames of the new screen; with
 * no display nothing is listed; and back again.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "common/err.h"
#include "server/x11/x11_auth.h"
#include "tests/unit/vtest.h"

static pid_t	 xvfb_pid = -1;
static char	 tmpdir[] = "/tmp/cdesk-vmove.XXXXXX";
static char	 authfile[256];
static int	 changed;

/* Counts displays_changed calls. */
static void
changed_cb(void *arg)
{
	(void)arg;
	changed++;
}

/* Writes an X authority file with one cookie for every display. */
static void
write_cookie(void)
{
	static const uint8_t cookie[16] = "cdesk-vmove-0001";
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd;

	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	snprintf(authfile, sizeof authfile, "%s/auth", tmpdir);
	/* Every display: the entry serves whatever display Xvfb picks. */
	x11_auth_append(&buf, &len, NULL, -1, cookie, sizeof cookie);
	fd = open(authfile, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(write(fd, buf, len), (long long)len);
	close(fd);
	free(buf);
}

/* Starts a 640x480 Xvfb that wants the cookie; exits 77 without Xvfb. */
static void
xvfb_start(char *disp, size_t dlen)
{
	char fdarg[16], buf[16];
	int p[2];
	ssize_t n;
	size_t len = 0;

	if (access("/usr/bin/Xvfb", X_OK) != 0) {
		printf("no Xvfb\n");
		exit(77);
	}
	write_cookie();
	ASSERT_INT_EQ(pipe(p), 0);
	if ((xvfb_pid = fork()) == 0) {
		int nul = open("/dev/null", O_RDWR);

		close(p[0]);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		snprintf(fdarg, sizeof fdarg, "%d", p[1]);
		execl("/usr/bin/Xvfb", "Xvfb", "-displayfd", fdarg, "-screen",
		    "0", "640x480x24", "-nolisten", "tcp", "-auth", authfile,
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof buf - 1 && (n = read(p[0], buf + len,
	    sizeof buf - 1 - len)) > 0) {
		len += n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	close(p[0]);
	buf[len] = '\0';
	ASSERT_TRUE(memchr(buf, '\n', len) != NULL);
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(disp, dlen, ":%s", buf);
}

/* Stops the Xvfb and removes its files. */
static void
xvfb_stop(void)
{
	if (xvfb_pid > 0) {
		kill(xvfb_pid, SIGTERM);
		waitpid(xvfb_pid, NULL, 0);
	}
	unlink(authfile);
	rmdir(tmpdir);
}

/* Waits for the next SwitchDisplay and a key frame after it. */
static void
wait_switch(struct event_base *base, struct fsink *f, int switches)
{
	vt_loop_until(base, &f->switches, switches, 5000);
	ASSERT_INT_EQ(f->switches, switches);
	vt_loop_until(base, &f->frames_after_switch, 1, 5000);
	ASSERT_INT_GE(f->frames_after_switch, 1);
	ASSERT_INT_EQ(f->key_after_switch, 1);
}

int
main(void)
{
	struct event_base *base;
	struct svc_video_config cfg = { .displays_changed = changed_cb };
	struct svc_video *sv;
	struct svc_video_prefs p = vt_prefs(-1);
	struct cap_display d[CAP_DISPLAYS_MAX];
	struct svc_video_stats st;
	struct fsink *f, *g;
	struct vx home, other;
	const char *home_disp = getenv("DISPLAY");
	char disp[32];
	int primary;

	base = vt_base();
	vx_open(&home);
	xvfb_start(disp, sizeof disp);
	fprintf(stderr, "  second Xvfb on %s (cookie %s)\n", disp, authfile);
	ASSERT_INT_EQ(svc_video_new(base, &cfg, &sv), 0);
	f = fsink_new(1);
	ASSERT_INT_EQ(svc_video_subscribe(sv, &f->sink, 0, &p,
	    SVC_VIDEO_F_ANNOUNCE), 0);
	vx_pattern(&home, 1);
	vt_loop_until(base, &f->frames, 1, 5000);
	ASSERT_INT_EQ(f->sw_w, home.w & ~1);

	/* Without its cookie the new X server refuses us. */
	ASSERT_INT_NE(svc_video_set_x_display(sv, disp), 0);
	ASSERT_INT_EQ(svc_video_displays(sv, d, CAP_DISPLAYS_MAX, &primary),
	    0);

	/* With it: the viewer follows, 640x480 from a key frame on. */
	ASSERT_INT_EQ(x11_auth_set(disp, authfile, (long)getuid()), 0);
	changed = 0;
	ASSERT_INT_EQ(svc_video_set_x_display(sv, disp), 0);
	ASSERT_INT_EQ(changed, 1);
	ASSERT_INT_EQ(svc_video_displays(sv, d, CAP_DISPLAYS_MAX, &primary),
	    1);
	ASSERT_INT_EQ(d[0].width, 640);
	setenv("DISPLAY", disp, 1);
	setenv("XAUTHORITY", authfile, 1);
	vx_open(&other);
	vx_pattern(&other, 3);
	wait_switch(base, f, 2);
	ASSERT_INT_EQ(f->sw_w, 640);
	ASSERT_INT_EQ(f->sw_h, 480);
	vt_loop(base, 500);
	ASSERT_INT_EQ(f->last->width, 640);
	ASSERT_INT_EQ(f->wrong_size, 0);
	ASSERT_INT_EQ(f->errors, 0);
	ASSERT_TRUE(vx_psnr(&other, f->last) > 30);

	/* No display: nothing listed, nothing captured, nobody joins. */
	ASSERT_INT_EQ(svc_video_set_x_display(sv, NULL), 0);
	ASSERT_INT_EQ(svc_video_displays(sv, d, CAP_DISPLAYS_MAX, &primary),
	    0);
	svc_video_stats(sv, &st);
	ASSERT_INT_EQ(st.workers, 0);
	g = fsink_new(2);
	ASSERT_INT_EQ(svc_video_subscribe(sv, &g->sink, 0, &p, 0), ERR_INVAL);
	ASSERT_TRUE(svc_video_switch_msg(sv, 0) == NULL);

	/* Home again: the same viewer, the first display's size. */
	ASSERT_INT_EQ(svc_video_set_x_display(sv, home_disp), 0);
	vx_pattern(&home, 2);
	wait_switch(base, f, 3);
	ASSERT_INT_EQ(f->sw_w, home.w & ~1);
	vt_loop(base, 500);
	ASSERT_INT_EQ(f->last->width, home.w & ~1);
	ASSERT_TRUE(vx_psnr(&home, f->last) > 30);
	svc_video_stats(sv, &st);
	ASSERT_INT_EQ(st.workers, 1);
	fprintf(stderr, "  %d frames, %d switches, %d decoded\n", f->frames,
	    f->switches, f->decoded);

	svc_video_free(sv);
	fsink_free(f);
	fsink_free(g);
	xcb_disconnect(home.c);
	xcb_disconnect(other.c);
	x11_auth_set(NULL, NULL, -1);
	event_base_free(base);
	libevent_global_shutdown();
	xvfb_stop();
	return 0;
}
