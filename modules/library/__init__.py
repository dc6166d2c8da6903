"""The LoRA library index (seed 000): an SQLite database of every LoRA under ComfyUI's `loras` roots.

`schema.py` database and migrations, `ids.py` stable content ids, `roles.py` folder -> role table,
`structure.py` + `entry_facts.py` what one file says, `walk.py` + `scanner.py` the incremental scan,
`query.py` + `store.py` + `facets.py` search, entries and facet counts over the column snapshot of
`columns.py` (`search_columns.py` keeps it current, `filter_masks.py`, `sort_orders.py`), `user_data.py`
tags/favourites/notes,
`usage.py` use counts from the nodes, `profiles.py` block-weight profiles (`template_resolve.py`: as presets),
`csv_cells.py` formula-safe CSV cells, `energy.py` stored block energy,
`service.py` the `Library` object the routes use (background scans, progress).
"""

from .service import SCAN_EVENT, Library, default_db_path

__all__ = ["SCAN_EVENT", "Library", "default_db_path"]
