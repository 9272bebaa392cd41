/*
 * helper_int.h: the file helper's insides, shared by the files of
 * server/helper/ only: helper.c (the channel to the server and the
 * dispatch), helper_fs.c (listings, file operations, the checks of names
 * a peer sends, the .digest files), helper_read.c (downloads) and
 * helper_write.c (uploads).
 */
#ifndef CDESK_HELPER_INT_H
#define CDESK_HELPER_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "ipc.pb-c.h"
#include "message.pb-c.h"

#define HELPER_OUT_HIGH	(1024 * 1024)	/* start no file above this */
#define HELPER_LOG_MS	500		/* progress logs per job, at most */
#define HELPER_FDS_MAX	64		/* descriptors queued to the server */

/* What separates a path's names: on Windows '\\' (and '/' is read as
 * one too), so a name a peer sends is checked for both. */
#ifdef _WIN32
#define HELPER_SEP	'\\'
#define HELPER_SEPS	"/\\"
#else
#define HELPER_SEP	'/'
#define HELPER_SEPS	"/"
#endif

/* Hidden files: on Windows those with the hidden attribute (helper_win.h
 * sets st_hidden), elsewhere the names that start with a dot. */
#ifdef _WIN32
#define HELPER_DOT_HIDDEN		0
#define helper_hidden(name, st)		((st)->st_hidden)
#else
#define HELPER_DOT_HIDDEN		1
#define helper_hidden(name, st)		((name)[0] == '.')
#endif

/* FsReply flags for helper_send. */
#define HELPER_F_END	0x02	/* the job is over */

/* One file of a job. */
struct hfile {
	char		*name;		/* relative; "" for a single file */
	uint64_t	 size;
	uint64_t	 mtime;		/* Unix seconds */
	/* Uploads: the peer's digest (written to NAME.digest), the offset a
	 * confirm said to continue at, and whether it said skip. */
	uint64_t	 dsize;
	uint64_t	 dmtime;
	uint64_t	 resume;
	int		 skip;
};

enum hjob_kind {
	HJOB_READ,	/* download: the host sends */
	HJOB_WRITE,	/* upload: the host receives */
};

/* Where a download is with its current file. */
enum hread_state {
	HREAD_OPEN,	/* open the next file (or end the job) */
	HREAD_WAIT,	/* digest sent, waiting for send_confirm */
	HREAD_SEND,	/* confirmed: pass the file to the server */
	HREAD_STREAM,	/* the server sends it; waiting for its end */
};

struct hconn;

/* One transfer job of a connection. */
struct hjob {
	enum hjob_kind	 kind;
	int32_t		 id;
	struct hconn	*hc;		/* borrowed: the owner */
	char		*path;		/* what is sent, or the destination */
	struct hfile	*files;		/* owned */
	size_t		 nfiles;
	size_t		 cur;		/* read: file in progress */
	size_t		 open;		/* write: file open, or SIZE_MAX */
	int		 fd;		/* the file in progress, or -1 */
	int		 od;		/* overwrite detection (>= 1.1.10) */
	enum hread_state state;
	int		 skipped;	/* read: the last file was skipped */
	int		 nocompress;	/* read: compressed already */
	uint64_t	 total;
	uint64_t	 finished;
	uint64_t	 file_bytes;	/* of the file in progress */
	uint64_t	 log_ms;	/* last progress log */
	uint64_t	 log_bytes;
	uint64_t	 speed;		/* bytes per second, last measured */
	TAILQ_ENTRY(hjob) entry;
};
TAILQ_HEAD(hjobs, hjob);

/* One peer connection the server relays for. */
struct hconn {
	int32_t		 id;
	int64_t		 peer_version;
	struct hjobs	 jobs;
	TAILQ_ENTRY(hconn) entry;
};

/* A growing byte buffer: bytes [off, len) are pending. */
struct hbuf {
	uint8_t		*p;
	size_t		 off;
	size_t		 len;
	size_t		 cap;
};

/* A descriptor that goes to the server with the frame starting at byte
 * at of the channel (counted from its start). */
struct hfd {
	int		 fd;		/* owned until sent */
	uint64_t	 at;
};

/* The helper process. */
struct helper {
	int		 fd;
	struct hbuf	 in;
	struct hbuf	 out;
	uint64_t	 queued;	/* bytes ever queued to the server */
	uint64_t	 sent;		/* and written */
	struct hfd	 fds[HELPER_FDS_MAX];	/* to pass, in order */
	size_t		 nfds;
	TAILQ_HEAD(, hconn) conns;
	uint8_t		*mbuf;		/* a packed message (helper_send) */
	size_t		 mcap;
	char		*home;		/* owned */
};

/* helper.c */
/* Queues an FsReply to the server: m (borrowed, may be NULL), flags. */
void	helper_send(struct helper *, struct hconn *, int32_t job_id,
	    const Hbb__Message *m, unsigned flags);
/* Queues an FsStream for job j's file file_num, passing fd (taken; -1
 * with skip). */
void	helper_send_stream(struct helper *, struct hjob *, int32_t file_num,
	    int write, uint64_t offset, int fd);
/* Room for one more descriptor on the queue to the server. */
int	helper_fds_room(const struct helper *);
/* Queues FileResponse.error{id, text, file_num}. */
void	helper_send_error(struct helper *, struct hconn *, int32_t id,
	    const char *text, int32_t file_num, unsigned flags);
/* Queues FileResponse.done{id, file_num}. */
void	helper_send_done(struct helper *, struct hconn *, int32_t id,
	    int32_t file_num, unsigned flags);
