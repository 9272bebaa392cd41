/*
 * tfa.c: the test peer's two-factor login (PROTOCOL.md §3.10), as the
 * stock client 1.4.9 does it: after "2FA Required" (or "Wrong 2FA Code")
 * it shows a code box and sends Auth2FA{code, hwid}, hwid being SHA-256
 * of the device's uuid when "Trust this device" is ticked; a client that
 * ticked it once sends that hwid in every LoginRequest after.
 *
 *   peer ... tfa STEP...   log in, then answer each code request with the
 *                          next STEP: a 6-digit code as it is, "right" /
 *                          "wrong" (computed from $PEER_TOTP_SECRET, base32),
 *                          "trust" (right, with the hwid), "none" (send
 *                          nothing: wait for the host to decide)
 *   $PEER_DEVICE           the device's uuid: LoginRequests carry its hwid
 *
 * Prints one line per outcome: PEERINFO ..., ERROR <text> (after "2FA
 * Required" also OFFER trusted_devices=<0|1>), CLOSED <reason> or EOF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/totp.h"
#include "tests/peer/peer.h"
#include "tests/peer/tfa.h"

#define TFA_DEFAULT_DEVICE	"test-peer-device"

static uint8_t tfa_hwid[crypto_hash_sha256_BYTES];

/* LoginRequest fill: the hwid of a device trusted before. */
static void
tfa_fill(Hbb__LoginRequest *lr, void *arg)
{
	(void)arg;
	lr->hwid.data = tfa_hwid;
	lr->hwid.len = sizeof tfa_hwid;
}

/* The code STEP names into out; 0, or -1 if it cannot be made. */
static int
tfa_code(const char *step, char out[TOTP_DIGITS + 1])
{
	const char *b32 = getenv("PEER_TOTP_SECRET");
	uint8_t secret[TOTP_SECRET_MAX];
	int64_t now = (int64_t)time(NULL);
	char buf[16];
	int n, i, bad;

	if (strspn(step, "0123456789") == TOTP_DIGITS &&
	    step[TOTP_DIGITS] == '\0') {
		memcpy(out, step, TOTP_DIGITS + 1);
		return 0;
	}
	if (b32 == NULL || (n = totp_b32_decode(b32, secret,
	    sizeof secret)) <= 0) {
		fprintf(stderr, "peer: tfa %s needs PEER_TOTP_SECRET\n", step);
		return -1;
	}
	totp_code(secret, (size_t)n, now, out);
	if (strcmp(step, "wrong") != 0)
		return 0;
	/* A code no step within the skew has. */
	for (i = 0; i < 1000000; i++) {
		snprintf(buf, sizeof buf, "%06d", (i * 7919 + 13) % 1000000);
		memcpy(out, buf, TOTP_DIGITS + 1);
		bad = totp_check(secret, (size_t)n, out, now) ||
		    totp_check(secret, (size_t)n, out, now + TOTP_STEP);
		if (!bad)
			break;
	}
	return 0;
}

/* Send Auth2FA with code, and the hwid when trust is set. */
static int
tfa_send(struct pconn *pc, const char *code, int trust)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Auth2FA a = HBB__AUTH2_FA__INIT;

	a.code = (char *)code;
	if (trust) {
		a.hwid.data = tfa_hwid;
		a.hwid.len = sizeof tfa_hwid;
	}
	m.union_case = HBB__MESSAGE__UNION_AUTH_2FA;
	m.auth_2fa = &a;
	return pc_send(pc, &m);
}

/* Wait for the next LoginResponse or close reason; NULL on EOF/timeout. */
static Hbb__Message *
tfa_outcome(struct pconn *pc, int timeout_ms)
{
	double deadline = pc_now_ms() + timeout_ms;
	Hbb__Message *m;
	int eof = 0;

	while (!eof && pc_now_ms() < deadline) {
		if ((m = pc_recv(pc, (int)(deadline - pc_now_ms()),
		    &eof)) == NULL)
			continue;
		if (m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE ||
		    (m->union_case == HBB__MESSAGE__UNION_MISC &&
		    m->misc->union_case == HBB__MISC__UNION_CLOSE_REASON))
			return m;
		hbb__message__free_unpacked(m, NULL);
	}
	return NULL;
}

/* Print an outcome; 1 if the host asks for a code (again). */
static int
tfa_print(const Hbb__Message *m)
{
	const Hbb__LoginResponse *lr;

	if (m == NULL) {
		printf("EOF\n");
		return 0;
	}
	if (m->union_case == HBB__MESSAGE__UNION_MISC) {
		printf("CLOSED %s\n", m->misc->close_reason);
		return 0;
	}
	lr = m->login_response;
	if (lr->union_case == HBB__LOGIN_RESPONSE__UNION_PEER_INFO) {
		printf("PEERINFO displays=%zu version=%s\n",
		    lr->peer_info->n_displays, lr->peer_info->version);
		return 0;
	}
	printf("ERROR %s\n", lr->error);
	if (strcmp(lr->error, "2FA Required") == 0)
		printf("OFFER trusted_devices=%d\n",
		    (int)lr->enable_trusted_devices);
	/* The stock client's code box comes for both (client.rs). */
	return strcmp(lr->error, "2FA Required") == 0 ||
	    strcmp(lr->error, "Wrong 2FA Code") == 0;
}

/* The `tfa` command. */
int
peer_tfa(struct pconn *pc, const char *user, const char *pass, int timeout_ms,
    int argc, char **argv)
{
	const char *dev = getenv("PEER_DEVICE");
	char code[TOTP_DIGITS + 1];
	Hbb__Message *m;
	int i, again;

	crypto_hash_sha256(tfa_hwid, (const uint8_t *)(dev != NULL ? dev :
	    TFA_DEFAULT_DEVICE), strlen(dev != NULL ? dev :
	    TFA_DEFAULT_DEVICE));
	if (dev != NULL)
		pc_set_login_fill(pc, tfa_fill, NULL);
	m = pc_login(pc, user, pass, timeout_ms);
	again = tfa_print(m);
	for (i = 0; i < argc && again; i++) {
		if (m != NULL)
			hbb__message__free_unpacked(m, NULL);
		m = NULL;
		fflush(stdout);
		if (strcmp(argv[i], "none") != 0) {
			if (tfa_code(argv[i], code) != 0)
				return 2;
			if (tfa_send(pc, code, strcmp(argv[i], "trust") == 0)
			    != 0)
				break;
		}
		m = tfa_outcome(pc, timeout_ms);
		again = tfa_print(m);
	}
	if (m != NULL)
		hbb__message__free_unpacked(m, NULL);
	pc_free(pc);
	return 0;
}
