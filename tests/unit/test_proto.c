/*
 * test_proto.c: hbb.Message built with protobuf-c must match the bytes in
 * tests/data/vectors byte for byte, and the vectors must unpack to the
 * values they were made from and repack to the same bytes. A few hand-made
 * messages pin the wire details of PROTOCOL.md §1.5 and §6.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.pb-c.h"
#include "tests/tst.h"

int main(void);

/* Returns the unsigned number after "key": in json (after start), or fails. */
static uint64_t
json_u64(const char *json, const char *start, const char *key)
{
	char pat[256];
	const char *p = json;

	if (start != NULL && (p = strstr(json, start)) == NULL)
		TST_FAIL("no %s in vector", start);
	snprintf(pat, sizeof pat, "\"%s\"", key);
	if ((p = strstr(p, pat)) == NULL)
		TST_FAIL("no %s in vector", key);
	p += strlen(pat);
	while (*p == ' ' || *p == ':')
		p++;
	return strtoull(p, NULL, 10);
}

/* Returns the decoded hex string value of key in json, or fails. */
static uint8_t *
json_hex(const char *json, const char *start, const char *key, size_t *n)
{
	char *hex;
	uint8_t *out;

	if ((hex = tst_json_str(json, start, key)) == NULL)
		TST_FAIL("no %s in vector", key);
	out = tst_unhex(hex, n);
	free(hex);
	return out;
}

/* Packs m and fails unless the bytes equal want. */
static void
expect_packed(const Hbb__Message *m, const uint8_t *want, size_t wantlen)
{
	size_t n = hbb__message__get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);

	ASSERT_INT_EQ(n, wantlen);
	ASSERT_INT_EQ(hbb__message__pack(m, buf), n);
	ASSERT_MEM_EQ(buf, want, n);
	free(buf);
}

/* Packs m and fails unless the bytes equal the hex string want. */
static void
expect_packed_hex(const Hbb__Message *m, const char *want)
{
	size_t n;
	uint8_t *w = tst_unhex(want, &n);

	expect_packed(m, w, n);
	free(w);
}

/* Unpacks bytes as a Message that must parse; caller frees it. */
static Hbb__Message *
unpack_ok(const uint8_t *b, size_t n)
{
	Hbb__Message *m = hbb__message__unpack(NULL, n, b);

	if (m == NULL)
		TST_FAIL("unpack of %zu bytes failed", n);
	return m;
}

/* Unpacks, repacks and checks the bytes are unchanged; caller frees m. */
static Hbb__Message *
roundtrip(const uint8_t *b, size_t n)
{
	Hbb__Message *m = unpack_ok(b, n);

	expect_packed(m, b, n);
	return m;
}

/* Like roundtrip() for a hex string; caller frees the message. */
static Hbb__Message *
roundtrip_hex(const char *hex)
{
	size_t n;
	uint8_t *b = tst_unhex(hex, &n);
	Hbb__Message *m = roundtrip(b, n);

	free(b);
	return m;
}

/* Fails unless bin holds exactly the n bytes at want. */
static void
expect_bin(ProtobufCBinaryData bin, const uint8_t *want, size_t n)
{
	ASSERT_INT_EQ(bin.len, n);
	ASSERT_MEM_EQ(bin.data, want, n);
}

/* Message{hash} from login_hash.json and the first secretbox plaintext. */
static void
test_hash(void)
{
	char *lj = tst_vector("login_hash.json");
	char *sj = tst_vector("secretbox_frame.json");
	char *salt = tst_json_str(lj, NULL, "salt");
	char *chal = tst_json_str(lj, NULL, "challenge");
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__Hash h = HBB__HASH__INIT;
	uint8_t *want, *plain;
	size_t n, pn;

	ASSERT_TRUE(salt != NULL && chal != NULL);
	want = json_hex(lj, NULL, "hash_message_hex", &n);
	plain = json_hex(sj, "Hash{salt", "plaintext_hex", &pn);
	h.salt = salt;
	h.challenge = chal;
	m.union_case = HBB__MESSAGE__UNION_HASH;
	m.hash = &h;
	expect_packed(&m, want, n);
	expect_packed(&m, plain, pn);

	u = roundtrip(want, n);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_HASH);
	ASSERT_STR_EQ(u->hash->salt, salt);
	ASSERT_STR_EQ(u->hash->challenge, chal);
	hbb__message__free_unpacked(u, NULL);

	free(plain);
	free(want);
	free(salt);
	free(chal);
	free(sj);
	free(lj);
}

