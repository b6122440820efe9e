"""/api/v1/docs: Swagger UI served from the swagger-ui-bundle package (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Muster API</title>
<link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>"""


@router.get("/api/v1/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


def mount_docs(app: FastAPI) -> None:
    app.mount("/api/v1/docs/assets", StaticFiles(directory=swagger_ui_path), name="swagger-assets")
    app.include_router(router)
