/*
 * term_conpty.c: terminals on Windows (term_pty.h) with a pseudoconsole
 * (ConPTY: CreatePseudoConsole, ResizePseudoConsole, ClosePseudoConsole,
 * looked up at run time: Windows 10 1809 and later; without them there
 * are no terminals and PeerInfo says so).
 *
 * The pseudoconsole's two pipes block, so threads pump them through a
 * socket pair whose other end the loop reads and writes like a PTY
 * master: a reader (pseudoconsole output to the socket: while the loop
 * does not read, the socket fills, the reader stops, the console and the
 * shell block, the same back-pressure as a PTY's), a writer (socket to
 * the pseudoconsole input) and a waiter (the process ended: close the
 * pseudoconsole so the output that is left comes out, wait for the
 * reader to pass it on, then say so through the notifier socket that
 * term_pty_watch gave the loop, as SIGCHLD does on Linux).
 *
 * The process in the pseudoconsole is `cdesk.exe --term-shell`, started
 * as session_spawn starts the CM (as the service: with the session
 * user's token and environment; otherwise as ourselves): it opens the
 * console's own CONIN$ and CONOUT$, picks the shell as upstream does
 * (PowerShell 7 or 6, Windows PowerShell, %COMSPEC%, cmd.exe, with their
 * UTF-8 arguments; under wine, whose PowerShell is a stub, %COMSPEC%),
 * runs it on them and exits with its exit code. A
 * program started into a pseudoconsole otherwise keeps the std handles
 * it inherits or is given (wine gives no console ones), and the shell
 * runs as the user with the user's environment either way. The starter
 * and all it starts are in a job object that ends them together.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session.h"
#include "server/svc/term_pty.h"
#include "server/win/session_win.h"
#include "server/win/term_conpty.h"

/* ProcThreadAttributePseudoConsole (22), an input attribute. */
#define TERM_ATTR_PSEUDOCONSOLE	0x00020016
#define TERM_PUMP_BUF		16384
#define TERM_WAIT_MS		2000	/* term_pty_wait's bound */
#define TERM_SOCK_BUF		65536	/* each way, in the socket pair */
#define TERM_NO_USER		"no desktop session user to run it as"

typedef HRESULT (WINAPI *conpty_create_fn)(COORD, HANDLE, HANDLE, DWORD,
    void **);
typedef HRESULT (WINAPI *conpty_resize_fn)(void *, COORD);
typedef void (WINAPI *conpty_close_fn)(void *);

static struct {
	int			 loaded;	/* 1 found, -1 missing */
	conpty_create_fn	 create;
	conpty_resize_fn	 resize;
	conpty_close_fn		 close;
} conpty;

/* The notifier: threads write a byte when a shell ended. */
static struct {
	evutil_socket_t		 rd, wr;	/* -1 until the first watch */
	event_callback_fn	 cb;
	void			*arg;
} term_notify = { -1, -1, NULL, NULL };

struct term_proc {
	volatile LONG		 refs;		/* the loop and 3 threads */
	HANDLE			 process;	/* the starter */
	HANDLE			 job;		/* NULL if none could be had */
	HANDLE			 done;		/* ended and its output passed */
	HANDLE			 reader;	/* the reader thread */
	HANDLE			 in_w;		/* the writer's */
	HANDLE			 out_r;		/* the reader's */
	SRWLOCK			 lock;		/* pc */
	void			*pc;		/* NULL once closed */
	evutil_socket_t		 th;		/* the threads' end */
	int			 warned;	/* resize failed, logged */
};

/* Find the ConPTY calls once. */
static int
conpty_load(void)
{
	HMODULE k;

	if (conpty.loaded != 0)
		return conpty.loaded > 0;
	conpty.loaded = -1;
	if ((k = GetModuleHandleW(L"kernel32.dll")) == NULL)
		return 0;
	conpty.create = (conpty_create_fn)(void (*)(void))GetProcAddress(k,
	    "CreatePseudoConsole");
	conpty.resize = (conpty_resize_fn)(void (*)(void))GetProcAddress(k,
	    "ResizePseudoConsole");
	conpty.close = (conpty_close_fn)(void (*)(void))GetProcAddress(k,
	    "ClosePseudoConsole");
	if (conpty.create != NULL && conpty.resize != NULL &&
	    conpty.close != NULL)
		conpty.loaded = 1;
	return conpty.loaded > 0;
}

