"""The FastAPI site: search and article pages, JSON API."""
