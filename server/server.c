/*
 * server.c: the --server mode: the root object, the direct-access
 * listener, signals and the one-time password.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <libavutil/log.h>
#include <sodium.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/pass.h"
#include "common/store.h"
#include "common/xmalloc.h"
#include "server/audit.h"
#include "server/awake.h"
#include "server/bufcache.h"
#include "server/cmlink.h"
#include "server/lan.h"
#include "server/conn/conn.h"
#include "server/fio.h"
#include "server/fsh.h"
#include "server/rendezvous/rendezvous.h"
#include "server/server.h"
#include "server/session.h"
#include "server/srv.h"
#include "server/svc/svc_audio.h"
#include "server/svc/svc_clip.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_input.h"
#include "server/svc/svc_term.h"
#include "server/svc/svc_video.h"
#include "server/sysinfo.h"
#include "server/conn/throttle.h"

#define SRV_NOFILE	65536	/* the unit's LimitNOFILE */

struct srv_listener {
	struct evconnlistener	*lev;	/* owned */
	struct event		*retry;	/* owned: re-enable after EMFILE */
	struct srv		*srv;	/* borrowed */
};

/* What a config file looked like when it was read: a rewrite (a new
 * inode by rename, or a new size or time) shows up even within a second. */
struct srv_stamp {
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim;
};
static struct srv_stamp cfg_stamp[2];

/* The stamp of path (all zero when it is missing). */
static struct srv_stamp
srv_stamp(const char *path)
{
	struct srv_stamp sp;
	struct stat st;

	memset(&sp, 0, sizeof sp);
	if (path == NULL || stat(path, &st) != 0)
		return sp;
	sp.ino = st.st_ino;
	sp.size = st.st_size;
	sp.mtim = st.st_mtim;
	return sp;
}

/* 1 if path still looks as it did when stamp was taken. */
static int
srv_stamp_same(const char *path, const struct srv_stamp *was)
{
	struct srv_stamp now = srv_stamp(path);

	return now.ino == was->ino && now.size == was->size &&
	    now.mtim.tv_sec == was->mtim.tv_sec &&
	    now.mtim.tv_nsec == was->mtim.tv_nsec;
}

/* Load the config files; on error keep what we had. Returns 0 or ERR_*. */
static int
srv_cfg_load(struct srv *srv)
{
	struct cfg *cfg = NULL;
	char *cause = NULL, *warnings = NULL;
	int r;

	cfg_stamp[0] = srv_stamp(srv->paths->conf);
	cfg_stamp[1] = srv_stamp(srv->paths->sys_conf);
	if ((r = cfg_load(&cfg, srv->paths, &cause, &warnings)) != 0) {
		log_error("config: %s", cause ? cause : err_str(r));
		free(cause);
		free(warnings);
		return r;
	}
	if (warnings != NULL) {
		char *line, *save = NULL;

		for (line = strtok_r(warnings, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warn("config: %s", line);
		free(warnings);
	}
	cfg_free(srv->cfg);
	srv->cfg = cfg;
	srv->idle_timeout = (int)cfg_int(cfg, "idle-timeout");
	srv_desk_config(srv);
	return 0;
}

static void	srv_cfg_apply(struct srv *);

/* Re-read the config if a file changed on disk (cheap: two stats). */
void
srv_cfg_refresh(struct srv *srv)
{
	if (srv_stamp_same(srv->paths->conf, &cfg_stamp[0]) &&
	    srv_stamp_same(srv->paths->sys_conf, &cfg_stamp[1]))
		return;
	if (srv_cfg_load(srv) == 0) {
		log_info("config reloaded");
		srv_cfg_apply(srv);
	}
}

/* Draw a new one-time password and show it to the person at the desk. */
void
srv_otp_rotate(struct srv *srv)
{
	long len = cfg_int(srv->cfg, "temporary-password-length");

	srv->otp_failures = 0;
	if (strcmp(cfg_get(srv->cfg, "verification-method"),
	    "use-permanent-password") == 0) {
		sodium_memzero(srv->otp, sizeof srv->otp);
		return;
	}
	if (len != 8 && len != 10)
		len = 6;
	pass_random(srv->otp, (size_t)len,
	    cfg_bool(srv->cfg, "allow-numeric-one-time-password"));
	/*
	 * Only a terminal is the desk's display: under systemd stdout is the
	 * journal, which must never keep it. Elsewhere the main window and
	 * `cdesk --get-temp-password` ask over the IPC.
	 */
	if (isatty(STDOUT_FILENO)) {
		printf("one-time password: %s\n", srv->otp);
		fflush(stdout);
	}
}

/*
 * Count a wrong one-time password; 100 in a row draw a new one. One address
 * has 6 tries (conn.c), so it takes many to rotate it under the desk
 * user's eyes.
 */
void
srv_otp_failed(struct srv *srv)
{
	if (++srv->otp_failures >= 100) {
		log_info("100 wrong one-time passwords in a row: drawing a "
		    "new one");
		srv_otp_rotate(srv);
	}
}

/* A peer connected to the direct-access port. */
static void
srv_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct srv_listener *l = arg;

	(void)lev;
	srv_cfg_refresh(l->srv);
	if (!cfg_bool(l->srv->cfg, "direct-server")) {
		log_info("direct access switched off: connection refused");
		evutil_closesocket(fd);
		return;
	}
	conn_new(l->srv, fd, sa, (socklen_t)salen, CONN_VIA_DIRECT);
}

/* Re-enable accepting after a pause. */
static void
srv_accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv_listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->lev);
}

