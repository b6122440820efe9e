"""Every UI router, in the order the app mounts them."""

from __future__ import annotations

from fastapi import APIRouter

from muster.web.ui import auth_pages, home

ROUTERS: list[APIRouter] = [auth_pages.router, home.router]
