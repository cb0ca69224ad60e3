"""The live events stream (docs/api.md): Server-Sent Events under uvicorn, its own process."""