/* accept() failed: on EMFILE/ENFILE pause for a second (as tmux does). */
static void
srv_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct srv_listener *l = arg;
	struct timeval tv = { 1, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	log_warn("accept: %s", evutil_socket_error_to_string(e));
	if (e == EMFILE || e == ENFILE) {
		evconnlistener_disable(lev);
		evtimer_add(l->retry, &tv);
	}
}

/* Listen on [::]:port dual-stack, falling back to 0.0.0.0:port. */
static struct srv_listener *
srv_listen(struct srv *srv, int port, char **cause)
{
	struct srv_listener *l = xcalloc(1, sizeof *l);
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC;
	int fd, off = 0, on = 1;

	l->srv = srv;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		memset(&s6, 0, sizeof s6);
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)port);
		s6.sin6_addr = in6addr_any;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (bind(fd, (struct sockaddr *)&s6, sizeof s6) == 0 &&
		    listen(fd, 128) == 0)
			l->lev = evconnlistener_new(srv->base, srv_accept_cb,
			    l, flags, -1, fd);
		if (l->lev == NULL)
			close(fd);
	}
	if (l->lev == NULL) {
		memset(&s4, 0, sizeof s4);
		s4.sin_family = AF_INET;
		s4.sin_port = htons((uint16_t)port);
		l->lev = evconnlistener_new_bind(srv->base, srv_accept_cb, l,
		    flags, 128, (struct sockaddr *)&s4, sizeof s4);
	}
	if (l->lev == NULL) {
		xasprintf(cause, "cannot listen on port %d: %s", port,
		    strerror(errno));
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->lev, srv_accept_error_cb);
	l->retry = evtimer_new(srv->base, srv_accept_retry_cb, l);
	return l;
}

/* A relayed stream for a client that dialled our ID (rendezvous.h). */
static void
srv_rdv_stream_cb(void *arg, int fd, int secure, const struct sockaddr *sa,
    socklen_t salen)
{
	struct srv *srv = arg;

	/* secure is 0 only for a client-initiated relay whose client holds
	 * no key for us: upstream then skips the key exchange (plaintext,
	 * as direct access). */
	if (!secure) {
		log_warn("relayed connection without key exchange: the "
		    "client has no key for this host; session NOT encrypted");
		srv_cfg_refresh(srv);
		if (cfg_bool(srv->cfg, "refuse-unencrypted")) {
			log_warn("refused: option refuse-unencrypted");
			close(fd);
			return;
		}
	}
	(void)conn_new(srv, fd, sa, salen, secure ? CONN_VIA_SECURE :
	    CONN_VIA_DIRECT);
}

