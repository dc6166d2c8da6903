"""GET /mad-nodes/config serves modules/ui_config.get_ui_config() unchanged, in its key order."""

import json

from lora_weights_builder.modules.ui_config import get_ui_config
from lora_weights_builder.routes.config_routes import ConfigRoutes
from lwb_testkit.route_app import make_route_library, routes_app


async def test_config_is_the_ui_config_in_order(aiohttp_client, tmp_path):
    client = await aiohttp_client(routes_app(ConfigRoutes(make_route_library(tmp_path).folders)))
    resp = await client.get("/mad-nodes/config")
    assert resp.status == 200 and resp.content_type == "application/json"
    body = json.loads(await resp.text())
    expected = get_ui_config()
    assert body == expected
    assert list(body) == list(expected)
    for key in ("ARCH_BLOCK_MAPPINGS", "PRESET_COMPATIBLE_ARCHS", "PRESET_STRATEGIES", "BLOCK_ORDER", "BLOCK_GROUPS"):
        assert body[key], key
    assert list(body["ARCH_BLOCK_MAPPINGS"]) == list(expected["ARCH_BLOCK_MAPPINGS"])