int
term_pty_supported(void)
{
	return conpty_load();
}

/* Drop a reference; the last one frees. */
static void
term_proc_unref(struct term_proc *p)
{
	if (InterlockedDecrement(&p->refs) != 0)
		return;
	CloseHandle(p->process);
	if (p->job != NULL)
		CloseHandle(p->job);
	CloseHandle(p->done);
	CloseHandle(p->reader);
	evutil_closesocket(p->th);
	free(p);
}

/* The notifier's socket is readable: drain it, then let svc_term reap. */
static void
term_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];

	(void)what;
	(void)arg;
	while (recv(fd, buf, sizeof buf, 0) > 0)
		;
	term_notify.cb(-1, 0, term_notify.arg);
}

/* The notifier is made once and kept for the process (one service). */
int
term_pty_watch(struct event_base *base, event_callback_fn cb, void *arg,
    struct event **out)
{
	evutil_socket_t sv[2];

	*out = NULL;
	if (term_notify.rd == -1) {
		if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, sv) != 0)
			return -1;
		evutil_make_socket_nonblocking(sv[0]);
		/* A full notifier already says enough: never block. */
		evutil_make_socket_nonblocking(sv[1]);
		term_notify.rd = sv[0];
		term_notify.wr = sv[1];
	}
	term_notify.cb = cb;
	term_notify.arg = arg;
	*out = event_new(base, term_notify.rd, EV_READ | EV_PERSIST,
	    term_notify_cb, NULL);
	if (*out == NULL || event_add(*out, NULL) != 0) {
		if (*out != NULL)
			event_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Send all of p (n bytes) on a blocking socket; 0 or -1. */
static int
term_send_all(evutil_socket_t s, const char *p, size_t n)
{
	int w;

	while (n > 0) {
		w = send(s, p, n > 65536 ? 65536 : (int)n, 0);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Pseudoconsole output to the socket; drained to the end even when the
 * loop's end is gone, so closing the pseudoconsole never waits on us. */
static DWORD WINAPI
term_reader(void *arg)
{
	struct term_proc *p = arg;
	char *buf = xmalloc(TERM_PUMP_BUF);
	DWORD got;
	int dead = 0;

	while (ReadFile(p->out_r, buf, TERM_PUMP_BUF, &got, NULL) && got > 0)
		if (!dead && term_send_all(p->th, buf, got) != 0)
			dead = 1;
	free(buf);
	CloseHandle(p->out_r);
	shutdown(p->th, SD_SEND);
	term_proc_unref(p);
	return 0;
}

/* The socket to the pseudoconsole input, until either end goes. */
static DWORD WINAPI
term_writer(void *arg)
{
	struct term_proc *p = arg;
	char *buf = xmalloc(TERM_PUMP_BUF);
	DWORD done, off;
	int n;

	while ((n = recv(p->th, buf, TERM_PUMP_BUF, 0)) > 0)
		for (off = 0; off < (DWORD)n; off += done)
			if (!WriteFile(p->in_w, buf + off, (DWORD)n - off,
			    &done, NULL) || done == 0)
				goto out;
out:
	free(buf);
	CloseHandle(p->in_w);
	term_proc_unref(p);
	return 0;
}

/* The starter ended: let the rest of the output out, then say so. */
static DWORD WINAPI
term_waiter(void *arg)
{
	struct term_proc *p = arg;
	void *pc;

	WaitForSingleObject(p->process, INFINITE);
	AcquireSRWLockExclusive(&p->lock);
	pc = p->pc;
	p->pc = NULL;
	ReleaseSRWLockExclusive(&p->lock);
	/* The console ends, its output pipe breaks: the reader ends. */
	conpty.close(pc);
	WaitForSingleObject(p->reader, INFINITE);
	SetEvent(p->done);
	if (term_notify.wr != -1)
		send(term_notify.wr, "x", 1, 0);
	term_proc_unref(p);
	return 0;
}

/*
 * Start `cdesk.exe --term-shell` in a new pseudoconsole of rows x cols
 * (hpc) in the session; *pi on success, or *cause.
 */
static int
term_start_starter(void *hpc, PROCESS_INFORMATION *pi, char **cause)
{
	STARTUPINFOEXA si;
	struct session sess;
	char exe[MAX_PATH], *cl = xstrdup("");
	SIZE_T n = 0;
	int r;

	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	/* No std handles of ours: the starter opens the console's. */
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	InitializeProcThreadAttributeList(NULL, 1, 0, &n);
	si.lpAttributeList = xmalloc(n);
	if (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &n) ||
	    !UpdateProcThreadAttribute(si.lpAttributeList, 0,
	    TERM_ATTR_PSEUDOCONSOLE, hpc, sizeof hpc, NULL, NULL)) {
		xasprintf(cause, "Failed to spawn command: attribute list "
		    "(error %lu)", GetLastError());
		free(si.lpAttributeList);
		free(cl);
		return -1;
	}
	if (GetModuleFileNameA(NULL, exe, sizeof exe) == 0)
		snprintf(exe, sizeof exe, "cdesk.exe");
	session_win_quote(&cl, exe);
	session_win_quote(&cl, TERM_CONPTY_VERB);
	session_init(&sess);
	session_current(&sess);
	r = session_win_start(&sess, "terminal", exe, cl, NULL,
	    EXTENDED_STARTUPINFO_PRESENT | CREATE_SUSPENDED, &si.StartupInfo,
	    pi);
	session_fini(&sess);
	DeleteProcThreadAttributeList(si.lpAttributeList);
	free(si.lpAttributeList);
	free(cl);
	if (r != 0)
		xasprintf(cause, "Failed to spawn command: %s",
		    r == ERR_DENIED ? TERM_NO_USER : err_str(r));
	return r == 0 ? 0 : -1;
}

/* A job that ends all it holds when told or when its handle closes. */
static HANDLE
term_job(HANDLE process)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
	HANDLE job;

	if ((job = CreateJobObjectW(NULL, NULL)) == NULL)
		return NULL;
	memset(&li, 0, sizeof li);
	li.BasicLimitInformation.LimitFlags =
	    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation,
	    &li, sizeof li) || !AssignProcessToJobObject(job, process)) {
		log_warn("terminal: no job object (error %lu): only the "
		    "starter is ended", GetLastError());
		CloseHandle(job);
		return NULL;
	}
	return job;
}