/* Message{login_request} with every field login_hash.json lists. */
static void
test_login_request(void)
{
	char *j = tst_vector("login_hash.json");
	const char *f = "login_request_fields";
	char *user = tst_json_str(j, f, "username");
	char *myid = tst_json_str(j, f, "my_id");
	char *name = tst_json_str(j, f, "my_name");
	char *ver = tst_json_str(j, f, "version");
	char *plat = tst_json_str(j, f, "my_platform");
	uint64_t sid = json_u64(j, f, "session_id");
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__LoginRequest lr = HBB__LOGIN_REQUEST__INIT, *ul;
	Hbb__OptionMessage opt = HBB__OPTION_MESSAGE__INIT;
	Hbb__SupportedDecoding dec = HBB__SUPPORTED_DECODING__INIT;
	Hbb__CodecAbility i444 = HBB__CODEC_ABILITY__INIT;
	uint8_t *want, *pw;
	size_t n, pwn;

	ASSERT_TRUE(user && myid && name && ver && plat);
	ASSERT_TRUE(sid == 1234605616436508552ULL);
	want = json_hex(j, NULL, "login_request_message_hex", &n);
	pw = json_hex(j, NULL, "password_field_hex", &pwn);
	ASSERT_INT_EQ(pwn, 32);

	i444.vp9 = 1;
	i444.av1 = 1;
	dec.ability_vp9 = (int32_t)json_u64(j, f, "ability_vp9");
	dec.ability_vp8 = (int32_t)json_u64(j, f, "ability_vp8");
	dec.ability_av1 = (int32_t)json_u64(j, f, "ability_av1");
	dec.i444 = &i444;
	opt.supported_decoding = &dec;
	lr.username = user;
	lr.password.data = pw;
	lr.password.len = pwn;
	lr.my_id = myid;
	lr.my_name = name;
	lr.option = &opt;
	lr.session_id = sid;
	lr.version = ver;
	lr.my_platform = plat;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_REQUEST;
	m.login_request = &lr;
	expect_packed(&m, want, n);

	u = roundtrip(want, n);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_LOGIN_REQUEST);
	ul = u->login_request;
	ASSERT_STR_EQ(ul->username, "123456789");
	expect_bin(ul->password, pw, pwn);
	ASSERT_STR_EQ(ul->my_id, "987654321");
	ASSERT_STR_EQ(ul->my_name, "Alice");
	ASSERT_TRUE(ul->session_id == sid);
	ASSERT_STR_EQ(ul->version, "1.4.9");
	ASSERT_STR_EQ(ul->my_platform, "Linux");
	ASSERT_INT_EQ(ul->union_case, HBB__LOGIN_REQUEST__UNION__NOT_SET);
	ASSERT_TRUE(ul->os_login == NULL);
	ASSERT_INT_EQ(ul->hwid.len, 0);
	ASSERT_STR_EQ(ul->avatar, "");
	ASSERT_INT_EQ(ul->video_ack_required, 0);
	ASSERT_TRUE(ul->option != NULL);
	ASSERT_INT_EQ(ul->option->image_quality, HBB__IMAGE_QUALITY__NotSet);
	ASSERT_INT_EQ(ul->option->custom_fps, 0);
	ASSERT_TRUE(ul->option->supported_decoding != NULL);
	ASSERT_INT_EQ(ul->option->supported_decoding->ability_vp9, 1);
	ASSERT_INT_EQ(ul->option->supported_decoding->ability_vp8, 1);
	ASSERT_INT_EQ(ul->option->supported_decoding->ability_av1, 1);
	ASSERT_INT_EQ(ul->option->supported_decoding->ability_h264, 0);
	ASSERT_INT_EQ(ul->option->supported_decoding->ability_h265, 0);
	ASSERT_INT_EQ(ul->option->supported_decoding->prefer,
	    HBB__SUPPORTED_DECODING__PREFER_CODEC__Auto);
	ASSERT_TRUE(ul->option->supported_decoding->i444 != NULL);
	ASSERT_INT_EQ(ul->option->supported_decoding->i444->vp9, 1);
	ASSERT_INT_EQ(ul->option->supported_decoding->i444->av1, 1);
	ASSERT_INT_EQ(ul->option->supported_decoding->i444->vp8, 0);
	hbb__message__free_unpacked(u, NULL);

	free(pw);
	free(want);
	free(user);
	free(myid);
	free(name);
	free(ver);
	free(plat);
	free(j);
}

