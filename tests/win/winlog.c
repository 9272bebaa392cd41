/*
 * winlog.c: a Windows program for tests/integration/win.sh (built with
 * mingw-w64, run under wine): one window at 100,100 (400x300, client
 * area) that prints what reaches it, one line each, flushed: "READY"
 * once shown, "CLICK X Y" (screen coordinates) for a left button press,
 * "CHAR C" (the code point, decimal) for each typed character, "KEY VK"
 * for each key press (the virtual key, decimal).
 */
#include <windows.h>
#include <stdio.h>

/* The window's messages: print clicks and characters. */
static LRESULT CALLBACK
winlog_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	POINT p;

	switch (msg) {
	case WM_LBUTTONDOWN:
		p.x = (short)LOWORD(lp);
		p.y = (short)HIWORD(lp);
		ClientToScreen(hwnd, &p);
		printf("CLICK %ld %ld\n", p.x, p.y);
		fflush(stdout);
		SetFocus(hwnd);
		return 0;
	case WM_KEYDOWN:
		printf("KEY %u\n", (unsigned)wp);
		fflush(stdout);
		return 0;
	case WM_CHAR:
		printf("CHAR %u\n", (unsigned)wp);
		fflush(stdout);
		return 0;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcA(hwnd, msg, wp, lp);
}

int
main(void)
{
	WNDCLASSA wc;
	HWND hwnd;
	MSG m;

	memset(&wc, 0, sizeof wc);
	wc.lpfnWndProc = winlog_proc;
	wc.hInstance = GetModuleHandleA(NULL);
	wc.hbrBackground = (HBRUSH)GetStockObject(WHITE_BRUSH);
	wc.hCursor = LoadCursor(NULL, IDC_ARROW);
	wc.lpszClassName = "winlog";
	RegisterClassA(&wc);
	hwnd = CreateWindowExA(WS_EX_TOPMOST, "winlog", "winlog", WS_POPUP,
	    100, 100, 400, 300, NULL, NULL, wc.hInstance, NULL);
	if (hwnd == NULL)
		return 1;
	ShowWindow(hwnd, SW_SHOW);
	SetForegroundWindow(hwnd);
	SetFocus(hwnd);
	UpdateWindow(hwnd);
	printf("READY\n");
	fflush(stdout);
	while (GetMessageA(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageA(&m);
	}
	return 0;
}