/* Starts registering with hbbs unless option stop-service is set. */
static void
srv_rdv_start(struct srv *srv)
{
	struct rdv_conf rc;
	char *cause = NULL;
	int r;

	if (cfg_bool(srv->cfg, "stop-service")) {
		log_info("stop-service is set: not registering with hbbs");
		return;
	}
	rdv_conf_from(&rc, srv->cfg, srv->store);
	if ((r = rdv_new(&srv->rdv, srv->base, NULL, &rc, srv_rdv_stream_cb,
	    srv, &cause)) != 0) {
		log_error("rendezvous: %s", cause ? cause : err_str(r));
		free(cause);
	}
}

/* Free a listener; NULL does nothing. */
static void
srv_listener_free(struct srv_listener *l)
{
	if (l == NULL)
		return;
	evconnlistener_free(l->lev);
	event_free(l->retry);
	free(l);
}

/* SIGTERM/SIGINT stop the loop; SIGHUP re-reads the config. */
static void
srv_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct srv *srv = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (srv_cfg_load(srv) == 0) {
			log_info("config reloaded (SIGHUP)");
			srv_cfg_apply(srv);
		}
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(srv->base, NULL);
}

/* Route libevent's own messages into our log. */
static void
srv_event_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_error("libevent: %s", msg);
	else if (severity >= EVENT_LOG_WARN)
		log_warn("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

/* "WxH+X+Y, ..." of the displays the video service streams; caller frees. */
static char *
srv_describe_displays(struct srv *srv)
{
	struct cap_display d[16];
	char *s = xstrdup(""), *t;
	int i, n, primary;

	if (srv->video == NULL ||
	    (n = svc_video_displays(srv->video, d, 16, &primary)) <= 0) {
		free(s);
		return xstrdup("none (no X display)");
	}
	for (i = 0; i < n; i++) {
		xasprintf(&t, "%s%s%dx%d+%d+%d", s, i ? ", " : "", d[i].width,
		    d[i].height, d[i].x, d[i].y);
		free(s);
		s = t;
	}
	return s;
}

/* Route libav's messages into our log: its errors stay errors, its
 * chatter (encoder banners and statistics) is debug. */
static void
srv_av_log_cb(void *avcl, int level, const char *fmt, va_list ap)
{
	/* Each call is one whole line: no prefix state shared by threads. */
	int prefix = 1;
	char line[1024];
	size_t n;

	if (level > AV_LOG_WARNING && log_get_level() < LOG_DEBUG)
		return;
	av_log_format_line2(avcl, level, fmt, ap, line, sizeof line, &prefix);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n == 0)
		return;
	if (level <= AV_LOG_ERROR)
		log_error("libav: %s", line);
	else if (level <= AV_LOG_WARNING)
		log_warn("libav: %s", line);
	else
		log_debug("libav: %s", line);
}

/* Room for many peers (two descriptors each with a tunnel): the soft
 * limit on open files goes up to the hard one, at most SRV_NOFILE; the
 * programs started in the session get the one we had. */
static void
srv_nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= SRV_NOFILE ||
	    rl.rlim_cur >= rl.rlim_max)
		return;
	session_child_nofile((unsigned long)rl.rlim_cur);
	rl.rlim_cur = rl.rlim_max < SRV_NOFILE ? rl.rlim_max : SRV_NOFILE;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("setrlimit RLIMIT_NOFILE: %s", strerror(errno));
}

/* Process-wide setup: logging, libevent and libav log routing, libsodium,
 * libevent threads. */
