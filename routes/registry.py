"""Every route of the pack, added to an aiohttp RouteTableDef (PromptServer's or a test app's)."""

from aiohttp import web

from .combine_routes import CombineRoutes
from .compat_routes import CompatRoutes
from .composition_routes import CompositionRoutes
from .config_routes import ConfigRoutes
from .config_set_routes import ConfigSetRoutes
from .inspect_routes import InspectRoutes
from .library_routes import LibraryRoutes
from .library_sidecar_routes import LibrarySidecarRoutes
from .model_folders import ModelFolders
from .pack_info import PackInfoRoutes
from .preview_routes import PreviewRoutes
from .staircase_routes import StaircaseEngine, StaircaseRoutes
from .stats_jobs import StatsJobs


def add_routes(routes: web.RouteTableDef, folders: ModelFolders, staircase: StaircaseEngine | None = None) -> None:
    """`staircase`: the engine that runs ComfyUI's sampler for the staircase preview (no route without it)."""
    if staircase is not None:
        StaircaseRoutes(staircase).add_routes(routes)
    PackInfoRoutes(folders).add_routes(routes)
    ConfigRoutes(folders).add_routes(routes)
    # The library's background energy waits for the inspections a user waits for; inspections answer
    # from (and add to) the energy the library stored per content id.
    library = LibraryRoutes(folders, wait_interactive_idle=lambda timeout: stats_jobs.wait_idle(timeout))
    stats_jobs = StatsJobs(store=library.library_or_none)
    InspectRoutes(folders, stats_jobs=stats_jobs).add_routes(routes)
    CompatRoutes(folders).add_routes(routes)
    PreviewRoutes(folders).add_routes(routes)
    library.add_routes(routes)
    LibrarySidecarRoutes(library).add_routes(routes)
    ConfigSetRoutes(folders).add_routes(routes)
    combiner = CombineRoutes(folders)
    combiner.add_routes(routes)
    CompositionRoutes(folders, combiner).add_routes(routes)