/* Message{signed_id} from handshake.json; the IdPk inside it too. */
static void
test_signed_id(void)
{
	char *j = tst_vector("handshake.json");
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__SignedId si = HBB__SIGNED_ID__INIT;
	Hbb__IdPk idpk = HBB__ID_PK__INIT, *ui;
	uint8_t *want, *blob, *inner, *epk, *buf;
	size_t n, bn, in, epn, len;

	want = json_hex(j, NULL, "message_signed_id_hex", &n);
	blob = json_hex(j, NULL, "signed_id_blob_hex", &bn);
	inner = json_hex(j, NULL, "idpk_ephemeral_hex", &in);
	epk = json_hex(j, "\"host\"", "ephemeral_box_pk_hex", &epn);
	ASSERT_INT_EQ(bn, 64 + in);
	ASSERT_INT_EQ(epn, 32);

	/* The IdPk that the host signs. */
	idpk.id = (char *)"123456789";
	idpk.pk.data = epk;
	idpk.pk.len = epn;
	len = hbb__id_pk__get_packed_size(&idpk);
	ASSERT_INT_EQ(len, in);
	buf = malloc(len);
	hbb__id_pk__pack(&idpk, buf);
	ASSERT_MEM_EQ(buf, inner, len);
	ASSERT_MEM_EQ(blob + 64, inner, in);
	free(buf);

	si.id.data = blob;
	si.id.len = bn;
	m.union_case = HBB__MESSAGE__UNION_SIGNED_ID;
	m.signed_id = &si;
	expect_packed(&m, want, n);

	u = roundtrip(want, n);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_SIGNED_ID);
	expect_bin(u->signed_id->id, blob, bn);
	ui = hbb__id_pk__unpack(NULL, u->signed_id->id.len - 64,
	    u->signed_id->id.data + 64);
	ASSERT_TRUE(ui != NULL);
	ASSERT_STR_EQ(ui->id, "123456789");
	expect_bin(ui->pk, epk, epn);
	hbb__id_pk__free_unpacked(ui, NULL);
	hbb__message__free_unpacked(u, NULL);

	free(epk);
	free(inner);
	free(blob);
	free(want);
	free(j);
}

/* Message{public_key} from handshake.json, full and empty ("2200"). */
static void
test_public_key(void)
{
	char *j = tst_vector("handshake.json");
	char *empty = tst_json_str(j, NULL, "empty_public_key_message_hex "
	    "(client could not verify; host then stays unencrypted)");
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__PublicKey pk = HBB__PUBLIC_KEY__INIT;
	uint8_t *want, *asym, *sym;
	size_t n, an, sn;

	want = json_hex(j, NULL, "message_public_key_hex", &n);
	asym = json_hex(j, "\"client\"", "ephemeral_box_pk_hex", &an);
	sym = json_hex(j, NULL,
	    "symmetric_value_hex (crypto_box of key, zero nonce)", &sn);
	ASSERT_INT_EQ(an, 32);
	ASSERT_INT_EQ(sn, 48);

	pk.asymmetric_value.data = asym;
	pk.asymmetric_value.len = an;
	pk.symmetric_value.data = sym;
	pk.symmetric_value.len = sn;
	m.union_case = HBB__MESSAGE__UNION_PUBLIC_KEY;
	m.public_key = &pk;
	expect_packed(&m, want, n);

	u = roundtrip(want, n);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_PUBLIC_KEY);
	expect_bin(u->public_key->asymmetric_value, asym, an);
	expect_bin(u->public_key->symmetric_value, sym, sn);
	hbb__message__free_unpacked(u, NULL);

	/* A present but empty member is its tag and a zero length. */
	ASSERT_TRUE(empty != NULL);
	ASSERT_STR_EQ(empty, "2200");
	hbb__public_key__init(&pk);
	expect_packed_hex(&m, empty);
	u = roundtrip_hex(empty);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_PUBLIC_KEY);
	ASSERT_TRUE(u->public_key != NULL);
	ASSERT_INT_EQ(u->public_key->asymmetric_value.len, 0);
	ASSERT_INT_EQ(u->public_key->symmetric_value.len, 0);
	hbb__message__free_unpacked(u, NULL);

	free(sym);
	free(asym);
	free(want);
	free(empty);
	free(j);
}

