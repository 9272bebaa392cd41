/*
 * cap_dxgi.c: DXGI Desktop Duplication (cap_dxgi.h). A Direct3D 11
 * device on the adapter of the monitor, IDXGIOutput1::DuplicateOutput,
 * and per grab AcquireNextFrame without waiting: a new frame is copied
 * into a staging texture, mapped and kept in memory (BGRA, the monitor's
 * size), from which any rectangle is served until the next frame.
 */
#define COBJMACROS
#include <stdlib.h>
#include <string.h>

#include <d3d11.h>
#include <dxgi1_2.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/win/cap_dxgi.h"

struct dxgi {
	ID3D11Device		*dev;		/* owned */
	ID3D11DeviceContext	*ctx;		/* owned */
	IDXGIOutputDuplication	*dup;		/* owned */
	ID3D11Texture2D		*staging;	/* owned, made at the 1st frame */
	RECT			 mon;		/* the monitor, desktop coords */
	int			 w, h;
	uint8_t			*frame;		/* owned: the last frame */
	int			 have;		/* frame holds a picture */
};

/* The output of adapter a that holds point x, y, or NULL. */
static IDXGIOutput *
dxgi_output_at(IDXGIAdapter1 *a, int x, int y, RECT *mon)
{
	IDXGIOutput *o;
	DXGI_OUTPUT_DESC d;
	UINT i;

	for (i = 0; IDXGIAdapter1_EnumOutputs(a, i, &o) == S_OK; i++) {
		if (IDXGIOutput_GetDesc(o, &d) == S_OK &&
		    x >= d.DesktopCoordinates.left &&
		    x < d.DesktopCoordinates.right &&
		    y >= d.DesktopCoordinates.top &&
		    y < d.DesktopCoordinates.bottom) {
			*mon = d.DesktopCoordinates;
			return o;
		}
		IDXGIOutput_Release(o);
	}
	return NULL;
}

/* Finds the adapter and output holding x, y; 0 or an HRESULT. */
static HRESULT
dxgi_find(int x, int y, IDXGIAdapter1 **ap, IDXGIOutput **op, RECT *mon)
{
	IDXGIFactory1 *f;
	IDXGIAdapter1 *a;
	HRESULT hr;
	UINT i;

	*ap = NULL;
	*op = NULL;
	if ((hr = CreateDXGIFactory1(&IID_IDXGIFactory1, (void **)&f)) !=
	    S_OK)
		return hr;
	for (i = 0; IDXGIFactory1_EnumAdapters1(f, i, &a) == S_OK; i++) {
		if ((*op = dxgi_output_at(a, x, y, mon)) != NULL) {
			*ap = a;
			break;
		}
		IDXGIAdapter1_Release(a);
	}
	IDXGIFactory1_Release(f);
	return *op != NULL ? S_OK : DXGI_ERROR_NOT_FOUND;
}

/* See cap_dxgi.h. */
struct dxgi *
dxgi_open(const struct cap_rect *r)
{
	static HRESULT said;
	struct dxgi *d = xcalloc(1, sizeof *d);
	IDXGIAdapter1 *a = NULL;
	IDXGIOutput *o = NULL;
	IDXGIOutput1 *o1 = NULL;
	HRESULT hr;

	if ((hr = dxgi_find(r->x, r->y, &a, &o, &d->mon)) != S_OK)
		goto fail;
	hr = D3D11CreateDevice((IDXGIAdapter *)a, D3D_DRIVER_TYPE_UNKNOWN,
	    NULL, 0, NULL, 0, D3D11_SDK_VERSION, &d->dev, NULL, &d->ctx);
	if (hr != S_OK)
		goto fail;
	if ((hr = IDXGIOutput_QueryInterface(o, &IID_IDXGIOutput1,
	    (void **)&o1)) != S_OK)
		goto fail;
	if ((hr = IDXGIOutput1_DuplicateOutput(o1, (IUnknown *)d->dev,
	    &d->dup)) != S_OK)
		goto fail;
	d->w = d->mon.right - d->mon.left;
	d->h = d->mon.bottom - d->mon.top;
	d->frame = xcalloc((size_t)d->w * d->h, 4);
	IDXGIOutput1_Release(o1);
	IDXGIOutput_Release(o);
	IDXGIAdapter1_Release(a);
	log_info("capture: DXGI desktop duplication of %dx%d+%ld+%ld",
	    d->w, d->h, d->mon.left, d->mon.top);
	return d;
fail:
	if (hr != said) {
		log_info("capture: no DXGI desktop duplication (0x%08lx): "
		    "GDI", (unsigned long)hr);
		said = hr;
	}
	if (o1 != NULL)
		IDXGIOutput1_Release(o1);
	if (o != NULL)
		IDXGIOutput_Release(o);
	if (a != NULL)
		IDXGIAdapter1_Release(a);
	dxgi_close(d);
	return NULL;
}