static void
srv_process_init(int verbose)
{
	log_set_ident("server");
	log_set_level(verbose > 1 ? LOG_TRACE : verbose ? LOG_DEBUG :
	    LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(srv_event_log_cb);
	av_log_set_callback(srv_av_log_cb);
	if (sodium_init() < 0)
		fatal("libsodium failed to initialise");
	/* Before libevent allocates anything: its large buffers are
	 * reused, not mapped afresh each (bufcache.c). */
	event_set_mem_functions(bufcache_malloc, bufcache_realloc,
	    bufcache_free);
	if (evthread_use_pthreads() != 0)
		fatal("libevent has no pthreads support");
	/* File blocks (128-256 KiB) come and go all the time: from the
	 * heap, not a fresh mmap (and its page faults) each. */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	srv_nofile_raise();
}

/* Start srv empty and load the config and the state (ID, keys,
 * passwords). Returns 0, or ERR_* (logged) with nothing to free. */
static int
srv_state_open(struct srv *srv, const struct cfg_paths *paths)
{
	char *cause = NULL;
	int r;

	memset(srv, 0, sizeof *srv);
	srv->paths = paths;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->sessions);
	if ((r = srv_cfg_load(srv)) != 0)
		return r;
	if ((r = store_open(&srv->store, paths->state_dir, &cause)) != 0) {
		log_error("state: %s", cause ? cause : err_str(r));
		free(cause);
		cfg_free(srv->cfg);
		return r;
	}
	return 0;
}

/* The audit log, and the file helper's link (started on the first file
 * request; srv_desk_follow tells it whose session it serves). */
static void
srv_files_start(struct srv *srv)
{
	srv->audit = audit_open(srv->paths->state_dir, 0);
	srv->fsh = conn_file_helper(srv);
}

/* Make the event loop, the throttles and the audio service (logged and
 * left NULL when it cannot start). The services of the X display start on
 * the session's display (srv_desk_follow). */
static void
srv_services_start(struct srv *srv)
{
	struct event_config *ec;
	int r;

	/*
	 * A precise timer: with libevent's default coarse monotonic clock a
	 * timer is seen due only after the next jiffy (up to 4 ms late), and
	 * until then the loop spins through epoll waits of 1 ms, two to six
	 * wake-ups for every timer that fires (a still screen with a viewer:
	 * 22 wake-ups a second instead of 13).
	 */
	if ((ec = event_config_new()) == NULL ||
	    event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER) != 0 ||
	    (srv->base = event_base_new_with_config(ec)) == NULL)
		fatal("event_base_new failed");
	event_config_free(ec);
	srv->throttle = throttle_new(THROTTLE_EXPIRE_S);
	srv->throttle_id = throttle_new(THROTTLE_EXPIRE_ID_S);
	srv->throttle_2fa = throttle_new(THROTTLE_EXPIRE_S);
	srv->sysinfo = sysinfo_new();
	if ((r = svc_audio_new(srv->base, cfg_get(srv->cfg, "audio-input"),
	    &srv->audio)) != 0)
		log_warn_r(r, "audio service unavailable");
	if ((r = svc_term_new(srv->base, &srv->term)) != 0)
		log_warn_r(r, "terminal service unavailable");
	srv_files_start(srv);
}

/*
 * Watch SIGTERM, SIGINT (stop) and SIGHUP (reload). Windows has no
 * SIGHUP (its C runtime refuses the number, and libevent warned of it at
 * every start): there options reach the host through the IPC only.
 */
static void
srv_signals_start(struct srv *srv)
{
#ifdef _WIN32
	static const int signums[] = { SIGTERM, SIGINT };
#else
	static const int signums[] = { SIGTERM, SIGINT, SIGHUP };
#endif
	size_t i;

	for (i = 0; i < sizeof signums / sizeof signums[0]; i++) {
		srv->signals[i] = evsignal_new(srv->base, signums[i],
		    srv_signal_cb, srv);
		evsignal_add(srv->signals[i], NULL);
	}
}

/* Listen on the direct-access port when option direct-server is on.
 * Returns 0, or ERR_IO (logged) when the port cannot be had. */
