"""The pack's import check reads ComfyUI's boot log right, whatever the clone folder is called.

The log lines are ComfyUI 0.3.75's, copied from a real boot; the host lives inside a clone named as the
README says, so its own expected extras failures name the pack's folder name too.
"""

from lwb_testkit.boot_log import pack_import_failures, pack_import_listed

CLONE = "/u/ComfyUI-LoRA-Weights-Builder"
PACK = "/tmp/t/base/custom_nodes/ComfyUI-LoRA-Weights-Builder"
HOST_ERRORS = f"""\
Cannot import {CLONE}/.comfyhost/ComfyUI/comfy_extras/nodes_audio.py module for custom nodes: No module named torchaudio
WARNING: some comfy_extras/ nodes did not import correctly. This may be because they are missing some dependencies.
IMPORT FAILED: nodes_audio.py
"""


def test_host_extras_failures_in_a_clone_named_like_the_pack_are_not_the_packs():
    log = HOST_ERRORS + f"Import times for custom nodes:\n   0.2 seconds: {PACK}\n"
    assert pack_import_failures(log, PACK) == []
    assert pack_import_listed(log, PACK)


def test_the_packs_own_failure_is_reported():
    log = HOST_ERRORS + (
        f"Cannot import {PACK} module for custom nodes: No module named 'nope'\n"
        f"Import times for custom nodes:\n   0.2 seconds (IMPORT FAILED): {PACK}\n")
    assert len(pack_import_failures(log, PACK)) == 2
    assert not pack_import_listed(log, PACK)


def test_a_pack_missing_from_the_table_is_not_listed():
    assert not pack_import_listed(HOST_ERRORS, PACK)