/* Bound what the socket pair holds: the output in flight between a
 * paused loop and a blocked reader is at most about twice this. */
static void
term_sock_bound(evutil_socket_t loop, evutil_socket_t th)
{
	int n = TERM_SOCK_BUF;

	setsockopt(loop, SOL_SOCKET, SO_RCVBUF, (const char *)&n, sizeof n);
	setsockopt(loop, SOL_SOCKET, SO_SNDBUF, (const char *)&n, sizeof n);
	setsockopt(th, SOL_SOCKET, SO_RCVBUF, (const char *)&n, sizeof n);
	setsockopt(th, SOL_SOCKET, SO_SNDBUF, (const char *)&n, sizeof n);
}

/* Start the three pumps of p; they hold a reference each. */
static void
term_threads(struct term_proc *p)
{
	HANDLE h;

	p->refs = 4;
	if ((p->reader = CreateThread(NULL, 0, term_reader, p, 0,
	    NULL)) == NULL ||
	    (h = CreateThread(NULL, 0, term_writer, p, 0, NULL)) == NULL)
		fatal("terminal: cannot start a thread (error %lu)",
		    GetLastError());
	CloseHandle(h);
	if ((h = CreateThread(NULL, 0, term_waiter, p, 0, NULL)) == NULL)
		fatal("terminal: cannot start a thread (error %lu)",
		    GetLastError());
	CloseHandle(h);
}