static int
srv_direct_start(struct srv *srv)
{
	char *cause = NULL;
	int port;

	if (!cfg_bool(srv->cfg, "direct-server")) {
		log_info("direct access is off (option direct-server)");
		return 0;
	}
	port = (int)cfg_int(srv->cfg, "direct-access-port");
	srv->direct_port = port;
	if ((srv->listener = srv_listen(srv, port, &cause)) == NULL) {
		log_error("%s", cause);
		free(cause);
		return ERR_IO;
	}
	log_warn("direct access on port %d: sessions on it are NOT "
	    "encrypted (RustDesk clients never encrypt direct IP "
	    "connections)", port);
	return 0;
}

/*
 * After a reload: listen where direct-server and direct-access-port say
 * now. Turned on or moved, the port opens at once; turned off, it closes
 * (sessions that came in on it stay; the accept callback refuses any
 * still queued).
 */
static void
srv_direct_apply(struct srv *srv)
{
	int on = cfg_bool(srv->cfg, "direct-server");
	int port = (int)cfg_int(srv->cfg, "direct-access-port");

	if (srv->listener != NULL ? on && port == srv->direct_port : !on)
		return;
	if (srv->listener != NULL) {
		srv_listener_free(srv->listener);
		srv->listener = NULL;
		log_info("direct access: port %d closed", srv->direct_port);
	}
	srv->direct_port = 0;
	if (on)
		(void)srv_direct_start(srv);	/* logs why it can't */
}

/*
 * After a reload: record the audio-input source now named (the stream
 * restarts on it at once, as upstream restarts its capture loop); during a
 * voice call the microphone stays and the new source follows at hang-up.
 */
static void
srv_audio_apply(struct srv *srv)
{
	const char *src = cfg_get(srv->cfg, "audio-input");

	if (srv->audio == NULL || srv->voice_source)
		return;
	if (svc_audio_set_source(srv->audio, src) > 0)
		log_info("audio: capture source now %s", *src != '\0' ? src :
		    "the default output's monitor");
}

/* Apply what a reloaded config changed to what runs. */
static void
srv_cfg_apply(struct srv *srv)
{
	srv_direct_apply(srv);
	srv_audio_apply(srv);
}

/* Say we are up: the log line, READY with the port for tests and
 * wrappers, the ID, and a first one-time password. */
static void
srv_announce(struct srv *srv)
{
	char *disp;

	disp = srv_describe_displays(srv);
	log_info("cdesk %s: ID %s, displays %s", CDESK_VERSION,
	    store_id(srv->store), disp);
	free(disp);
	printf("READY %d\nID: %s\n", srv->direct_port, store_id(srv->store));
	srv_otp_rotate(srv);
	fflush(stdout);
}

/* Say plainly what the session means for peers. */
static void
srv_session_explain(const struct session *s)
{
	if (s->uid == SESSION_UID_NONE && geteuid() == 0)
		log_warn("session: no desktop session to share: no connection "
		    "manager is started, and connections that need a click "
		    "are refused");
	else if (s->uid == SESSION_UID_NONE)
		log_warn("session: no desktop session to share");
	else if (s->type == SESSION_TYPE_WAYLAND)
		log_warn("session: uid %ld's session is a Wayland session: "
		    "cdesk shares X11 sessions only, so peers cannot see or "
		    "control it", s->uid);
	else if (s->class == SESSION_CLASS_GREETER)
		log_info("session: the login screen (greeter) is on the seat");
	else if (s->display == NULL)
		log_warn("session: uid %ld's session has no X display (%s "
		    "session): nothing to share", s->uid,
		    session_type_name(s->type));
}

/*
 * The desktop session changed (a log-in, a user switch, a log-out, an X
 * server that started, stopped or was replaced): the CM link now trusts,
 * and starts the CM in, the new session (the old user's CM goes), and
 * capture, input and clipboard follow it to its display (srv_desk.c).
 */
