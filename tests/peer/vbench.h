/* vbench.h: the test peer's video benchmark (tests/peer/vbench.c). */
#ifndef CDESK_PEER_VBENCH_H
#define CDESK_PEER_VBENCH_H

struct pconn;

/*
 * On a logged-in connection: asks for codec ("vp9", "h264", ...), then
 * decodes video for warm + secs seconds and prints one "VIDEO ..." line
 * measured over the last secs (latency against painter_log, the log of
 * tests/bench/painter.c). Returns 0, or 1 if the host closed, 2 on a bad
 * codec name.
 */
int	peer_video_bench(struct pconn *pc, const char *codec, int warm,
	    int secs, const char *painter_log);

#endif