/* Start the session user's shell in a pseudoconsole (term_pty.h). */
int
term_pty_start(unsigned rows, unsigned cols, evutil_socket_t *fd,
    struct term_proc **proc, uint32_t *pid, char **cause)
{
	HANDLE in_r, in_w, out_r, out_w;
	PROCESS_INFORMATION pi;
	COORD size = { (SHORT)cols, (SHORT)rows };
	evutil_socket_t sv[2];
	struct term_proc *p;
	void *hpc = NULL;
	HRESULT hr;

	*proc = NULL;
	if (!conpty_load()) {
		*cause = xstrdup("Failed to open PTY: no pseudoconsole here");
		return -1;
	}
	if (!CreatePipe(&in_r, &in_w, NULL, 0))
		goto pipe_fail;
	if (!CreatePipe(&out_r, &out_w, NULL, 0)) {
		CloseHandle(in_r);
		CloseHandle(in_w);
		goto pipe_fail;
	}
	hr = conpty.create(size, in_r, out_w, 0, &hpc);
	/* The console holds its own copies now. */
	CloseHandle(in_r);
	CloseHandle(out_w);
	if (FAILED(hr) || evutil_socketpair(AF_INET, SOCK_STREAM, 0, sv) != 0) {
		xasprintf(cause, "Failed to open PTY: %s", FAILED(hr) ?
		    "CreatePseudoConsole failed" : "no socket pair");
		if (!FAILED(hr))
			conpty.close(hpc);
		CloseHandle(in_w);
		CloseHandle(out_r);
		return -1;
	}
	if (term_start_starter(hpc, &pi, cause) != 0) {
		conpty.close(hpc);
		CloseHandle(in_w);
		CloseHandle(out_r);
		evutil_closesocket(sv[0]);
		evutil_closesocket(sv[1]);
		return -1;
	}
	term_sock_bound(sv[0], sv[1]);
	p = xcalloc(1, sizeof *p);
	p->process = pi.hProcess;
	p->job = term_job(pi.hProcess);
	p->done = CreateEventW(NULL, TRUE, FALSE, NULL);
	p->in_w = in_w;
	p->out_r = out_r;
	p->pc = hpc;
	p->th = sv[1];
	InitializeSRWLock(&p->lock);
	if (p->done == NULL)
		fatal("terminal: no event (error %lu)", GetLastError());
	term_threads(p);
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	evutil_make_socket_nonblocking(sv[0]);
	*fd = sv[0];
	*pid = (uint32_t)pi.dwProcessId;
	*proc = p;
	return 0;

pipe_fail:
	xasprintf(cause, "Failed to open PTY: pipe (error %lu)",
	    GetLastError());
	return -1;
}

