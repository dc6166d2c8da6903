"""Compiled keyframes in real ComfyUI's HookKeyframeGroup: the strength it picks at every step of real
schedulers equals `curves.simulate_keyframes` at those steps' sigma percents, and tracks the seed's curve
(`lwb_testkit.curve_oracle`, independent of the module under test)."""

import importlib
from types import SimpleNamespace

import pytest
from lora_weights_builder.modules.schedule.curves import DEFAULT_TOLERANCE, compile_curve, simulate_keyframes
from lwb_testkit.curve_oracle import expected_strength
from lwb_testkit.tiny_model import sigma_percent

pytestmark = pytest.mark.comfy

CURVES = {
    "default ramp": [(0.0, 0.0), (1.0, 1.0)],
    "triangle": [(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)],
    "window 0.3-0.7": [(0.3, 1.0), (0.7, 1.0)],
    "100-point ramp": [(i / 99, i / 99) for i in range(100)],
}


def model_samplings(comfy):
    ms = importlib.import_module("comfy.model_sampling")

    class Discrete(ms.ModelSamplingDiscrete, ms.EPS):
        pass

    class Flow(ms.ModelSamplingDiscreteFlow, ms.CONST):
        pass

    return {"sd15-discrete": Discrete(), "flow-shift3": Flow(SimpleNamespace(sampling_settings={"shift": 3.0}))}


def comfy_strengths(comfy, model_sampling, keyframes, sigmas):
    group = comfy.hooks.HookKeyframeGroup()
    # Bulk assignment: HookKeyframeGroup.add re-sorts the whole list on every call (quadratic).
    group.keyframes = [comfy.hooks.HookKeyframe(k.strength, k.start_percent, k.guarantee_steps) for k in keyframes]
    group.reset()
    group.initialize_timesteps(SimpleNamespace(model_sampling=model_sampling))
    out = []
    for i in range(len(sigmas) - 1):
        group.prepare_current_keyframe(sigmas[i], {"sample_sigmas": sigmas})
        out.append(group.strength)
    return out


@pytest.mark.parametrize("curve_name", list(CURVES))
def test_comfyui_applies_the_simulated_staircase(comfy, curve_name):
    samplers = importlib.import_module("comfy.samplers")
    points = CURVES[curve_name]
    keyframes = compile_curve(points)
    for ms_name, model_sampling in model_samplings(comfy).items():
        for scheduler in ("normal", "karras", "exponential", "simple", "beta"):
            for steps in (1, 4, 20, 30, 75):
                sigmas = samplers.calculate_sigmas(model_sampling, scheduler, steps)
                qs = [sigma_percent(model_sampling, float(s)) for s in sigmas[:-1]]
                real = comfy_strengths(comfy, model_sampling, keyframes, sigmas)
                simulated = simulate_keyframes(keyframes, qs)
                where = (curve_name, ms_name, scheduler, steps)
                starts = [k.start_percent for k in keyframes]
                for q, a, b in zip(qs, real, simulated, strict=False):
                    # Only a step that sits on a keyframe boundary (float32 sigma tables) may land on either side.
                    assert a == pytest.approx(b, abs=1e-9) or min(abs(q - s) for s in starts) < 1e-6, (*where, q, a, b)
                if curve_name != "window 0.3-0.7":  # the window's 0.001 ramps are steeper than any step
                    for q, got in zip(qs, real, strict=False):
                        assert abs(got - expected_strength(points, q)) <= DEFAULT_TOLERANCE + 1e-6, (*where, q, got)
