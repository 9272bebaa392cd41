/*
 * fuzz_message.c: arbitrary bytes as an hbb.Message (the payload of every
 * peer frame). A message that parses is walked member by member, repacked
 * and parsed again; the second packing must equal the first. Any crash,
 * leak or abort() here is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Values read from the message end up here so the reads are not dropped. */
static volatile uint64_t sink;

/* Mixes n bytes at p into the sink. */
static void
touch_mem(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = sink;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	sink = h;
}

/* Mixes a NUL-terminated string into the sink; NULL is a bug. */
static void
touch_str(const char *s)
{
	if (s == NULL)
		abort();
	touch_mem(s, strlen(s));
}

/* Reads every present field of a message (defined below). */
static size_t walk(const ProtobufCMessage *);

/*
 * Reads the value of field fd stored at p (one element); returns the number
 * of unknown fields kept inside it.
 */
static size_t
walk_value(const ProtobufCFieldDescriptor *fd, const void *p)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		touch_mem(p, 4);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		touch_mem(p, 8);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		touch_mem(p, sizeof(protobuf_c_boolean));
		break;
	case PROTOBUF_C_TYPE_STRING:
		touch_str(*(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = p;

		if (bd->len > 0 && bd->data == NULL)
			abort();
		touch_mem(bd->data, bd->len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;

		if (sub == NULL)
			break;
		if (sub->descriptor != fd->descriptor)
			abort();
		return walk(sub);
	}
	}
	return 0;
}

/* Returns the size of one stored element of a field of type t. */
static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4;
	}
}

/*
 * Reads every present field of msg through its descriptor; returns the
 * number of unknown fields protobuf-c kept in msg and below it.
 */
static size_t
walk(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const uint8_t *base = (const uint8_t *)msg;
	size_t unknown = msg->n_unknown_fields;
	unsigned i;

	if (d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		abort();
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const void *p = base + fd->offset;

		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(base + fd->quantifier_offset) !=
			    fd->id)
				continue;
			unknown += walk_value(fd, p);
		} else if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base +
			    fd->quantifier_offset), j;
			const uint8_t *arr = *(uint8_t *const *)p;

			if (n > 0 && arr == NULL)
				abort();
			for (j = 0; j < n; j++)
				unknown += walk_value(fd,
				    arr + j * elem_size(fd->type));
		} else
			unknown += walk_value(fd, p);
	}
	return unknown;
}

/* Reads the members of a Misc the host acts on. */
static void
touch_misc(const Hbb__Misc *mi)
{
	switch (mi->union_case) {
	case HBB__MISC__UNION_CHAT_MESSAGE:
		touch_str(mi->chat_message->text);
		break;
	case HBB__MISC__UNION_SWITCH_DISPLAY:
		sink += (uint64_t)mi->switch_display->display;
		if (mi->switch_display->resolutions != NULL)
			sink += mi->switch_display->resolutions->n_resolutions;
		break;
	case HBB__MISC__UNION_OPTION:
		sink += (uint64_t)mi->option->custom_fps;
		break;
	case HBB__MISC__UNION_CLOSE_REASON:
		touch_str(mi->close_reason);
		break;
	case HBB__MISC__UNION_REFRESH_VIDEO:
		sink += (uint64_t)mi->refresh_video;
		break;
	case HBB__MISC__UNION_CAPTURE_DISPLAYS:
		sink += mi->capture_displays->n_add +
		    mi->capture_displays->n_sub + mi->capture_displays->n_set;
		break;
	case HBB__MISC__UNION_REFRESH_VIDEO_DISPLAY:
		sink += (uint64_t)mi->refresh_video_display;
		break;
	case HBB__MISC__UNION_CHANGE_DISPLAY_RESOLUTION:
		if (mi->change_display_resolution->resolution != NULL)
			sink += (uint64_t)
			    mi->change_display_resolution->resolution->width;
		break;
	case HBB__MISC__UNION_MESSAGE_QUERY:
		sink += (uint64_t)mi->message_query->switch_display;
		break;
	case HBB__MISC__UNION_TOGGLE_PRIVACY_MODE:
		touch_str(mi->toggle_privacy_mode->impl_key);
		break;
	default:
		break;
	}
}