/* Read output from the socket. */
ssize_t
term_pty_read(evutil_socket_t fd, void *buf, size_t len)
{
	int n, e;

	n = recv(fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
	if (n >= 0)
		return n;
	e = WSAGetLastError();
	return e == WSAEWOULDBLOCK || e == WSAEINTR ? -1 : 0;
}

/* Write typed input to the socket. */
int
term_pty_write(evutil_socket_t fd, struct evbuffer *in)
{
	int e;

	if (evbuffer_write(in, fd) >= 0)
		return 0;
	e = WSAGetLastError();
	return e == WSAEWOULDBLOCK || e == WSAEINTR ? 0 : -1;
}

/* ResizePseudoConsole (wine 8 has none: said once). */
void
term_pty_resize(struct term_proc *p, evutil_socket_t fd, unsigned rows,
    unsigned cols)
{
	COORD size = { (SHORT)cols, (SHORT)rows };
	HRESULT hr = S_OK;

	(void)fd;
	if (p == NULL)
		return;
	AcquireSRWLockShared(&p->lock);
	if (p->pc != NULL)
		hr = conpty.resize(p->pc, size);
	ReleaseSRWLockShared(&p->lock);
	if (FAILED(hr) && !p->warned) {
		log_info("terminal: the pseudoconsole cannot be resized here "
		    "(HRESULT 0x%08lx)", (unsigned long)hr);
		p->warned = 1;
	}
}

void
term_pty_close(evutil_socket_t fd)
{
	evutil_closesocket(fd);
}

/* Ended, and what it printed is in the socket. */
int
term_pty_reap(struct term_proc *p, int *code)
{
	DWORD c = 1;

	if (WaitForSingleObject(p->done, 0) != WAIT_OBJECT_0)
		return 0;
	if (!GetExitCodeProcess(p->process, &c))
		c = 1;
	*code = (int)c;
	return 1;
}

/* Windows has no hang-up a console program waits for: end the tree. */
void
term_pty_hangup(struct term_proc *p)
{
	term_pty_kill(p);
}

void
term_pty_kill(struct term_proc *p)
{
	if (p->job == NULL || !TerminateJobObject(p->job, 1))
		TerminateProcess(p->process, 1);
}

void
term_pty_wait(struct term_proc *p)
{
	WaitForSingleObject(p->done, TERM_WAIT_MS);
}

void
term_pty_free(struct term_proc *p)
{
	if (p != NULL)
		term_proc_unref(p);
}

/* 1 under wine, whose powershell.exe is a stub that exits at once. */
static int
term_wine(void)
{
	HMODULE nt = GetModuleHandleW(L"ntdll.dll");

	return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

/* The shell upstream picks, with its UTF-8 arguments, as a command line
 * (caller frees); under wine always %COMSPEC%. */
static wchar_t *
term_shell_cmdline(void)
{
	static const wchar_t *const ps[] = {
		L"C:\\Program Files\\PowerShell\\7\\pwsh.exe",
		L"C:\\Program Files\\PowerShell\\6\\pwsh.exe",
		L"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\"
		    "powershell.exe",
	};
	static const wchar_t ps_args[] = L" -NoLogo -NoExit -Command "
	    "\"chcp.com 65001 > $null; [Console]::InputEncoding = "
	    "[System.Text.Encoding]::UTF8; [Console]::OutputEncoding = "
	    "[System.Text.Encoding]::UTF8\"";
	wchar_t comspec[MAX_PATH], *cl;
	size_t i, len;

	for (i = 0; !term_wine() && i < sizeof ps / sizeof ps[0]; i++)
		if (GetFileAttributesW(ps[i]) != INVALID_FILE_ATTRIBUTES) {
			len = wcslen(ps[i]) + wcslen(ps_args) + 3;
			cl = xcalloc(len, sizeof *cl);
			_snwprintf(cl, len, L"\"%ls\"%ls", ps[i], ps_args);
			return cl;
		}
	if (GetEnvironmentVariableW(L"COMSPEC", comspec, MAX_PATH) == 0 ||
	    wcslen(comspec) >= MAX_PATH - 1)
		wcscpy(comspec, L"cmd.exe");
	len = wcslen(comspec) + 32;
	cl = xcalloc(len, sizeof *cl);
	_snwprintf(cl, len, L"\"%ls\" /K \"chcp 65001 >NUL\"", comspec);
	return cl;
}

/* `cdesk.exe --term-shell`, in the pseudoconsole (term_conpty.h). */
int
term_conpty_shell_main(void)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	HANDLE in, out;
	wchar_t *cl;
	DWORD code = 1;

	in = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
	    FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE,
	    FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	if (in == INVALID_HANDLE_VALUE || out == INVALID_HANDLE_VALUE)
		return 1;
	SetStdHandle(STD_INPUT_HANDLE, in);
	SetStdHandle(STD_OUTPUT_HANDLE, out);
	SetStdHandle(STD_ERROR_HANDLE, out);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = in;
	si.hStdOutput = out;
	si.hStdError = out;
	cl = term_shell_cmdline();
	if (!CreateProcessW(NULL, cl, NULL, NULL, TRUE, 0, NULL, NULL, &si,
	    &pi)) {
		/* The peer sees why in its terminal. */
		char msg[80];
		DWORD w;
		int n = snprintf(msg, sizeof msg, "Failed to spawn command: "
		    "error %lu\r\n", GetLastError());

		WriteFile(out, msg, (DWORD)n, &w, NULL);
		free(cl);
		return 1;
	}
	free(cl);
	CloseHandle(pi.hThread);
	WaitForSingleObject(pi.hProcess, INFINITE);
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hProcess);
	return (int)code;
}
