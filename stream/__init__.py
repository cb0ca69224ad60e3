"""The live events stream (SPEC section 8): Server-Sent Events under uvicorn, its own process."""