/* See cap_dxgi.h. */
void
dxgi_close(struct dxgi *d)
{
	if (d == NULL)
		return;
	if (d->staging != NULL)
		ID3D11Texture2D_Release(d->staging);
	if (d->dup != NULL)
		IDXGIOutputDuplication_Release(d->dup);
	if (d->ctx != NULL)
		ID3D11DeviceContext_Release(d->ctx);
	if (d->dev != NULL)
		ID3D11Device_Release(d->dev);
	free(d->frame);
	free(d);
}

/* Copies the acquired frame tex into d->frame through the staging
 * texture. 0 or ERR_IO. */
static int
dxgi_keep(struct dxgi *d, ID3D11Texture2D *tex)
{
	D3D11_TEXTURE2D_DESC td;
	D3D11_MAPPED_SUBRESOURCE m;
	int y;

	if (d->staging == NULL) {
		ID3D11Texture2D_GetDesc(tex, &td);
		if ((int)td.Width != d->w || (int)td.Height != d->h ||
		    td.Format != DXGI_FORMAT_B8G8R8A8_UNORM)
			return ERR_IO;
		td.Usage = D3D11_USAGE_STAGING;
		td.BindFlags = 0;
		td.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
		td.MiscFlags = 0;
		td.MipLevels = td.ArraySize = 1;
		if (ID3D11Device_CreateTexture2D(d->dev, &td, NULL,
		    &d->staging) != S_OK)
			return ERR_IO;
	}
	ID3D11DeviceContext_CopyResource(d->ctx, (ID3D11Resource *)d->staging,
	    (ID3D11Resource *)tex);
	if (ID3D11DeviceContext_Map(d->ctx, (ID3D11Resource *)d->staging, 0,
	    D3D11_MAP_READ, 0, &m) != S_OK)
		return ERR_IO;
	for (y = 0; y < d->h; y++)
		memcpy(d->frame + (size_t)y * d->w * 4,
		    (const uint8_t *)m.pData + (size_t)y * m.RowPitch,
		    (size_t)d->w * 4);
	ID3D11DeviceContext_Unmap(d->ctx, (ID3D11Resource *)d->staging, 0);
	d->have = 1;
	return 0;
}

/* See cap_dxgi.h. */
int
dxgi_grab(struct dxgi *d, const struct cap_rect *r, uint8_t *dst,
    int stride)
{
	DXGI_OUTDUPL_FRAME_INFO fi;
	IDXGIResource *res = NULL;
	ID3D11Texture2D *tex = NULL;
	HRESULT hr;
	int x = r->x - d->mon.left, y = r->y - d->mon.top, e = 0, row;

	if (x < 0 || y < 0 || x + r->w > d->w || y + r->h > d->h)
		return ERR_INVAL;
	hr = IDXGIOutputDuplication_AcquireNextFrame(d->dup, d->have ? 0 : 500,
	    &fi, &res);
	if (hr == S_OK) {
		if (fi.LastPresentTime.QuadPart != 0 || !d->have) {
			if (IDXGIResource_QueryInterface(res,
			    &IID_ID3D11Texture2D, (void **)&tex) != S_OK)
				e = ERR_IO;
			else {
				e = dxgi_keep(d, tex);
				ID3D11Texture2D_Release(tex);
			}
		}
		IDXGIResource_Release(res);
		IDXGIOutputDuplication_ReleaseFrame(d->dup);
	} else if (hr != DXGI_ERROR_WAIT_TIMEOUT)
		e = ERR_IO;	/* access lost: a mode change, a desk switch */
	if (e != 0 || !d->have)
		return e != 0 ? e : ERR_IO;
	for (row = 0; row < r->h; row++)
		memcpy(dst + (size_t)row * stride, d->frame +
		    ((size_t)(y + row) * d->w + x) * 4, (size_t)r->w * 4);
	return 0;
}