/* The TestDelay and MouseEvent plaintexts of secretbox_frame.json. */
static void
test_secretbox_plaintexts(void)
{
	char *j = tst_vector("secretbox_frame.json");
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__TestDelay td = HBB__TEST_DELAY__INIT;
	Hbb__MouseEvent me = HBB__MOUSE_EVENT__INIT;
	uint8_t *want;
	size_t n;

	want = json_hex(j, "test_delay", "plaintext_hex", &n);
	td.target_bitrate = 1200;
	m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	m.test_delay = &td;
	expect_packed(&m, want, n);
	u = roundtrip(want, n);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_TEST_DELAY);
	ASSERT_INT_EQ(u->test_delay->target_bitrate, 1200);
	ASSERT_INT_EQ(u->test_delay->time, 0);
	ASSERT_INT_EQ(u->test_delay->from_client, 0);
	ASSERT_INT_EQ(u->test_delay->last_delay, 0);
	hbb__message__free_unpacked(u, NULL);
	free(want);

	want = json_hex(j, "mouse_event", "plaintext_hex", &n);
	me.mask = 8;
	me.x = 100;
	me.y = 200;
	m.union_case = HBB__MESSAGE__UNION_MOUSE_EVENT;
	m.mouse_event = &me;
	expect_packed(&m, want, n);
	u = roundtrip(want, n);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_MOUSE_EVENT);
	ASSERT_INT_EQ(u->mouse_event->mask, 8);
	ASSERT_INT_EQ(u->mouse_event->x, 100);
	ASSERT_INT_EQ(u->mouse_event->y, 200);
	ASSERT_INT_EQ(u->mouse_event->n_modifiers, 0);
	hbb__message__free_unpacked(u, NULL);
	free(want);
	free(j);
}

/* int32 negatives take ten bytes; sint32 ones are zig-zag (§1.5). */
static void
test_signed_encodings(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__VideoFrame vf = HBB__VIDEO_FRAME__INIT;
	Hbb__CursorPosition cp = HBB__CURSOR_POSITION__INIT;

	vf.display = -1;
	m.union_case = HBB__MESSAGE__UNION_VIDEO_FRAME;
	m.video_frame = &vf;
	expect_packed_hex(&m, "320b70ffffffffffffffffff01");
	u = roundtrip_hex("320b70ffffffffffffffffff01");
	ASSERT_INT_EQ(u->video_frame->display, -1);
	ASSERT_INT_EQ(u->video_frame->union_case,
	    HBB__VIDEO_FRAME__UNION__NOT_SET);
	hbb__message__free_unpacked(u, NULL);

	cp.x = -1;
	cp.y = 1;
	m.union_case = HBB__MESSAGE__UNION_CURSOR_POSITION;
	m.cursor_position = &cp;
	expect_packed_hex(&m, "6a0408011002");
	u = roundtrip_hex("6a0408011002");
	ASSERT_INT_EQ(u->cursor_position->x, -1);
	ASSERT_INT_EQ(u->cursor_position->y, 1);
	hbb__message__free_unpacked(u, NULL);

	/* A scalar union member: Message.cursor_id (uint64). */
	m.union_case = HBB__MESSAGE__UNION_CURSOR_ID;
	m.cursor_id = 300;
	expect_packed_hex(&m, "70ac02");
	u = roundtrip_hex("70ac02");
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_CURSOR_ID);
	ASSERT_INT_EQ(u->cursor_id, 300);
	hbb__message__free_unpacked(u, NULL);
}

