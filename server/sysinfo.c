/* sysinfo.c: hostname, desktop user and encoders for PeerInfo. */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "common/version.h"
#include "server/media/enc.h"
#include "server/sysinfo.h"
#include "server/svc/term_pty.h"

/* What PeerInfo.platform says: the stock client picks its key mapping and
 * menus by it. */
#ifdef _WIN32
#define SYSINFO_PLATFORM	"Windows"
#else
#define SYSINFO_PLATFORM	"Linux"
#endif

struct sysinfo {
	char			*hostname;	/* owned */
	char			*username;	/* owned */
	Hbb__SupportedEncoding	 enc;
	Hbb__CodecAbility	 i444;
	Hbb__Features		 features;
};

/* Name of the desktop user: the owner of the X display's socket, else us. */
static char *
sysinfo_user(void)
{
	const char *d = getenv("DISPLAY");
	struct passwd *pw;
	struct stat st;
	char path[64];
	uid_t uid = geteuid();

	if (d != NULL && d[0] == ':') {
		snprintf(path, sizeof path, "/tmp/.X11-unix/X%d", atoi(d + 1));
		if (stat(path, &st) == 0)
			uid = st.st_uid;
	}
	if ((pw = getpwuid(uid)) != NULL)
		return xstrdup(pw->pw_name);
	return xstrdup("unknown");
}

/* Gather the facts that do not change while the server runs. */
struct sysinfo *
sysinfo_new(void)
{
	struct sysinfo *si = xcalloc(1, sizeof *si);
	char host[256];
	unsigned enc;

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	si->hostname = xstrdup(host);
	si->username = sysinfo_user();

	hbb__supported_encoding__init(&si->enc);
	hbb__codec_ability__init(&si->i444);
	hbb__features__init(&si->features);
	/* Without it the client refuses terminal sessions (PROTOCOL.md §11);
	 * Windows before 10 1809 has no pseudoconsole for them. */
	si->features.terminal = term_pty_supported();
	/* What really opens here (probed once by the encoder layer). */
	enc = enc_supported();
	si->enc.vp8 = (enc & ENC_VP8) != 0;
	si->enc.av1 = (enc & ENC_AV1) != 0;
	si->enc.h264 = (enc & ENC_H264) != 0;
	si->enc.h265 = (enc & ENC_H265) != 0;
	/* 4:4:4: VP9 profile 1 through libvpx (enc_vpx.c), AV1's High
	 * profile through libaom (enc_libav.c), where they open. */
	si->i444.vp9 = (enc_supported_i444() & ENC_VP9) != 0;
	si->i444.av1 = (enc_supported_i444() & ENC_AV1) != 0;
	si->enc.i444 = &si->i444;
	return si;
}

/* Free; NULL does nothing. */
void
sysinfo_free(struct sysinfo *si)
{
	if (si == NULL)
		return;
	free(si->hostname);
	free(si->username);
	free(si);
}

/* The desktop user changed (the session source's name for them). */
void
sysinfo_set_user(struct sysinfo *si, const char *name)
{
	free(si->username);
	si->username = xstrdup(name != NULL ? name : "");
}

/* Fill pi with this host's facts (borrowed from si; nothing to free). */
void
sysinfo_peerinfo(struct sysinfo *si, Hbb__PeerInfo *pi)
{
	pi->username = si->username;
	pi->hostname = si->hostname;
	pi->platform = (char *)SYSINFO_PLATFORM;
	/* The RustDesk feature level we answer for (PROTOCOL.md §14). */
	pi->version = (char *)CDESK_RUSTDESK_VERSION;
	pi->features = &si->features;
	pi->encoding = &si->enc;
	pi->platform_additions = (char *)"{\"is_wayland\":false}";
}

/* Path of this executable, to start it again in the session as the CM or
 * the file helper (caller frees); "cdesk" when it cannot be read. */
char *
sysinfo_self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", buf, sizeof buf - 1)) <= 0)
		return xstrdup("cdesk");
	buf[n] = '\0';
	return xstrdup(buf);
}
