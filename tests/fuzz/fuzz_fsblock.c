/*
 * fuzz_fsblock.c: libFuzzer target for the upload side's block reader
 * (conn_fs_block_parse, server/conn/conn_fstream.c), against protobuf-c:
 * whatever the reader takes, protobuf-c must read as the same file block,
 * with the same data at the offset the reader gives; and framing those
 * fields again must give back the very bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.pb-c.h"
#include "server/conn/conn_file_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hbb__Message *m;
	Hbb__FileTransferBlock *b;
	uint8_t *buf, *framed;
	int32_t id, num;
	size_t off, len, n;
	int z;

	if (!conn_fs_block_parse(data, size, &id, &num, &off, &len, &z))
		return 0;
	if (off > size || len > size - off ||
	    off + len + (z ? 2 : 0) != size)
		abort();
	m = hbb__message__unpack(NULL, size, data);
	if (m == NULL || m->union_case != HBB__MESSAGE__UNION_FILE_RESPONSE ||
	    m->file_response->union_case != HBB__FILE_RESPONSE__UNION_BLOCK)
		abort();
	b = m->file_response->block;
	if (b->id != id || b->file_num != num || b->data.len != len ||
	    (b->compressed != 0) != (z != 0) ||
	    (len > 0 && memcmp(b->data.data, data + off, len) != 0))
		abort();
	hbb__message__free_unpacked(m, NULL);
	/* Framed again around a copy of the data: the same bytes. */
	buf = malloc(CONN_FS_HDR_MAX + len + 2);
	if (buf == NULL)
		return 0;
	memcpy(buf + CONN_FS_HDR_MAX, data + off, len);
	framed = conn_fs_block_frame(buf, CONN_FS_HDR_MAX, len, id, num, z,
	    &n);
	if (n != size || memcmp(framed, data, n) != 0)
		abort();
	free(buf);
	return 0;
}
