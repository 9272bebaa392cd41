/* test_pbcost.c: the unpacked-size walk against protobuf-c's own unpack. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/pbcost.h"
#include "message.pb-c.h"
#include "tests/tst.h"

int main(void);

/* Pack m into a new buffer. */
static uint8_t *
pack(const Hbb__Message *m, size_t *n)
{
	uint8_t *p;

	*n = hbb__message__get_packed_size(m);
	p = malloc(*n ? *n : 1);
	hbb__message__pack(m, p);
	return p;
}

/* Empty clipboard entries cost a struct each: far more than their bytes. */
static void
test_empty_entries(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__MultiClipboards mc = HBB__MULTI_CLIPBOARDS__INIT;
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;
	Hbb__Clipboard **v;
	size_t i, n, cost, k = 10000;
	uint8_t *p;

	v = calloc(k, sizeof *v);
	for (i = 0; i < k; i++)
		v[i] = &c;
	mc.n_clipboards = k;
	mc.clipboards = v;
	m.union_case = HBB__MESSAGE__UNION_MULTI_CLIPBOARDS;
	m.multi_clipboards = &mc;
	p = pack(&m, &n);
	ASSERT_INT_EQ(pbcost_first_field(p, n), 28);
	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, p, n, SIZE_MAX, &cost),
	    0);
	ASSERT_TRUE(cost >= k * (sizeof(Hbb__Clipboard) + sizeof(void *)));
	ASSERT_TRUE(cost >= 40 * n);
	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, p, n, 20 * n, &cost),
	    ERR_TOOBIG);
	free(p);
	free(v);
}

/* A message with bytes and strings costs at least their lengths. */
static void
test_bytes(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginRequest lr = HBB__LOGIN_REQUEST__INIT;
	static uint8_t pw[5000];
	size_t n, cost;
	uint8_t *p;

	lr.username = (char *)"someone";
	lr.my_id = (char *)"123456789";
	lr.password.data = pw;
	lr.password.len = sizeof pw;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_REQUEST;
	m.login_request = &lr;
	p = pack(&m, &n);
	ASSERT_INT_EQ(pbcost_first_field(p, n), 7);
	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, p, n, SIZE_MAX, &cost),
	    0);
	ASSERT_TRUE(cost >= sizeof pw + sizeof(Hbb__Message) +
	    sizeof(Hbb__LoginRequest));
	ASSERT_TRUE(cost < sizeof pw + 4096);
	free(p);
}

/* Bytes protobuf-c would refuse are refused here too. */
static void
test_bad(void)
{
	static const uint8_t past[] = { 0x3a, 0x10, 0x0a, 0x01 };
	static const uint8_t varint[] = { 0x08, 0xff, 0xff };
	static const uint8_t group[] = { 0x0b };
	static const uint8_t zero[] = { 0x00, 0x00 };
	uint8_t deep[200];
	size_t cost, i;

	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, past, sizeof past,
	    SIZE_MAX, &cost), ERR_PROTO);
	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, varint, sizeof varint,
	    SIZE_MAX, &cost), ERR_PROTO);
	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, group, sizeof group,
	    SIZE_MAX, &cost), ERR_PROTO);
	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, zero, sizeof zero,
	    SIZE_MAX, &cost), ERR_PROTO);
	ASSERT_INT_EQ(pbcost_first_field(varint + 1, 2), 0);
	/* Unknown fields are kept as copies, each with a header. */
	for (i = 0; i + 3 <= sizeof deep; i += 3) {
		deep[i] = 0xa2;		/* field 100, length-delimited */
		deep[i + 1] = 0x06;
		deep[i + 2] = 0x00;	/* empty */
	}
	ASSERT_INT_EQ(pbcost(&hbb__message__descriptor, deep, i, SIZE_MAX,
	    &cost), 0);
	ASSERT_TRUE(cost >= (i / 3) * sizeof(ProtobufCMessageUnknownField));
}

int
main(void)
{
	TST_RUN(test_empty_entries);
	TST_RUN(test_bytes);
	TST_RUN(test_bad);
	return 0;
}
