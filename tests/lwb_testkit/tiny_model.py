"""A tiny model that runs through ComfyUI's real sampler and records its weights at every call.

ComfyUI's own `BaseModel` (a family's config and model type: real model sampling, schedulers and
samplers) whose diffusion model is two Linear layers `a` and `b`; LoRA keys `lora_unet_a` /
`diffusion_model.a` patch them. `net.seen` holds (a.weight, b.weight) as they were at each model call
and `net.sigmas` the sigma of that call, so a test reads the strength each LoRA module really had at
each model evaluation. Families: "SD15", "SDXL" (discrete, eps), "SD3" (discrete flow, shift 3), "FLUX"
(flux flow sampling, shift 1.15).
"""

import torch


class TwoLayerNet(torch.nn.Module):
    def __init__(self, device=None, operations=None, dtype=None, **_):
        super().__init__()
        self.dtype = torch.float32
        self.a = torch.nn.Linear(4, 4, bias=False, device=device)
        self.b = torch.nn.Linear(4, 4, bias=False, device=device)
        self.seen = []
        self.sigmas = []

    def forward(self, x, timesteps=None, context=None, control=None, transformer_options=None, **_):
        self.seen.append((self.a.weight.detach().clone(), self.b.weight.detach().clone()))
        self.sigmas.append(float(transformer_options["sigmas"].reshape(-1)[0]))
        h = x.movedim(1, -1)
        out = torch.zeros_like(h)
        out[..., :4] = self.a(h[..., :4]) + self.b(h[..., :4])  # a flow latent has 16 channels
        return out.movedim(-1, 1) * 0.01


FAMILIES = {"SD15": ("SD15", "EPS"), "SDXL": ("SDXL", "EPS"), "SD3": ("SD3", "FLOW"), "FLUX": ("Flux", "FLUX")}


def tiny_model(comfy, seed: int | None = None, family: str = "SD15"):
    """(BaseModel, ModelPatcher) on the CPU; `seed` gives the layers seeded random weights."""
    config_name, model_type = FAMILIES[family]
    config = getattr(comfy.supported_models, config_name)({})
    base = comfy.model_base.BaseModel(config, model_type=comfy.model_base.ModelType[model_type],
                                      device=torch.device("cpu"), unet_model=TwoLayerNet)
    if seed is not None:
        with torch.no_grad():
            base.diffusion_model.a.weight.copy_(torch.randn(4, 4, generator=torch.Generator().manual_seed(seed)))
            base.diffusion_model.b.weight.copy_(torch.randn(4, 4, generator=torch.Generator().manual_seed(seed + 1)))
    patcher = comfy.model_patcher.ModelPatcher(base, load_device=torch.device("cpu"),
                                               offload_device=torch.device("cpu"))
    return base, patcher


def sigma_percent(model_sampling, sigma: float) -> float:
    """The percent p with percent_to_sigma(p) == sigma (bisection; percent_to_sigma decreases)."""
    lo, hi = 0.0, 1.0
    for _ in range(48):
        mid = (lo + hi) / 2
        if model_sampling.percent_to_sigma(mid) >= sigma:
            lo = mid
        else:
            hi = mid
    return lo


TINY_CLIP = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 2,
             "projection_dim": 32}


def tiny_clip(comfy):
    """ComfyUI's SD1.5 CLIP with a 2-layer, 32-wide text model (LoRA keys `lora_te_text_model_encoder_layers_N_*`)."""
    import comfy.supported_models_base

    target = comfy.supported_models_base.ClipTarget(comfy.sd1_clip.SD1Tokenizer, comfy.sd1_clip.SD1ClipModel)
    clip = comfy.sd.CLIP(target=target, model_options={"clip_l_model_config": TINY_CLIP})
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in clip.cond_stage_model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.02)
    return clip
