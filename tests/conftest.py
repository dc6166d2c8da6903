"""Suite-wide set-up: the pack's pure packages are importable as `lora_weights_builder.*`."""

import lwb_testkit.pack  # noqa: F401  (registers the package alias on import)