/* file_num is int32 in send requests but sint32 elsewhere (§6.11). */
static void
test_file_num(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferSendRequest sr = HBB__FILE_TRANSFER_SEND_REQUEST__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferDone dn = HBB__FILE_TRANSFER_DONE__INIT;
	const char *send = "8a010f120d080120ffffffffffffffffff01";
	const char *done = "920106220408011001";

	sr.id = 1;
	sr.file_num = -1;
	fa.union_case = HBB__FILE_ACTION__UNION_SEND;
	fa.send = &sr;
	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = &fa;
	expect_packed_hex(&m, send);
	u = roundtrip_hex(send);
	ASSERT_INT_EQ(u->file_action->union_case, HBB__FILE_ACTION__UNION_SEND);
	ASSERT_INT_EQ(u->file_action->send->id, 1);
	ASSERT_INT_EQ(u->file_action->send->file_num, -1);
	ASSERT_INT_EQ(u->file_action->send->file_type,
	    HBB__FILE_TRANSFER_SEND_REQUEST__FILE_TYPE__Generic);
	hbb__message__free_unpacked(u, NULL);

	dn.id = 1;
	dn.file_num = -1;
	fr.union_case = HBB__FILE_RESPONSE__UNION_DONE;
	fr.done = &dn;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	expect_packed_hex(&m, done);
	u = roundtrip_hex(done);
	ASSERT_INT_EQ(u->file_response->union_case,
	    HBB__FILE_RESPONSE__UNION_DONE);
	ASSERT_INT_EQ(u->file_response->done->file_num, -1);
	hbb__message__free_unpacked(u, NULL);
}

/* Misc members, including a false bool union member and PrivacyMode. */
static void
test_misc(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__PermissionInfo pi = HBB__PERMISSION_INFO__INIT;

	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	misc.union_case = HBB__MISC__UNION_CLOSE_REASON;
	misc.close_reason = (char *)"bye";
	expect_packed_hex(&m, "9a01054a03627965");
	u = roundtrip_hex("9a01054a03627965");
	ASSERT_INT_EQ(u->misc->union_case, HBB__MISC__UNION_CLOSE_REASON);
	ASSERT_STR_EQ(u->misc->close_reason, "bye");
	hbb__message__free_unpacked(u, NULL);

	/* A oneof member is sent even when it holds its zero value. */
	misc.union_case = HBB__MISC__UNION_REFRESH_VIDEO;
	misc.refresh_video = 0;
	expect_packed_hex(&m, "9a01025000");
	u = roundtrip_hex("9a01025000");
	ASSERT_INT_EQ(u->misc->union_case, HBB__MISC__UNION_REFRESH_VIDEO);
	ASSERT_INT_EQ(u->misc->refresh_video, 0);
	hbb__message__free_unpacked(u, NULL);

	pi.permission = HBB__PERMISSION_INFO__PERMISSION__PrivacyMode;
	pi.enabled = 1;
	misc.union_case = HBB__MISC__UNION_PERMISSION_INFO;
	misc.permission_info = &pi;
	expect_packed_hex(&m, "9a0106320408081001");
	u = roundtrip_hex("9a0106320408081001");
	ASSERT_INT_EQ(u->misc->permission_info->permission, 8);
	ASSERT_INT_EQ(u->misc->permission_info->enabled, 1);
	hbb__message__free_unpacked(u, NULL);

	misc.union_case = HBB__MISC__UNION_FOLLOW_CURRENT_DISPLAY;
	misc.follow_current_display = 2;
	expect_packed_hex(&m, "9a0103b00202");
	u = roundtrip_hex("9a0103b00202");
	ASSERT_INT_EQ(u->misc->union_case,
	    HBB__MISC__UNION_FOLLOW_CURRENT_DISPLAY);
	ASSERT_INT_EQ(u->misc->follow_current_display, 2);
	hbb__message__free_unpacked(u, NULL);
}

/* KeyEvent: a control key union member and packed repeated modifiers. */
static void
test_key_event(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__KeyEvent ke = HBB__KEY_EVENT__INIT;
	Hbb__ControlKey mods[2] = {
		HBB__CONTROL_KEY__Control, HBB__CONTROL_KEY__Shift
	};
	size_t n;
	uint8_t *b;

	ke.down = 1;
	ke.union_case = HBB__KEY_EVENT__UNION_CONTROL_KEY;
	ke.control_key = HBB__CONTROL_KEY__CtrlAltDel;
	ke.n_modifiers = 2;
	ke.modifiers = mods;
	m.union_case = HBB__MESSAGE__UNION_KEY_EVENT;
	m.key_event = &ke;
	expect_packed_hex(&m, "7a08080118644202041d");
	u = roundtrip_hex("7a08080118644202041d");
	ASSERT_INT_EQ(u->key_event->union_case,
	    HBB__KEY_EVENT__UNION_CONTROL_KEY);
	ASSERT_INT_EQ(u->key_event->control_key, 100);
	ASSERT_INT_EQ(u->key_event->n_modifiers, 2);
	ASSERT_INT_EQ(u->key_event->modifiers[1], HBB__CONTROL_KEY__Shift);
	ASSERT_INT_EQ(u->key_event->mode, HBB__KEYBOARD_MODE__Legacy);
	hbb__message__free_unpacked(u, NULL);

	/* Unpacked repeated encoding must parse too; we repack it packed. */
	b = tst_unhex("7a08080118644004401d", &n);
	u = unpack_ok(b, n);
	ASSERT_INT_EQ(u->key_event->n_modifiers, 2);
	ASSERT_INT_EQ(u->key_event->modifiers[0], HBB__CONTROL_KEY__Control);
	expect_packed_hex(u, "7a08080118644202041d");
	hbb__message__free_unpacked(u, NULL);
	free(b);
}

