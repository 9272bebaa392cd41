/*
 * fuzz_helper.c: the parsers of the file-helper channel. The first byte
 * picks one: 0 the .digest files a user (or anyone with write access to a
 * folder) can plant (helper_digest_parse), 1 the names a peer sends for an
 * upload (helper_check_name, one per line), 2 the frames between the
 * server and the helper with their larger cap (ipc_decode_max, then the
 * peer message inside a request, as the helper unpacks it). Nothing here
 * touches a file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#include "message.pb-c.h"
#include "server/helper/helper_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A parsed digest prints and parses back to the same values. */
static void
fuzz_digest(const uint8_t *p, size_t n)
{
	uint64_t size, mod, s2, m2;
	char text[96];
	int len;

	if (helper_digest_parse((const char *)p, n, &size, &mod) != 0)
		return;
	len = snprintf(text, sizeof text, "{\"size\":%llu,\"modified\":%llu}",
	    (unsigned long long)size, (unsigned long long)mod);
	if (helper_digest_parse(text, (size_t)len, &s2, &m2) != 0 ||
	    s2 != size || m2 != mod)
		abort();
}

/* An accepted name has no ".." component and is relative. */
static void
fuzz_names(const uint8_t *p, size_t n)
{
	char *all = xmalloc(n + 1), *line, *save = NULL, *err, *seg, *dup;
	char *s2 = NULL;

	memcpy(all, p, n);
	all[n] = '\0';
	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		(void)utf8_valid(line);
		err = NULL;
		if (helper_check_name(line, &err) != 0) {
			if (err == NULL)
				abort();
			free(err);
			continue;
		}
		if (err != NULL || line[0] == '/')
			abort();
		dup = xstrdup(line);
		for (seg = strtok_r(dup, "/", &s2); seg != NULL;
		    seg = strtok_r(NULL, "/", &s2))
			if (strcmp(seg, "..") == 0)
				abort();
		free(dup);
	}
	free(all);
}

/* Frames: what decodes checks, packs and decodes to the same length. */
static void
fuzz_frames(const uint8_t *p, size_t n)
{
	Ipc__Data *d, *again;
	Hbb__Message *m;
	uint8_t *frame;
	size_t len;
	int r;

	while ((r = ipc_decode_max(p, n, IPC_FS_FRAME_MAX, &d)) > 0) {
		if (ipc_check(d) != 0 ||
		    ipc_pack_max(d, IPC_FS_FRAME_MAX, &frame, &len) != 0)
			abort();
		if (ipc_decode_max(frame, len, IPC_FS_FRAME_MAX, &again) !=
		    (int)len)
			abort();
		ipc_data_free(again);
		free(frame);
		if (d->union_case == IPC__DATA__UNION_FS_REQUEST &&
		    d->fs_request->message.len > 0 &&
		    (m = hbb__message__unpack(NULL, d->fs_request->message.len,
		    d->fs_request->message.data)) != NULL)
			hbb__message__free_unpacked(m, NULL);
		ipc_data_free(d);
		p += r;
		n -= (size_t)r;
	}
}

/* Pick a parser by the first byte. */
int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	switch (p[0] % 3) {
	case 0:
		fuzz_digest(p + 1, n - 1);
		break;
	case 1:
		fuzz_names(p + 1, n - 1);
		break;
	default:
		fuzz_frames(p + 1, n - 1);
		break;
	}
	return 0;
}
