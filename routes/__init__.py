"""HTTP routes of the pack: plain aiohttp handlers over injected model folders."""
