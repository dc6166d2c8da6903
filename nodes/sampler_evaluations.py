"""The sigma of every model evaluation of a sampling run, and the LoRA strength ComfyUI applies at each.

No weights: the family's model sampling is ComfyUI's own (`comfy.model_base.model_sampling` over the
family's `comfy.supported_models` config and model type), and ComfyUI's own sampler runs through a
`CFGGuider` over a `BaseModel` whose diffusion model only records the sigma it is called with
(`transformer_options["sigmas"]`). So samplers that evaluate the model more than once per step (heun,
dpm_2, dpmpp_sde, ...) report every evaluation. The guider's `inner_sample` is called directly: the
preview never goes through `model_management.load_models_gpu`, so it cannot unload the user's models.

The strength at each evaluation comes from ComfyUI's `HookKeyframeGroup`, fed the same sigmas in the
same order as the sampler feeds it, so the preview is what the sampler applies.
"""

import bisect
import functools
import threading

import comfy.hooks
import comfy.model_base
import comfy.model_patcher
import comfy.samplers
import comfy.supported_models
import torch

from ..modules.schedule.curves import compile_curve

# family -> (comfy.supported_models class, comfy.model_base.ModelType member), as ComfyUI loads it.
FAMILIES = {
    "SD15": ("SD15", "EPS"),
    "SD2_V": ("SD20", "V_PREDICTION"),
    "SDXL": ("SDXL", "EPS"),
    "SDXL_V": ("SDXL", "V_PREDICTION"),
    "SD3": ("SD3", "FLOW"),
    "FLUX": ("Flux", "FLUX"),
    "FLUX_SCHNELL": ("FluxSchnell", "FLOW"),
}
MAX_STEPS = 200
# Samplers run one at a time: each run is tiny, and this keeps the CPU use of a busy editor bounded.
_run_lock = threading.Lock()


class _RecordingNet(torch.nn.Module):
    """A diffusion model that predicts zero and records each call's sigma (first of the batch)."""

    def __init__(self, **_):
        super().__init__()
        self.dtype = torch.float32
        self.sigmas: list[float] = []

    def forward(self, x, timesteps=None, context=None, transformer_options=None, **_):
        self.sigmas.append(float((transformer_options or {})["sigmas"].reshape(-1)[0]))
        return torch.zeros_like(x)


def options() -> dict:
    return {"families": list(FAMILIES), "samplers": list(comfy.samplers.KSampler.SAMPLERS),
            "schedulers": list(comfy.samplers.KSampler.SCHEDULERS), "max_steps": MAX_STEPS}


def _base_model(family: str, net_class=_RecordingNet):
    config_name, model_type = FAMILIES[family]
    config = getattr(comfy.supported_models, config_name)({})
    return comfy.model_base.BaseModel(config, model_type=comfy.model_base.ModelType[model_type],
                                      device=torch.device("cpu"), unet_model=net_class)


@functools.lru_cache(maxsize=8)
def model_sampling(family: str):
    """The family's model sampling object (cached; read-only afterwards)."""
    return _base_model(family).model_sampling


def sigma_percent(ms, sigma: float) -> float:
    """The percent p with percent_to_sigma(p) == sigma (bisection: percent_to_sigma decreases)."""
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if ms.percent_to_sigma(mid) >= sigma:
            lo = mid
        else:
            hi = mid
    return lo


@functools.lru_cache(maxsize=64)
def evaluations(family: str, sampler: str, scheduler: str, steps: int, denoise: float = 1.0):
    """(the scheduler's sigmas, the sigma of every model evaluation in call order, the step of each) for
    one sampling run. The step comes from the sampler's own per-step callback, which k-diffusion samplers
    call right after a step's first evaluation."""
    with _run_lock:
        base = _base_model(family)
        patcher = comfy.model_patcher.ModelPatcher(base, load_device=torch.device("cpu"),
                                                   offload_device=torch.device("cpu"))
        # KSampler's own sigma rule (dpm_2 and uni_pc drop the penultimate sigma; denoise cuts the start).
        sigmas = comfy.samplers.KSampler(patcher, steps, torch.device("cpu"), sampler, scheduler, denoise).sigmas
        sigmas = sigmas.to(torch.float32)
        guider = comfy.samplers.CFGGuider(patcher)
        context = torch.zeros(1, 1, 8)
        guider.set_conds([[context, {}]], [[context, {}]])
        guider.set_cfg(1.0)
        guider.inner_model = base
        base.current_patcher = patcher  # what load_models_gpu would set
        guider.conds = {k: list(v) for k, v in guider.original_conds.items()}
        channels = base.latent_format.latent_channels
        noise = torch.randn(1, channels, 8, 8, generator=torch.Generator().manual_seed(0))
        latent = torch.zeros_like(noise)
        recorded = base.diffusion_model.sigmas
        step_firsts: list[int] = []  # index of each step's first evaluation
        guider.inner_sample(noise, latent, torch.device("cpu"), comfy.samplers.sampler_object(sampler), sigmas,
                            None, lambda *_: step_firsts.append(len(recorded) - 1), True, 0)
        steps_of = tuple(max(0, bisect.bisect_right(step_firsts, i) - 1) for i in range(len(recorded)))
        return tuple(float(s) for s in sigmas), tuple(recorded), steps_of


def applied_strengths(family: str, sample_sigmas, eval_sigmas, keyframes) -> list[float]:
    """The strength ComfyUI's HookKeyframeGroup gives each evaluation (None keyframes: a skipped LoRA, 0)."""
    if keyframes is None:
        return [0.0] * len(eval_sigmas)
    group = comfy.hooks.HookKeyframeGroup()
    group.keyframes = [comfy.hooks.HookKeyframe(k.strength, k.start_percent, k.guarantee_steps) for k in keyframes]
    group.reset()
    ms = model_sampling(family)
    for keyframe in group.keyframes:
        keyframe.start_t = ms.percent_to_sigma(keyframe.start_percent)
    options = {"sample_sigmas": torch.tensor(sample_sigmas)}
    out = []
    for sigma in eval_sigmas:
        group.prepare_current_keyframe(torch.tensor([sigma]), options)
        out.append(float(group.strength))
    return out


def staircase(family: str, sampler: str, scheduler: str, steps: int, curves: list, denoise: float = 1.0) -> dict:
    """Every evaluation (sigma, sigma percent, step) of the run, and each curve's strength at each."""
    sample_sigmas, eval_sigmas, step_of = evaluations(family, sampler, scheduler, steps, denoise)
    ms = model_sampling(family)
    return {
        "family": family, "sampler": sampler, "scheduler": scheduler, "steps": steps, "denoise": denoise,
        "sigmas": list(sample_sigmas),
        "evaluations": [{"sigma": s, "percent": sigma_percent(ms, s), "step": k}
                        for s, k in zip(eval_sigmas, step_of, strict=True)],
        "strengths": [applied_strengths(family, sample_sigmas, eval_sigmas, compile_curve(points))
                      for points in curves],
    }
