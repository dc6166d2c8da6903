"""Architecture identifiers shared by detection, block layouts, presets, routes and the editor.

The strings are the ones the seed node wrote into saved workflows (`item.arch`) and showed as
badges, so saved graphs keep working. `base_family` is the pack's one family-folding rule (compatibility,
the combiner and the library use it); `key_family` says whose layer names a LoRA uses.
"""

SD15 = "SD15"
SD21 = "SD21"
SDXL = "SDXL"
SDXL_PONY = "SDXL_PONY"
SDXL_ILLUSTRIOUS = "SDXL_ILLUSTRIOUS"
SDXL_NOOBAI = "SDXL_NOOBAI"
SDXL_REALISM = "SDXL_REALISM"
FLUX1 = "FLUX.1"
FLUX2 = "FLUX.2"
CHROMA = "CHROMA"
SD3 = "SD3"
AURAFLOW = "AURA"
LUMINA2 = "LUMINA"
ZIMAGE = "ZIMAGETURBO"
QWEN_IMAGE = "QWEN"
HUNYUAN_VIDEO = "HYVID"
WAN = "WAN"
HIDREAM = "HIDREAM"
UNKNOWN = "UNKNOWN"

SDXL_LINEAGES = (SDXL_PONY, SDXL_ILLUSTRIOUS, SDXL_NOOBAI, SDXL_REALISM)

ALL_ARCHITECTURES = (
    SD15, SD21, SDXL, *SDXL_LINEAGES, FLUX1, FLUX2, CHROMA, SD3, AURAFLOW, LUMINA2, ZIMAGE,
    QWEN_IMAGE, HUNYUAN_VIDEO, WAN, HIDREAM, UNKNOWN,
)

_LINEAGE_FAMILY = {lineage: SDXL for lineage in SDXL_LINEAGES}


def base_family(arch: str) -> str:
    """The checkpoint family a LoRA of `arch` runs on: the one folding rule of the pack.

    SDXL lineages run on any SDXL checkpoint (SDXL_PONY -> SDXL); every other id is its own family
    (FLUX.2 is not FLUX.1, Z-Image is not Lumina 2: their layers differ in size). Free text that is
    not an id (an old workflow's or a sidecar's "SDXL 1.0", "Flux.1 D") folds with seed 004's rules.
    """
    if arch in ALL_ARCHITECTURES:
        return _LINEAGE_FAMILY.get(arch, arch)
    upper = arch.upper()
    if "SDXL" in upper:
        return SDXL
    if "FLUX.2" in upper or "FLUX2" in upper:
        return FLUX2
    if "FLUX" in upper:
        return FLUX1
    if "SD1" in upper:
        return SD15
    if "SD2" in upper:
        return SD21
    return arch


def key_family(arch: str) -> str:
    """The family whose layer names a LoRA of `arch` uses (ComfyUI's key map for it).

    Z-Image is a Lumina 2 architecture: same layer names, other sizes. Everything else is its base family.
    """
    return LUMINA2 if arch == ZIMAGE else base_family(arch)
