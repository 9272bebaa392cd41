/*
 * audio_wasapi.c: the audio service's Windows backend (svc_audio_int.h):
 * WASAPI loopback capture of the default render device (what the
 * speakers play), asked for as 48 kHz stereo float so that Windows
 * converts the device's own format (AUTOCONVERTPCM, Windows 10). A thread
 * polls the capture client every 10 ms (100 ms once the silence gate is
 * closed; the buffer holds 200 ms) and hands the packets to the service;
 * a packet flagged silent is silence. The loopback stream gives nothing
 * while nothing plays: then nothing is encoded. A failure (the default
 * device changed or went away: AUDCLNT_E_DEVICE_INVALIDATED) ends the
 * thread; the service stops it and starts again, on the new default.
 *
 * svc_audio_new probes the whole chain once: where it cannot work (no
 * render device; wine 8.0, whose drivers accept the loopback flag but
 * give no capture client for a render stream) no audio is offered.
 */
#define COBJMACROS
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_audio_int.h"

#define WASAPI_BUFFER_HNS	2000000	/* 200 ms, in 100 ns units */
#define WASAPI_POLL_MS		10
#define WASAPI_IDLE_POLL_MS	100
#ifndef AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM
#define AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM	0x80000000
#endif
#ifndef AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY
#define AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY	0x08000000
#endif

/* One open loopback stream. */
struct wasapi_stream {
	IMMDeviceEnumerator	*en;
	IMMDevice		*dev;
	IAudioClient		*ac;
	IAudioCaptureClient	*cc;
};

struct audio_be {
	struct svc_audio	*a;		/* borrowed */
	HANDLE			 thread;	/* owned */
	HANDLE			 stop;		/* owned: set to end it */
	HANDLE			 started;	/* owned: the stream is open */
	volatile LONG		 idle;		/* poll slowly */
	const char		*what;		/* the step that failed */
	HRESULT			 hr;		/* and how */
};

/* Releases what was opened. */
static void
wasapi_close(struct wasapi_stream *s)
{
	if (s->cc != NULL)
		IAudioCaptureClient_Release(s->cc);
	if (s->ac != NULL)
		IAudioClient_Release(s->ac);
	if (s->dev != NULL)
		IMMDevice_Release(s->dev);
	if (s->en != NULL)
		IMMDeviceEnumerator_Release(s->en);
	memset(s, 0, sizeof *s);
}

/*
 * Opens loopback capture of the default render device as 48 kHz stereo
 * float (COM initialised on this thread). Returns S_OK, or the failing
 * call's HRESULT with *what naming it (all released).
 */
static HRESULT
wasapi_open(struct wasapi_stream *s, const char **what)
{
	WAVEFORMATEX wf;
	HRESULT hr;

	memset(s, 0, sizeof *s);
	memset(&wf, 0, sizeof wf);
	wf.wFormatTag = WAVE_FORMAT_IEEE_FLOAT;
	wf.nChannels = SVC_AUDIO_CHANNELS;
	wf.nSamplesPerSec = SVC_AUDIO_RATE;
	wf.wBitsPerSample = 32;
	wf.nBlockAlign = wf.nChannels * wf.wBitsPerSample / 8;
	wf.nAvgBytesPerSec = wf.nSamplesPerSec * wf.nBlockAlign;
	*what = "no device enumerator";
	hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_ALL,
	    &IID_IMMDeviceEnumerator, (void **)&s->en);
	if (FAILED(hr))
		goto fail;
	*what = "no default render device";
	hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(s->en, eRender,
	    eConsole, &s->dev);
	if (FAILED(hr))
		goto fail;
	*what = "cannot activate the audio client";
	hr = IMMDevice_Activate(s->dev, &IID_IAudioClient, CLSCTX_ALL, NULL,
	    (void **)&s->ac);
	if (FAILED(hr))
		goto fail;
	*what = "loopback refused";
	hr = IAudioClient_Initialize(s->ac, AUDCLNT_SHAREMODE_SHARED,
	    AUDCLNT_STREAMFLAGS_LOOPBACK | AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM |
	    AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY, WASAPI_BUFFER_HNS, 0, &wf,
	    NULL);
	if (FAILED(hr))
		goto fail;
	*what = "no capture client for loopback";
	hr = IAudioClient_GetService(s->ac, &IID_IAudioCaptureClient,
	    (void **)&s->cc);
	if (FAILED(hr))
		goto fail;
	*what = NULL;
	return S_OK;