/* Reads the member of m's union, checking that it has the right type. */
static void
touch_message(const Hbb__Message *m)
{
	const ProtobufCMessage *sub = NULL;
	const ProtobufCMessageDescriptor *want = NULL;

	switch (m->union_case) {
	case HBB__MESSAGE__UNION__NOT_SET:
		return;
	case HBB__MESSAGE__UNION_CURSOR_ID:
		sink += m->cursor_id;
		return;
	case HBB__MESSAGE__UNION_SIGNED_ID:
		sub = &m->signed_id->base;
		want = &hbb__signed_id__descriptor;
		break;
	case HBB__MESSAGE__UNION_PUBLIC_KEY:
		sub = &m->public_key->base;
		want = &hbb__public_key__descriptor;
		sink += m->public_key->asymmetric_value.len +
		    m->public_key->symmetric_value.len;
		break;
	case HBB__MESSAGE__UNION_TEST_DELAY:
		sub = &m->test_delay->base;
		want = &hbb__test_delay__descriptor;
		sink += (uint64_t)m->test_delay->time;
		break;
	case HBB__MESSAGE__UNION_VIDEO_FRAME:
		sub = &m->video_frame->base;
		want = &hbb__video_frame__descriptor;
		break;
	case HBB__MESSAGE__UNION_LOGIN_REQUEST: {
		const Hbb__LoginRequest *lr = m->login_request;

		sub = &lr->base;
		want = &hbb__login_request__descriptor;
		touch_str(lr->username);
		touch_str(lr->my_id);
		touch_mem(lr->password.data, lr->password.len);
		if (lr->option != NULL && lr->option->supported_decoding)
			sink += (uint64_t)
			    lr->option->supported_decoding->ability_vp9;
		if (lr->union_case == HBB__LOGIN_REQUEST__UNION_PORT_FORWARD)
			touch_str(lr->port_forward->host);
		else if (lr->union_case ==
		    HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER)
			touch_str(lr->file_transfer->dir);
		else if (lr->union_case == HBB__LOGIN_REQUEST__UNION_TERMINAL)
			touch_str(lr->terminal->service_id);
		break;
	}
	case HBB__MESSAGE__UNION_LOGIN_RESPONSE:
		sub = &m->login_response->base;
		want = &hbb__login_response__descriptor;
		break;
	case HBB__MESSAGE__UNION_HASH:
		sub = &m->hash->base;
		want = &hbb__hash__descriptor;
		touch_str(m->hash->salt);
		touch_str(m->hash->challenge);
		break;
	case HBB__MESSAGE__UNION_MOUSE_EVENT:
		sub = &m->mouse_event->base;
		want = &hbb__mouse_event__descriptor;
		sink += (uint64_t)m->mouse_event->mask +
		    (uint64_t)m->mouse_event->x + m->mouse_event->n_modifiers;
		break;
	case HBB__MESSAGE__UNION_AUDIO_FRAME:
		sub = &m->audio_frame->base;
		want = &hbb__audio_frame__descriptor;
		break;
	case HBB__MESSAGE__UNION_CURSOR_DATA:
		sub = &m->cursor_data->base;
		want = &hbb__cursor_data__descriptor;
		break;
	case HBB__MESSAGE__UNION_CURSOR_POSITION:
		sub = &m->cursor_position->base;
		want = &hbb__cursor_position__descriptor;
		break;
	case HBB__MESSAGE__UNION_KEY_EVENT:
		sub = &m->key_event->base;
		want = &hbb__key_event__descriptor;
		if (m->key_event->union_case == HBB__KEY_EVENT__UNION_SEQ)
			touch_str(m->key_event->seq);
		else
			sink += (uint64_t)m->key_event->chr;
		break;
	case HBB__MESSAGE__UNION_CLIPBOARD:
		sub = &m->clipboard->base;
		want = &hbb__clipboard__descriptor;
		touch_mem(m->clipboard->content.data,
		    m->clipboard->content.len);
		break;
	case HBB__MESSAGE__UNION_FILE_ACTION:
		sub = &m->file_action->base;
		want = &hbb__file_action__descriptor;
		if (m->file_action->union_case ==
		    HBB__FILE_ACTION__UNION_READ_DIR)
			touch_str(m->file_action->read_dir->path);
		else if (m->file_action->union_case ==
		    HBB__FILE_ACTION__UNION_RECEIVE)
			sink += m->file_action->receive->n_files;
		break;
	case HBB__MESSAGE__UNION_FILE_RESPONSE:
		sub = &m->file_response->base;
		want = &hbb__file_response__descriptor;
		if (m->file_response->union_case ==
		    HBB__FILE_RESPONSE__UNION_BLOCK)
			sink += (uint64_t)m->file_response->block->file_num;
		break;
	case HBB__MESSAGE__UNION_MISC:
		sub = &m->misc->base;
		want = &hbb__misc__descriptor;
		touch_misc(m->misc);
		break;
	case HBB__MESSAGE__UNION_CLIPRDR:
		sub = &m->cliprdr->base;
		want = &hbb__cliprdr__descriptor;
		break;
	case HBB__MESSAGE__UNION_MESSAGE_BOX:
		sub = &m->message_box->base;
		want = &hbb__message_box__descriptor;
		break;
	case HBB__MESSAGE__UNION_SWITCH_SIDES_RESPONSE:
		sub = &m->switch_sides_response->base;
		want = &hbb__switch_sides_response__descriptor;
		break;
	case HBB__MESSAGE__UNION_VOICE_CALL_REQUEST:
		sub = &m->voice_call_request->base;
		want = &hbb__voice_call_request__descriptor;
		break;
	case HBB__MESSAGE__UNION_VOICE_CALL_RESPONSE:
		sub = &m->voice_call_response->base;
		want = &hbb__voice_call_response__descriptor;
		break;
	case HBB__MESSAGE__UNION_PEER_INFO:
		sub = &m->peer_info->base;
		want = &hbb__peer_info__descriptor;
		sink += m->peer_info->n_displays;
		break;
	case HBB__MESSAGE__UNION_POINTER_DEVICE_EVENT:
		sub = &m->pointer_device_event->base;
		want = &hbb__pointer_device_event__descriptor;
		break;
	case HBB__MESSAGE__UNION_AUTH_2FA:
		sub = &m->auth_2fa->base;
		want = &hbb__auth2_fa__descriptor;
		touch_str(m->auth_2fa->code);
		break;
	case HBB__MESSAGE__UNION_MULTI_CLIPBOARDS:
		sub = &m->multi_clipboards->base;
		want = &hbb__multi_clipboards__descriptor;
		sink += m->multi_clipboards->n_clipboards;
		break;
	case HBB__MESSAGE__UNION_SCREENSHOT_REQUEST:
		sub = &m->screenshot_request->base;
		want = &hbb__screenshot_request__descriptor;
		touch_str(m->screenshot_request->sid);
		break;
	case HBB__MESSAGE__UNION_SCREENSHOT_RESPONSE:
		sub = &m->screenshot_response->base;
		want = &hbb__screenshot_response__descriptor;
		break;
	case HBB__MESSAGE__UNION_TERMINAL_ACTION:
		sub = &m->terminal_action->base;
		want = &hbb__terminal_action__descriptor;
		if (m->terminal_action->union_case ==
		    HBB__TERMINAL_ACTION__UNION_DATA)
			touch_mem(m->terminal_action->data->data.data,
			    m->terminal_action->data->data.len);
		break;
	case HBB__MESSAGE__UNION_TERMINAL_RESPONSE:
		sub = &m->terminal_response->base;
		want = &hbb__terminal_response__descriptor;
		break;
	default:
		/* protobuf-c never sets a case it does not know. */
		abort();
	}
	if (sub->descriptor != want)
		abort();
}

