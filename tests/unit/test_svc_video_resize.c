/*
 * test_svc_video_resize.c: a display resolution change (RandR, on an Xorg
 * "dummy" server of the test's own, since Xvfb cannot change size) gives
 * every viewer a SwitchDisplay and then key frames of the new size only.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "tests/unit/vtest.h"

static const char xorg_conf[] =
    "Section \"Device\"\n"
    "	Identifier \"dev\"\n"
    "	Driver \"dummy\"\n"
    "	VideoRam 65536\n"
    "EndSection\n"
    "Section \"Monitor\"\n"
    "	Identifier \"mon\"\n"
    "	HorizSync 5.0-1000.0\n"
    "	VertRefresh 5.0-200.0\n"
    "	Modeline \"1280x800\" 83.50 1280 1352 1480 1680 800 803 809 831\n"
    "	Modeline \"1024x768\" 63.50 1024 1072 1176 1328 768 771 775 798\n"
    "EndSection\n"
    "Section \"Screen\"\n"
    "	Identifier \"scr\"\n"
    "	Device \"dev\"\n"
    "	Monitor \"mon\"\n"
    "	DefaultDepth 24\n"
    "	SubSection \"Display\"\n"
    "		Depth 24\n"
    "		Modes \"1280x800\" \"1024x768\"\n"
    "		Virtual 1280 800\n"
    "	EndSubSection\n"
    "EndSection\n";

static pid_t	 xorg_pid = -1;
static char	 tmpdir[] = "/tmp/cdesk-xorg.XXXXXX";
static int	 changed;

/* Counts displays_changed calls. */
static void
changed_cb(void *arg)
{
	(void)arg;
	changed++;
}

/* Starts Xorg with the dummy driver; exits 77 where that cannot work. */
static void
xorg_start(char *disp, size_t dlen)
{
	char conf[256], logf[256], fdarg[16], buf[16];
	int p[2];
	ssize_t n;
	size_t len;
	FILE *f;

	if (access("/usr/lib/xorg/modules/drivers/dummy_drv.so", R_OK) != 0 ||
	    access("/usr/lib/xorg/Xorg", X_OK) != 0) {
		printf("no Xorg dummy driver (xserver-xorg-video-dummy)\n");
		exit(77);
	}
	if (geteuid() != 0) {
		printf("Xorg with a private config needs root\n");
		exit(77);
	}
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	snprintf(conf, sizeof conf, "%s/xorg.conf", tmpdir);
	snprintf(logf, sizeof logf, "%s/xorg.log", tmpdir);
	ASSERT_TRUE((f = fopen(conf, "w")) != NULL);
	fputs(xorg_conf, f);
	fclose(f);
	ASSERT_INT_EQ(pipe(p), 0);
	if ((xorg_pid = fork()) == 0) {
		int nul = open("/dev/null", O_RDWR);

		close(p[0]);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		snprintf(fdarg, sizeof fdarg, "%d", p[1]);
		execl("/usr/lib/xorg/Xorg", "Xorg", "-displayfd", fdarg,
		    "-config", conf, "-logfile", logf, "-nolisten", "tcp",
		    "-noreset", "-ac", "+extension", "DAMAGE", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* Xorg writes the number, then "\n": read both before closing, or
	 * its second write fails and it exits. */
	len = 0;
	while (len < sizeof buf - 1 && (n = read(p[0], buf + len,
	    sizeof buf - 1 - len)) > 0) {
		len += n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	close(p[0]);
	buf[len] = '\0';
	if (memchr(buf, '\n', len) == NULL) {
		printf("Xorg did not start\n");
		exit(77);
	}
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(disp, dlen, ":%s", buf);
}

/* Stops the private Xorg and removes its files. */
static void
xorg_stop(void)
{
	char cmd[300];

	if (xorg_pid > 0) {
		kill(xorg_pid, SIGTERM);
		waitpid(xorg_pid, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

int
main(void)
{
	struct event_base *base;
	struct svc_video_config cfg = { .displays_changed = changed_cb };
	struct svc_video *sv;
	struct svc_video_prefs p = vt_prefs(-1);
	struct cap_display d[CAP_DISPLAYS_MAX];
	struct fsink *f;
	struct vx vx;
	char disp[32];
	int n, primary, frames;

	xorg_start(disp, sizeof disp);
	fprintf(stderr, "private Xorg on %s\n", disp);
	setenv("DISPLAY", disp, 1);
	base = vt_base();
	vx_open(&vx);
	ASSERT_INT_EQ(vx.w, 1280);
	cfg.x_display = disp;
	ASSERT_INT_EQ(svc_video_new(base, &cfg, &sv), 0);
	f = fsink_new(1);
	ASSERT_INT_EQ(svc_video_subscribe(sv, &f->sink, 0, &p,
	    SVC_VIDEO_F_ANNOUNCE), 0);
	vx_pattern(&vx, 1);
	vt_loop(base, 800);
	vt_loop_until(base, &f->frames, 1, 5000);
	ASSERT_INT_EQ(f->switches, 1);
	ASSERT_INT_EQ(f->sw_w, 1280);
	ASSERT_INT_EQ(f->sw_h, 800);
	ASSERT_INT_GE(f->frames, 1);
	ASSERT_INT_EQ(f->last->width, 1280);
	frames = f->frames;

	ASSERT_INT_EQ(system("xrandr --output DUMMY0 --mode 1024x768"), 0);
	vt_loop(base, 500);
	vx.w = 1024;
	vx.h = 768;
	vx_pattern(&vx, 2);
	vt_loop(base, 800);
	vt_loop_until(base, &f->frames_after_switch, 1, 5000);
	vt_wait_sharp(base, &vx, f, 5000);
	fprintf(stderr, "  after resize: %d switches (%dx%d), %d frames "
	    "(+%d), first key %d, %d wrong size, displays_changed %d\n",
	    f->switches, f->sw_w, f->sw_h, f->frames, f->frames - frames,
	    f->key_after_switch, f->wrong_size, changed);
	ASSERT_INT_EQ(f->switches, 2);
	ASSERT_INT_EQ(f->sw_w, 1024);
	ASSERT_INT_EQ(f->sw_h, 768);
	ASSERT_INT_GE(f->frames_after_switch, 1);
	ASSERT_INT_EQ(f->key_after_switch, 1);
	ASSERT_INT_EQ(f->wrong_size, 0);
	ASSERT_INT_EQ(f->errors, 0);
	ASSERT_INT_EQ(f->last->width, 1024);
	ASSERT_INT_EQ(f->last->height, 768);
	ASSERT_TRUE(vx_psnr(&vx, f->last) > 30);
	ASSERT_INT_GE(changed, 1);
	n = svc_video_displays(sv, d, CAP_DISPLAYS_MAX, &primary);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(d[0].width, 1024);
	ASSERT_STR_EQ(d[0].name, "DUMMY0");

	svc_video_free(sv);
	fsink_free(f);
	xcb_disconnect(vx.c);
	event_base_free(base);
	libevent_global_shutdown();
	xorg_stop();
	return 0;
}