fail:
	wasapi_close(s);
	return hr;
}

/* Hands every packet waiting to the service; the failing HRESULT or
 * S_OK. */
static HRESULT
wasapi_drain(struct audio_be *be, struct wasapi_stream *s)
{
	UINT32 next, frames;
	DWORD flags;
	BYTE *data;
	HRESULT hr;

	while (SUCCEEDED(hr = IAudioCaptureClient_GetNextPacketSize(s->cc,
	    &next)) && next > 0) {
		hr = IAudioCaptureClient_GetBuffer(s->cc, &data, &frames,
		    &flags, NULL, NULL);
		if (FAILED(hr))
			return hr;
		audio_pcm(be->a, be, (flags & AUDCLNT_BUFFERFLAGS_SILENT) ?
		    NULL : data, (size_t)frames * SVC_AUDIO_CHANNELS * 4);
		IAudioCaptureClient_ReleaseBuffer(s->cc, frames);
	}
	audio_flush(be->a);
	return hr;
}

/* The capture thread. */
static DWORD WINAPI
wasapi_thread(LPVOID arg)
{
	struct audio_be *be = arg;
	struct wasapi_stream s;
	char why[32];
	HRESULT hr;

	CoInitializeEx(NULL, COINIT_MULTITHREADED);
	hr = wasapi_open(&s, &be->what);
	if (SUCCEEDED(hr)) {
		be->what = "cannot start";
		hr = IAudioClient_Start(s.ac);
	}
	be->hr = hr;
	SetEvent(be->started);
	if (FAILED(hr))
		goto out;
	log_info("audio: recording the default render device (WASAPI "
	    "loopback)");
	audio_ready(be->a);
	while (WaitForSingleObject(be->stop, be->idle ? WASAPI_IDLE_POLL_MS :
	    WASAPI_POLL_MS) == WAIT_TIMEOUT)
		if (FAILED(hr = wasapi_drain(be, &s))) {
			snprintf(why, sizeof why, "0x%08lx", (unsigned long)hr);
			audio_fail(be->a, "loopback capture failed", why);
			break;
		}
	IAudioClient_Stop(s.ac);
out:
	wasapi_close(&s);
	CoUninitialize();
	return 0;
}

/* Ends the thread and frees; NULL does nothing. */
static void
wasapi_stop(struct audio_be *be)
{
	if (be == NULL)
		return;
	if (be->thread != NULL) {
		SetEvent(be->stop);
		WaitForSingleObject(be->thread, INFINITE);
		CloseHandle(be->thread);
	}
	if (be->stop != NULL)
		CloseHandle(be->stop);
	if (be->started != NULL)
		CloseHandle(be->started);
	free(be);
}

/* Starts the thread and waits until its stream is open or failed. */
static int
wasapi_start(struct svc_audio *a, struct audio_be **bep)
{
	struct audio_be *be = xcalloc(1, sizeof *be);
	char why[32];

	*bep = NULL;
	be->a = a;
	if ((be->stop = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (be->started = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (be->thread = CreateThread(NULL, 0, wasapi_thread, be, 0,
	    NULL)) == NULL) {
		audio_log_failure(a, "WASAPI", "no capture thread");
		wasapi_stop(be);
		return ERR_IO;
	}
	WaitForSingleObject(be->started, INFINITE);
	if (FAILED(be->hr)) {
		snprintf(why, sizeof why, "0x%08lx", (unsigned long)be->hr);
		audio_log_failure(a, be->what, why);
		wasapi_stop(be);
		return ERR_IO;
	}
	*bep = be;
	return 0;
}

/* Poll less often while the silence gate is closed. */
static void
wasapi_idle(struct audio_be *be, int on)
{
	InterlockedExchange(&be->idle, on);
}

/*
 * Opens and closes the stream once. Only a loopback that cannot be had
 * at all is final; no render device now is too (the service would not
 * know when one came). The step that failed goes to *why.
 */
static int
wasapi_probe(const char **why)
{
	struct wasapi_stream s;
	HRESULT hr, init;

	init = CoInitializeEx(NULL, COINIT_MULTITHREADED);
	hr = wasapi_open(&s, why);
	wasapi_close(&s);
	if (SUCCEEDED(init))
		CoUninitialize();
	return FAILED(hr) ? ERR_UNSUPP : 0;
}

const struct audio_impl audio_wasapi = {
	.name = "wasapi",
	.probe = wasapi_probe,
	.start = wasapi_start,
	.stop = wasapi_stop,
	.idle = wasapi_idle,
};
