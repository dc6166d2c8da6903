"""Architecture identifiers shared by detection, block layouts, presets, routes and the editor.

The strings are the ones the seed node wrote into saved workflows (`item.arch`) and showed as
badges, so saved graphs keep working. `base_family` folds lineages onto the family they run on.
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

_BASE_FAMILY = {lineage: SDXL for lineage in SDXL_LINEAGES}
# Z-Image is a Lumina2-architecture model: ComfyUI loads its LoRAs with the same key map.
_BASE_FAMILY[ZIMAGE] = LUMINA2


def base_family(arch: str) -> str:
    """The family a LoRA of `arch` runs on (SDXL_PONY -> SDXL); unknown strings pass through."""
    return _BASE_FAMILY.get(arch, arch)