static void
srv_session_changed(const struct session *now, void *arg)
{
	struct srv *srv = arg;
	char *d;

	d = session_describe(now);
	log_info("session changed: %s", d);
	free(d);
	srv_session_explain(now);
	if (srv->cm != NULL)
		cmlink_set_session(srv->cm, now);
	srv_desk_follow(srv, now);
}

/* Find whose desktop we share, open the display services there and
 * follow it (session.h). */
static void
srv_session_start(struct srv *srv)
{
	char *d;

	srv->desk = session_source_new(srv->base, srv_session_changed, srv);
	d = session_describe(session_source_get(srv->desk));
	log_info("session: %s", d);
	free(d);
	srv_session_explain(session_source_get(srv->desk));
	srv_desk_follow(srv, session_source_get(srv->desk));
}

/* Register with hbbs, find the session, start the CM link (it makes the
 * run folder the headless display's X authority goes in), say we are up,
 * and serve until a signal stops the loop. */
static void
srv_run(struct srv *srv)
{
	srv_rdv_start(srv);
	srv->lan = lan_start(srv);
	srv_session_start(srv);
	if (srv_cm_start(srv) != 0)
		log_warn("no connection manager: connections that need a "
		    "click will be refused");
	session_source_set_headless(srv->desk,
	    cfg_get(srv->cfg, "headless-user"), srv->paths->run_dir);
	srv_announce(srv);
	event_base_dispatch(srv->base);
}

/* Close every connection and stop everything that accepts new ones. */
static void
srv_stop(struct srv *srv)
{
	int i;

	while (!TAILQ_EMPTY(&srv->conns))
		conn_close(TAILQ_FIRST(&srv->conns), "server stopping");
	/* Let the deferred frees run. */
	event_base_loop(srv->base, EVLOOP_NONBLOCK);
	fsh_free(srv->fsh);
	fio_free(srv->fio);
	rdv_free(srv->rdv);
	lan_free(srv->lan);
	srv_listener_free(srv->listener);
	cmlink_free(srv->cm);
	for (i = 0; i < SRV_NSIGNALS; i++)
		if (srv->signals[i] != NULL)	/* none for SIGHUP on Windows */
			event_free(srv->signals[i]);
}

/* Free what srv_stop() left: sessions, password, services, state. */
static void
srv_free(struct srv *srv)
{
	struct srv_session *s;

	while ((s = TAILQ_FIRST(&srv->sessions)) != NULL) {
		TAILQ_REMOVE(&srv->sessions, s, entry);
		free(s->my_id);
		free(s->my_name);
		free(s);
	}
	sodium_memzero(srv->otp, sizeof srv->otp);
	awake_free(srv->awake);
	svc_clip_free(srv->clip);
	svc_audio_free(srv->audio);
	svc_input_free(srv->input);
	svc_cursor_free(srv->cursor);
	svc_video_free(srv->video);
	svc_term_free(srv->term);
	if (srv->dns != NULL)
		evdns_base_free(srv->dns, 0);
	srv_desk_stop(srv);
	/* After the services: it ends the headless display they used. */
	session_source_free(srv->desk);
	srv->desk = NULL;
	sysinfo_free(srv->sysinfo);
	throttle_free(srv->throttle);
	throttle_free(srv->throttle_id);
	throttle_free(srv->throttle_2fa);
	store_free(srv->store);
	audit_free(srv->audit);
	cfg_free(srv->cfg);
	event_base_free(srv->base);
}

/* Run the host until a signal stops it. */
int
server_main(const struct cfg_paths *paths, int verbose)
{
	struct srv srv;
	int r;

	srv_process_init(verbose);
	if (srv_state_open(&srv, paths) != 0)
		return 1;
	srv_services_start(&srv);
	srv_signals_start(&srv);
	if ((r = srv_direct_start(&srv)) == 0)
		srv_run(&srv);
	srv_stop(&srv);
	srv_free(&srv);
	return r == 0 ? 0 : 1;
}
