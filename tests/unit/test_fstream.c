/*
 * test_fstream.c: a download block framed in place around the data the
 * I/O thread read (conn_fs_block_frame, server/conn/conn_fstream.c) is
 * byte for byte what protobuf-c packs for the same Message, for ids and
 * file numbers of every varint length and sign, empty and compressed
 * blocks, and data sizes whose length varints differ; and that the upload
 * side's reader (conn_fs_block_parse) takes exactly those bytes back, data
 * in place, and leaves anything else to protobuf-c.
 */
#include <stdint.h>

#include "message.pb-c.h"
#include "server/conn/conn_file_int.h"
#include "server/fio.h"
#include "tests/tst.h"

int main(void);

/* conn_fs_block_parse reads (p, n) as these fields, data in place. */
static void
parse_eq(const uint8_t *p, size_t n, int32_t id, int32_t file_num,
    size_t len, int compressed)
{
	int32_t gid, gnum;
	size_t off, glen;
	int gz;

	ASSERT_INT_EQ(conn_fs_block_parse(p, n, &gid, &gnum, &off, &glen,
	    &gz), 1);
	ASSERT_INT_EQ(gid, id);
	ASSERT_INT_EQ(gnum, file_num);
	ASSERT_INT_EQ(glen, len);
	ASSERT_INT_EQ(gz, compressed != 0);
	ASSERT_INT_EQ(off + len + (compressed ? 2 : 0), n);
	if (len > 0)
		ASSERT_INT_EQ(p[off], 1);	/* the data's first byte */
}

/* One case: in place against hbb__message__pack. */
static void
check(int32_t id, int32_t file_num, size_t len, int compressed)
{
	static uint8_t buf[FIO_HEAD + FIO_BLOCK + FIO_TAIL];
	static uint8_t want[FIO_BLOCK + 256];
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferBlock b = HBB__FILE_TRANSFER_BLOCK__INIT;
	uint8_t *got;
	size_t i, n, wn;

	for (i = 0; i < len; i++)
		buf[FIO_HEAD + i] = (uint8_t)(i * 7 + 1);
	b.id = id;
	b.file_num = file_num;
	b.data.data = buf + FIO_HEAD;
	b.data.len = len;
	b.compressed = compressed != 0;
	fr.union_case = HBB__FILE_RESPONSE__UNION_BLOCK;
	fr.block = &b;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	wn = hbb__message__get_packed_size(&m);
	ASSERT_TRUE(wn <= sizeof want);
	hbb__message__pack(&m, want);
	got = conn_fs_block_frame(buf, FIO_HEAD, len, id, file_num,
	    compressed, &n);
	ASSERT_TRUE(got >= buf);
	ASSERT_INT_EQ(n, wn);
	ASSERT_MEM_EQ(got, want, n);
	parse_eq(want, wn, id, file_num, len, compressed);
}

/* Every combination of the edges. */
static void
test_frames(void)
{
	static const int32_t ids[] = { 0, 1, 127, 128, 300000, INT32_MAX, -1,
	    INT32_MIN };
	static const int32_t nums[] = { 0, 1, -1, 63, 64, 70000, INT32_MAX,
	    INT32_MIN };
	static const size_t lens[] = { 0, 1, 127, 128, 16383, 16384, 100000,
	    FIO_BLOCK };
	size_t a, b, c;

	for (a = 0; a < sizeof ids / sizeof ids[0]; a++)
		for (b = 0; b < sizeof nums / sizeof nums[0]; b++)
			for (c = 0; c < sizeof lens / sizeof lens[0]; c++) {
				check(ids[a], nums[b], lens[c], 0);
				check(ids[a], nums[b], lens[c], 1);
			}
}

/* Messages protobuf-c reads but not as conn_fs_block_frame packs them:
 * left to protobuf-c. */
static void
test_parse_other(void)
{
	/* id 1, file 0, data "ab" */
	static const uint8_t good[] = { 0x92, 0x01, 0x08, 0x12, 0x06, 0x08,
	    0x01, 0x1a, 0x02, 'a', 'b' };
	static const uint8_t padded[] = { 0x92, 0x01, 0x09, 0x12, 0x07, 0x08,
	    0x81, 0x00, 0x1a, 0x02, 'a', 'b' };
	static const uint8_t zero_z[] = { 0x92, 0x01, 0x0a, 0x12, 0x08, 0x08,
	    0x01, 0x1a, 0x02, 'a', 'b', 0x20, 0x00 };
	static const uint8_t order[] = { 0x92, 0x01, 0x08, 0x12, 0x06, 0x1a,
	    0x02, 'a', 'b', 0x08, 0x01 };
	static const uint8_t extra[] = { 0x92, 0x01, 0x0a, 0x12, 0x08, 0x08,
	    0x01, 0x1a, 0x02, 'a', 'b', 0x28, 0x01 };
	static const uint8_t empty_data[] = { 0x92, 0x01, 0x06, 0x12, 0x04,
	    0x08, 0x01, 0x1a, 0x00 };
	static const uint8_t done[] = { 0x92, 0x01, 0x04, 0x1a, 0x02, 0x08,
	    0x01 };
	int32_t id, num;
	size_t off, len, k;
	int z;

	ASSERT_INT_EQ(conn_fs_block_parse(good, sizeof good, &id, &num, &off,
	    &len, &z), 1);
	ASSERT_INT_EQ(off, 9);
	ASSERT_INT_EQ(len, 2);
	/* Every cut of a good one. */
	for (k = 0; k < sizeof good; k++)
		ASSERT_INT_EQ(conn_fs_block_parse(good, k, &id, &num, &off,
		    &len, &z), 0);
	ASSERT_INT_EQ(conn_fs_block_parse(padded, sizeof padded, &id, &num,
	    &off, &len, &z), 0);
	ASSERT_INT_EQ(conn_fs_block_parse(zero_z, sizeof zero_z, &id, &num,
	    &off, &len, &z), 0);
	ASSERT_INT_EQ(conn_fs_block_parse(order, sizeof order, &id, &num,
	    &off, &len, &z), 0);
	ASSERT_INT_EQ(conn_fs_block_parse(extra, sizeof extra, &id, &num,
	    &off, &len, &z), 0);
	ASSERT_INT_EQ(conn_fs_block_parse(empty_data, sizeof empty_data, &id,
	    &num, &off, &len, &z), 0);
	ASSERT_INT_EQ(conn_fs_block_parse(done, sizeof done, &id, &num, &off,
	    &len, &z), 0);
}

int
main(void)
{
	TST_RUN(test_frames);
	TST_RUN(test_parse_other);
	return 0;
}
