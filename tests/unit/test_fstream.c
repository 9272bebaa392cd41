/*
 * test_fstream.c: a download block framed in place around the data the
 * I/O thread read (conn_fs_block_frame, server/conn/conn_fstream.c) is
 * byte for byte what protobuf-c packs for the same Message, for ids and
 * file numbers of every varint length and sign, empty and compressed
 * blocks, and data sizes whose length varints differ.
 */
#include <stdint.h>

#include "message.pb-c.h"
#include "server/conn/conn_file_int.h"
#include "server/fio.h"
#include "tests/tst.h"

int main(void);

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

int
main(void)
{
	TST_RUN(test_frames);
	return 0;
}