/* Packs m into a new buffer (caller frees); *n receives the length. */
static uint8_t *
pack(const Hbb__Message *m, size_t *n)
{
	uint8_t *buf;

	*n = hbb__message__get_packed_size(m);
	if ((buf = malloc(*n ? *n : 1)) == NULL)
		abort();
	if (hbb__message__pack(m, buf) != *n)
		abort();
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hbb__Message *m, *again = NULL;
	uint8_t *b1, *b2 = NULL;
	size_t n1, n2, unknown;

	if ((m = hbb__message__unpack(NULL, size, data)) == NULL)
		return 0;
	touch_message(m);
	unknown = walk(&m->base);

	/*
	 * What we pack must parse, and pack the same way again. Unknown
	 * fields are repacked verbatim, and protobuf-c accepts some it then
	 * will not parse (field number 0 behind an over-long tag), so the
	 * check holds only for messages made of known fields.
	 */
	b1 = pack(m, &n1);
	again = hbb__message__unpack(NULL, n1, b1);
	if (unknown == 0) {
		if (again == NULL || again->union_case != m->union_case)
			abort();
		touch_message(again);
		if (walk(&again->base) != 0)
			abort();
		b2 = pack(again, &n2);
		if (n1 != n2 || memcmp(b1, b2, n1) != 0)
			abort();
	}

	free(b2);
	free(b1);
	if (again != NULL)
		hbb__message__free_unpacked(again, NULL);
	hbb__message__free_unpacked(m, NULL);
	return 0;
}