/* Queues a log record l (borrowed) for the server; with end, job l's
 * tracking ends too. */
void	helper_send_log(struct helper *, struct hconn *, Ipc__FsLog *l,
	    unsigned flags);
/* Reports job j's progress (state RUNNING: at most every HELPER_LOG_MS
 * unless force) or its end (state DONE/CANCELLED/ERROR with err). */
void	helper_job_log(struct helper *, struct hjob *, int state,
	    const char *err, int force);
/* Reports one file of job j: its path, bytes moved and outcome. */
void	helper_file_log(struct helper *, struct hjob *, size_t idx,
	    int state, const char *err);
/* Unlinks and frees a job (closing its file). */
void	helper_job_free(struct hjob *);
/* A new job of hc (added to its list); files owned by the caller still. */
struct hjob *helper_job_new(struct hconn *, enum hjob_kind, int32_t id,
	    const char *path);
/* The job of hc with this id and kind, or NULL. */
struct hjob *helper_job_find(struct hconn *, int32_t id, enum hjob_kind);

/* helper_fs.c */
/* "Permission denied (os error 13)": an errno as upstream's io::Error
 * prints it, in a new string (caller frees). */
char	*helper_errno_text(int e);
/* base joined with name ("" means base itself); caller frees. */
char	*helper_join(const char *base, const char *name);
/* The last separator (HELPER_SEPS) in path, or NULL. */
char	*helper_last_sep(const char *path);
/*
 * Lists one folder into d (path set to path; entries owned by d, free
 * with helper_dir_clear). Returns 0, or -1 with *err (caller frees).
 */
int	 helper_list_dir(const char *path, int hidden, Hbb__FileDirectory *d,
	    char **err);
/* Frees what helper_list_dir and helper_list_files hung off d. */
void	 helper_dir_clear(Hbb__FileDirectory *d);
/*
 * Every regular file below path (names relative to it), or path itself
 * as one entry named "" when it is a regular file, into d's entries.
 * Returns 0, or -1 with *err.
 */
int	 helper_list_files(const char *path, int hidden,
	    Hbb__FileDirectory *d, char **err);
/* The empty folders below path (and path itself if empty), each as a
 * FileDirectory, into r. Returns 0, or -1 with *err. */
int	 helper_empty_dirs(const char *path, int hidden,
	    Hbb__ReadEmptyDirsResponse *r, char **err);
/* Frees what helper_empty_dirs hung off r. */
void	 helper_empty_dirs_clear(Hbb__ReadEmptyDirsResponse *r);
/* The file operations; each returns 0, or -1 with *err. */
int	 helper_create_dir(const char *path, char **err);
int	 helper_remove_file(const char *path, char **err);
int	 helper_remove_dir(const char *path, int recursive, char **err);
int	 helper_rename(const char *path, const char *new_name, char **err);
/*
 * Checks a job's file names as upstream does (no "..", not absolute, no
 * empty name unless it is the only one) and that no existing component
 * below base is a symlink. Returns 0, or -1 with *err.
 */
int	 helper_check_names(const char *base, char *const *names, size_t n,
	    char **err);
/* Checks one relative name (traversal, absolute); 0 or -1 with *err. */
int	 helper_check_name(const char *name, char **err);
/* Checks that no existing component of name below base is a symlink. */
int	 helper_check_components(const char *base, const char *name,
	    char **err);
/*
 * Parses a .digest file's text ({"size":N,"modified":M}, keys in any
 * order, other keys ignored). Returns 0 with both set, or -1.
 */
int	 helper_digest_parse(const char *text, size_t len, uint64_t *size,
	    uint64_t *modified);
/* Writes path's digest file text; 0 or -1 (errno set). */
int	 helper_digest_write(const char *path, uint64_t size,
	    uint64_t modified);
/* 1 if name ends in an extension whose data is compressed already. */
int	 helper_compressed_name(const char *name);

/* helper_read.c */
/* A download request (FileAction.send). */
void	helper_read_start(struct helper *, struct hconn *,
	    const Hbb__FileTransferSendRequest *);
/* send_confirm for download job j. */
void	helper_read_confirm(struct helper *, struct hjob *,
	    const Hbb__FileTransferSendConfirmRequest *);
/* Makes progress on hc's first download: returns 1 if it queued a
 * message, 0 if it has to wait (a confirm, the server, or no job). */
int	helper_read_step(struct helper *, struct hconn *);
/* The server stopped sending download j's file (FsRequest.stream_end). */
void	helper_read_end(struct helper *, struct hjob *,
	    const Ipc__FsStreamCtl *);

/* helper_write.c */
/* An upload request (FileAction.receive). */
void	helper_write_start(struct helper *, struct hconn *,
	    const Hbb__FileTransferReceiveRequest *);
/* send_confirm for upload job j. */
void	helper_write_confirm(struct helper *, struct hjob *,
	    const Hbb__FileTransferSendConfirmRequest *);
/* The peer's FileResponse of an upload (digest, done, error; blocks go
 * to the server's descriptor). */
void	helper_write_response(struct helper *, struct hconn *,
	    const Hbb__FileResponse *);
/* The server wants upload j's file o->file_num (FsRequest.open). */
void	helper_write_open_req(struct helper *, struct hjob *,
	    const Ipc__FsStreamCtl *);
/* The server stopped writing upload j's file (FsRequest.stream_end). */
void	helper_write_end(struct helper *, struct hjob *,
	    const Ipc__FsStreamCtl *);
/* Cancels job j: its partial file is removed, the server told. */
void	helper_write_cancel(struct helper *, struct hjob *);

#endif