/* TerminalAction (31) and TerminalResponse (32) take two-byte tags. */
static void
test_terminal(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__TerminalAction ta = HBB__TERMINAL_ACTION__INIT;
	Hbb__OpenTerminal ot = HBB__OPEN_TERMINAL__INIT;
	Hbb__TerminalResponse tr = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalClosed tc = HBB__TERMINAL_CLOSED__INIT;

	ot.rows = 24;
	ot.cols = 80;
	ta.union_case = HBB__TERMINAL_ACTION__UNION_OPEN;
	ta.open = &ot;
	m.union_case = HBB__MESSAGE__UNION_TERMINAL_ACTION;
	m.terminal_action = &ta;
	expect_packed_hex(&m, "fa01060a0410181850");
	u = roundtrip_hex("fa01060a0410181850");
	ASSERT_INT_EQ(u->terminal_action->union_case,
	    HBB__TERMINAL_ACTION__UNION_OPEN);
	ASSERT_INT_EQ(u->terminal_action->open->terminal_id, 0);
	ASSERT_INT_EQ(u->terminal_action->open->rows, 24);
	ASSERT_INT_EQ(u->terminal_action->open->cols, 80);
	hbb__message__free_unpacked(u, NULL);

	tc.terminal_id = 1;
	tc.exit_code = 2;
	tr.union_case = HBB__TERMINAL_RESPONSE__UNION_CLOSED;
	tr.closed = &tc;
	m.union_case = HBB__MESSAGE__UNION_TERMINAL_RESPONSE;
	m.terminal_response = &tr;
	expect_packed_hex(&m, "8202061a0408011002");
	u = roundtrip_hex("8202061a0408011002");
	ASSERT_INT_EQ(u->terminal_response->closed->terminal_id, 1);
	ASSERT_INT_EQ(u->terminal_response->closed->exit_code, 2);
	hbb__message__free_unpacked(u, NULL);
}

/* LoginResponse{peer_info} with a display at a negative x (sint32). */
static void
test_peer_info(void)
{
	const char *want = "420f120d0a01752208080118800a20a006";
	Hbb__Message m = HBB__MESSAGE__INIT, *u;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	Hbb__DisplayInfo di = HBB__DISPLAY_INFO__INIT, *dis[1] = { &di };
	const Hbb__DisplayInfo *ud;

	di.x = -1;
	di.width = 1280;
	di.height = 800;
	pi.username = (char *)"u";
	pi.n_displays = 1;
	pi.displays = dis;
	lr.union_case = HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
	lr.peer_info = &pi;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	expect_packed_hex(&m, want);

	u = roundtrip_hex(want);
	ASSERT_INT_EQ(u->login_response->union_case,
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO);
	ASSERT_STR_EQ(u->login_response->peer_info->username, "u");
	ASSERT_INT_EQ(u->login_response->peer_info->n_displays, 1);
	ud = u->login_response->peer_info->displays[0];
	ASSERT_INT_EQ(ud->x, -1);
	ASSERT_INT_EQ(ud->y, 0);
	ASSERT_INT_EQ(ud->width, 1280);
	ASSERT_INT_EQ(ud->height, 800);
	ASSERT_TRUE(ud->scale == 0.0);
	hbb__message__free_unpacked(u, NULL);
}

