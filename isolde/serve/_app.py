"""The aiohttp application: GET only, every path confined to the store directory."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath

from aiohttp import web

from ._pages import history_page, index_page
from ._runs import find_runs

PER_PAGE = 500
# What a run directory may serve, by suffix; anything else is 404 (no directory listings).
CONTENT_TYPES = {".html": "text/html", ".json": "application/json",
                 ".jsonl": "application/x-ndjson", ".log": "text/plain", ".xml": "application/xml",
                 ".edn": "text/plain", ".txt": "text/plain"}
# The pages are self-contained: the browser may load nothing from anywhere (reports included).
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
ROOT_KEY = web.AppKey("root", Path)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(store_dir: Path) -> web.Application:
    app = web.Application(middlewares=[_headers])
    app[ROOT_KEY] = store_dir.resolve()
    app.router.add_get("/", _index)
    app.router.add_get("/runs/{tail:.*}", _run_file)
    return app


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def _index(request: web.Request) -> web.Response:
    root = request.app[ROOT_KEY]
    html = index_page(str(root), find_runs(root), dict(request.query))
    return web.Response(text=html, content_type="text/html")


def confine(root: Path, tail: str) -> Path:
    """``root/tail`` if it stays inside ``root`` once symlinks are resolved; else 403. Refuses
    ``..`` and absolute paths outright (however they were encoded: ``tail`` is decoded)."""
    rel = PurePosixPath(tail)
    if "\x00" in tail or "\\" in tail or rel.is_absolute() or ".." in rel.parts:
        raise web.HTTPForbidden(text="outside the store directory")
    real = (root / rel).resolve()
    if not real.is_relative_to(root):
        raise web.HTTPForbidden(text="outside the store directory")
    return real


async def _run_file(request: web.Request) -> web.StreamResponse:
    root = request.app[ROOT_KEY]
    tail = request.match_info["tail"]
    if tail.endswith("/history"):
        return _history(request, root, tail.removesuffix("/history"))
    path = confine(root, tail)
    kind = CONTENT_TYPES.get(path.suffix)
    if kind is None or not path.is_file():
        raise web.HTTPNotFound(text="no such file")
    headers = {"Content-Type": kind}
    if path.suffix == ".jsonl":  # the history: a download (the paged view is /history)
        headers["Content-Disposition"] = f'attachment; filename="{path.parent.name}-{path.name}"'
    return web.FileResponse(path, headers=headers)


def _history(request: web.Request, root: Path, run: str) -> web.Response:
    path = confine(root, f"{run}/history.jsonl")
    if not path.is_file():
        raise web.HTTPNotFound(text="no history here")
    try:
        page_no = max(0, int(request.query.get("page", "0")))
    except ValueError:
        raise web.HTTPBadRequest(text="page must be a whole number") from None
    with path.open("rb") as f:
        lines = [ln.rstrip(b"\n") for ln in itertools.islice(
            f, page_no * PER_PAGE, (page_no + 1) * PER_PAGE + 1) if ln.strip()]
    more = len(lines) > PER_PAGE
    html = history_page(run, lines[:PER_PAGE], page_no, more, PER_PAGE)
    return web.Response(text=html, content_type="text/html")