/* Fails unless the field numbers of d are exactly lo..hi minus skip[]. */
static void
expect_numbers(const ProtobufCMessageDescriptor *d, unsigned lo,
    unsigned hi, const unsigned *skip, size_t nskip)
{
	unsigned id, want = 0;
	size_t k;

	for (id = lo; id <= hi; id++) {
		int skipped = 0;

		for (k = 0; k < nskip; k++)
			if (skip[k] == id)
				skipped = 1;
		if (skipped) {
			ASSERT_TRUE(protobuf_c_message_descriptor_get_field(d,
			    id) == NULL);
			continue;
		}
		if (protobuf_c_message_descriptor_get_field(d, id) == NULL)
			TST_FAIL("%s has no field %u", d->name, id);
		want++;
	}
	ASSERT_INT_EQ(d->n_fields, want);
}

/* The unions cover every member number of PROTOCOL.md §6.1 and §6.8. */
static void
test_union_members(void)
{
	static const unsigned misc_skip[] = { 11, 23 };
	static const unsigned opt_skip[] = { 13, 14 };
	const ProtobufCFieldDescriptor *f;

	expect_numbers(&hbb__message__descriptor, 3, 32, NULL, 0);
	expect_numbers(&hbb__misc__descriptor, 4, 38, misc_skip, 2);
	expect_numbers(&hbb__option_message__descriptor, 1, 19, opt_skip, 2);

	/* The file_num mix of §6.11. */
	f = protobuf_c_message_descriptor_get_field_by_name(
	    &hbb__file_transfer_send_request__descriptor, "file_num");
	ASSERT_INT_EQ(f->type, PROTOBUF_C_TYPE_INT32);
	f = protobuf_c_message_descriptor_get_field_by_name(
	    &hbb__file_transfer_receive_request__descriptor, "file_num");
	ASSERT_INT_EQ(f->type, PROTOBUF_C_TYPE_INT32);
	f = protobuf_c_message_descriptor_get_field_by_name(
	    &hbb__file_transfer_block__descriptor, "file_num");
	ASSERT_INT_EQ(f->type, PROTOBUF_C_TYPE_SINT32);
	f = protobuf_c_message_descriptor_get_field_by_name(
	    &hbb__file_transfer_send_confirm_request__descriptor, "file_num");
	ASSERT_INT_EQ(f->type, PROTOBUF_C_TYPE_SINT32);
	f = protobuf_c_message_descriptor_get_field_by_name(
	    &hbb__file_remove_file__descriptor, "file_num");
	ASSERT_INT_EQ(f->type, PROTOBUF_C_TYPE_SINT32);
}

/* Empty, unknown and truncated input (§1.5). */
static void
test_edges(void)
{
	static const uint8_t empty[1];
	Hbb__Message *u;
	size_t n;
	uint8_t *b;

	/* An empty payload is a Message with no member set. */
	u = unpack_ok(empty, 0);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION__NOT_SET);
	ASSERT_INT_EQ(hbb__message__get_packed_size(u), 0);
	hbb__message__free_unpacked(u, NULL);

	/* Unknown members (field 2, field 40) are skipped, not errors. */
	u = roundtrip_hex("1200c20200");
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION__NOT_SET);
	hbb__message__free_unpacked(u, NULL);

	/* Unknown Misc member 23 inside a known one. */
	u = roundtrip_hex("9a0103b80100");
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_MISC);
	ASSERT_INT_EQ(u->misc->union_case, HBB__MISC__UNION__NOT_SET);
	hbb__message__free_unpacked(u, NULL);

	/* Truncated input does not parse. */
	b = tst_unhex("3a670a0931", &n);
	ASSERT_TRUE(hbb__message__unpack(NULL, n, b) == NULL);
	free(b);
	b = tst_unhex("9a", &n);
	ASSERT_TRUE(hbb__message__unpack(NULL, n, b) == NULL);
	free(b);
	b = tst_unhex("4a2a0a20", &n);
	ASSERT_TRUE(hbb__message__unpack(NULL, n, b) == NULL);
	free(b);
}

int
main(void)
{
	TST_RUN(test_hash);
	TST_RUN(test_login_request);
	TST_RUN(test_signed_id);
	TST_RUN(test_public_key);
	TST_RUN(test_secretbox_plaintexts);
	TST_RUN(test_signed_encodings);
	TST_RUN(test_file_num);
	TST_RUN(test_misc);
	TST_RUN(test_key_event);
	TST_RUN(test_terminal);
	TST_RUN(test_peer_info);
	TST_RUN(test_union_members);
	TST_RUN(test_edges);
	return 0;
}
